"""The landing zone on the real HDFS (run under the Hadoop lock): one large file landed
whole, kills at every listed point of ecom-land, and generated days."""

import hashlib
import os
import signal
import subprocess
import sys

import pytest

from ecomsuite import layout
from ecomsuite.hadoop import webhdfs
from tests.layout.landing import committed, run_land

pytestmark = pytest.mark.hadoop

DAY = "2026-11-25"
HEADER = (b"order_id,customer_id,product_id,product_name,quantity,price,total_amount,"
          b"order_date,status,region\n")
LARGE_BYTES = 320 << 20   # larger than two HDFS blocks (128 MiB)


def orders_file(path, n, tag):
    row = (f"ORD{tag}{{:07d}},CUST00001,BAG001,Laptop Backpack,1,79.50,79.50,"
           f"{DAY} 10:00:00,COMPLETED,EU-WEST\n")
    path.write_bytes(HEADER + "".join(row.format(i) for i in range(n)).encode())
    return path


def sha256_hdfs(client, path):
    digest = hashlib.sha256()
    with client.read(webhdfs.hdfs_path(path), chunk_size=1 << 20) as reader:
        for block in reader:
            digest.update(block)
    return digest.hexdigest()


def test_one_large_file_lands_whole(hadoop_cluster, hdfs_client, hdfs_root, tmp_path):
    big = tmp_path / "orders-2026-11-25.csv"
    row = f"ORD{{:09d}},CUST00001,BAG001,Laptop Backpack,1,79.50,79.50,{DAY} 10:00:00,COMPLETED,EU-WEST\n"
    digest, size, i = hashlib.sha256(HEADER), len(HEADER), 0
    with open(big, "wb") as f:
        f.write(HEADER)
        while size < LARGE_BYTES:
            block = "".join(row.format(i + k) for k in range(100_000)).encode()
            i += 100_000
            f.write(block)
            digest.update(block)
            size += len(block)
    data = f"{hdfs_root}/large"
    r = run_land(data, "orders", DAY, [big])
    assert r.returncode == 0, r.stderr
    target = layout.DataLayout(data)
    commit = target.latest_commit(DAY)
    (landed,) = commit.files("orders")
    assert landed.bytes == size == os.path.getsize(big)
    (path,) = target.day_files("orders", DAY)
    assert path.startswith(f"{data}/landing/orders/dt={DAY}/v-")
    assert webhdfs.status(hdfs_client, path)["length"] == size
    assert sha256_hdfs(hdfs_client, path) == digest.hexdigest()
    # and from HDFS to HDFS (a file someone put there), under another dataset's day
    r = run_land(data, "customers", DAY, [path])
    assert r.returncode == 0, r.stderr
    assert sha256_hdfs(hdfs_client, target.day_files("customers", DAY)[0]) == digest.hexdigest()


@pytest.mark.parametrize("point", ["land:after-first-file", "land:before-commit",
                                   "land:commit-written", "land:after-commit", "land:mid-gc",
                                   "land:sources-kept"])
def test_a_kill_on_hdfs_never_mixes_runs_nor_loses_the_only_copy(hadoop_cluster, hdfs_root,
                                                                  tmp_path, point):
    data = f"{hdfs_root}/kill-{point.replace(':', '-')}"
    a = [orders_file(tmp_path / "a1.csv", 2000, "A"), orders_file(tmp_path / "a2.csv", 70, "A")]
    assert run_land(data, "orders", DAY, a).returncode == 0
    a_bytes = [p.read_bytes() for p in a]
    src = tmp_path / "b"
    src.mkdir()
    b = [orders_file(src / "a1.csv", 3000, "B"), orders_file(src / "a2.csv", 90, "B")]
    b_bytes = [p.read_bytes() for p in b]

    r = run_land(data, "orders", DAY, b, kill_at=point, move=True)
    assert r.returncode == -signal.SIGKILL, r.stderr
    _, files = committed(data, DAY)
    assert files["orders"] in (a_bytes, b_bytes)
    assert (files["orders"] == b_bytes) == (point in ("land:after-commit", "land:mid-gc",
                                                      "land:sources-kept"))
    assert [p.read_bytes() for p in b] == b_bytes       # the sources are still there

    r = run_land(data, "orders", DAY, b, move=True)
    assert r.returncode == 0, r.stderr
    commit, files = committed(data, DAY)
    assert files["orders"] == b_bytes and not any(p.exists() for p in b)
    target = layout.DataLayout(data)
    assert target.store.names(target.day_dir("orders", DAY)) == \
        [commit.files("orders")[0].path.split("/")[0]]


def test_generated_days_land_in_hdfs_and_continue(hadoop_cluster, hdfs_root, tmp_path):
    data = f"{hdfs_root}/generated"
    tiny = ["--orders", "300", "--customers", "200", "--clicks", "900", "--quiet"]

    def datagen(out, *args):
        return subprocess.run([sys.executable, "-m", "datagen", "--out", out, *tiny, *args],
                              capture_output=True, text=True, timeout=600)
    assert datagen(data, "--days", "2", "--start-date", "2026-03-01").returncode == 0
    r = datagen(data, "--days", "1", "--start-date", "next")
    assert r.returncode == 0, r.stderr
    local = tmp_path / "local"
    assert datagen(str(local), "--days", "3", "--start-date", "2026-03-01").returncode == 0
    hdfs_days, local_days = layout.DataLayout(data), layout.DataLayout(str(local))
    assert [d for d, _ in hdfs_days.complete_days()[0]] == \
        [d for d, _ in local_days.complete_days()[0]]
    for dataset in ("orders", "customers", "clickstream"):
        got = [hdfs_days.store.read_bytes(p) for p in hdfs_days.input_files([dataset])[0]]
        want = [local_days.store.read_bytes(p) for p in local_days.input_files([dataset])[0]]
        assert got == want


def test_run_records_and_versions_on_hdfs(hadoop_cluster, hdfs_root):
    """RunRecords replaced in one rename (WebHDFS RENAME with OVERWRITE), versions published
    with _SUCCESS last and pruned, as on local disk."""
    out = layout.OutputLayout(f"{hdfs_root}/outputs")
    rec = layout.RunRecord(job="funnel", run_id="20261125T000000Z-aa", runner="hadoop",
                           started_at=1.0, finished_at=2.0)
    out.write_record(rec)
    rec.status, rec.output_rows = "succeeded", 7
    out.write_record(rec)                                  # replaced in place
    records, problems = out.read_records("funnel")
    assert records == [rec] and problems == []
    assert out.store.names(out.runs_dir("funnel")) == ["20261125T000000Z-aa.json"]
    versions = out.versions("funnel")
    for v in ("r1", "r2"):
        temp = versions.temp(v)
        out.store.makedirs(temp)
        out.store.write_bytes(out.store.join(temp, "part-00000"), v.encode())
        versions.publish(temp, v)
    with pytest.raises(FileExistsError):
        out.store.rename(versions.final("r1"), versions.final("r2"))
    assert versions.complete() == ["r1", "r2"]
    versions.prune()
    assert versions.complete() == ["r2"]
    assert out.read_output_lines(versions.latest()) == ["r2"]

