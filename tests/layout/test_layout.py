"""ecomsuite.layout on local disk: paths, day commits, versioned folders, typed records,
ecom-land, and kills at every listed point (never a mix, never the only copy lost)."""

import bz2
import gzip
import json
import os
import signal
import subprocess
import sys

import pytest

from ecomsuite import hdfsio, layout
from tests.layout.landing import committed, run_land

DAY = "2026-11-25"
HEADER = b"order_id,customer_id,product_id,product_name,quantity,price,total_amount,order_date,status,region\n"


def orders_file(path, n, tag):
    rows = b"".join(f"ORD{tag}{i:05d},CUST00001,BAG001,Laptop Backpack,1,79.50,79.50,"
                    f"{DAY} 10:00:00,COMPLETED,EU-WEST\n".encode() for i in range(n))
    path.write_bytes(HEADER + rows)
    return path


def test_paths_are_the_documented_layout(tmp_path):
    data = layout.DataLayout(str(tmp_path))
    assert data.day_dir("orders", DAY) == f"{tmp_path}/landing/orders/dt=2026-11-25"
    assert data.commit_path(DAY, 3) == f"{tmp_path}/landing/_commits/dt=2026-11-25/00000003.json"
    assert data.canonical_dir("orders", DAY) == f"{tmp_path}/canonical/orders/dt=2026-11-25"
    assert data.quarantine_dir("orders", DAY) == f"{tmp_path}/quarantine/orders/dt=2026-11-25"
    out = layout.OutputLayout(str(tmp_path / "out"))
    assert out.record_path("funnel", "r1") == f"{tmp_path}/out/_runs/funnel/r1.json"
    assert out.job_dir("funnel", DAY) == f"{tmp_path}/out/funnel/dt=2026-11-25"
    hdfs = layout.DataLayout("hdfs:///ecommerce", store=layout.HdfsStore(client=object()))
    assert hdfs.day_dir("orders", DAY) == "hdfs:///ecommerce/landing/orders/dt=2026-11-25"


def test_a_day_commit_names_every_file_and_replaces_in_one_step(tmp_path):
    data = layout.DataLayout(str(tmp_path))
    w = data.begin_day(DAY, run_id="a")
    for name in ("orders", "customers", "clickstream"):
        with w.open(name, "part-00000.csv") as f:
            f.write(b"h\n1\n")
    assert data.latest_commit(DAY) is None          # nothing visible before the commit
    first = w.commit()
    assert first.seq == 1 and first.complete
    assert [d.isoformat() for d, _ in data.complete_days()[0]] == [DAY]
    # a second writer replaces orders only; customers and clickstream stay
    w2 = data.begin_day(DAY, run_id="b")
    with w2.open("orders", "part-00000.csv.gz") as f:
        f.write(gzip.compress(b"h\n2\n"))
    second = w2.commit()
    assert second.seq == 2
    assert second.datasets["customers"] == first.datasets["customers"]
    assert [f.path for f in second.files("orders")] == ["v-b/part-00000.csv.gz"]
    # the superseded version of orders is gone, the others kept
    assert os.listdir(data.day_dir("orders", DAY)) == ["v-b"]
    assert os.listdir(data.day_dir("customers", DAY)) == ["v-a"]
    lines = layout.open_text_lines(data.store, data.day_files("orders", DAY)[0])
    assert lines == ["h\n", "2\n"]


def test_incomplete_and_open_days_are_not_read(tmp_path):
    data = layout.DataLayout(str(tmp_path))
    w = data.begin_day(DAY)
    with w.open("orders", "a.csv") as f:
        f.write(b"x\n")
    w.commit()
    good, skipped = data.complete_days()
    assert good == [] and skipped == [(layout.as_date(DAY), "no customers, clickstream")]
    with pytest.raises(layout.LayoutError, match="no complete day"):
        data.input_files(["orders"])


def test_bad_names_are_refused(tmp_path):
    w = layout.DataLayout(str(tmp_path)).begin_day(DAY)
    for bad in ("_x.csv", ".x.csv", "x.txt", "a/b.csv"):
        with pytest.raises(layout.LayoutError):
            w.open("orders", bad)
    with pytest.raises(layout.LayoutError, match="unknown dataset"):
        w.open("payments", "x.csv")


