"""Every job of the suite on YARN (mrjob's hadoop runner) against the inline runner,
a task attempt that dies and is retried, and inputs that are missing."""

import fnmatch
import json
import posixpath
import re
import subprocess
import sys

import pytest

from ecomsuite import config, layout, pipeline
from ecomsuite.hadoop import webhdfs
from ecomsuite.registry import job_classes
from ecomsuite.report import parse_output_lines
from jobs.mr_sales_by_region import MRSalesByRegion
from tests.hadoop.mr_flaky_sales import FAULT_ENV, MRFlakySalesByRegion

pytestmark = pytest.mark.hadoop

APPLICATION_ID = re.compile(r"application_\d+_\d{4}")
PARTS_PER_DATASET = 2            # generated_data is made with --parts 2
JOBS = list(job_classes())
PARALLEL = 2                     # jobs ecom-run runs at once on the cluster


def canonical(lines):
    """Output lines -> a sorted list of [key, value] (parsed JSON), for exact comparison."""
    return sorted(([k, v] for k, v in parse_output_lines(lines)),
                  key=lambda kv: json.dumps(kv[0], sort_keys=True))


def hdfs_records(store, job):
    directory = posixpath.join(store.output_root, config.RUNS_DIRNAME, job)
    return [json.loads(webhdfs.read_bytes(store.client, posixpath.join(directory, name)))
            for name in webhdfs.list_names(store.client, directory) if name.endswith(".json")]


@pytest.fixture(scope="module")
def yarn_run(hadoop_cluster, hdfs_raw, hdfs_root):
    """`ecom-run --runner hadoop` over the uploaded dataset: every job once, two at a
    time (--parallel: concurrent mrjob runners in one process)."""
    output = f"{hdfs_root}/processed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecomsuite.pipeline", "--runner", "hadoop", "--data", hdfs_raw,
         "--output", output, "--quiet", "--parallel", str(PARALLEL)],
        cwd=hadoop_cluster.layout.root, env=hadoop_cluster.env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    log = proc.communicate(timeout=1800)[0]
    store = pipeline.HdfsStore(hdfs_raw, output)
    records = {}
    for job in JOBS:
        (records[job],) = hdfs_records(store, job)
    return proc.returncode, store, records, log


@pytest.fixture(scope="module")
def inline_run(generated_data, tmp_path_factory):
    """The same jobs on the inline runner over the same files (local copies)."""
    store = pipeline.LocalStore(str(generated_data), str(tmp_path_factory.mktemp("inline")))
    return store, {name: pipeline.run_job(cls, store, "inline")
                   for name, cls in job_classes().items()}


@pytest.mark.parametrize("job", JOBS)
def test_job_on_yarn_gives_exactly_the_inline_result(job, yarn_run, inline_run):
    _, store, records, _ = yarn_run
    inline_store, inline_records = inline_run
    record, reference = records[job], inline_records[job]
    assert reference["status"] == "succeeded", reference["error"]
    assert record["status"] == "succeeded", record["error"]
    assert record["runner"] == "hadoop" and record["error"] is None
    assert canonical(store.read_output(record["output_dir"])) == \
        canonical(inline_store.read_output(reference["output_dir"]))
    for field in ("input_rows", "valid_rows", "header_rows", "blank_rows", "malformed_rows",
                  "malformed_total", "output_rows", "counters"):
        assert record[field] == reference[field], field


@pytest.mark.parametrize("job", JOBS)
def test_yarn_run_record_and_published_output(job, yarn_run, hdfs_raw):
    _, store, records, _ = yarn_run
    record = records[job]
    cls = job_classes()[job]
    assert record["status"] == "succeeded", record["error"]
    steps = len(cls(args=[]).steps())
    assert len(record["yarn_application_ids"]) == steps
    assert all(APPLICATION_ID.fullmatch(a) for a in record["yarn_application_ids"])
    assert all(j and j.startswith("job_") for j in record["hadoop_job_ids"])
    assert len(record["hadoop_counters"]) == steps
    first = record["hadoop_counters"][0]
    datasets = cls.input_datasets()
    jobs = first["Job Counters"]
    assert jobs.get("Failed map tasks", 0) == 0
    # one map task per canonical part; under load the MapReduce AM may add a speculative
    # attempt of a slow task, killed when the other ends, launched or not yet (CI saw 7
    # launched, and 6 launched with 1 killed, for 6 parts)
    launched, killed = jobs["Launched map tasks"], jobs.get("Killed map tasks", 0)
    assert launched - killed <= PARTS_PER_DATASET * len(datasets) <= launched
    assert "Map-Reduce Framework" in first
    assert not set(record["counters"][0]) & pipeline.HADOOP_COUNTER_GROUPS
    # the canonical parts the ingest wrote from the snapshot's part files
    data = layout.DataLayout(hdfs_raw, store.outputs.store)
    assert record["inputs"] == [p for d in datasets for p in data.canonical_parts(d, [None])]
    # published whole: <output>/<job>/<run_id>/ with part files and our _SUCCESS
    assert record["output_dir"] == f"{store.output_root}/{job}/{record['run_id']}"
    names = webhdfs.list_names(store.client, record["output_dir"])
    assert config.SUCCESS_MARKER in names and fnmatch.filter(names, config.PART_GLOB)
    assert not [n for n in webhdfs.list_names(store.client, store.job_dir(job))
                if n.startswith(("_tmp-", "_failed-"))]


