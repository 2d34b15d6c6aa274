"""The runner (`ecom-run`): outputs published whole, run records, failures reported."""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from ecomsuite import pipeline
from ecomsuite.registry import job_classes
from reference import core as reference
from tests.helpers import part_files, write_lines

CORE_REFERENCES = {"sales_by_region": ("orders", reference.sales_by_region),
                   "customer_tiers": ("customers", reference.customer_tiers),
                   "device_conversions": ("clickstream", reference.device_conversions)}


def records(output, job):
    return [json.load(open(p)) for p in sorted(glob.glob(f"{output}/_runs/{job}/*.json"))]


def read_output(directory):
    rows = {}
    for part in glob.glob(os.path.join(directory, "part-*")):
        for line in open(part, encoding="utf-8"):
            key, value = line.rstrip("\n").split("\t")
            rows[json.loads(key)] = json.loads(value)
    return rows


def test_runs_every_job_and_records_it(generated_data, tmp_path, capsys):
    out = tmp_path / "out"
    jobs = ",".join(CORE_REFERENCES)
    assert pipeline.main(["--runner", "inline", "--data", str(generated_data),
                          "--output", str(out), "--jobs", jobs]) == 0
    printed = capsys.readouterr()
    for job, (dataset, expected) in CORE_REFERENCES.items():
        (record,) = records(out, job)
        assert record["status"] == "succeeded" and record["error"] is None
        assert record["runner"] == "inline"
        assert os.path.exists(os.path.join(record["output_dir"], "_SUCCESS"))
        assert os.path.dirname(record["output_dir"]) == str(out / job)
        files = part_files(generated_data, dataset)
        want = expected(files)
        assert read_output(record["output_dir"]) == want
        assert record["output_rows"] == len(want)
        rows_in_files = sum(sum(1 for _ in open(f, "rb")) - 1 for f in files)
        assert record["input_rows"] == record["valid_rows"] == rows_in_files
        assert record["malformed_total"] == 0 and record["malformed_rows"] == {}
        assert record["duration_seconds"] > 0
        assert f"== {job} (inline," in printed.out
    assert "US-EAST" in printed.out and "PLATINUM" in printed.out and "mobile" in printed.out
    assert not glob.glob(f"{out}/*/_tmp-*")


def test_auto_runs_each_job_on_the_runner_its_input_picks(generated_data, tmp_path,
                                                         monkeypatch, capsys):
    """ecom-run's default: a job reading fewer than LOCAL_FROM_ROWS valid rows runs inline,
    one reading more on the local runner; each record says which, and the answers are the
    references' on either runner."""
    jobs = {"customer_tiers": "customers", "sales_by_region": "orders"}
    rows = {d: sum(sum(1 for _ in open(f, "rb")) - 1 for f in part_files(generated_data, d))
            for d in jobs.values()}
    assert rows["customers"] < rows["orders"]
    monkeypatch.setattr(pipeline, "LOCAL_FROM_ROWS", rows["orders"])
    assert pipeline.parse_args([]).runner == pipeline.DEFAULT_RUNNER == "auto"
    out = tmp_path / "out"
    assert pipeline.main(["--data", str(generated_data), "--output", str(out),
                          "--jobs", ",".join(jobs)]) == 0
    printed = capsys.readouterr().out
    for job, runner in (("customer_tiers", "inline"), ("sales_by_region", "local")):
        (record,) = records(out, job)
        assert record["status"] == "succeeded" and record["runner"] == runner
        assert record["valid_rows"] == rows[jobs[job]]
        assert read_output(record["output_dir"]) == \
            CORE_REFERENCES[job][1](part_files(generated_data, jobs[job]))
        assert f"== {job} ({runner}," in printed
    assert pipeline.job_runner("auto", pipeline.LOCAL_FROM_ROWS - 1) == "inline"
    assert pipeline.job_runner("inline", 10 ** 9) == "inline"
    assert pipeline.parse_args(["--data", "hdfs:///d", "--output", "hdfs:///o"]).runner == \
        "hadoop"