def test_versions_publish_and_prune(tmp_path):
    v = layout.Versions(layout.LocalStore(), str(tmp_path / "job"))
    for version in ("r1", "r2"):
        temp = v.temp(version)
        os.makedirs(temp)
        (tmp_path / "job" / f"_tmp-{version}" / "part-00000").write_text(version)
        v.publish(temp, version, manifest=b"{}")
    assert v.complete() == ["r1", "r2"] and v.latest().endswith("r2")
    os.makedirs(v.temp("r3"))                      # being written: not complete
    assert v.latest().endswith("r2")
    v.prune()
    assert sorted(os.listdir(tmp_path / "job")) == ["_tmp-r3", "r2"]
    with pytest.raises(FileExistsError):
        layout.LocalStore().rename(v.temp("r3"), v.final("r2"))


def test_run_record_round_trip_and_validation(tmp_path):
    out = layout.OutputLayout(str(tmp_path))
    rec = layout.RunRecord(job="funnel", run_id="20261125T000000Z-aa", runner="inline",
                           started_at=1.0, finished_at=2.0, status="succeeded",
                           malformed_rows={"bad_number": 2})
    out.write_record(rec)
    got, problems = out.read_records("funnel")
    assert got == [rec] and problems == []
    (tmp_path / "_runs" / "funnel" / "bad.json").write_text('{"job": "funnel"}')
    (tmp_path / "_runs" / "funnel" / "worse.json").write_text('{"job": "funnel", "run_id": 1, '
                                                              '"runner": "x", "status": "odd", '
                                                              '"started_at": 0, "finished_at": 1}')
    got, problems = out.read_records("funnel")
    assert got == [rec]
    assert [(n, str(e).split(": ", 1)[1]) for n, e in problems] == [
        ("bad.json", "no run_id, runner, status, finished_at"),
        ("worse.json", "unknown status 'odd'")]


def test_ecom_land_copies_plain_gzip_bz2_and_keeps_other_datasets(tmp_path):
    data = tmp_path / "data"
    src = tmp_path / "in"
    src.mkdir()
    plain = orders_file(src / "a.csv", 10, "A")
    gz = src / "b.csv.gz"
    gz.write_bytes(gzip.compress(orders_file(tmp_path / "b.csv", 5, "B").read_bytes()))
    bz = src / "c.csv.bz2"
    bz.write_bytes(bz2.compress(orders_file(tmp_path / "c.csv", 3, "C").read_bytes()))
    r = run_land(data, "orders", DAY, [plain, gz, bz])
    assert r.returncode == 0, r.stderr
    commit, files = committed(data, DAY)
    assert files["orders"] == [plain.read_bytes(), gz.read_bytes(), bz.read_bytes()]
    assert plain.exists()                           # copied, not moved
    store = layout.LocalStore()
    rows = sum(len(layout.open_text_lines(store, p)) - 1
               for p in layout.DataLayout(str(data)).day_files("orders", DAY))
    assert rows == 18
    r = run_land(data, "customers", DAY, [plain], move=True)
    assert r.returncode == 0 and not plain.exists()
    commit, files = committed(data, DAY)
    assert set(files) == {"orders", "customers"} and commit.seq == 2


def test_ecom_land_refuses_missing_sources_and_commits_nothing(tmp_path):
    data = tmp_path / "data"
    good = orders_file(tmp_path / "good.csv", 3, "G")
    r = run_land(data, "orders", DAY, [good, tmp_path / "missing.csv"])
    assert r.returncode == 2 and "missing.csv: no such file" in r.stderr
    assert committed(data, DAY) == (None, None)
    r = run_land(data, "orders", DAY, [tmp_path / "x.txt"])
    assert r.returncode == 2 and "*.csv, *.csv.gz or *.csv.bz2" in r.stderr


LAND_POINTS = ("land:after-first-file", "land:before-commit", "land:commit-written",
               "land:after-commit", "land:mid-gc", "land:sources-kept")


