"""The process-group stop the monitoring tests and `make pictures` share
(ecomsuite.viz.pictures.stop_process_group): what a process started stops with it, and one
that ignores SIGTERM is killed after the grace period."""

import os
import subprocess
import sys
import time

from ecomsuite.viz.pictures import stop_process_group

# A parent that starts a child in its group, prints the child's pid, then waits; IGNORE_TERM
# makes both ignore SIGTERM.
SCRIPT = """
import signal, subprocess, sys, time
if sys.argv[1] == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, sys, time\\n"
    "if sys.argv[1] == '1': signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
    "time.sleep(120)", sys.argv[1]])
print(child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ")[1][0] != "Z"      # a zombie is gone, only unreaped
    except FileNotFoundError:
        return False


def _start(ignore_term):
    popen = subprocess.Popen([sys.executable, "-c", SCRIPT, "1" if ignore_term else "0"],
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
    child = int(popen.stdout.readline())
    return popen, child


def test_sigterm_stops_the_process_and_what_it_started():
    popen, child = _start(ignore_term=False)
    started = time.monotonic()
    assert stop_process_group(popen, grace=5) == -15     # SIGTERM
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    popen.stdout.close()


def test_a_group_that_ignores_sigterm_is_killed_after_the_grace():
    popen, child = _start(ignore_term=True)
    started = time.monotonic()
    assert stop_process_group(popen, grace=1) == -9      # SIGKILL
    assert time.monotonic() - started >= 1
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    assert stop_process_group(popen) == -9               # already gone: left alone
    popen.stdout.close()
    assert not os.path.exists(f"/proc/{popen.pid}") or not _alive(popen.pid)
