"""A failed map task says why: its Python error and where its whole log is reach the user,
from the job's own command line and from ecom-run, on the inline and local runners
(the hadoop runner goes through the same code: mrjob reads the container's log)."""

import glob
import json
import os
import subprocess
import sys
import tempfile

import pytest
from mrjob.step import StepFailedException

from ecomsuite import config, pipeline
from ecomsuite.jobbase import task_failure_text
from tests.core.mr_failing import MESSAGE, MRFailing

JOB_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mr_failing.py")


def task_log_of(text):
    """The path after 'full task log:' in an error text."""
    (line,) = [ln for ln in text.splitlines() if "full task log:" in ln]
    return line.split("full task log:", 1)[1].strip()


def orders_files(data):
    return sorted(glob.glob(os.path.join(str(data), "orders", "part-*")))


@pytest.fixture(autouse=True)
def task_tmp(tmp_path, monkeypatch):
    """mrjob keeps a failed run's task directories (the logs named): in tmp_path."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_job_command_line_on_local_runner_prints_the_task_error_and_its_log(
        generated_data, task_tmp, quiet):
    result = subprocess.run(
        [sys.executable, JOB_SCRIPT, "-r", "local", "--no-conf", *quiet,
         *orders_files(generated_data)], capture_output=True, text=True, timeout=300,
        env={**os.environ, **config.JOB_ENV, "TMPDIR": str(task_tmp)})
    assert result.returncode == 1
    error = result.stderr[result.stderr.index("error: Step 1 of 1 failed"):]
    assert "task error (last lines):" in error
    assert f"ValueError: {MESSAGE} with " in error       # the task's own exception, last
    assert "in mapper_raw_fail" in error                 # and where it was raised
    log = task_log_of(error)
    assert log.endswith("stderr") and os.path.exists(log)
    with open(log) as f:
        assert MESSAGE in f.read()


def test_job_command_line_on_inline_runner_shows_the_python_error(generated_data):
    result = subprocess.run(
        [sys.executable, JOB_SCRIPT, "--no-conf", *orders_files(generated_data)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert f"ValueError: {MESSAGE} with " in result.stderr


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_ecom_run_reports_the_task_error_in_summary_and_record(
        generated_data, tmp_path, capsys, monkeypatch, runner):
    monkeypatch.setattr(pipeline, "job_classes", lambda: {"failing": MRFailing})
    out = tmp_path / "out"
    assert pipeline.main(["--runner", runner, "--data", str(generated_data),
                          "--output", str(out)]) == 1
    printed = capsys.readouterr()
    (path,) = glob.glob(f"{out}/_runs/failing/*.json")
    with open(path) as f:
        record = json.load(f)
    assert record["status"] == "failed"
    for text in (record["error"], printed.out):
        assert f"ValueError: {MESSAGE} with " in text
        assert "in mapper_raw_fail" in text
    if runner == "local":
        assert record["error"].startswith("Step 1 of 1 failed")
        log = task_log_of(record["error"])
        assert os.path.exists(log) and MESSAGE in open(log).read()
        assert log.startswith(str(tmp_path))
    else:
        assert record["error"].startswith(f"ValueError: {MESSAGE}")
    # the closing line names the job and the first line of the error
    assert f"ecom-run: failing failed: {record['error'].splitlines()[0]}" in printed.err
    assert not glob.glob(f"{out}/failing/2*")   # nothing published


YARN_CAUSE = """Error: java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): subprocess failed with code 1
	at org.apache.hadoop.streaming.PipeMapRed.waitOutputThreads(PipeMapRed.java:326)

(from lines 41-52 of /x/.run/hadoop/logs/userlogs/application_1_0001/container_1_0001_01_000002/syslog)

caused by:

+ python3 mr_failing.py --step-num=0 --mapper
Traceback (most recent call last):
  File "mr_failing.py", line 25, in mapper_raw_fail
    raise ValueError("deliberate")
ValueError: deliberate

(from lines 3-9 of /x/.run/hadoop/logs/userlogs/application_1_0001/container_1_0001_01_000002/stderr)

while reading input from hdfs:///raw/orders/part-00001.csv"""


def test_the_task_error_is_the_python_one_under_hadoops_java_error():
    """mrjob's text on YARN: Hadoop's Java error, then 'caused by:' the task's stderr."""
    text = task_failure_text(StepFailedException(step_num=0, num_steps=1), [YARN_CAUSE])
    assert text.splitlines()[0] == "Step 1 of 1 failed"
    assert text.splitlines()[-2].strip() == "ValueError: deliberate"
    assert "java" not in text and "+ python3" not in text
    assert task_log_of(text).endswith("container_1_0001_01_000002/stderr")


@pytest.mark.parametrize("worker", ["", "worker-2"])  # one NodeManager's logs, or a worker's
def test_container_stderr_explains_a_yarn_failure_mrjob_could_not(tmp_path, monkeypatch, worker):
    """mrjob found Hadoop's Java error only: the container's own stderr is read."""
    logs = tmp_path / "logs"
    for n, text in ((1, "log4j: nothing wrong\n"),
                    (2, "+ python3 mr_failing.py --mapper\nTraceback (most recent call last):\n"
                        '  File "mr_failing.py", line 25, in mapper_raw_fail\n'
                        "ValueError: deliberate\n")):
        container = (logs / worker / "userlogs" / "application_1_0001"
                     / f"container_1_0001_01_00000{n}")
        container.mkdir(parents=True)
        (container / "stderr").write_text(text)
    monkeypatch.setattr(pipeline, "hadoop_log_dirs", lambda: [str(logs)])
    causes = pipeline.container_errors([None, "application_1_0001"])
    text = task_failure_text(StepFailedException(step_num=0, num_steps=1),
                             ["Error: java.lang.RuntimeException: subprocess failed", *causes])
    assert text.splitlines()[-2].strip() == "ValueError: deliberate"
    assert task_log_of(text) == str(logs / worker / "userlogs" / "application_1_0001" /
                                    "container_1_0001_01_000002" / "stderr")
    assert pipeline.container_errors(["application_9_0009"]) == []


def test_container_logs_are_looked_for_in_mrjob_confs_local_log_dirs(monkeypatch):
    monkeypatch.setenv("ECOM_ROOT", "/srv/ecom")
    assert pipeline.hadoop_log_dirs() == ["/srv/ecom/.run/hadoop/logs"]


@pytest.mark.hadoop
def test_ecom_run_on_yarn_reports_the_task_error_from_the_container_log(
        hadoop_cluster, hdfs_raw, hdfs_root):
    """On YARN every attempt of the map task fails; mrjob reads the container's stderr."""
    store = pipeline.HdfsStore(hdfs_raw, f"{hdfs_root}/failing")
    record = pipeline.run_job(MRFailing, store, "hadoop")
    assert record["status"] == "failed"
    assert record["error"].startswith("Step 1 of 1 failed")
    assert f"ValueError: {MESSAGE} with " in record["error"]
    assert "in mapper_raw_fail" in record["error"]
    assert task_log_of(record["error"])      # where the container's whole log is
