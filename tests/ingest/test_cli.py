"""ecom-ingest's command line: help, progress and summary, --days and --datasets, errors."""

import subprocess
import sys

from tests.ingest.support import DAY, csv_bytes, land


def ingest_cli(*args):
    return subprocess.run([sys.executable, "-m", "ecomsuite.ingest", *map(str, args)],
                          capture_output=True, text=True)


def test_help():
    r = ingest_cli("--help")
    assert r.returncode == 0
    for option in ("--data", "--runner", "--days", "--datasets", "--force", "--part-rows"):
        assert option in r.stdout


def test_progress_summary_and_selection(tmp_path):
    land(tmp_path, {"orders": [("a.csv", csv_bytes("orders", ["bad,row"]))]})
    r = ingest_cli("--data", tmp_path, "--days", f"{DAY}..{DAY}", "--datasets", "orders")
    assert r.returncode == 0, r.stderr
    assert "ingesting 1 partition(s), 1 landed file(s)" in r.stderr
    assert "[1/1] orders/2025-06-01/" in r.stderr
    assert "1 partition(s) published: 1 records, 0 valid, 1 rejected" in r.stdout
    assert "holds 1 rejected record(s)" in r.stdout
    assert "rejected by reason: wrong_column_count=1" in r.stdout
    again = ingest_cli("--data", tmp_path, "--datasets", "orders")
    assert "1 partition(s) already up to date" in again.stdout
    other = ingest_cli("--data", tmp_path, "--days", "2025-07-01")
    assert other.returncode == 1 and "skipped dt=2025-07-01: no commit" in other.stdout
    assert "nothing to ingest" in other.stderr


def test_errors_are_messages_not_tracebacks(tmp_path):
    for args, message in ((["--days", "2025-13-01"], "not a day"),
                          (["--days", "2025-06-02..2025-06-01"], "ends before it starts"),
                          (["--datasets", "refunds"], "unknown dataset(s) refunds"),
                          (["--runner", "local", "--data", "hdfs:///x"],
                           "the hadoop runner reads HDFS")):
        r = ingest_cli("--data", tmp_path, *args)
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    r = ingest_cli("--data", tmp_path / "empty")
    assert r.returncode == 1 and "input dataset" in r.stdout and "does not exist" in r.stdout
    assert "nothing to ingest" in r.stderr
    assert "Traceback" not in r.stderr
