"""`ecom-exporter backfill`: the history samples against the job outputs and manifests read
independently (plain json), per-day partitions, bounded series, and its failure paths."""

import calendar
import datetime
import glob
import json
import os
import re
import subprocess
import sys

import pytest

from exporters.backfill import history_samples, openmetrics
from tests.monitoring.conftest import DAILY_DAYS, REPO, write_day_partitions

LINE = re.compile(r'^(\w+)\{([^}]*)\} (\S+) (\d+)$')


def midnight(day):
    return calendar.timegm(datetime.date.fromisoformat(day).timetuple())


def latest_rows(outputs, job):
    run = sorted(d for d in glob.glob(os.path.join(outputs, job, "*"))
                 if os.path.exists(os.path.join(d, "_SUCCESS")))[-1]
    rows = []
    for part in sorted(glob.glob(os.path.join(run, "part-*"))):
        with open(part, encoding="utf-8") as f:
            rows += [tuple(json.loads(x) for x in line.split("\t")) for line in f if line.strip()]
    return rows


def parse(text):
    """{(name, labels): {timestamp: value}} of OpenMetrics text."""
    assert text.endswith("# EOF\n")
    out = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name, labels, value, ts = LINE.match(line).groups()
        key = (name, tuple(sorted(re.findall(r'(\w+)="([^"]*)"', labels))))
        out.setdefault(key, {})[int(ts)] = float(value)
    return out


def test_the_history_equals_daily_revenue_and_the_manifests(daily_run, tmp_path):
    data, outputs, newest = daily_run
    result = subprocess.run([sys.executable, "-m", "exporters", "backfill", "--outputs", outputs,
                             "--data", data, "--openmetrics", str(tmp_path / "h.om")],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"{DAILY_DAYS} days" in result.stderr
    got = parse((tmp_path / "h.om").read_text())

    expected = {}
    for (day, region), row in latest_rows(outputs, "daily_revenue"):
        ts = midnight(day)
        if region == "all":
            expected.setdefault(("ecommerce_history_total_anomaly", (("job", "ecommerce-exporter"),)),
                                {})[ts] = float(row["anomaly"])
            continue
        labels = (("job", "ecommerce-exporter"), ("sales_region", region))
        for name, value in (("orders", row["orders"]), ("gross_amount", row["gross_revenue"]),
                            ("net_amount", row["net_revenue"]), ("anomaly", float(row["anomaly"]))):
            expected.setdefault((f"ecommerce_history_{name}", labels), {})[ts] = value
    for manifest_path in glob.glob(os.path.join(data, "canonical", "*", "dt=*", "*", "_manifest.json")):
        if not os.path.exists(os.path.join(os.path.dirname(manifest_path), "_SUCCESS")):
            continue
        with open(manifest_path, encoding="utf-8") as f:
            m = json.load(f)
        for status in ("valid", "rejected"):
            expected.setdefault(("ecommerce_history_ingested_rows", (
                ("dataset", m["dataset"]), ("job", "ecommerce-exporter"), ("status", status))),
                {})[midnight(m["day"])] = m[status]
    fraud = {k: v for k, v in got.items() if k[0] == "ecommerce_history_fraud_signals"}
    assert {k: v for k, v in got.items() if k not in fraud} == expected
    # no fraud in these days: every rule 0 on every day
    assert len(fraud) == 3 and all(set(v.values()) == {0.0} and len(v) == DAILY_DAYS
                                   for v in fraud.values())
    # the injected anomaly is the newest day's, over every region
    total = got[("ecommerce_history_total_anomaly", (("job", "ecommerce-exporter"),))]
    assert total[midnight(newest.isoformat())] == 1.0
    # bounded: no label carries a day; 6 regions x 4 + 1 + 3 rules + 3 datasets x 2 series
    assert len(got) == 6 * 4 + 1 + 3 + 6
    assert all(len(v) == DAILY_DAYS for v in got.values())


def test_day_partitions_give_conversion_per_device_and_revenue_for_their_day(daily_run,
                                                                             tmp_path):
    """`ecom-run --day` writes a day's partials; the backfill answers that day from them
    (ecomsuite.periods): conversion per device equal to the job run on that day's data
    alone, and the day's orders per region equal to the whole output's."""
    import shutil

    data, outputs, newest = daily_run
    out = str(shutil.copytree(outputs, tmp_path / "output"))
    whole = parse(openmetrics(history_samples(out)))
    expected = dict(write_day_partitions(data, out, "mr_device_conversions.py",
                                         "device_conversions", [newest]))[newest]
    list(write_day_partitions(data, out, "mr_daily_revenue.py", "daily_revenue", [newest],
                              dataset="orders"))
    got = parse(openmetrics(history_samples(out)))
    ts = midnight(newest.isoformat())
    conv = {dict(k[1])["device"]: v for k, v in got.items()
            if k[0] == "ecommerce_history_conversion_ratio"}
    assert conv == {device: {ts: row["conversion_rate"]}
                    for device, row in expected.items() if device != "all"}
    assert conv, "no conversion history from the day partition"
    orders = {k: v for k, v in got.items() if k[0] == "ecommerce_history_orders"}
    assert orders and all(len(v) == DAILY_DAYS for v in orders.values())
    assert all(v[ts] == whole[k][ts] for k, v in orders.items())
    assert whole.keys() <= got.keys()


def test_backfill_refuses_without_a_target_or_without_processed_days(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "exporters", "backfill", *args],
                              capture_output=True, text=True, cwd=REPO, timeout=120)
    no_target = run("--outputs", str(tmp_path))
    assert no_target.returncode == 2 and "--tsdb" in no_target.stderr
    empty = run("--outputs", str(tmp_path), "--openmetrics", "-")
    assert empty.returncode == 1
    assert empty.stderr.strip().splitlines() == [
        f"ecom-exporter backfill: no processed day in {tmp_path} (run ecom-run first)"]
    assert "Traceback" not in empty.stderr


