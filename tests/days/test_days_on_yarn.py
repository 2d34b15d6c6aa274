"""Runs by day on YARN (mrjob's hadoop runner, the real cluster): a backfill over landed
days in HDFS, a day re-run with identical partials, and the merged answers equal to the
inline runner's over the same days landed locally."""

import subprocess
import sys

import pytest

from ecomsuite import layout
from ecomsuite.report import parse_output_lines
from tests.days.conftest import ecom_run
from tests.fixtures.data import generate

pytestmark = pytest.mark.hadoop

JOBS = ("sales_by_region", "device_conversions")
DAYS = ("--days", "3", "--scale", "0.05", "--seed", "77", "--start-date", "2026-03-01")


def parsed(outputs, path):
    return sorted(parse_output_lines(outputs.read_output_lines(path)), key=repr)


def test_a_backfill_and_a_day_rerun_on_yarn_equal_the_inline_runner(hadoop_cluster, hdfs_root,
                                                                  tmp_path):
    data, output = f"{hdfs_root}/days", f"{hdfs_root}/days-out"
    subprocess.run([sys.executable, "-m", "datagen", "--out", data, "--quiet", *DAYS],
                   check=True, env=hadoop_cluster.env, cwd=hadoop_cluster.layout.root)

    def yarn(*args):
        done = subprocess.run(
            [sys.executable, "-m", "ecomsuite.pipeline", "--runner", "hadoop", "--data", data,
             "--output", output, "--jobs", ",".join(JOBS), "--quiet", *args],
            env=hadoop_cluster.env, cwd=hadoop_cluster.layout.root, capture_output=True,
            text=True, timeout=1800)
        assert done.returncode == 0, done.stderr[-3000:]

    yarn("--from", "2026-03-01", "--to", "2026-03-03")
    outputs = layout.OutputLayout(output)
    days = outputs.partition_days(JOBS[0])
    assert [d.isoformat() for d in days] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    before = {job: outputs.latest_output(job, days[1]) for job in JOBS}
    parts = {job: [outputs.store.read_bytes(p) for p in outputs.part_files(before[job])]
             for job in JOBS}
    yarn("--day", days[1].isoformat())
    for job in JOBS:
        again = outputs.latest_output(job, days[1])
        assert again != before[job]
        assert [outputs.store.read_bytes(p) for p in outputs.part_files(again)] == parts[job]

    local = generate(tmp_path / "data", *DAYS)
    ecom_run("--runner", "inline", "--data", local, "--output", tmp_path / "out", "--jobs",
             ",".join(JOBS), "--from", "2026-03-01", "--to", "2026-03-03")
    inline = layout.OutputLayout(str(tmp_path / "out"))
    for job in JOBS:
        for day in days:
            assert parsed(outputs, outputs.latest_output(job, day)) == \
                parsed(inline, inline.latest_output(job, day))
        assert parsed(outputs, outputs.latest_output(job)) == \
            parsed(inline, inline.latest_output(job))
