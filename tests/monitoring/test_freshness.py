"""Freshness gauges against the landing commits, manifests and run records read independently
(plain json and os.walk, not ecomsuite.layout), their failure paths, and no cap dropping a job
with a long history."""

import calendar
import datetime
import glob
import json
import os
import shutil

import pytest

from tests.monitoring.conftest import DAILY_DAYS, make_registry


def samples(reg, name):
    return {tuple(sorted(s.labels.items())): s.value for fam in reg.collect()
            for s in fam.samples if s.name == name}


def midnight(day):
    return float(calendar.timegm(datetime.date.fromisoformat(str(day)).timetuple()))


def newest_commit(commit_dir):
    names = sorted(n for n in os.listdir(commit_dir) if n.endswith(".json"))
    with open(os.path.join(commit_dir, names[-1]), encoding="utf-8") as f:
        return json.load(f)


def independent_landed(data):
    """{dataset: newest day} from the commit files themselves."""
    out = {}
    root = os.path.join(data, "landing", "_commits")
    for name in sorted(os.listdir(root)):
        commit = newest_commit(os.path.join(root, name))
        if commit.get("closed", True):
            for dataset, files in commit["datasets"].items():
                if files:
                    out[dataset] = max(out.get(dataset, ""), name[3:])
    return out