@pytest.mark.prometheus
def test_promtool_makes_blocks_of_the_history(daily_run, tmp_path):
    data, outputs, _ = daily_run
    tsdb = tmp_path / "tsdb"
    result = subprocess.run([sys.executable, "-m", "exporters", "backfill", "--outputs", outputs,
                             "--data", data, "--tsdb", str(tsdb)],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    blocks = [p for p in tsdb.iterdir() if (p / "meta.json").exists()]
    assert blocks
    samples = sum(json.loads((p / "meta.json").read_text())["stats"]["numSamples"]
                  for p in blocks)
    assert samples == len(history_samples(outputs, data))


def test_a_day_or_a_range_backfills_exactly_those_days_samples(daily_run, tmp_path):
    """What the daily unit runs after its jobs (`--day D`), `--from --to` and `--last N`
    (ecom-run's day options): the whole history's samples of those days, nothing else; a
    day not processed is refused, and so is a selection that makes no sense."""
    data, outputs, newest = daily_run
    whole = parse(openmetrics(history_samples(outputs, data)))

    def backfill(*args):
        return subprocess.run([sys.executable, "-m", "exporters", "backfill", "--outputs",
                               outputs, "--data", data, *args],
                              capture_output=True, text=True, cwd=REPO, timeout=300)

    def only(days):
        stamps = {midnight(d.isoformat()) for d in days}
        return {k: {t: v for t, v in s.items() if t in stamps} for k, s in whole.items()
                if stamps & s.keys()}

    day = backfill("--day", newest.isoformat(), "--openmetrics", str(tmp_path / "day.om"))
    assert day.returncode == 0, day.stderr
    assert parse((tmp_path / "day.om").read_text()) == only([newest])
    assert f"1 day ({newest})" in day.stderr and str(tmp_path / "day.om") in day.stderr

    first = newest - datetime.timedelta(days=2)
    span = backfill("--from", first.isoformat(), "--to", newest.isoformat(), "--openmetrics", "-")
    assert span.returncode == 0, span.stderr
    days = [first + datetime.timedelta(days=i) for i in range(3)]
    assert parse(span.stdout) == only(days) and len(only(days)) == len(whole)
    assert f"3 days ({first} .. {newest})" in span.stderr

    last = backfill("--last", "3", "--openmetrics", "-")
    assert last.returncode == 0, last.stderr
    assert parse(last.stdout) == only(days)

    later = newest + datetime.timedelta(days=1)
    missing = backfill("--day", later.isoformat(), "--openmetrics", str(tmp_path / "later.om"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert f"no processed day {later} in {outputs}" in missing.stderr
    assert not (tmp_path / "later.om").exists()
    for bad in (["--day", "2026-13-01"], ["--from", newest.isoformat()],
                ["--from", newest.isoformat(), "--to", first.isoformat()],
                ["--day", newest.isoformat(), "--from", first.isoformat(), "--to", newest.isoformat()],
                ["--last", "0"], ["--last", "3", "--day", newest.isoformat()],
                ["--tsdb-optional"]):
        refused = backfill(*bad, "--openmetrics", "-")
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, bad
    no_data = subprocess.run([sys.executable, "-m", "exporters", "backfill", "--outputs",
                              outputs, "--last", "3", "--openmetrics", "-"],
                             capture_output=True, text=True, cwd=REPO, timeout=300)
    assert no_data.returncode == 2 and "give --data too" in no_data.stderr


def _demo_history(data, outputs, where, promtool):
    """`make demo-history` (make demo's step after the jobs) on these roots, with this
    Python's virtualenv: (result, summary line, parsed OpenMetrics)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "demo-history", f"BIN={os.path.dirname(sys.executable)}",
         f"OUTPUT_DIR={outputs}", f"DATA_DIR={data}", f"DEMO_HISTORY={where}",
         f"PROMTOOL={promtool}"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (summary,) = [line for line in result.stderr.splitlines()
                  if line.startswith("ecom-exporter backfill:")]
    return result, summary, parse((where / "history.om").read_text())


def _processed_days(data, outputs):
    """The days of daily_revenue's latest output, which must equal its run record's input
    days and the orders' canonical partitions (dt= folders)."""
    days = sorted({day for (day, _), _ in latest_rows(outputs, "daily_revenue")})
    records = sorted(glob.glob(os.path.join(outputs, "_runs", "daily_revenue", "*.json")))
    with open(records[-1], encoding="utf-8") as f:
        assert sorted(json.load(f)["input_days"]) == days
    partitions = sorted(p.split("dt=")[1] for p in
                        glob.glob(os.path.join(data, "canonical", "orders", "dt=*")))
    assert partitions == days
    return days


def test_the_demos_history_covers_every_processed_day_without_promtool(daily_run, tmp_path):
    """make demo without promtool (CI's Python matrix): the OpenMetrics file of every day the
    jobs processed, a summary of it, no blocks and no traceback."""
    data, outputs, _ = daily_run
    where = tmp_path / "demo-history"
    result, summary, got = _demo_history(data, outputs, where, tmp_path / "no" / "promtool")
    days = _processed_days(data, outputs)
    assert len(days) == DAILY_DAYS
    stamps = sorted({t for series in got.values() for t in series})
    assert stamps == [midnight(d) for d in days]
    samples = sum(len(s) for s in got.values())
    assert f"{len(days)} days ({days[0]} .. {days[-1]}), {len(got)} series, {samples} samples" \
        in summary
    assert f"OpenMetrics in {where}/history.om" in summary
    assert f"no TSDB blocks: {tmp_path}/no/promtool not found" in summary
    assert not (where / "tsdb").exists()
    assert "make monitoring-backfill monitoring-up, with PROMETHEUS_RETENTION" in result.stdout


@pytest.mark.prometheus
def test_the_demos_history_makes_blocks_with_promtool(daily_run, tmp_path):
    data, outputs, _ = daily_run
    where = tmp_path / "demo-history"
    (where / "tsdb" / "stale").mkdir(parents=True)   # a demo before: replaced, not added to
    _, summary, got = _demo_history(data, outputs, where, "promtool")
    assert f"TSDB blocks in {where}/tsdb" in summary
    metas = [json.loads(p.read_text()) for p in (where / "tsdb").glob("*/meta.json")]
    assert sum(m["stats"]["numSamples"] for m in metas) == sum(len(s) for s in got.values())
    days = _processed_days(data, outputs)
    assert min(m["minTime"] for m in metas) == midnight(days[0]) * 1000
    assert max(m["maxTime"] for m in metas) == midnight(days[-1]) * 1000 + 1  # exclusive end
    assert not (where / "tsdb" / "stale").exists()
