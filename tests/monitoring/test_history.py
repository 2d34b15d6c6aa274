"""History, freshness and a business alert on a real Prometheus (Debian's package).

Days landed relative to today (the newest DAILY_LAG days ago, its orders multiplied by
ANOMALY_FACTOR), ingested and run by the real pipeline (conftest.daily_run); the history
backfilled with `ecom-exporter backfill --tsdb` into the storage of a Prometheus that keeps
400 days; the exporter serving the outputs and the data root. Then:

* query_range over the backfilled days gives each day's orders per region at its midnight,
  equal to daily_revenue's output;
* the late days fire EcommerceDayNotLanded and, its cause being upstream, not
  EcommerceDayNotIngested/Processed (whose own conditions hold); the injected anomaly fires
  EcommerceRevenueAnomaly naming the day; the rules are the committed ones with their `for`
  removed (a test cannot wait 10 minutes);
* every dashboard target that needs landed days or the history answers with data.
"""

import calendar
import glob
import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from grafana import config
from grafana.alerts import FRESHNESS_STAGES, late_condition
from tests.monitoring.conftest import DAILY_DAYS, REPO, free_port, write_day_partitions
from tests.monitoring.processes import Prometheus, start_exporter, wait_for
from tests.monitoring.promql import (
    dashboards,
    fill_variables,
    needs_landed_days,
    panel_targets,
)
from tests.monitoring.test_e2e import prometheus_config

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]


def midnight(day):
    return calendar.timegm(day.timetuple()) if hasattr(day, "timetuple") else \
        calendar.timegm(time.strptime(day, "%Y-%m-%d"))


def rules_without_for(path):
    with open(os.path.join(REPO, "prometheus", "rules", "ecommerce.yaml"), encoding="utf-8") as f:
        groups = yaml.safe_load(f)
    for group in groups["groups"]:
        for rule in group["rules"]:
            rule.pop("for", None)
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(groups, f)
    return path


def _unix(rfc3339):
    """Prometheus' RFC 3339 time (nanoseconds; Z or an offset) -> unix seconds."""
    import datetime
    import re

    m = re.fullmatch(r"([^.Z+]+)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", rfc3339)
    assert m, rfc3339
    frac = (m.group(2) or "").ljust(6, "0")[:6]
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.datetime.fromisoformat(f"{m.group(1)}.{frac}{zone}").timestamp()