def test_ecom_run_succeeded_for_every_job(yarn_run):
    status, _, records, log = yarn_run
    assert {job: r["status"] for job, r in records.items()} == {j: "succeeded" for j in JOBS}
    assert status == 0, log


def test_jobs_ran_two_at_a_time(yarn_run):
    """--parallel 2: never more than two jobs at once, and two for much of the time."""
    _, _, records, _ = yarn_run
    spans = sorted((r["started_at"], r["finished_at"]) for r in records.values())
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    assert most == PARALLEL
    busy_two = sum(max(0, min(a_end, b_end) - max(a_start, b_start))
                   for i, (a_start, a_end) in enumerate(spans) for b_start, b_end in spans[i + 1:])
    wall = max(end for _, end in spans) - spans[0][0]
    assert busy_two > wall / 3


def test_first_map_attempts_die_and_yarn_retries_them(hadoop_cluster, hdfs_raw, hdfs_root,
                                                       inline_run):
    """An injected fault kills attempt _0 of every map task; attempt _1 gets it right."""
    store = pipeline.HdfsStore(hdfs_raw, f"{hdfs_root}/faults")
    record = pipeline.run_job(MRFlakySalesByRegion, store, "hadoop",
                              extra_args=["--cmdenv", f"{FAULT_ENV}=1"])
    assert record["status"] == "succeeded", record["error"]
    jobs = record["hadoop_counters"][0]["Job Counters"]
    assert jobs["Failed map tasks"] == PARTS_PER_DATASET          # every first attempt died
    assert jobs["Launched map tasks"] == 2 * PARTS_PER_DATASET    # ... and ran again
    inline_store, inline_records = inline_run
    reference = inline_records[MRSalesByRegion.NAME]
    assert canonical(store.read_output(record["output_dir"])) == \
        canonical(inline_store.read_output(reference["output_dir"]))
    assert record["valid_rows"] == reference["valid_rows"]    # no row counted twice


def test_missing_hdfs_input_fails_naming_the_path(hadoop_cluster, hdfs_root):
    data = f"{hdfs_root}/nowhere"
    store = pipeline.HdfsStore(data, f"{hdfs_root}/missing-out")
    record = pipeline.run_job(MRSalesByRegion, store, "hadoop")
    assert record["status"] == "failed"
    assert f"input dataset {data}/orders does not exist" in record["error"]
    assert "make generate-data TARGET=hdfs" in record["error"]
    (written,) = hdfs_records(store, MRSalesByRegion.NAME)
    assert written["error"] == record["error"] and written["output_dir"] is None


def test_incomplete_hdfs_input_is_refused(hadoop_cluster, hdfs_root, hdfs_client):
    data = f"{hdfs_root}/incomplete"
    webhdfs.write_bytes(hdfs_client, f"{data}/orders/part-00000.csv", b"order_id\n")
    store = pipeline.HdfsStore(data, f"{hdfs_root}/incomplete-out")
    with pytest.raises(pipeline.PipelineError, match=f"{data}/orders has no _SUCCESS"):
        store.input_paths(["orders"])


def test_raw_mrjob_command_names_the_missing_input(hadoop_cluster, hdfs_root):
    """`python jobs/<job>.py -r hadoop --conf-path mrjob.conf hdfs:///...` by hand."""
    missing = f"{hdfs_root}/nowhere/orders/"
    layout = hadoop_cluster.layout
    result = subprocess.run(
        [sys.executable, "jobs/mr_sales_by_region.py", "-r", "hadoop", "--conf-path",
         "mrjob.conf", missing], cwd=layout.root, env=hadoop_cluster.env,
        capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert f"Input path {missing} does not exist" in result.stderr


def test_ecom_run_refuses_local_paths_with_the_hadoop_runner(capsys):
    with pytest.raises(SystemExit) as stop:
        pipeline.main(["--runner", "hadoop", "--data", "data/raw"])
    assert stop.value.code == 2
    assert "hdfs:///" in capsys.readouterr().err