def independent_ingested(data):
    """{dataset: (newest day, valid, rejected, days)} from the complete canonical versions."""
    out = {}
    for dataset in ("orders", "customers", "clickstream"):
        days = {}
        for success in glob.glob(os.path.join(data, "canonical", dataset, "dt=*", "*", "_SUCCESS")):
            version = os.path.dirname(success)
            day = os.path.basename(os.path.dirname(version))[3:]
            if os.path.basename(version).startswith("_"):
                continue
            days[day] = max(days.get(day, ""), version)
        newest = max(days)
        with open(os.path.join(days[newest], "_manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        out[dataset] = (newest, manifest["valid"], manifest["rejected"], len(days))
    return out


def test_freshness_equals_the_landing_zone_and_manifests(daily_run):
    data, outputs, newest = daily_run
    reg = make_registry(outputs, data=data)
    landed = independent_landed(data)
    assert set(landed) == {"orders", "customers", "clickstream"}
    assert samples(reg, "ecommerce_data_landed_day_timestamp_seconds") == {
        (("dataset", d),): midnight(day) for d, day in landed.items()}
    assert max(landed.values()) == newest.isoformat()

    ingested = independent_ingested(data)
    assert samples(reg, "ecommerce_data_ingested_day_timestamp_seconds") == {
        (("dataset", d),): midnight(v[0]) for d, v in ingested.items()}
    rows = samples(reg, "ecommerce_data_ingested_day_rows")
    for d, (_, valid, rejected, n) in ingested.items():
        assert rows[(("dataset", d), ("status", "valid"))] == valid
        assert rows[(("dataset", d), ("status", "rejected"))] == rejected
        assert n == DAILY_DAYS
    assert samples(reg, "ecommerce_data_ingested_days") == {
        (("dataset", d),): DAILY_DAYS for d in ingested}
    assert rows[(("dataset", "orders"), ("status", "valid"))] > 0
    assert samples(reg, "ecommerce_exporter_source_up")[(("source", "data"),)] == 1


def test_the_processed_day_is_the_newest_input_day_of_the_latest_success(daily_run):
    data, outputs, newest = daily_run
    reg = make_registry(outputs, data=data)
    processed = samples(reg, "ecommerce_job_processed_day_timestamp_seconds")
    expected = {}
    for path in glob.glob(os.path.join(outputs, "_runs", "*", "*.json")):
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
        if record["status"] == "succeeded" and record.get("input_days"):
            expected[(("job_name", record["job"]),)] = midnight(max(record["input_days"]))
    assert processed == expected
    assert set(processed.values()) == {midnight(newest)}
    assert len(processed) >= 8


def test_an_open_day_or_a_day_missing_a_dataset_is_not_landed_for_it(daily_run, tmp_path):
    data, outputs, newest = daily_run
    copy = shutil.copytree(data, tmp_path / "data")
    commits = os.path.join(copy, "landing", "_commits")
    days = sorted(os.listdir(commits))
    # the newest day reopened (being followed); the day before loses its clickstream
    for name, change in ((days[-1], {"closed": False}), (days[-2], None)):
        folder = os.path.join(commits, name)
        path = os.path.join(folder, sorted(os.listdir(folder))[-1])
        with open(path, encoding="utf-8") as f:
            commit = json.load(f)
        if change:
            commit.update(change)
        else:
            commit["datasets"]["clickstream"] = []
        with open(path, "w", encoding="utf-8") as f:
            json.dump(commit, f)
    reg = make_registry(outputs, data=str(copy))
    landed = samples(reg, "ecommerce_data_landed_day_timestamp_seconds")
    assert landed[(("dataset", "orders"),)] == midnight(days[-2][3:])
    assert landed[(("dataset", "clickstream"),)] == midnight(days[-3][3:])


def test_a_missing_data_root_is_the_data_source_down_and_the_rest_is_served(daily_run, tmp_path):
    _, outputs, _ = daily_run
    reg = make_registry(outputs, data=str(tmp_path / "nowhere"))
    up = samples(reg, "ecommerce_exporter_source_up")
    assert up[(("source", "data"),)] == 0 and up[(("source", "outputs"),)] == 1
    assert not samples(reg, "ecommerce_data_landed_day_timestamp_seconds")
    assert samples(reg, "ecommerce_job_processed_day_timestamp_seconds")


def test_a_snapshot_data_root_has_no_landed_day_but_is_up(small_data, pipeline_output):
    reg = make_registry(pipeline_output, data=small_data)
    assert samples(reg, "ecommerce_exporter_source_up")[(("source", "data"),)] == 1
    assert not samples(reg, "ecommerce_data_landed_day_timestamp_seconds")


def test_180_days_of_daily_revenue_are_exported_not_dropped_by_a_cap(daily_run, tmp_path):
    """The issue's report: 180 days x 7 rows (1,260) of daily_revenue hid its metrics behind
    a 1,000-row cap. The table aggregates per day (no label per day), so none is dropped."""
    _, outputs, _ = daily_run
    out = shutil.copytree(outputs, tmp_path / "output")
    run = sorted(d for d in glob.glob(os.path.join(out, "daily_revenue", "*"))
                 if os.path.exists(os.path.join(d, "_SUCCESS")))[-1]
    first = datetime.date(2026, 1, 1)
    lines = []
    for n in range(180):
        day = (first + datetime.timedelta(days=n)).isoformat()
        for region in ("US-EAST", "US-WEST", "EU-WEST", "EU-CENTRAL", "ASIA-PACIFIC", "LATAM",
                       "all"):
            row = {"orders": n + 1, "completed_orders": n, "gross_revenue": 10.0 * n,
                   "net_revenue": 9.0 * n, "average_order_value": 9.0, "refunds": 0,
                   "refunded_amount": 0.0, "judged": n >= 7, "anomaly": n == 179,
                   "anomalies": []}
            lines.append(json.dumps([day, region]) + "\t" + json.dumps(row) + "\n")
    for part in glob.glob(os.path.join(run, "part-*")):
        os.remove(part)
    with open(os.path.join(run, "part-00000"), "w", encoding="utf-8") as f:
        f.writelines(lines)
    for path in glob.glob(os.path.join(out, "_runs", "daily_revenue", "*.json")):
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
        record["output_rows"] = len(lines)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(record, f)
    assert len(lines) == 1260
    reg = make_registry(out)
    assert samples(reg, "ecommerce_daily_revenue_day_timestamp_seconds") == {
        (): midnight("2026-06-29")}
    assert samples(reg, "ecommerce_daily_revenue_orders")[(("sales_region", "LATAM"),)] == 180
    assert samples(reg, "ecommerce_daily_revenue_total_anomaly") == {(): 1.0}
    assert samples(reg, "ecommerce_daily_revenue_total_anomalies_in_window") == {(): 1.0}
    skipped = samples(reg, "ecommerce_exporter_skipped_items_total")
    assert all(v == 0 for v in skipped.values()), skipped
    assert samples(reg, "ecommerce_output_rows")[(("job_name", "daily_revenue"),)] == 1260


@pytest.mark.parametrize("flag", ["--data"])
def test_the_data_flag_is_in_help(flag, capsys):
    from exporters.cli import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--help"])
    assert flag in capsys.readouterr().out
