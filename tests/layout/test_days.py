"""The generator landing days: determinism, continuation, realism, follow mode, kills."""

import csv
import io
import os
import signal
import subprocess
import sys

import pytest

from ecomsuite import layout, pipeline
from reference import core as reference

TINY = ["--orders", "300", "--customers", "200", "--clicks", "900", "--quiet"]


def datagen(out, *args, kill_at=None):
    env = dict(os.environ)
    env.pop(layout.KILL_ENV, None)
    if kill_at:
        env[layout.KILL_ENV] = kill_at
    return subprocess.run([sys.executable, "-m", "datagen", "--out", str(out), *TINY, *args],
                          capture_output=True, text=True, env=env, timeout=300)


def landed_bytes(root):
    """{(dataset, day, file name): bytes} of every file the newest commits name."""
    target = layout.DataLayout(str(root))
    out = {}
    for day in target.days():
        commit = target.latest_commit(day)
        if commit is None:  # a commit being written: not a commit yet
            continue
        for dataset in commit.datasets:
            for f in commit.files(dataset):
                out[(dataset, day.isoformat(), f.path.split("/")[-1])] = target.store.read_bytes(
                    target.landed_path(dataset, day, f.path))
    return out


def rows(data):
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_same_seed_and_days_give_the_same_bytes_in_one_call_or_several(tmp_path):
    one, two, again = tmp_path / "one", tmp_path / "two", tmp_path / "again"
    assert datagen(one, "--days", "4", "--start-date", "2026-03-01").returncode == 0
    assert datagen(again, "--days", "4", "--start-date", "2026-03-01").returncode == 0
    assert datagen(two, "--days", "2", "--start-date", "2026-03-01").returncode == 0
    r = datagen(two, "--days", "2", "--start-date", "next")
    assert r.returncode == 0, r.stderr
    a, b, c = landed_bytes(one), landed_bytes(two), landed_bytes(again)
    assert len(a) == 12 and a == b == c
    other = tmp_path / "other"
    assert datagen(other, "--days", "1", "--start-date", "2026-03-01", "--seed", "7"
                   ).returncode == 0
    assert landed_bytes(other)[("orders", "2026-03-01", "part-00000.csv")] != \
        a[("orders", "2026-03-01", "part-00000.csv")]


def test_days_continue_the_same_customers(tmp_path):
    root = tmp_path / "lz"
    assert datagen(root, "--days", "3", "--start-date", "2026-03-01").returncode == 0
    assert datagen(root, "--days", "2", "--start-date", "next").returncode == 0
    files = landed_bytes(root)
    customers, seen_orders, seen_sessions = {}, set(), set()
    for day in ("2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"):
        new = rows(files[("customers", day, "part-00000.csv")])
        if day == "2026-03-01":
            assert len(new) >= 200                      # the backlog lands with the first day
            assert all(c["signup_date"] < day for c in new[:200])
        assert all(c["signup_date"] == day for c in new if int(c["customer_id"][4:]) > 200)
        assert not set(c["customer_id"] for c in new) & set(customers)   # never twice
        customers.update((c["customer_id"], c) for c in new)
        orders = rows(files[("orders", day, "part-00000.csv")])
        assert orders and all(o["order_date"].startswith(day) for o in orders)
        for o in orders:
            assert customers[o["customer_id"]]["region"] == o["region"]   # orders follow customers
        assert [o["order_date"] for o in orders] == sorted(o["order_date"] for o in orders)
        ids = {o["order_id"] for o in orders}
        assert not ids & seen_orders
        seen_orders |= ids
        clicks = rows(files[("clickstream", day, "part-00000.csv")])
        sessions = {c["session_id"] for c in clicks}
        assert not sessions & seen_sessions and all(c["customer_id"] in customers for c in clicks)
        seen_sessions |= sessions
    assert len(customers) > 200                         # new sign-ups over the days


def test_refusals(tmp_path):
    root = tmp_path / "lz"
    assert datagen(root, "--days", "2", "--start-date", "2026-03-01").returncode == 0
    r = datagen(root, "--days", "1", "--start-date", "2026-03-02")
    assert r.returncode == 2 and "2026-03-02 is already landed" in r.stderr
    r = datagen(root, "--days", "1", "--start-date", "next", "--seed", "9")
    assert r.returncode == 2 and "landed with seed 42" in r.stderr
    r = datagen(root, "--days", "1", "--start-date", "2026-02-01")
    assert r.returncode == 2 and "before the landing zone's first day" in r.stderr
    before = landed_bytes(root)
    assert datagen(root, "--days", "1", "--start-date", "2026-03-02", "--overwrite"
                   ).returncode == 0
    assert landed_bytes(root) == before                 # the same day again: the same bytes


