"""Helpers of the landing tests (local disk and HDFS): land with a kill, check the day."""

import os
import subprocess
import sys

from ecomsuite import layout


def run_land(data, dataset, day, files, kill_at=None, move=False, env=None, timeout=300):
    """Run the real `ecom-land` CLI; with `kill_at` it SIGKILLs itself at that point."""
    environ = dict(os.environ, **(env or {}))
    environ.pop(layout.KILL_ENV, None)
    if kill_at:
        environ[layout.KILL_ENV] = kill_at
    cmd = [sys.executable, "-m", "ecomsuite.land", "--data", str(data), "--dataset", dataset,
           "--day", day, "--quiet", *(["--move"] if move else []), *map(str, files)]
    return subprocess.run(cmd, capture_output=True, text=True, env=environ, timeout=timeout)


def committed(data, day):
    """{dataset: [bytes of each file]} of the day's newest commit (every named file read)."""
    target = layout.DataLayout(str(data))
    commit = target.latest_commit(day)
    if commit is None:
        return None, None
    out = {}
    for dataset in commit.datasets:
        out[dataset] = [target.store.read_bytes(p) for p in target.day_files(dataset, day, commit)]
    return commit, out
