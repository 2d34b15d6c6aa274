"""Fault injection for the tests: read-only paths, a small or full disk, the real CLIs.

Tests and CI run as root, so chmod does not make a path read-only. Instead:

- :func:`run_read_only` runs a command in its own mount namespace (``unshare -m``) in
  which the given paths are read-only bind mounts: nothing to clean up, the mounts die
  with the command;
- :func:`tmpfs` mounts a small tmpfs (a disk that fills up) and always unmounts it;
  :func:`fill` leaves a given number of bytes free on it.
"""

import contextlib
import json
import os
import shlex
import subprocess
import sys

from ecomsuite import layout

PAGE = 4096


def _env(env=None, kill_at=None):
    environ = dict(os.environ, **(env or {}))
    environ.pop(layout.KILL_ENV, None)
    if kill_at:
        environ[layout.KILL_ENV] = kill_at
    return environ


def cli(module, *args):
    return [sys.executable, "-m", module, *map(str, args)]


def run(cmd, env=None, kill_at=None, timeout=600):
    return subprocess.run(cmd, capture_output=True, text=True, env=_env(env, kill_at),
                          timeout=timeout)


def run_read_only(paths, cmd, env=None, timeout=600):
    """Run `cmd` with each of `paths` a read-only bind mount (in a private mount namespace)."""
    mounts = " && ".join(f"mount --bind {shlex.quote(str(p))} {shlex.quote(str(p))} && "
                         f"mount -o remount,ro,bind {shlex.quote(str(p))}" for p in paths)
    script = f"{mounts} && exec \"$@\""
    return run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *cmd],
               env=env, timeout=timeout)


@contextlib.contextmanager
def tmpfs(path, size):
    """A tmpfs of `size` bytes mounted at `path` (created), unmounted afterwards."""
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                   check=True)
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)]).returncode:
            subprocess.run(["umount", "-l", str(path)], check=True)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path, leave=0, name=".filler"):
    """Fill the file system of `path` but `leave` bytes; returns the filler's path
    (remove it to free the space)."""
    filler = os.path.join(path, name)
    room = free_bytes(path) - leave
    with open(filler, "wb") as f:
        block = b"\0" * (1 << 20)
        while room > 0:
            try:
                room -= f.write(block[:min(room, len(block))])
            except OSError:
                break
    return filler


def assert_clear_error(result, codes, *, lines=1):
    """A failure the user can act on: an expected exit code, and stderr's last `lines`
    line(s) naming it, with no Python traceback anywhere."""
    assert result.returncode in codes, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stdout, result.stdout[-3000:]
    text = result.stderr.strip().splitlines()
    assert text and len(text[-1]) > 20, result.stderr
    return text[-lines:]


def outputs(root):
    """{job: {key: value}} of each job's current output (the newest with _SUCCESS), and
    check every published output has its run record saying it succeeded."""
    target = layout.OutputLayout(str(root))
    found = {}
    for job in target.jobs():
        for version in target.versions(job).complete():
            record_path = target.record_path(job, version)
            assert os.path.exists(record_path), f"{job}/{version} published without its record"
            with open(record_path) as f:
                record = json.load(f)
            assert record["status"] == "succeeded", record
        latest = target.latest_output(job)
        if latest is None:
            continue
        rows = {}
        for line in target.read_output_lines(latest):
            key, value = line.rstrip("\n").split("\t")
            rows[key] = json.loads(value)
        found[job] = rows
    return found


def assert_whole(root):
    """Nothing published that is not whole: every output with _SUCCESS has its record."""
    outputs(root)