def test_missing_input_fails_clearly(tmp_path, capsys):
    code = pipeline.main(["--runner", "inline", "--data", str(tmp_path / "nowhere"),
                          "--output", str(tmp_path / "out"), "--jobs", "sales_by_region"])
    assert code == 1
    err = capsys.readouterr().err
    assert f"input dataset {tmp_path / 'nowhere' / 'orders'} does not exist" in err
    assert "make generate-data" in err
    (record,) = records(tmp_path / "out", "sales_by_region")
    assert record["status"] == "failed"


def test_incomplete_dataset_is_refused(generated_data, tmp_path, capsys):
    data = tmp_path / "raw"
    shutil.copytree(generated_data / "orders", data / "orders")
    os.remove(data / "orders" / "_SUCCESS")
    code = pipeline.main(["--runner", "inline", "--data", str(data), "--output",
                          str(tmp_path / "out"), "--jobs", "sales_by_region"])
    assert code == 1
    assert "has no _SUCCESS: it is incomplete" in capsys.readouterr().err


def test_too_many_malformed_rows_fails_and_publishes_nothing(tmp_path, capsys):
    data = tmp_path / "raw"
    write_lines(str(data / "orders" / "part-00000.csv"), [
        "ORD00001,CUST00001,LAPTOP001,Gaming Laptop,1,1.00,1.00,2025-01-15 14:23:45,COMPLETED,US-EAST",
        "ORD00002,CUST00001,LAPTOP001,Gaming Laptop,1,1.00,x,2025-01-15 14:23:45,COMPLETED,US-EAST",
    ], header_of="orders")
    (data / "orders" / "_SUCCESS").touch()
    out = tmp_path / "out"
    code = pipeline.main(["--runner", "inline", "--data", str(data), "--output", str(out),
                          "--jobs", "sales_by_region"])
    assert code == 1
    captured = capsys.readouterr()
    assert "1 of 2 rows are malformed (50.00%), above the allowed 5.00%" in captured.err
    assert "malformed: 1 (50.00%; bad_number=1)" in captured.out
    (record,) = records(out, "sales_by_region")
    assert record["status"] == "failed"
    assert record["malformed_rows"] == {"bad_number": 1} and record["input_rows"] == 2
    assert os.path.basename(record["output_dir"]).startswith("_failed-")
    assert not glob.glob(f"{out}/sales_by_region/*/_SUCCESS")
    # the same data passes when that much bad data is allowed
    assert pipeline.main(["--runner", "inline", "--data", str(data), "--output", str(out),
                          "--jobs", "sales_by_region", "--max-malformed-share", "0.5"]) == 0
    assert len(glob.glob(f"{out}/sales_by_region/*/_SUCCESS")) == 1


def test_unknown_job_is_named(tmp_path):
    with pytest.raises(SystemExit) as e:
        pipeline.main(["--jobs", "sales_by_region,nope", "--output", str(tmp_path)])
    assert "unknown job(s) nope" in str(e.value)


def test_run_ids_sort_by_time_to_the_millisecond():
    assert pipeline.new_run_id(1_000_000) < pipeline.new_run_id(1_000_001)
    # two runs in one second (a quick day re-run) still sort in the order they ran
    ids = [pipeline.new_run_id(1_000_000 + n / 1000) for n in (1, 2, 10, 999)]
    assert ids == sorted(ids) and len(set(ids)) == 4


def test_registry_names_are_unique_and_match_files():
    classes = job_classes()
    for name, cls in classes.items():
        assert cls.__module__ == f"jobs.mr_{name}"


def test_command_line_help():
    r = subprocess.run([sys.executable, "-m", "ecomsuite.pipeline", "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "--runner {auto,inline,local,hadoop}" in r.stdout


def test_parallel_is_for_the_hadoop_runner_only(tmp_path, capsys):
    with pytest.raises(SystemExit):
        pipeline.main(["--runner", "local", "--parallel", "2", "--output", str(tmp_path)])
    assert "only the hadoop runner runs jobs at once" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        pipeline.main(["--runner", "inline", "--parallel", "0", "--output", str(tmp_path)])
    assert "--parallel must be at least 1" in capsys.readouterr().err


def test_parallel_defaults():
    assert pipeline.parse_args(["--runner", "inline"]).parallel == 1
    assert pipeline.parse_args(["--runner", "hadoop"]).parallel == \
        pipeline.DEFAULT_HADOOP_PARALLEL == 2
