"""ecom-ingest for scripts: --json is one document on stdout equal to the manifests it
published, --quiet prints nothing on success, and the exit codes stay as they were."""

import glob
import json
import os
import subprocess
import sys

from tests.ingest.support import DAY, SIMPLE, csv_bytes, land


def ingest_cli(*args):
    return subprocess.run([sys.executable, "-m", "ecomsuite.ingest", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_json_is_one_document_equal_to_the_manifests(tmp_path):
    land(tmp_path, {"orders": [("a.csv", csv_bytes("orders", [SIMPLE["orders"], "bad,row"]))]})
    r = ingest_cli("--data", tmp_path, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    doc = json.loads(r.stdout)
    assert (doc["command"], doc["exit_code"], doc["error"], doc["refused"]) == \
        ("ecom-ingest", 0, None, [])
    manifests = glob.glob(f"{tmp_path}/canonical/*/dt={DAY}/*/_manifest.json")
    on_disk = {os.path.dirname(p): json.load(open(p)) for p in manifests}
    published = {m["run"].pop("canonical"): m for m in doc["published"]}   # where it is
    assert published == on_disk
    (orders,) = [m for m in doc["published"] if m["dataset"] == "orders"]
    assert (orders["valid"], orders["rejected"]) == (1, 1)

    again = ingest_cli("--data", tmp_path, "--json")          # nothing new: up to date
    doc = json.loads(again.stdout)
    assert again.returncode == 0 and doc["published"] == [] and len(doc["skipped"]) == 3

    nothing = ingest_cli("--data", tmp_path, "--days", "2025-07-01", "--json")
    doc = json.loads(nothing.stdout)
    assert nothing.returncode == doc["exit_code"] == 1
    assert "nothing to ingest" in nothing.stderr and "no commit" in nothing.stderr


def test_json_on_an_error_is_still_one_document(tmp_path):
    r = ingest_cli("--data", tmp_path / "empty", "--json")
    doc = json.loads(r.stdout)
    assert r.returncode == doc["exit_code"] == 1
    assert "Traceback" not in r.stderr


def test_quiet_prints_nothing_on_success(tmp_path):
    land(tmp_path, {})
    r = ingest_cli("--data", tmp_path, "--quiet")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert len(glob.glob(f"{tmp_path}/canonical/*/dt={DAY}/*/_manifest.json")) == 3