def test_follow_lands_hours_and_closes_the_day_with_the_whole_days_rows(tmp_path):
    root, whole = tmp_path / "follow", tmp_path / "whole"
    assert datagen(whole, "--days", "2", "--start-date", "2026-03-01").returncode == 0
    assert datagen(root, "--days", "1", "--start-date", "2026-03-01").returncode == 0
    r = datagen(root, "--follow", "--interval", "0", "--ticks", "3")
    assert r.returncode == 0, r.stderr
    target = layout.DataLayout(str(root))
    commit = target.latest_commit("2026-03-02")
    assert not commit.closed and [f.path.split("/")[1] for f in commit.files("orders")] == [
        "hour-00.csv", "hour-01.csv", "hour-02.csv"]
    assert [d.isoformat() for d, _ in target.complete_days()[0]] == ["2026-03-01"]
    r = datagen(root, "--follow", "--interval", "0", "--ticks", "24", "--start-date", "2026-03-02",
                "--overwrite")
    assert r.returncode == 0, r.stderr
    commit = target.latest_commit("2026-03-02")
    assert commit.closed and commit.seq > 24
    want = landed_bytes(whole)
    for dataset in ("orders", "customers", "clickstream"):
        got = b"".join(data.split(b"\n", 1)[1] for data in
                       (target.store.read_bytes(p) for p in target.day_files(dataset, "2026-03-02")))
        assert got == want[(dataset, "2026-03-02", "part-00000.csv")].split(b"\n", 1)[1]


@pytest.mark.parametrize("point", ["datagen:between-days", "land:after-first-file",
                                   "land:before-commit", "land:commit-written"])
def test_a_killed_landing_leaves_whole_days_and_recovers(tmp_path, point):
    root, whole = tmp_path / "lz", tmp_path / "whole"
    assert datagen(whole, "--days", "3", "--start-date", "2026-03-01").returncode == 0
    r = datagen(root, "--days", "3", "--start-date", "2026-03-01", kill_at=point)
    assert r.returncode == -signal.SIGKILL
    target = layout.DataLayout(str(root))
    done = [d.isoformat() for d, _ in target.complete_days()[0]]
    assert done == (["2026-03-01"] if point == "datagen:between-days" else [])
    want = landed_bytes(whole)
    assert all(want[k] == v for k, v in landed_bytes(root).items())   # what is committed is whole
    r = datagen(root, "--days", "3", "--start-date", "2026-03-01", "--overwrite")
    assert r.returncode == 0, r.stderr
    assert landed_bytes(root) == want
    for dataset in ("orders", "customers", "clickstream"):  # the killed run's versions are gone
        for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
            assert len(os.listdir(target.day_dir(dataset, day))) == 1


def test_ecom_run_reads_every_complete_day(tmp_path, capsys, monkeypatch):
    root = tmp_path / "lz"
    assert datagen(root, "--days", "3", "--start-date", "2026-03-01").returncode == 0
    # an incomplete day (one dataset landed by hand) is not read
    extra = tmp_path / "o.csv"
    extra.write_bytes(landed_bytes(root)[("orders", "2026-03-01", "part-00000.csv")])
    subprocess.run([sys.executable, "-m", "ecomsuite.land", "--data", str(root), "--dataset",
                    "orders", "--day", "2026-03-09", "--quiet", str(extra)], check=True)
    out = tmp_path / "out"
    jobs = "sales_by_region,fraud_signals,customer_segments"
    assert pipeline.main(["--runner", "inline", "--data", str(root), "--output", str(out),
                          "--jobs", jobs, "--quiet"]) == 0
    # the days' files are bundled per dataset (one map task per core): the same answers
    unbundled = tmp_path / "unbundled"
    monkeypatch.setattr(pipeline, "BUNDLES", 1000)
    assert pipeline.main(["--runner", "inline", "--data", str(root), "--output", str(unbundled),
                          "--jobs", jobs, "--quiet"]) == 0
    for job in jobs.split(","):
        a = layout.OutputLayout(str(out))
        b = layout.OutputLayout(str(unbundled))
        ((ra,), _), ((rb,), _) = a.read_records(job), b.read_records(job)
        assert ra.malformed_total == 0 and ra.valid_rows == rb.valid_rows
        assert sorted(a.read_output_lines(ra.output_dir)) == \
            sorted(b.read_output_lines(rb.output_dir))
    records, _ = layout.OutputLayout(str(out)).read_records("sales_by_region")
    (record,) = records
    assert record.input_days == ["2026-03-01", "2026-03-02", "2026-03-03"]
    files = layout.DataLayout(str(root)).input_files(["orders"])[0]
    assert len(files) == 3 and record.inputs == files
    got = {}
    for line in layout.OutputLayout(str(out)).read_output_lines(record.output_dir):
        key, value = line.rstrip("\n").split("\t")
        got[key.strip('"')] = __import__("json").loads(value)
    assert got == reference.sales_by_region(files)