@pytest.mark.parametrize("point", LAND_POINTS)
def test_a_kill_never_mixes_runs_nor_loses_the_only_copy(tmp_path, point):
    """Run A lands the day; run B (2 files) is SIGKILLed at `point`; then B is re-run."""
    data = tmp_path / "data"
    a = [orders_file(tmp_path / "a1.csv", 20, "A"), orders_file(tmp_path / "a2.csv", 7, "A")]
    assert run_land(data, "orders", DAY, a).returncode == 0
    a_bytes = [p.read_bytes() for p in a]
    src = tmp_path / "b"
    src.mkdir()
    b = [orders_file(src / "a1.csv", 30, "B"), orders_file(src / "a2.csv", 9, "B")]
    b_bytes = [p.read_bytes() for p in b]

    r = run_land(data, "orders", DAY, b, kill_at=point, move=True)
    assert r.returncode == -signal.SIGKILL, r.stderr
    commit, files = committed(data, DAY)
    # the newest commit is wholly A's or wholly B's, and every file it names is whole
    assert files["orders"] in (a_bytes, b_bytes)
    b_committed = files["orders"] == b_bytes
    assert b_committed == (point in ("land:after-commit", "land:mid-gc", "land:sources-kept"))
    # nothing is lost: B's sources are still there (moved only after the commit)
    assert [p.read_bytes() for p in b] == b_bytes

    # recovery is a plain re-run: it commits B and removes A's and the killed run's versions
    r = run_land(data, "orders", DAY, b, move=True)
    assert r.returncode == 0, r.stderr
    commit, files = committed(data, DAY)
    assert files["orders"] == b_bytes and not any(p.exists() for p in b)
    versions = os.listdir(layout.DataLayout(str(data)).day_dir("orders", DAY))
    assert versions == [f.path.split("/")[0] for f in commit.files("orders")][:1]


def test_a_live_writers_version_is_not_collected(tmp_path):
    data = layout.DataLayout(str(tmp_path))
    w = data.begin_day(DAY, run_id="live")
    with w.open("orders", "x.csv") as f:
        f.write(b"1\n")
    assert data.gc_day(DAY) == []                   # our own lease: alive
    lease = os.path.join(data.version_dir("orders", DAY, "v-live"), layout.LEASE)
    with open(lease, "w") as f:
        json.dump({"host": __import__("socket").gethostname(), "pid": 2 ** 22 + 7}, f)
    assert data.gc_day(DAY) == [data.version_dir("orders", DAY, "v-live")]


def test_no_namenode_configured_is_named(tmp_path, monkeypatch):
    """No cluster needed: with nothing configured, hdfs:// stops and says what it looked for."""
    for name in ("ECOM_WEBHDFS_URL",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HADOOP_CONF_DIR", str(tmp_path))
    with pytest.raises(hdfsio.NoNameNode) as e:
        hdfsio.namenode_web_url("hdfs:///ecommerce")
    message = str(e.value)
    assert str(tmp_path / "hdfs-site.xml") in message and str(tmp_path / "core-site.xml") in message
    assert "hdfs://namenode:8020/path" in message
    assert hdfsio.namenode_web_url("hdfs://nn.example:8020/x") == "http://nn.example:9870"
    r = subprocess.run([sys.executable, "-m", "ecomsuite.land", "--data", "hdfs:///ecommerce",
                        "--dataset", "orders", "--day", DAY, str(orders_file(tmp_path / "o.csv", 1, "X"))],
                       capture_output=True, text=True, env={**os.environ})
    assert r.returncode == 2 and "no NameNode configured" in r.stderr and "Traceback" not in r.stderr


PUBLISH = """
import os, sys
from ecomsuite import layout
v = layout.Versions(layout.LocalStore(), sys.argv[1])
temp = v.temp(sys.argv[2])
os.makedirs(temp)
open(os.path.join(temp, "part-00000"), "w").write(sys.argv[2])
v.publish(temp, sys.argv[2])
"""


@pytest.mark.parametrize("point", ["publish:before-rename", "publish:before-success"])
def test_a_kill_while_publishing_a_version_leaves_the_previous_one_current(tmp_path, point):
    base = tmp_path / "job"

    def publish(version, kill_at=None):
        env = {k: v for k, v in os.environ.items() if k != layout.KILL_ENV}
        if kill_at:
            env[layout.KILL_ENV] = kill_at
        return subprocess.run([sys.executable, "-c", PUBLISH, str(base), version], env=env)
    assert publish("20261125T000000Z-a").returncode == 0
    assert publish("20261125T000001Z-b", kill_at=point).returncode == -signal.SIGKILL
    v = layout.Versions(layout.LocalStore(), str(base))
    assert v.latest() == str(base / "20261125T000000Z-a")      # the whole previous version
    out = layout.OutputLayout(str(tmp_path))
    assert out.read_output_lines(v.latest()) == ["20261125T000000Z-a"]
    assert publish("20261125T000002Z-c").returncode == 0          # a re-run publishes
    assert v.latest() == str(base / "20261125T000002Z-c")
