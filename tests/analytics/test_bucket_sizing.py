"""Bucketed jobs over an input of any size: reduce keys sized from the input's rows, map
tasks that read a row group at a time, and the local runner's bounded shuffle sort.
Every answer is compared with the reference (DuckDB) on the same files."""

import json
import math
import os
import re
import shutil

import duckdb
import pytest

from ecomsuite import canonical, jobbase, layout, pipeline
from ecomsuite.hadoop import conf
from ecomsuite.schemas import CLICKSTREAM
from jobs.mr_customer_segments import MRCustomerSegments
from jobs.mr_device_conversions import MRDeviceConversions
from jobs.mr_fraud_signals import MRFraudSignals
from jobs.mr_funnel import MRFunnel
from reference import analytics
from reference import core as core_reference
from tests.canonical_inputs import to_canonical
from tests.helpers import dataset_files, run_job

DATASETS = {
    MRFunnel: ("clickstream",),
    MRDeviceConversions: ("clickstream",),
    MRFraudSignals: ("clickstream", "orders"),
    MRCustomerSegments: ("customers", "orders", "clickstream"),
}
BUCKETED = list(DATASETS)


def reference_answer(job_cls, files):
    if job_cls is MRFunnel:
        return analytics.funnel(files["clickstream"])
    if job_cls is MRDeviceConversions:
        return core_reference.device_conversions(files["clickstream"])
    if job_cls is MRFraudSignals:
        return analytics.fraud_signals(files["clickstream"], files["orders"])
    return analytics.customer_segments(files["customers"], files["orders"],
                                       files["clickstream"])


def input_files(data, job_cls):
    return {d: dataset_files(data, d) for d in DATASETS[job_cls]}


def sized_args(job_cls, parts, *args):
    """What the driver adds to every task's command line."""
    extra = job_cls(["--no-conf", *args, *parts])._non_option_kwargs()["extra_args"]
    return [a for a in extra if a.startswith("--buckets=")]


def test_every_job_that_hashes_ids_sizes_its_keys():
    from ecomsuite.registry import job_classes
    hashing = {cls for cls in job_classes().values()
               if "--buckets" in cls(["--no-conf"]).arg_parser.format_help()}
    assert hashing == set(BUCKETED)
    assert all(cls.FEWEST_BUCKETS >= 2 for cls in BUCKETED)


@pytest.mark.parametrize("job_cls", BUCKETED, ids=lambda c: c.NAME)
def test_reduce_keys_are_sized_from_the_input_rows(generated_data, monkeypatch, job_cls):
    monkeypatch.setattr(jobbase, "ROWS_PER_BUCKET", 1000)
    files = input_files(generated_data, job_cls)
    parts, _ = to_canonical([f for fs in files.values() for f in fs])
    rows = duckdb.sql(f"select count(*) from read_parquet({parts!r})").fetchall()[0][0]
    assert rows > 1000 * job_cls.FEWEST_BUCKETS  # more than the fewest keys hold
    assert sized_args(job_cls, parts) == [f"--buckets={math.ceil(rows / 1000)}"]
    # ecom-run's count (the ingest manifests) wins over the footers'
    assert sized_args(job_cls, parts, "--input-rows", "25001") == ["--buckets=26"]
    assert sized_args(job_cls, parts, "--input-rows", "0") == [
        f"--buckets={job_cls.FEWEST_BUCKETS}"]
    # a day run keeps the day partitions' fixed keys, so that days merge by key
    assert sized_args(job_cls, parts, "--partials") == [f"--buckets={job_cls.FEWEST_BUCKETS}"]
    # given by hand: passed on as given, nothing added
    assert sized_args(job_cls, parts, "--buckets", "3") == []


def test_unknown_input_rows_keep_the_fewest_keys_and_say_so(caplog):
    job = MRFunnel(["--no-conf", "-r", "hadoop", "hdfs:///data/canonical/clickstream"])
    assert job.sized_buckets() == MRFunnel.FEWEST_BUCKETS
    assert "input rows unknown" in caplog.text and "--input-rows" in caplog.text


def test_device_conversions_keeps_its_old_option_name(generated_data):
    parts, _ = to_canonical(dataset_files(generated_data, "clickstream"))
    job = MRDeviceConversions(["--no-conf", "--session-buckets", "5", *parts])
    assert job.bucket_count() == 5 and sized_args(MRDeviceConversions, parts,
                                                  "--session-buckets", "5") == []
    with pytest.raises(ValueError, match="--buckets must be at least 1"):
        MRDeviceConversions(["--no-conf", "--buckets", "0"])


