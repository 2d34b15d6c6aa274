"""The ingest on YARN (mrjob's hadoop runner, HDFS): the same partitions as the inline
runner, and a map attempt killed mid-task leaves exactly the same rows published."""

import io
import posixpath
import re

import pyarrow.parquet as pq
import pytest

from ecomsuite import ingest, layout
from tests.ingest.mr_flaky_ingest import FAULT_ENV, MRFlakyIngest
from tests.ingest.support import DAY, GOODISH, ORDER, csv_bytes, hostile_day, land

pytestmark = pytest.mark.hadoop


def contents(root, datasets=layout.schemas.DATASETS):
    """Per dataset: the manifest's content, the canonical rows (sorted: the order in which
    YARN's tasks hand them over is not the inline runner's) and the quarantine's lines."""
    data = layout.DataLayout(root)
    out = {}
    for name in datasets:
        m = data.ingest_manifest(name, DAY)
        rows = []
        for p in data.canonical_parts(name, [DAY]):
            table = pq.read_table(io.BytesIO(data.store.read_bytes(p)))
            rows.extend(zip(*(table.column(c).to_pylist() for c in table.column_names)))
        quarantine = sorted(re.sub(rb"v-[^/]+/", b"v-*/", line) for line in
                            data.store.read_bytes(m.run["quarantine"]).splitlines())
        content = m.content()
        content.pop("landing_commit")  # the two landings are two commits of the same files,
        for source in content["sources"]:  # each in its own landing version folder
            source["path"] = posixpath.basename(source["path"])
        for part in content["parts"]:  # the parts' rows are compared decoded, below
            part.pop("sha256", None)
            part.pop("bytes", None)
        out[name] = (content, sorted(rows, key=repr), quarantine)
    return out


def test_ingest_on_yarn_equals_inline_and_survives_a_killed_attempt(hadoop_cluster, hdfs_root,
                                                                     tmp_path):
    local = str(tmp_path / "local")
    hostile_day(local)
    ingest.ingest(local, "inline")
    want = contents(local)
    assert want["orders"][0]["rejected"] > 0 and want["orders"][0]["valid"] == len(GOODISH)

    hdfs = posixpath.join(hdfs_root, "ingest")
    hostile_day(hdfs)
    published, refused, _ = ingest.ingest(hdfs, "hadoop")
    assert refused == [] and len(published) == 3
    assert contents(hdfs) == want

    counters = []
    published, refused, _ = ingest.ingest(hdfs, "hadoop", force=True, job_class=MRFlakyIngest,
                                          extra_args=["--cmdenv", f"{FAULT_ENV}=1"],
                                          counters=counters)
    assert refused == []
    jobs = {g.strip(): c for g, c in counters[0].items()}["Job Counters"]
    assert sum(len(m.sources) for m in published) > 1  # small files: one task (bundle)
    assert jobs["Failed map tasks"] == 1                # its first attempt died ...
    assert jobs["Launched map tasks"] == 2              # ... and ran again
    assert contents(hdfs) == want                        # no row lost or counted twice


def large_orders(rows=24_000):
    """One plain orders file of about 2.5 MB, CRLF, with quoted fields (no line break inside
    quotes) and a bad record every 997 lines."""
    lines = []
    for i in range(rows):
        if i % 997 == 5:
            lines.append(f"ORD{i:07d},short")
        elif i % 7 == 0:
            lines.append(f'ORD{i:07d},CUST00001,LAPTOP001,"Laptop, ""{i}"" edition",1,2.50,2.50,'
                         '2025-06-01 10:00:00,COMPLETED,LATAM')
        else:
            lines.append(ORDER.format(n=i, amount=f"{i % 500}.{i % 100:02d}", status="PENDING"))
    return csv_bytes("orders", lines, newline=b"\r\n")


def test_one_large_plain_file_is_ingested_by_many_map_tasks(hadoop_cluster, hdfs_root, tmp_path):
    content = large_orders()
    local = str(tmp_path / "local")
    land(local, {"orders": [("big.csv", content)]})
    ingest.ingest(local, "inline")                       # read whole: one task
    want = contents(local, ["orders"])

    hdfs = posixpath.join(hdfs_root, "large")
    land(hdfs, {"orders": [("big.csv", content)]})
    split = 400_000
    counters = []
    published, refused, _ = ingest.ingest(hdfs, "hadoop", datasets=["orders"],
                                          split_bytes=split, counters=counters)
    assert refused == [] and len(published) == 1
    groups = {g.strip(): c for g, c in counters[0].items()}
    ranges = groups["ingest"]["ranges"]
    assert ranges == len(content) // split + 1 == 6      # one map task per range of the file
    assert groups["Job Counters"]["Launched map tasks"] >= ranges > 1
    got = contents(hdfs, ["orders"])
    for manifest, _, _ in (got["orders"], want["orders"]):
        manifest.pop("parts")                            # 6 parts against 1: rows compared
    assert got == want                                   # exactly the rows read whole
    bad = sum(1 for i in range(24_000) if i % 997 == 5)
    assert (want["orders"][0]["rejected"], want["orders"][0]["valid"]) == (bad, 24_000 - bad)
