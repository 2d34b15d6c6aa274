"""Helpers of the analytics tests: run a job inline with list keys, read CSVs plainly."""

import csv
import glob
import json
import os
import shutil

from ecomsuite.schemas import DATASETS
from tests.canonical_inputs import to_canonical
from tests.helpers import merged_counters


def key_of(key):
    """JSON keys may be lists: make them hashable."""
    return tuple(key) if isinstance(key, list) else key


def run_job(job_cls, paths, *args):
    """Ingest CSV `paths` (tests/canonical_inputs.py) and run a job inline over the canonical
    parts; return ({key: value}, the ingest's counts merged with the job's counters)."""
    parts, ingested = to_canonical(paths)
    if not parts:  # only empty files: nothing to run on
        return {}, ingested
    job = job_cls(["--no-conf", *args, *parts])
    with job.make_runner() as runner:
        runner.run()
        out = {}
        for key, value in job.parse_output(runner.cat_output()):
            assert key_of(key) not in out, f"key {key} emitted twice"
            out[key_of(key)] = value
        counters = merged_counters(runner.counters())
    assert counters.get("rows", {}).get("valid", 0) == ingested["rows"]["valid"]
    counters.pop("rows", None)
    return out, merged_counters([ingested, counters])


def dataset_files(root, *datasets):
    """The part files of datasets under a generated data root, in dataset order."""
    return [f for name in datasets
            for f in sorted(glob.glob(os.path.join(str(root), name, "part-*")))]


def read_rows(files, dataset):
    """Every data row of CSV files as dicts (Python's csv module; headers skipped by content)."""
    header = list(DATASETS[dataset].names)
    rows = []
    for path in files:
        with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
            for fields in csv.reader(f):
                if fields and fields != header:
                    rows.append(dict(zip(header, fields)))
    return rows


def injected(root):
    with open(os.path.join(str(root), "_injected.json")) as f:
        return json.load(f)


def copy_dataset(root, dest, *datasets):
    """Copy datasets of a generated root into `dest` (to add rows to them)."""
    for name in datasets:
        shutil.copytree(os.path.join(str(root), name), os.path.join(str(dest), name))
    return dest


def append_lines(path, lines):
    with open(path, "ab") as f:
        for line in lines:
            f.write((line.encode() if isinstance(line, str) else line) + b"\n")