@pytest.mark.parametrize("job_cls", BUCKETED, ids=lambda c: c.NAME)
def test_many_keys_and_batches_give_the_reference_answer(generated_data, monkeypatch, job_cls):
    """Small row groups, batches and buckets: a session's or customer's rows arrive in
    many records from many batches and are merged by id in the reducers."""
    monkeypatch.setattr(jobbase, "ROWS_PER_BUCKET", 1000)
    monkeypatch.setattr(canonical, "ROW_GROUP_ROWS", 700)
    monkeypatch.setattr(canonical, "BATCH_ROWS", 1500)
    batches = []
    real = canonical._read_groups
    monkeypatch.setattr(canonical, "_read_groups",
                        lambda *a: batches.append(len(a[1])) or real(*a))
    files = input_files(generated_data, job_cls)
    got, _ = run_job(job_cls, [f for fs in files.values() for f in fs])
    assert got == reference_answer(job_cls, files)
    assert len(batches) > 2 * sum(map(len, files.values()))  # several batches per part
    assert set(batches) == {1, 2}  # 1500 rows: two row groups of 700 at most


def test_batches_are_whole_row_groups_in_order(generated_data, tmp_path, monkeypatch):
    monkeypatch.setattr(canonical, "ROW_GROUP_ROWS", 1000)
    parts, _ = to_canonical(dataset_files(generated_data, "clickstream"))
    bundle = layout.write_bundle([os.path.abspath(p) for p in parts], str(tmp_path / "b.txt"))
    columns = ("session_id", "timestamp", "action")
    whole = canonical.read_columns(bundle, CLICKSTREAM, columns)
    for batch_rows in (1, 999, 1000, 2500, 10 ** 9):
        batches = list(canonical.iter_columns(bundle, CLICKSTREAM, columns,
                                              batch_rows=batch_rows))
        # never more than batch_rows unless one row group is larger; never across parts
        sizes = [len(b[0]) for b in batches]
        assert all(n <= max(batch_rows, 1000) for n in sizes)
        assert len(batches) >= len(parts)
        for i, column in enumerate(whole):
            assert b"".join(b[i].astype(column.dtype).tobytes() for b in batches) \
                == column.tobytes()
    assert canonical.count_rows([bundle]) == len(whole[0]) == canonical.count_rows(parts)
    assert canonical.count_rows([str(tmp_path / "missing.parquet")]) is None
    assert canonical.count_rows(["hdfs:///x/part-0.parquet"]) is None


def test_local_runner_sizes_keys_for_its_tasks_and_sorts_in_a_bounded_buffer(
        generated_data, tmp_path, monkeypatch):
    """-r local: the driver's sizing reaches the tasks (separate processes), bundles are
    read in batches, and the shuffle sort has Hadoop's map-side sort buffer."""
    monkeypatch.setattr(jobbase, "ROWS_PER_BUCKET", 4000)
    monkeypatch.setattr(canonical, "ROW_GROUP_ROWS", 3000)
    files = input_files(generated_data, MRFunnel)
    parts, _ = to_canonical(files["clickstream"])
    bundles = pipeline.bundle_parts(parts * 2, str(tmp_path))  # four parts: two bundles
    assert len(bundles) == 2
    rows = canonical.count_rows(bundles)
    job = MRFunnel(["--no-conf", "-r", "local", *bundles])
    assert sized_args(MRFunnel, bundles, "-r", "local") == [f"--buckets={math.ceil(rows / 4000)}"]
    with open(conf.template_path("mapred-site.xml")) as f:
        sort_mb = re.search(r"<name>mapreduce\.task\.io\.sort\.mb</name>\s*<value>(\d+)<",
                            f.read()).group(1)
    with job.make_runner() as runner:
        assert runner._sort_bin() == ["sort", "-S", f"{sort_mb}M", "-t", "\t", "-k", "1,1", "-s"]
        runner.run()
        got = dict(job.parse_output(runner.cat_output()))
    # every session twice: the same funnel with every count doubled
    want = reference_answer(MRFunnel, {"clickstream": files["clickstream"] * 2})
    assert got == want


def test_ecom_run_passes_the_manifests_rows(generated_data, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(generated_data, data)
    seen = []
    real = jobbase.buckets_for
    monkeypatch.setattr(jobbase, "buckets_for", lambda rows, fewest: seen.append(rows)
                        or real(rows, fewest))
    out = tmp_path / "out"
    assert pipeline.main(["--runner", "inline", "--data", str(data), "--output", str(out),
                          "--jobs", "funnel"]) == 0
    (record,) = [json.load(open(p)) for p in (out / "_runs").glob("**/*.json")
                 if json.load(open(p)).get("job") == "funnel"]
    files = dataset_files(generated_data, "clickstream")
    assert seen == [record["valid_rows"]]
    assert record["valid_rows"] == sum(sum(1 for _ in open(f, "rb")) - 1 for f in files)
