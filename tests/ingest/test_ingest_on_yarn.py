"""The ingest on YARN (mrjob's hadoop runner, HDFS): the same partitions as the inline
runner, and a map attempt killed mid-task leaves exactly the same rows published."""

import io
import posixpath
import re

import pyarrow.parquet as pq
import pytest

from ecomsuite import ingest, layout
from tests.ingest.mr_flaky_ingest import FAULT_ENV, MRFlakyIngest
from tests.ingest.support import DAY, GOODISH, hostile_day

pytestmark = pytest.mark.hadoop


def contents(root):
    """Per dataset: the manifest's content, the canonical rows (sorted: the order in which
    YARN's tasks hand them over is not the inline runner's) and the quarantine's lines."""
    data = layout.DataLayout(root)
    out = {}
    for name in layout.schemas.DATASETS:
        m = data.ingest_manifest(name, DAY)
        rows = []
        for p in data.canonical_parts(name, [DAY]):
            table = pq.read_table(io.BytesIO(data.store.read_bytes(p)))
            rows.extend(zip(*(table.column(c).to_pylist() for c in table.column_names)))
        quarantine = sorted(re.sub(rb"v-[0-9TZ]+-[0-9a-f]+/", b"v-*/", line) for line in
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
    files = sum(len(m.sources) for m in published)
    assert jobs["Failed map tasks"] == files            # every first attempt died ...
    assert jobs["Launched map tasks"] == 2 * files      # ... and ran again
    assert contents(hdfs) == want                        # no row lost or counted twice
