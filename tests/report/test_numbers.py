"""The numbers in the report equal the job outputs, the ingest manifests and the run records,
read here independently: the files by glob and json, not through the suite's readers."""

import glob
import json
import os
from collections import Counter, defaultdict
from html.parser import HTMLParser

import pytest

from tests.report.conftest import CHART_IDS


class Tables(HTMLParser):
    """{chart id: [{column: exact value}]} from the page's data tables."""

    def __init__(self):
        super().__init__()
        self.tables, self._chart, self._row = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-chart" in a:
            self._chart = a["data-chart"]
            self.tables[self._chart] = []
        elif tag == "tr" and self._chart:
            self._row = {}
        elif tag == "td" and self._row is not None:
            self._row[a["data-column"]] = json.loads(a["data-value"])

    def handle_endtag(self, tag):
        if tag == "tr" and self._row:
            self.tables[self._chart].append(self._row)
            self._row = None
        elif tag == "table":
            self._chart = None


@pytest.fixture(scope="module")
def tables(built):
    p = Tables()
    with open(built[0], encoding="utf-8") as f:
        p.feed(f.read())
    assert list(p.tables) == list(CHART_IDS)
    return p.tables


def latest_output(output, job):
    """Rows {key: value} of the newest run folder with _SUCCESS."""
    runs = sorted(d for d in glob.glob(os.path.join(output, job, "*"))
                  if not os.path.basename(d).startswith("_")
                  and os.path.exists(os.path.join(d, "_SUCCESS")))
    assert runs, job
    rows = {}
    for part in sorted(glob.glob(os.path.join(runs[-1], "part-*"))):
        with open(part, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    k, v = line.split("\t")
                    k = json.loads(k)
                    rows[tuple(k) if isinstance(k, list) else k] = json.loads(v)
    assert rows, job
    return rows


def by(rows, column):
    return {r[column]: r for r in rows}


def test_sales_per_region(world, tables):
    want = latest_output(world[1], "sales_by_region")
    got = by(tables["sales-by-region"], "region")
    assert set(got) == set(want)
    for region, v in want.items():
        for field in ("orders", "gross_sales", "completed_orders", "completed_sales",
                      "average_order_value"):
            assert got[region][field] == v[field], (region, field)


def test_sales_per_region_and_day(world, tables):
    want = {k: v for k, v in latest_output(world[1], "daily_revenue").items() if k[1] != "all"}
    got = {}
    for row in tables["sales-region-day"]:
        for column, value in row.items():
            if column != "day" and value is not None:
                got[(row["day"], column)] = value
    assert got == {k: v["gross_revenue"] for k, v in want.items()}


def test_daily_revenue_and_its_anomaly_days(world, tables):
    want = {k[0]: v for k, v in latest_output(world[1], "daily_revenue").items() if k[1] == "all"}
    got = by(tables["daily-revenue"], "day")
    assert set(got) == set(want)
    for day, v in want.items():
        for field in ("orders", "gross_revenue", "net_revenue", "refunded_amount", "anomaly"):
            assert got[day][field] == v[field], (day, field)
    # the sample world's injected day is among them
    assert any(v["anomaly"] for v in want.values())


@pytest.mark.parametrize("chart, job, key, fields", [
    ("customer-tiers", "customer_tiers", "tier", ("customers", "share", "average_lifetime_value")),
    ("device-conversion", "device_conversions", "device",
     ("sessions", "converted_sessions", "conversion_rate", "purchases")),
    ("funnel", "funnel", "device",
     ("sessions", "reached_view", "reached_add_to_cart", "reached_checkout", "reached_purchase",
      "overall_conversion", "biggest_drop_off_rate")),
])
def test_keyed_outputs(world, tables, chart, job, key, fields):
    want = latest_output(world[1], job)
    got = by(tables[chart], key)
    assert set(got) == set(want)
    for k, v in want.items():
        for field in fields:
            assert got[k][field] == v[field], (k, field)


def test_top_products(world, tables):
    want = {k[2]: v for k, v in latest_output(world[1], "top_products").items()
            if k[0] == "all" and k[1] == "revenue"}
    got = by(tables["top-products"], "rank")
    assert set(got) == set(want)
    for rank, v in want.items():
        assert (got[rank]["product_id"], got[rank]["revenue"], got[rank]["units"]) == \
            (v["product_id"], v["revenue"], v["units"])


def test_fraud_flags(world, tables):
    want = Counter(k[0] for k in latest_output(world[1], "fraud_signals"))
    got = {r["rule"]: r["flagged"] for r in tables["fraud-flags"]}
    assert {k: v for k, v in got.items() if v} == dict(want)
    assert set(got) >= {"bot_session", "order_burst", "amount_outlier"}


def newest_manifests(data):
    out = {}
    for path in glob.glob(os.path.join(data, "canonical", "*", "dt=*", "*", "_manifest.json")):
        version = os.path.dirname(path)
        if not os.path.exists(os.path.join(version, "_SUCCESS")):
            continue
        day_dir = os.path.dirname(version)
        key = (os.path.basename(os.path.dirname(day_dir)), os.path.basename(day_dir)[3:])
        if key not in out or os.path.basename(version) > out[key][0]:
            with open(path, encoding="utf-8") as f:
                out[key] = (os.path.basename(version), json.load(f))
    return {k: m for k, (_, m) in out.items()}


def test_data_quality_per_day_equals_the_ingest_manifests(world, tables):
    want = newest_manifests(world[0])
    rows = {(r["dataset"], r["day"]): r for r in tables["data-quality"]}
    assert set(rows) == set(want)
    reasons = set()
    for key, m in want.items():
        r = rows[key]
        assert (r["records"], r["valid"], r["rejected"]) == (m["records"], m["valid"], m["rejected"])
        for reason, n in m["rejected_by_reason"].items():
            assert r[reason] == n, (key, reason)
            reasons.add(reason)
        assert sum(v for c, v in r.items() if c in reasons) == m["rejected"] or not reasons
    # the sample world's bad rows were quarantined, under several reasons
    assert sum(m["rejected"] for m in want.values()) > 0 and len(reasons) >= 3


def test_job_history_equals_the_run_records(world, tables):
    want = {}
    for path in glob.glob(os.path.join(world[1], "_runs", "*", "*.json")):
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
        want[(r["job"], r["run_id"])] = r
    got = {(r["job"], r["run_id"]): r for r in tables["job-history"]}
    assert set(got) == set(want)
    for key, r in want.items():
        for field in ("runner", "status", "duration_seconds", "input_rows", "output_rows"):
            assert got[key][field] == r.get(field), (key, field)
    statuses = defaultdict(set)
    for job, _ in want:
        statuses[job].add(want[(job, _)]["status"])
    assert any("failed" in s for s in statuses.values()), "the sample's failed run is missing"
