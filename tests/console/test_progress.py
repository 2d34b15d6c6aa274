"""Live progress from mrjob's own log: the map and reduce percentages of a YARN job as
mrjob's hadoop runner relays them from `hadoop jar` (fed here through mrjob's own parser
and logging, the path a real run takes), the steps and rows of a real local-runner job,
jobs in parallel threads kept apart, plain lines off a terminal, a live display on one."""

import io
import logging
import threading

import pytest
from mrjob.hadoop import _log_record_from_hadoop
from mrjob.logs.step import _interpret_hadoop_jar_command_stderr

from ecomsuite import pipeline
from ecomsuite.console import JobState, MrjobProgress, Output
from ecomsuite.registry import job_classes

APP = "application_1764169000000_{:04d}"


def hadoop_jar_stderr(n, percentages):
    """What `hadoop jar hadoop-streaming.jar ...` prints on stderr (Hadoop 3's client)."""
    job = f"job_1764169000000_{n:04d}"
    lines = [
        "packageJobJar: [] [/opt/hadoop/share/hadoop/tools/lib/hadoop-streaming-3.4.1.jar] "
        "/tmp/streamjob123.jar tmpDir=null",
        "2026-11-26 15:00:01,123 INFO client.DefaultNoHARMFailoverProxyProvider: Connecting to "
        "ResourceManager at /127.0.0.1:8032",
        "2026-11-26 15:00:02,456 INFO mapreduce.JobSubmitter: number of splits:2",
        f"2026-11-26 15:00:03,001 INFO impl.YarnClientImpl: Submitted application {APP.format(n)}",
        f"2026-11-26 15:00:03,050 INFO mapreduce.Job: The url to track the job: "
        f"http://127.0.0.1:8088/proxy/{APP.format(n)}/",
        f"2026-11-26 15:00:03,051 INFO mapreduce.Job: Running job: {job}",
        f"2026-11-26 15:00:10,200 INFO mapreduce.Job: Job {job} running in uber mode : false",
    ]
    lines += [f"2026-11-26 15:00:1{i},200 INFO mapreduce.Job:  map {m}% reduce {r}%"
              for i, (m, r) in enumerate(percentages)]
    lines += [f"2026-11-26 15:00:30,500 INFO mapreduce.Job: Job {job} completed successfully",
              "2026-11-26 15:00:30,600 INFO mapreduce.Job: Counters: 3",
              "\tFile System Counters", "\t\tFILE: Number of bytes read=1234",
              "2026-11-26 15:00:30,700 INFO streaming.StreamJob: Output directory: "
              "hdfs:///ecommerce/processed/funnel/_tmp-x"]
    return [(line + "\n").encode() for line in lines]


def run_yarn_step(step, steps, n, percentages):
    """What mrjob's hadoop runner does for a step: log its start, then parse `hadoop jar`'s
    stderr and log each record (mrjob.hadoop._run_hadoop)."""
    logging.getLogger("mrjob.hadoop").info("Running step %d of %d...", step, steps)
    return _interpret_hadoop_jar_command_stderr(
        iter(hadoop_jar_stderr(n, percentages)), record_callback=_log_record_from_hadoop)


PERCENTAGES = [(0, 0), (50, 0), (100, 0), (100, 67), (100, 100)]
RECORD = {"status": "succeeded", "duration_seconds": 21.5, "output_rows": 4}


def test_yarn_percentages_as_plain_lines_off_a_terminal():
    err = io.StringIO()
    with Output(stderr=err, stdout=io.StringIO(), live=False, width=80) as out:
        state = out.job_started(4, 8, "funnel", "hadoop")
        interpretation = run_yarn_step(1, 2, 1, PERCENTAGES)
        run_yarn_step(2, 2, 2, [(0, 0), (100, 100)])
        out.job_finished(state, RECORD)
    # mrjob itself read the same lines as progress: our reading agrees with its own
    assert interpretation["progress"]["map"] == 100
    assert interpretation["application_id"] == APP.format(1)
    lines = err.getvalue().splitlines()
    assert lines == [
        "[4/8] funnel on the hadoop runner ...",
        f"[4/8] funnel: step 1/2, {APP.format(1)}",
        *[f"[4/8] funnel: step 1/2, map {m}% reduce {r}%" for m, r in PERCENTAGES],
        f"[4/8] funnel: step 2/2, {APP.format(2)}",
        "[4/8] funnel: step 2/2, map 0% reduce 0%",
        "[4/8] funnel: step 2/2, map 100% reduce 100%",
        "[4/8] funnel: succeeded in 21.5 s"]
    assert state.fraction() == 1.0


def test_yarn_percentages_on_a_live_display():
    err = io.StringIO()
    with Output(stderr=err, stdout=io.StringIO(), live=True, width=100) as out:
        state = out.job_started(1, 1, "funnel", "hadoop")
        run_yarn_step(1, 1, 3, PERCENTAGES[:2])
        shown_midway = err.getvalue()
        run_yarn_step(1, 1, 3, PERCENTAGES[2:])
        out.job_finished(state, RECORD)
    assert "[1/1] funnel" in shown_midway and "map 50% reduce 0%" in shown_midway
    assert "succeeded, 4 rows out" in err.getvalue()
    assert "\x1b[" in err.getvalue()      # a terminal's display, redrawn in place


def test_parallel_jobs_each_get_their_own_percentages():
    seen = {}
    handler = MrjobProgress(lambda state, what: seen.setdefault(state.name, []).append(
        (state.step, state.map, state.reduce)) if what == "map" else None)
    logger = logging.getLogger("mrjob")
    level, logger.level = logger.level, logging.INFO
    logger.addHandler(handler)
    barrier = threading.Barrier(2)

    def job(name, n, percentages):
        handler.watch(JobState(n, 2, name, "hadoop"))
        barrier.wait()
        run_yarn_step(1, 1, n, percentages)
        handler.unwatch()
    try:
        threads = [threading.Thread(target=job, args=("a", 1, PERCENTAGES)),
                   threading.Thread(target=job, args=("b", 2, [(0, 0), (30, 0), (100, 100)]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        run_yarn_step(1, 1, 3, PERCENTAGES)      # a thread no job is watched on: ignored
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert seen == {"a": [(1, m, r) for m, r in PERCENTAGES],
                    "b": [(1, 0, 0), (1, 30, 0), (1, 100, 100)]}


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_steps_and_rows_of_a_real_job(generated_data, tmp_path, runner):
    """A two-step job on mrjob's own runners: each step's start, and the rows its first
    step counted, read from mrjob's log as it runs."""
    updates = []
    with Output(stderr=io.StringIO(), stdout=io.StringIO(), live=False) as out:
        out.handler.on_change = lambda state, what: updates.append(
            (what, state.step, state.steps, state.rows))
        store = pipeline.LocalStore(str(generated_data), str(tmp_path / "out"))
        store.ingest()    # as ecom-run does, before any job starts
        state = out.job_started(1, 1, "device_conversions", runner)
        record = pipeline.run_job(job_classes()["device_conversions"], store, runner)
        store.close()
        out.job_finished(state, record)
    assert record["status"] == "succeeded"
    assert [u for u in updates if u[0] == "step"] == [("step", 1, 2, 0),
                                                      ("step", 2, 2, record["valid_rows"])]
    assert ("rows", 1, 2, record["valid_rows"]) in updates
    assert state.fraction() == 0.5 and state.detail() == \
        f"step 2/2, {record['valid_rows']:,} rows"
