"""Many canonical parts on HDFS read by a few map tasks: ecom-run's bundles on YARN
(pipeline.RunStore.bundled, layout.task_groups, layout.local_part)."""

import json
import math
import os

import pytest

from ecomsuite import canonical, jobbase, layout, pipeline, schemas
from ecomsuite.report import parse_output_lines
from jobs.mr_fraud_signals import MRFraudSignals
from jobs.mr_funnel import MRFunnel
from tests.fixtures.data import SMALL_SEED, generate
from tests.fixtures.hadoop import upload_dataset

pytestmark = pytest.mark.hadoop

PARTS = 5        # more than pipeline.BUNDLES: bundled


def canonical_lines(lines):
    return sorted(json.dumps([k, v], sort_keys=True) for k, v in parse_output_lines(lines))


@pytest.fixture(scope="module")
def many_parts(tmp_path_factory):
    """A small dataset of PARTS part files per dataset, locally."""
    return generate(tmp_path_factory.mktemp("many"), "--scale", "0.1", "--seed",
                    str(SMALL_SEED + 1), "--parts", str(PARTS))


@pytest.fixture(scope="module")
def hdfs_many(hadoop_cluster, many_parts, hdfs_root):
    return upload_dataset(many_parts, f"{hdfs_root}/many")


def bundle_dirs(store):
    canonical_dir = store.data.store.join(store.data_root, layout.CANONICAL)
    return [e.name for e in store.data.store.list(canonical_dir)
            if e.name.startswith(layout.TEMP_PREFIX)]


def test_many_parts_run_as_one_map_task_per_dataset(hdfs_many, hdfs_root, many_parts,
                                                     tmp_path):
    store = pipeline.HdfsStore(hdfs_many, f"{hdfs_root}/many-out")
    try:
        record = pipeline.run_job(MRFraudSignals, store, "hadoop")
        assert record["status"] == "succeeded", record["error"]
        datasets = MRFraudSignals.input_datasets()
        # the run record names the parts; the tasks read them bundled
        assert len(record["inputs"]) == PARTS * len(datasets)
        assert [p for p in record["inputs"] if p.endswith(layout.CANONICAL_PART_SUFFIX)] == \
            record["inputs"]
        jobs = record["hadoop_counters"][0]["Job Counters"]
        launched, killed = jobs["Launched map tasks"], jobs.get("Killed map tasks", 0)
        # a few MB: one task per dataset (a speculative attempt may be launched and killed)
        assert launched - killed <= len(datasets) <= launched
        assert bundle_dirs(store)        # made once for the run ...
    finally:
        store.close()
    assert not bundle_dirs(store)        # ... and removed with it
    inline = pipeline.LocalStore(str(many_parts), str(tmp_path / "inline"))
    reference = pipeline.run_job(MRFraudSignals, inline, "inline")
    assert reference["status"] == "succeeded", reference["error"]
    assert canonical_lines(store.read_output(record["output_dir"])) == \
        canonical_lines(inline.read_output(reference["output_dir"]))
    assert record["valid_rows"] == reference["valid_rows"] > 0


def test_bundles_are_about_hadoop_task_bytes_each(hdfs_many, hdfs_root, monkeypatch):
    """Split by bytes (layout.task_groups): every part once, in order, in about
    total / HADOOP_TASK_BYTES bundles rounded up to the cores; written to HDFS."""
    store = pipeline.HdfsStore(hdfs_many, f"{hdfs_root}/many-split")
    (name, parts), = store.input_groups(["clickstream"])
    sizes = [e.size for p in parts for e in store.data.store.list(p.rsplit("/", 1)[0])
             if p.endswith("/" + e.name)]
    monkeypatch.setattr(pipeline, "HADOOP_TASK_BYTES", sum(sizes) // 3 + 1)
    try:
        bundles = store.bundled([(name, parts)])
        cores = os.cpu_count()            # 3, rounded up to a multiple of the cores
        assert len(bundles) == min(PARTS, -(-3 // cores) * cores)
        assert store.bundled([(name, parts)]) == bundles        # made once
        texts = [store.data.store.read_bytes(b).decode().splitlines() for b in bundles]
        assert {text[0] for text in texts} == {layout.BUNDLE_MAGIC}
        listed = [text[1:] for text in texts]
        assert sorted(p for group in listed for p in group) == sorted(parts)
        assert all(group == sorted(group, key=parts.index) for group in listed)
    finally:
        store.close()


def test_a_task_reads_a_bundle_of_hdfs_parts_as_the_local_parts(hdfs_many, hdfs_root,
                                                                 tmp_path):
    """What a map task does with its bundle: copy each hdfs:// part, read it, remove it."""
    store = pipeline.HdfsStore(hdfs_many, f"{hdfs_root}/many-read")
    (_, parts), = store.input_groups(["orders"])
    local = []
    for i, part in enumerate(parts):
        local.append(str(tmp_path / f"{i}.parquet"))
        layout.LocalStore().copy_into(store.data.store, part, local[-1])
    bundle = layout.write_bundle(parts, str(tmp_path / "bundle.txt"))
    orders = schemas.DATASETS["orders"]
    columns = ("order_id", "customer_id", "total_amount", "status")
    got = [list(map(list, b)) for b in canonical.iter_columns(bundle, orders, columns)]
    want = [list(map(list, b)) for p in local for b in canonical.iter_columns(p, orders, columns)]
    assert got == want and sum(len(b[0]) for b in got) > 0
    assert canonical.dataset_of_part(bundle) is orders
    # the rows from the footers, over WebHDFS: the local bundle's parts, the parts, and
    # a bundle in HDFS itself
    rows = sum(len(b[0]) for b in got)
    assert canonical.count_rows([bundle]) == canonical.count_rows(parts) == \
        canonical.count_rows(local) == rows
    in_hdfs = store.data.store.join(store.data_root, "orders-bundle.txt")
    layout.write_bundle(parts, in_hdfs, store.data.store)
    assert canonical.count_rows([in_hdfs]) == rows
    # not a part or bundle (a folder, a raw CSV), or not there: unknown
    assert canonical.count_rows([store.data.store.join(store.data_root, "orders")]) is None
    assert canonical.count_rows([in_hdfs + ".missing"]) is None


def test_a_bucketed_job_run_by_hand_on_hdfs_sizes_its_keys(hdfs_many, hdfs_root,
                                                           monkeypatch):
    """`python jobs/mr_funnel.py -r hadoop hdfs:///...parquet` without --input-rows: the
    driver counts the rows from the parts' footers in HDFS."""
    monkeypatch.setattr(jobbase, "ROWS_PER_BUCKET", 1000)
    store = pipeline.HdfsStore(hdfs_many, f"{hdfs_root}/many-sized")
    (_, parts), = store.input_groups(["clickstream"])
    rows = canonical.count_rows(parts)
    assert rows > 1000 * MRFunnel.FEWEST_BUCKETS
    job = MRFunnel(["--no-conf", "-r", "hadoop", *parts])
    assert job.sized_buckets() == math.ceil(rows / 1000)
