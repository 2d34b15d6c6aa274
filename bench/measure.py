"""Run one command and report its wall time and peak RSS (a small helper process).

    python -I bench/measure.py RESULT_JSON STDOUT STDERR TIMEOUT -- CMD...

Peak RSS comes from ``wait4``: the largest process of the command's tree.
A child inherits its parent's peak RSS across fork and exec, so measuring
from the harness itself (which holds DuckDB and row counts in memory) would
report the harness's size; this helper stays small (about 10 MiB, less than
any Python job), so what it reports is the command's own peak.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time


def main(argv):
    result_path, stdout_path, stderr_path, timeout = argv[:4]
    cmd = argv[5:]
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        timer = threading.Timer(float(timeout), lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
    with open(result_path, "w") as f:
        json.dump({"wall_s": wall, "maxrss_kib": usage.ru_maxrss,
                   "returncode": os.waitstatus_to_exitcode(status)}, f)


if __name__ == "__main__":
    main(sys.argv[1:])
