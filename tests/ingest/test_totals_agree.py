"""Every job reads the same rows: over landed days that hold bad rows, ecom-run's jobs
agree with each other, with the ingest's manifests and with an independent reading of
the landed files (tests/ingest/reference.py)."""

import glob
import json
import os
import subprocess
import sys

import duckdb

from ecomsuite import layout, pipeline
from tests.ingest import reference
from tests.ingest.support import csv_bytes

BAD_ORDERS = [
    "ORD90001,CUST00001,LAPTOP001,Gaming Laptop,1,9.99,9.99,2025-06-02 10:00:00,LOST,US-EAST",
    "ORD90002,CUST00001,LAPTOP001,Gaming Laptop,1,9.99,9.99,2025-02-30 10:00:00,COMPLETED,US-EAST",
    "ORD90003,CUST00001,LAPTOP001,Gaming Laptop,1,x,9.99,2025-06-02 10:00:00,COMPLETED,US-EAST",
    "ORD90004,CUST00001,LAPTOP001,Gaming Laptop,1,9.99,99999999999999999999.99,2025-06-02 10:00:00,COMPLETED,US-EAST",
    'ORD90005,CUST00001,LAPTOP001,"Laptop, ""big""\nedition",1,9.99,9.99,2025-06-02 10:00:00,PENDING,LATAM',
]
BAD_CLICKS = ["2025-06-02 10:00:00,SESSION99,CUST00001,SCROLL,product,P,mobile,1",
              "2025-06-02 10:00:00,,CUST00001,VIEW,product,P,mobile,1"]
BAD_CUSTOMERS = ["CUST99999,A,B,e,X,LATAM,2024-01-01,1.00,DIAMOND"]


def outputs(out, job):
    [record_path] = glob.glob(f"{out}/_runs/{job}/*.json")
    record = json.load(open(record_path))
    rows = {}
    for part in glob.glob(os.path.join(record["output_dir"], "part-*")):
        for line in open(part, encoding="utf-8"):
            key, value = line.rstrip("\n").split("\t")
            key = json.loads(key)
            rows[tuple(key) if isinstance(key, list) else key] = json.loads(value)
    return record, rows


def test_jobs_agree_on_days_with_bad_rows(tmp_path):
    root = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "datagen", "--days", "3", "--out", str(root),
                    "--scale", "0.05", "--seed", "9", "--quiet"], check=True)
    data = layout.DataLayout(str(root))
    day = data.days()[1]
    w = data.begin_day(day)
    for name, lines in (("orders", BAD_ORDERS), ("clickstream", BAD_CLICKS),
                        ("customers", BAD_CUSTOMERS)):
        with w.open(name, "extra.csv") as f:
            f.write(csv_bytes(name, lines, newline=b"\r\n"))
    w.commit(append=True)
    out = tmp_path / "out"
    assert pipeline.main(["--runner", "inline", "--data", str(root), "--output", str(out),
                          "--max-malformed-share", "0.5", "--quiet"]) == 0

    landed = {name: [p for d in data.days() for p in data.day_files(name, d)]
              for name in ("orders", "customers", "clickstream")}
    want = {}
    for name, files in landed.items():
        valid = rejected = 0
        for path in files:
            rows, bad, _ = reference.read(path, name)
            valid, rejected = valid + len(rows), rejected + bad
        want[name] = (valid, rejected)
    assert want["orders"][1] == len(BAD_ORDERS) - 1  # the quoted newline one is valid

    sales_record, sales = outputs(out, "sales_by_region")
    daily_record, daily = outputs(out, "daily_revenue")
    top_record, _ = outputs(out, "top_products")
    orders = sum(v["orders"] for v in sales.values())
    assert orders == want["orders"][0]
    assert orders == sum(v["orders"] for (d, region), v in daily.items() if region == "all")
    assert round(sum(v["gross_sales"] for v in sales.values()), 2) == round(
        sum(v["gross_revenue"] for (d, region), v in daily.items() if region == "all"), 2)
    for record in (sales_record, daily_record, top_record):
        assert record["valid_rows"] == want["orders"][0]
        assert record["malformed_total"] == want["orders"][1]
        assert record["input_rows"] == sum(want["orders"])
    assert sales_record["malformed_rows"] == {"bad_number": 1, "bad_timestamp": 1,
                                              "out_of_range": 1, "unknown_status": 1}

    devices_record, devices = outputs(out, "device_conversions")
    funnel_record, funnel = outputs(out, "funnel")
    assert sum(v["sessions"] for v in devices.values()) == funnel["all"]["sessions"]
    assert devices_record["valid_rows"] == funnel_record["valid_rows"] == want["clickstream"][0]

    tiers_record, tiers = outputs(out, "customer_tiers")
    _, segments = outputs(out, "customer_segments")
    customers = sum(v["customers"] for v in tiers.values())
    assert customers == want["customers"][0]
    assert customers == sum(v["customers"] for k, v in segments.items() if k[1:] == ("all", "all"))

    # DuckDB over the canonical parts the jobs read counts the same
    parts = [p for d in data.days() for p in data.canonical_parts("orders", [d])]
    [(n, gross)] = duckdb.sql(f"SELECT count(*), sum(total_amount) FROM read_parquet({parts!r})"
                              ).fetchall()
    assert n == orders and float(gross) == round(sum(v["gross_sales"] for v in sales.values()), 2)
    # the quarantine holds every rejected record
    quarantined = []
    for d in data.days():
        m = data.ingest_manifest("orders", d)
        quarantined += [json.loads(x) for x in open(m.run["quarantine"], encoding="utf-8")]
    assert len(quarantined) == want["orders"][1]
    assert {q["record"] for q in quarantined} == {x for x in BAD_ORDERS if "ORD90005" not in x}


def test_local_runner_on_a_relative_data_root_equals_inline(tmp_path, monkeypatch):
    """Bundles of parts (more parts than cores) read by local-runner tasks in their own
    folders: the paths they list must not be relative to ecom-run's."""
    subprocess.run([sys.executable, "-m", "datagen", "--days", "3", "--out",
                    str(tmp_path / "data"), "--scale", "0.02", "--seed", "3", "--quiet"],
                   check=True)
    monkeypatch.chdir(tmp_path)
    for runner in ("inline", "local"):
        assert pipeline.main(["--runner", runner, "--data", "data", "--output", runner,
                              "--jobs", "sales_by_region", "--quiet"]) == 0
    assert outputs(tmp_path / "inline", "sales_by_region")[1] == \
        outputs(tmp_path / "local", "sales_by_region")[1]