def daily_revenue_rows(outputs):
    run = sorted(d for d in glob.glob(os.path.join(outputs, "daily_revenue", "*"))
                 if os.path.exists(os.path.join(d, "_SUCCESS")))[-1]
    rows = {}
    for part in glob.glob(os.path.join(run, "part-*")):
        with open(part, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    key, value = (json.loads(x) for x in line.split("\t"))
                    rows[tuple(key)] = value
    return rows


def test_history_freshness_and_an_anomaly_on_a_real_prometheus(daily_run, tmp_path):
    import datetime
    import shutil

    data, outputs, newest = daily_run
    outputs = str(shutil.copytree(outputs, tmp_path / "output"))
    conversion_days = [newest - datetime.timedelta(days=n) for n in (2, 1, 0)]
    conversions = dict(write_day_partitions(data, outputs, "mr_device_conversions.py",
                                            "device_conversions", conversion_days))
    tmp = str(tmp_path)
    storage = os.path.join(tmp, "prometheus-data")
    started = time.monotonic()
    backfill = subprocess.run([sys.executable, "-m", "exporters", "backfill", "--outputs",
                               outputs, "--data", data, "--tsdb", storage],
                              capture_output=True, text=True, cwd=REPO, timeout=300)
    assert backfill.returncode == 0, backfill.stderr
    print(f"backfill of {DAILY_DAYS} days: {time.monotonic() - started:.1f}s: "
          f"{backfill.stderr.strip()}")

    exporter, metrics_url = start_exporter(tmp, "--outputs", outputs, "--data", data)
    prom = None
    try:
        exporter_port = int(metrics_url.split(":")[2].split("/")[0])
        prom_port = free_port()
        cfg = prometheus_config(os.path.join(tmp, "prometheus.yml"), exporter_port, prom_port)
        with open(cfg, encoding="utf-8") as f:
            conf = yaml.safe_load(f)
        conf["rule_files"] = [rules_without_for(os.path.join(tmp, "rules.yaml"))]
        with open(cfg, "w", encoding="utf-8") as f:
            yaml.safe_dump(conf, f)
        prom = Prometheus(tmp, cfg, port=prom_port, retention="400d", storage=storage)
        _check(prom, outputs, newest)
        _check_conversions(prom, conversions)
    finally:
        if prom:
            prom.stop()
        exporter.stop()


def _check(prom, outputs, newest):
    sel = config.RULE_SELECTOR
    wait_for("three scrapes of the exporter", lambda: prom.query(
        f"count_over_time(up{{{sel}}}[1m]) >= 3 and up{{{sel}}} == 1")["result"], timeout=90)

    # history: one query_range over the backfilled days, one point per day at its midnight
    rows = daily_revenue_rows(outputs)
    days = sorted({day for day, _ in rows})
    assert len(days) == DAILY_DAYS and days[-1] == newest.isoformat()
    start, end = midnight(days[0]), midnight(days[-1])
    series = prom.api("query_range", query=f"ecommerce_history_orders{{{sel}}}",
                      start=start, end=end, step=86400)["result"]
    got = {(s["metric"]["sales_region"], time.strftime("%Y-%m-%d", time.gmtime(t))): float(v)
           for s in series for t, v in s["values"]}
    assert got == {(region, day): row["orders"] for (day, region), row in rows.items()
                   if region != "all"}
    # the history's total anomaly marks exactly the output's anomaly days
    marked = prom.api("query_range", query=f"ecommerce_history_total_anomaly{{{sel}}} == 1",
                      start=start, end=end, step=86400)["result"]
    assert [time.strftime("%Y-%m-%d", time.gmtime(t)) for t, _ in marked[0]["values"]] == \
        sorted(day for (day, region), row in rows.items() if region == "all" and row["anomaly"])
    # bounded: no label per day; the history is a few dozen series whatever the days
    count = prom.query(f'count({{__name__=~"ecommerce_history_.*", {sel}}})', time=end)
    assert 0 < float(count["result"][0]["value"][1]) <= 40

    # alerts: the late days and the injected anomaly
    def active(name):
        return [a for a in prom.api("alerts")["alerts"] if a["labels"]["alertname"] == name
                and a["state"] == "firing"]
    landed = wait_for("EcommerceDayNotLanded", lambda: active("EcommerceDayNotLanded"), timeout=60)
    assert {a["labels"]["dataset"] for a in landed} == {"orders", "customers", "clickstream"}
    # every stage is late, but the landing is the cause: the ingest and processing alerts,
    # evaluated after it fired, are silent (inhibited in their expressions)
    fired = time.time()

    def freshness_rules():
        groups = prom.api("rules", type="alert")["groups"]
        return {r["name"]: r for g in groups for r in g["rules"]
                if r["name"] in ("EcommerceDayNotIngested", "EcommerceDayNotProcessed")}

    def evaluated_since_fired():
        rules = freshness_rules()
        return len(rules) == 2 and all(
            _unix(r["lastEvaluation"]) > fired for r in rules.values()) and rules
    for rule in wait_for("the ingest and processing rules evaluated again",
                         evaluated_since_fired, timeout=60).values():
        assert rule["health"] == "ok" and rule["state"] == "inactive", rule
        assert not rule["alerts"], rule
    # without the landing's cause (the rule as it would be with no inhibition) they would fire
    for _alert, stage, metric, label, _ in FRESHNESS_STAGES[1:]:
        bare = late_condition(stage, metric, label)
        assert len(prom.query(bare)["result"]) >= (3 if label == "dataset" else 8), bare
    anomaly = wait_for("EcommerceRevenueAnomaly", lambda: active("EcommerceRevenueAnomaly"),
                       timeout=60)
    assert f"({newest.isoformat()} 00:00:00 +0000 UTC)" in anomaly[0]["annotations"]["description"]
    assert not active("EcommerceExporterSourceDown")

    # every dashboard target that needs landed days or the history: data at now or over 30 days
    checked = 0
    now = time.time()
    for board, title, t in panel_targets():
        if not needs_landed_days(t["expr"]):
            continue
        expr = fill_variables(t["expr"])
        if "ecommerce_history_" in expr:
            result = prom.api("query_range", query=expr, start=now - 30 * 86400, end=now,
                              step=3600)["result"]
        else:
            result = prom.query(expr)["result"]
        assert result, f"{board} / {title}: no data for {expr}"
        checked += 1
    assert checked >= 12
    board = dashboards()["ecommerce-history.json"]
    annotation = next(a for a in board["annotations"]["list"] if a.get("expr"))
    marks = prom.api("query_range", query=fill_variables(annotation["expr"]),
                     start=start, end=end, step=86400)["result"]
    assert marks, annotation["expr"]


def _check_conversions(prom, conversions):
    """Conversion per device and day, from the per-day partitions, over a query_range."""
    start, end = (midnight(d) for d in (min(conversions), max(conversions)))
    series = prom.api("query_range", query=f"ecommerce_history_conversion_ratio{{{config.RULE_SELECTOR}}}",
                      start=start, end=end, step=86400)["result"]
    got = {(s["metric"]["device"], time.strftime("%Y-%m-%d", time.gmtime(t))): float(v)
           for s in series for t, v in s["values"]}
    assert got == {(device, day.isoformat()): row["conversion_rate"]
                   for day, rows in conversions.items() for device, row in rows.items()
                   if device != "all"}
