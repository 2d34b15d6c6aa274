"""On a real YARN cluster: ecom-run's progress lines carry the job's own map and reduce
percentages (off a terminal: a line per change), and --json stays one document."""

import json
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.hadoop

PERCENT_LINE = re.compile(r"^\[1/1\] sales_by_region: step 1/1, map (\d+)% reduce (\d+)%$")


def test_yarn_progress_lines_and_json(hadoop_cluster, hdfs_raw, hdfs_root):
    run = [sys.executable, "-m", "ecomsuite.pipeline", "--runner", "hadoop", "--data", hdfs_raw,
           "--jobs", "sales_by_region"]
    r = subprocess.run([*run, "--output", f"{hdfs_root}/console"],
                       cwd=hadoop_cluster.layout.root, env=hadoop_cluster.env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    percentages = [tuple(map(int, m.groups())) for m in map(PERCENT_LINE.match,
                                                            r.stderr.splitlines()) if m]
    assert percentages and percentages[-1] == (100, 100), r.stderr
    assert percentages == sorted(percentages)       # Hadoop's own, only ever growing
    assert re.search(r"^\[1/1\] sales_by_region: step 1/1, application_\d+_\d+$", r.stderr,
                     re.MULTILINE), r.stderr
    assert "== sales_by_region (hadoop, " in r.stdout

    j = subprocess.run([*run, "--output", f"{hdfs_root}/console-json", "--json"],
                       cwd=hadoop_cluster.layout.root, env=hadoop_cluster.env,
                       capture_output=True, text=True, timeout=900)
    assert j.returncode == 0, j.stderr
    doc = json.loads(j.stdout)
    (record,) = doc["jobs"]
    assert record["status"] == "succeeded" and record["yarn_application_ids"]
    assert not PERCENT_LINE.search(j.stderr or "")
