"""The generator's HDFS sink on the real cluster: datasets appear whole or not at all."""

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from datagen.hdfs_sink import HdfsSink, web_url_for
from datagen.plan import PlanError
from datagen.sinks import SUCCESS, DatasetExists
from ecomsuite.hadoop import webhdfs

pytestmark = pytest.mark.hadoop

TINY = ["--orders", "400", "--customers", "40", "--clicks", "600", "--parts", "2", "--quiet"]


def snapshot(client, root):
    """{relative path: bytes} of every file under `root` (hidden names included)."""
    files = {}
    path = webhdfs.hdfs_path(root)
    for directory, _, names in client.walk(path):
        for name in names:
            full = f"{directory}/{name}"
            files[full[len(path) + 1:]] = webhdfs.read_bytes(client, full)
    return files


def hidden(client, root):
    return [n for n in webhdfs.list_names(client, root) if n.startswith(".")]


def datagen(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "datagen", *args], capture_output=True,
                          text=True, timeout=300, **kwargs)


def test_protocol_writes_where_readers_do_not_look_then_renames(hdfs_client, hdfs_root):
    root = f"{hdfs_root}/protocol"
    sink = HdfsSink(root)
    sink.begin("orders")
    with sink.open_part("orders", "part-00000.csv") as f:
        f.write(b"order_id\n")
        f.write(b"ORD00001\n" * 1000)
    assert not webhdfs.exists(hdfs_client, f"{root}/orders")
    assert hidden(hdfs_client, root) == [f".orders.tmp-{sink.owner}"]
    sink.commit("orders")
    assert webhdfs.list_names(hdfs_client, f"{root}/orders") == [SUCCESS, "part-00000.csv"]
    assert webhdfs.read_bytes(hdfs_client, f"{root}/orders/part-00000.csv") == \
        b"order_id\n" + b"ORD00001\n" * 1000
    assert hidden(hdfs_client, root) == []
    with pytest.raises(DatasetExists, match="--overwrite"):
        HdfsSink(root).begin("orders")
    sink.write_manifest({"n": 1})
    sink.write_manifest({"n": 2})     # replaced in one rename
    assert webhdfs.read_bytes(hdfs_client, f"{root}/_manifest.json").strip().endswith(b"}")
    assert b'"n": 2' in webhdfs.read_bytes(hdfs_client, f"{root}/_manifest.json")
    assert hidden(hdfs_client, root) == []


def test_failed_overwrite_keeps_the_previous_dataset(hdfs_client, hdfs_root):
    root = f"{hdfs_root}/failing"
    old = HdfsSink(root)
    old.begin("orders")
    with old.open_part("orders", "part-00000.csv") as f:
        f.write(b"old\n")
    old.commit("orders")
    before = snapshot(hdfs_client, root)
    new = HdfsSink(root, overwrite=True)
    new.begin("orders")
    with pytest.raises(RuntimeError, match="generator died"):
        with new.open_part("orders", "part-00000.csv") as f:
            for i in range(10_000):
                f.write(f"new row {i}\n".encode())
                if i == 5_000:
                    raise RuntimeError("generator died after 5,000 rows")
    new.abort("orders")
    new.abort("orders")          # twice is fine
    assert snapshot(hdfs_client, root) == before
    assert hidden(hdfs_client, root) == []


def test_cli_refuses_to_overwrite_without_the_flag(hdfs_client, hdfs_root):
    root = f"{hdfs_root}/refuse"
    assert datagen("--out", root, *TINY).returncode == 0
    before = snapshot(hdfs_client, root)
    again = datagen("--out", root, "--seed", "7", *TINY)
    assert again.returncode == 2
    assert "refusing to overwrite" in again.stderr and "--overwrite" in again.stderr
    assert snapshot(hdfs_client, root) == before
    replaced = datagen("--out", root, "--seed", "7", "--overwrite", *TINY)
    assert replaced.returncode == 0, replaced.stderr
    after = snapshot(hdfs_client, root)
    assert after.keys() == before.keys() and after != before
    assert hidden(hdfs_client, root) == []


def test_killed_upload_leaves_the_previous_dataset_whole(hdfs_client, hdfs_root):
    """SIGKILL the generator (its process group: it has worker processes) while it
    streams a bigger dataset over the old one."""
    root = f"{hdfs_root}/killed"
    assert datagen("--out", root, *TINY).returncode == 0
    before = snapshot(hdfs_client, root)
    proc = subprocess.Popen([sys.executable, "-m", "datagen", "--out", root, "--overwrite",
                             "--scale", "2", "--seed", "5", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        writing = []
        while time.monotonic() < deadline and proc.poll() is None:
            temps = [n for n in hidden(hdfs_client, root) if ".tmp-" in n]
            writing = [f"{t}/{p}" for t in temps
                       for p in webhdfs.list_names(hdfs_client, f"{root}/{t}")]
            if writing:
                break
            time.sleep(0.05)
        assert writing and proc.poll() is None, "the generator never started writing"
        time.sleep(0.5)                       # well into the part files
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    now = snapshot(hdfs_client, root)
    # where readers look, everything is exactly as before; the dead run's temporary
    # directories are hidden names only
    visible = {k: v for k, v in now.items() if not k.startswith(".")}
    assert visible == before
    for dataset in ("orders", "customers", "clickstream"):
        assert webhdfs.exists(hdfs_client, f"{root}/{dataset}/{SUCCESS}")
    # the next run from this host removes the dead run's leftovers and replaces the data
    again = datagen("--out", root, "--overwrite", "--seed", "5", *TINY)
    assert again.returncode == 0, again.stderr
    assert hidden(hdfs_client, root) == []
    assert snapshot(hdfs_client, root).keys() == before.keys()


def test_unreachable_namenode_is_a_clear_usage_error(monkeypatch):
    monkeypatch.setenv("ECOM_WEBHDFS_URL", "http://127.0.0.1:9")
    with pytest.raises(PlanError, match="cannot reach HDFS.*make cluster-up"):
        HdfsSink("hdfs:///ecommerce/raw")
    result = datagen("--out", "hdfs:///ecommerce/raw", *TINY)
    assert result.returncode == 2
    assert "cannot reach HDFS through WebHDFS at http://127.0.0.1:9" in result.stderr


def test_web_address_from_the_uri():
    assert web_url_for("hdfs:///ecommerce/raw") is None
    assert web_url_for("hdfs://nn.example:8020/raw") == "http://nn.example:9870"
    assert web_url_for("hdfs://nn.example/raw") == "http://nn.example:9870"
    assert web_url_for("hdfs://nn.example:50070/raw") == "http://nn.example:50070"
