"""The exporter's collectors on real pipeline outputs and fake Hadoop endpoints (private registries)."""

import calendar
import datetime
import glob
import json
import os
import shutil

import pytest
from prometheus_client import generate_latest

from exporters.business import (
    MAX_SERIES_PER_OUTPUT,
    OUTPUT_TABLES,
    OutputFormatError,
    keyed,
    latest_row,
)
from exporters.hadoop import NAMENODE_BEANS, RESOURCEMANAGER_FIELDS
from exporters.outputs import OutputsCollector
from exporters.stores import LocalStore
from tests.monitoring.conftest import TABLE_JOBS, free_port, make_registry, run_pipeline
from tests.monitoring.fakes import FakeHadoop

PREFIX = "ecommerce_"


def latest_run_dir(outputs, job):
    """The newest <job>/<run_id> with _SUCCESS, found without the exporter's code."""
    runs = sorted(d for d in glob.glob(os.path.join(outputs, job, "*"))
                  if not os.path.basename(d).startswith("_")
                  and os.path.exists(os.path.join(d, "_SUCCESS")))
    return runs[-1]


def output_rows(run_dir):
    """[(key, value)] of a run directory's part files, parsed here with plain json."""
    rows = []
    for part in sorted(glob.glob(os.path.join(run_dir, "part-*"))):
        with open(part, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    key, value = line.rstrip("\n").split("\t")
                    rows.append((json.loads(key), json.loads(value)))
    return rows


def records(outputs, job):
    out = []
    for path in glob.glob(os.path.join(outputs, "_runs", job, "*.json")):
        with open(path, encoding="utf-8") as f:
            out.append(json.load(f))
    return sorted(out, key=lambda r: r["finished_at"])


def families(registry):
    return {m.name: m for m in registry.collect()}


def up(registry, source):
    return registry.get_sample_value(PREFIX + "exporter_source_up", {"source": source})


def errors(registry, source):
    return registry.get_sample_value(PREFIX + "exporter_scrape_errors_total", {"source": source})


def skipped(registry, reason, source="outputs"):
    return registry.get_sample_value(PREFIX + "exporter_skipped_items_total",
                                     {"source": source, "reason": reason})


# --- every family, with its type and labels ------------------------------------------

EXPECTED_FAMILIES = {
    # name (as collected; counters without _total): (type, label names)
    "ecommerce_output_rows": ("gauge", {"job_name"}),
    "ecommerce_output_timestamp_seconds": ("gauge", {"job_name"}),
    "ecommerce_job_schedule_period_seconds": ("gauge", {"job_name"}),
    "ecommerce_job_recent_runs": ("gauge", {"job_name", "runner", "status"}),
    "ecommerce_job_last_success_timestamp_seconds": ("gauge", {"job_name", "runner"}),
    "ecommerce_job_last_run_timestamp_seconds": ("gauge", {"job_name", "runner"}),
    "ecommerce_job_last_run_success": ("gauge", {"job_name", "runner"}),
    "ecommerce_job_last_run_duration_seconds": ("gauge", {"job_name", "runner"}),
    "ecommerce_job_last_run_input_rows": ("gauge", {"job_name", "runner"}),
    "ecommerce_job_last_run_output_rows": ("gauge", {"job_name", "runner"}),
    "ecommerce_job_last_run_malformed_ratio": ("gauge", {"job_name", "runner"}),
    "ecommerce_job_last_run_malformed_rows": ("gauge", {"job_name", "runner", "reason"}),
    "ecommerce_exporter_source_up": ("gauge", {"source"}),
    "ecommerce_exporter_scrape_errors": ("counter", {"source"}),
    "ecommerce_exporter_skipped_items": ("counter", {"source", "reason"}),
    "ecommerce_exporter_collect_duration_seconds": ("gauge", {"source"}),
    "ecommerce_exporter_build_info": ("gauge", {"version", "revision", "python_version"}),
    **{fam.name: ("gauge", set(fam.labels)) for t in OUTPUT_TABLES for fam in t.families},
    **{"hadoop_namenode_" + attr.lower(): ("gauge", {"name"})
       for attrs in NAMENODE_BEANS.values() for attr, _ in attrs},
    **{"hadoop_resourcemanager_" + suffix: ("gauge", {"name", "q0"} if bean == "QueueMetrics"
                                            else {"name"})
       for _, suffix, bean, _ in RESOURCEMANAGER_FIELDS},
}


def test_every_family_has_its_type_help_and_labels(outputs, fake_hadoop):
    reg = make_registry(outputs, fake_hadoop.url, fake_hadoop.url)
    got = families(reg)
    assert set(got) == set(EXPECTED_FAMILIES)
    for name, (kind, labels) in EXPECTED_FAMILIES.items():
        fam = got[name]
        assert fam.type == kind, name
        assert fam.documentation, f"{name} has no HELP"
        assert fam.samples, f"{name} has no sample"
        for s in fam.samples:
            assert set(s.labels) == labels, (name, s.labels)
            assert "run_id" not in s.labels
    assert {up(reg, s) for s in ("outputs", "namenode", "resourcemanager")} == {1.0}
    assert len(EXPECTED_FAMILIES) >= 50


# The writing-exporters guide: label names that target labels (Prometheus' own or the ones
# a service discovery or relabelling typically attaches) would clash with.
TARGET_LABELS = {"job", "instance", "region", "zone", "cluster", "availability_zone", "az",
                 "datacenter", "dc", "owner", "customer", "stage", "service", "environment",
                 "env"}


def test_no_label_clashes_with_target_labels_and_no_pre_aggregated_rows(outputs, fake_hadoop):
    reg = make_registry(outputs, fake_hadoop.url, fake_hadoop.url)
    for fam in reg.collect():
        for s in fam.samples:
            assert not set(s.labels) & TARGET_LABELS, (s.name, s.labels)
            assert "all" not in s.labels.values(), (s.name, s.labels)


def test_sum_rebuilds_what_the_all_rows_said(outputs):
    """The jobs' "all" rows are not exported: sum() over the labelled series gives them."""
    reg = make_registry(outputs)
    funnel = dict(output_rows(latest_run_dir(outputs, "funnel")))
    daily = {tuple(k): v for k, v in output_rows(latest_run_dir(outputs, "daily_revenue"))}
    newest = max(day for day, _ in daily)

    def total(name):
        return sum(s.value for fam in reg.collect() if fam.name == name for s in fam.samples)

    assert total("ecommerce_funnel_sessions") == funnel["all"]["sessions"]
    assert total("ecommerce_funnel_stage_sessions") == sum(
        funnel["all"][f"reached_{s}"] for s in ("view", "add_to_cart", "checkout", "purchase"))
    assert total("ecommerce_daily_revenue_orders") == daily[(newest, "all")]["orders"]
    assert total("ecommerce_daily_revenue_net_amount") == pytest.approx(
        daily[(newest, "all")]["net_revenue"])


def test_the_families_table_is_what_the_exporter_serves(outputs, daily_run, fake_hadoop):
    """exporters/families.py (read by the dashboards, rules and docs) = the served families
    (on the snapshot's outputs, which have malformed rows, and on landed days: freshness)."""
    from exporters import families as F

    data, daily_outputs, _ = daily_run
    business = {fam.name for t in OUTPUT_TABLES for fam in t.families}
    served = {}
    for reg in (make_registry(outputs, fake_hadoop.url, fake_hadoop.url),
                make_registry(daily_outputs, fake_hadoop.url, fake_hadoop.url, data=data)):
        for fam in reg.collect():
            if fam.name in business or fam.name.startswith("hadoop_"):
                continue
            name = fam.name + ("_total" if fam.type == "counter" else "")
            labels = served.get(name, (fam.type, set()))[1]
            served[name] = (fam.type, labels | {k for s in fam.samples for k in s.labels})
    assert served == {m.name: (m.type, set(m.labels)) for m in F.ALL}


def test_build_info_names_the_version_revision_and_python(tmp_path):
    import platform
    import subprocess

    from ecomsuite import __version__

    reg = make_registry(tmp_path)
    (sample,) = [s for fam in reg.collect() if fam.name == "ecommerce_exporter_build_info"
                 for s in fam.samples]
    head = subprocess.run(["git", "-C", os.path.dirname(__file__), "rev-parse", "HEAD"],
                          capture_output=True, text=True)
    assert sample.value == 1
    assert sample.labels["version"] == __version__
    assert sample.labels["python_version"] == platform.python_version()
    if head.returncode == 0:  # a checkout: its commit; an exported tree: "unknown"
        assert head.stdout.startswith(sample.labels["revision"])
    else:
        assert sample.labels["revision"] == "unknown"


def test_sources_that_are_off_are_not_listed(outputs):
    reg = make_registry(outputs)
    assert up(reg, "outputs") == 1
    assert up(reg, "namenode") is None and up(reg, "resourcemanager") is None
    assert not any(n.startswith("hadoop_") for n in families(reg))


# --- business results = the job outputs ------------------------------------------------

def _per_key(label, fields):
    """Expected samples of a one-row-per-key output: {(metric, labels): value}."""
    def expect(rows):
        out = {}
        for key, obj in rows:
            for fld, metric in fields.items():
                if obj[fld] is not None:
                    out[(metric, ((label, key),))] = obj[fld]
        return out
    return expect


def _funnel(rows):
    """Per device; the output's "all" row only as the totals sum() cannot rebuild."""
    out = {}
    for device, obj in rows:
        steps = ("view_to_add_to_cart", "add_to_cart_to_checkout", "checkout_to_purchase")
        if device == "all":
            for step in steps:
                out[("ecommerce_funnel_total_step_ratio", (("step", step),))] = obj[step]
            out[("ecommerce_funnel_total_conversion_ratio", ())] = obj["overall_conversion"]
            if obj["biggest_drop_off_rate"] is not None:
                out[("ecommerce_funnel_total_biggest_drop_off_ratio", ())] = \
                    obj["biggest_drop_off_rate"]
            continue
        d = (("device", device),)
        out[("ecommerce_funnel_sessions", d)] = obj["sessions"]
        for stage in ("view", "add_to_cart", "checkout", "purchase"):
            out[("ecommerce_funnel_stage_sessions", d + (("funnel_stage", stage),))] = \
                obj[f"reached_{stage}"]
        for step in steps:
            out[("ecommerce_funnel_step_ratio", d + (("step", step),))] = obj[step]
        out[("ecommerce_funnel_conversion_ratio", d)] = obj["overall_conversion"]
        if obj["biggest_drop_off_rate"] is not None:
            out[("ecommerce_funnel_biggest_drop_off_ratio", d)] = obj["biggest_drop_off_rate"]
    return out


def _daily_revenue(rows):
    newest = max(day for (day, _), _ in rows)
    y, m, d = map(int, newest.split("-"))
    out = {("ecommerce_daily_revenue_day_timestamp_seconds", ()): calendar.timegm((y, m, d, 0, 0, 0))}
    for (day, region), obj in rows:
        total = region == "all"
        r = () if total else (("sales_region", region),)
        prefix = "ecommerce_daily_revenue_total_" if total else "ecommerce_daily_revenue_"
        key = (prefix + "anomalies_in_window", r)
        out[key] = out.get(key, 0) + (1 if obj["anomaly"] else 0)
        if day != newest:
            continue
        out[(prefix + "anomaly", r)] = 1 if obj["anomaly"] else 0
        fields = (("average_order_value", "average_order_value"),) if total else (
            ("orders", "orders"), ("gross_revenue", "gross_amount"),
            ("net_revenue", "net_amount"), ("refunded_amount", "refunded_amount"),
            ("average_order_value", "average_order_value"))
        for fld, metric in fields:
            if obj[fld] is not None:
                out[(prefix + metric, r)] = obj[fld]
    return out


def _fraud(rows):
    out = {("ecommerce_fraud_signals", (("rule", rule),)): 0
           for rule in ("bot_session", "order_burst", "amount_outlier")}
    customers = set()
    for (rule, entity), obj in rows:
        out[("ecommerce_fraud_signals", (("rule", rule),))] += 1
        customers.add(obj.get("customer_id") or entity)
    out[("ecommerce_fraud_flagged_customers", ())] = len(customers)
    # the newest day any rule flagged, and each rule's entities that day
    days = {}
    for (rule, _entity), obj in rows:
        flagged = {"bot_session": lambda o: [o["window_start"][:10]],
                   "order_burst": lambda o: [d["date"] for d in o["days"]],
                   "amount_outlier": lambda o: [o["order_date"]]}[rule](obj)
        for day in flagged:
            days.setdefault(day, []).append(rule)
    if days:
        newest = max(days)
        out[("ecommerce_fraud_newest_day_timestamp_seconds", ())] = calendar.timegm(
            datetime.date.fromisoformat(newest).timetuple())
        for rule in ("bot_session", "order_burst", "amount_outlier"):
            out[("ecommerce_fraud_newest_day_signals", (("rule", rule),))] = \
                days[newest].count(rule)
    return out


def _segments(rows):
    out = {}
    for (segment, tier, intent), obj in rows:
        if tier == intent == "all":
            s = (("segment", segment),)
            out[("ecommerce_segment_average_orders", s)] = obj["average_orders"]
            out[("ecommerce_segment_average_completed_spend", s)] = obj["average_completed_spend"]
            if obj["average_days_since_last_order"] is not None:
                out[("ecommerce_segment_average_time_since_last_order_seconds", s)] = \
                    obj["average_days_since_last_order"] * 86400
            continue
        cell = (("intent", intent), ("segment", segment), ("tier", tier))
        out[("ecommerce_segment_customers", cell)] = obj["customers"]
        out[("ecommerce_segment_customer_ratio", cell)] = obj["share"]
    return out


def _top_products(rows):
    out = {}
    for (region, ranking, rank), obj in rows:
        p = obj["product_id"]
        if region == "all":
            out[("ecommerce_top_product_overall_rank", (("product_id", p), ("ranking", ranking)))] = rank
            out[("ecommerce_top_product_overall_revenue_amount", (("product_id", p),))] = obj["revenue"]
            out[("ecommerce_top_product_overall_units", (("product_id", p),))] = obj["units"]
            continue
        r = ("sales_region", region)
        out[("ecommerce_top_product_rank", (("product_id", p), ("ranking", ranking), r))] = rank
        out[("ecommerce_top_product_revenue_amount", (("product_id", p), r))] = obj["revenue"]
        out[("ecommerce_top_product_units", (("product_id", p), r))] = obj["units"]
    return out


# How each job's output should look as metrics, worked out here independently of the exporter.
EXPECTED_BUSINESS = {
    "sales_by_region": _per_key("sales_region", {
        "orders": "ecommerce_sales_orders", "gross_sales": "ecommerce_sales_gross_amount",
        "completed_orders": "ecommerce_sales_completed_orders",
        "completed_sales": "ecommerce_sales_completed_amount",
        "average_order_value": "ecommerce_sales_average_order_value"}),
    "customer_tiers": _per_key("tier", {
        "customers": "ecommerce_customer_tier_customers", "share": "ecommerce_customer_tier_ratio",
        "average_lifetime_value": "ecommerce_customer_tier_average_lifetime_value"}),
    "device_conversions": _per_key("device", {
        "sessions": "ecommerce_device_sessions",
        "converted_sessions": "ecommerce_device_converted_sessions",
        "conversion_rate": "ecommerce_device_conversion_ratio",
        "purchases": "ecommerce_device_purchases"}),
    "funnel": _funnel,
    "daily_revenue": _daily_revenue,
    "fraud_signals": _fraud,
    "customer_segments": _segments,
    "top_products": _top_products,
}


def test_every_output_table_has_an_independent_expectation():
    assert set(EXPECTED_BUSINESS) == {t.job for t in OUTPUT_TABLES}


def test_every_registered_job_has_an_output_table():
    from ecomsuite.registry import job_classes

    assert set(job_classes()) == {t.job for t in OUTPUT_TABLES}


def test_the_fraud_rules_are_the_jobs_rules():
    from exporters.business import FRAUD_RULES
    from jobs.mr_fraud_signals import RULES

    assert tuple(FRAUD_RULES) == tuple(RULES)


@pytest.mark.parametrize("table", OUTPUT_TABLES, ids=lambda t: t.job)
def test_business_metrics_equal_the_latest_output(outputs, table):
    reg = make_registry(outputs)
    rows = output_rows(latest_run_dir(outputs, table.job))
    expected = EXPECTED_BUSINESS[table.job](rows)
    names = {f.name for f in table.families}
    got = {(s.name, tuple(sorted(s.labels.items()))): s.value
           for fam in reg.collect() if fam.name in names for s in fam.samples}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key
    assert {name for name, _ in got} == names, "every family of the table has samples"
    assert reg.get_sample_value(PREFIX + "output_rows", {"job_name": table.job}) == len(rows)
    success = os.path.join(latest_run_dir(outputs, table.job), "_SUCCESS")
    assert reg.get_sample_value(PREFIX + "output_timestamp_seconds", {"job_name": table.job}) \
        == pytest.approx(os.stat(success).st_mtime)


def test_the_core_outputs_have_their_documented_fields(outputs):
    sales = dict(output_rows(latest_run_dir(outputs, "sales_by_region")))
    assert set(next(iter(sales.values()))) == {"orders", "gross_sales", "completed_orders",
                                               "completed_sales", "average_order_value"}
    reg = make_registry(outputs)
    total = sum(r["gross_sales"] for r in sales.values())
    got = sum(reg.get_sample_value("ecommerce_sales_gross_amount", {"sales_region": k})
              for k in sales)
    assert got == pytest.approx(total)
    tiers = dict(output_rows(latest_run_dir(outputs, "customer_tiers")))
    assert sum(reg.get_sample_value("ecommerce_customer_tier_ratio", {"tier": t})
               for t in tiers) == pytest.approx(1, abs=1e-5)


# --- job health = the run records -------------------------------------------------------

@pytest.mark.parametrize("job", TABLE_JOBS)
def test_job_health_equals_the_run_record(outputs, job):
    reg = make_registry(outputs)
    (rec,) = records(outputs, job)
    labels = {"job_name": job, "runner": rec["runner"]}
    assert rec["status"] == "succeeded" and rec["runner"] == "inline"
    g = reg.get_sample_value
    assert g(PREFIX + "job_last_success_timestamp_seconds", labels) == rec["finished_at"]
    assert g(PREFIX + "job_last_run_timestamp_seconds", labels) == rec["finished_at"]
    assert g(PREFIX + "job_last_run_success", labels) == 1
    assert g(PREFIX + "job_last_run_duration_seconds", labels) == rec["duration_seconds"]
    assert g(PREFIX + "job_last_run_input_rows", labels) == rec["input_rows"]
    assert g(PREFIX + "job_last_run_output_rows", labels) == rec["output_rows"]
    assert g(PREFIX + "job_last_run_malformed_ratio", labels) == rec["malformed_share"]
    assert rec["malformed_rows"], "the small dataset has malformed rows for every job"
    for reason, n in rec["malformed_rows"].items():
        assert g(PREFIX + "job_last_run_malformed_rows", {**labels, "reason": reason}) == n
    assert g(PREFIX + "job_recent_runs", {**labels, "status": "succeeded"}) == 1
    assert g(PREFIX + "job_recent_runs", {**labels, "status": "failed"}) == 0
    assert g(PREFIX + "job_schedule_period_seconds", {"job_name": job}) == 86400


def test_a_failed_run_is_the_last_run_but_not_the_last_success(outputs, small_data):
    job = "device_conversions"
    before = dict(output_rows(latest_run_dir(outputs, job)))
    result = run_pipeline(small_data, outputs, "--jobs", job, "--max-malformed-share", "0",
                          check=False)
    assert result.returncode != 0
    ok, failed = records(outputs, job)
    assert failed["status"] == "failed"
    reg = make_registry(outputs)
    labels = {"job_name": job, "runner": "inline"}
    g = reg.get_sample_value
    assert g(PREFIX + "job_last_run_success", labels) == 0
    assert g(PREFIX + "job_last_run_timestamp_seconds", labels) == failed["finished_at"]
    assert g(PREFIX + "job_last_success_timestamp_seconds", labels) == ok["finished_at"]
    assert g(PREFIX + "job_recent_runs", {**labels, "status": "failed"}) == 1
    assert g(PREFIX + "job_last_run_output_rows", labels) is None  # a failed run wrote none
    # the business metrics still come from the last complete output
    for device, obj in before.items():
        assert g("ecommerce_device_sessions", {"device": device}) == obj["sessions"]
    assert up(reg, "outputs") == 1


def test_schedule_periods_come_from_the_settings(outputs):
    reg = make_registry(outputs, schedule_period_seconds=3600,
                        schedules={"customer_tiers": 7 * 86400}, jobs=TABLE_JOBS + ["never_ran"])
    g = reg.get_sample_value
    assert g(PREFIX + "job_schedule_period_seconds", {"job_name": "sales_by_region"}) == 3600
    assert g(PREFIX + "job_schedule_period_seconds", {"job_name": "customer_tiers"}) == 604800
    # a registered job that never ran: a period (for EcommerceJobNeverSucceeded), no success
    assert g(PREFIX + "job_schedule_period_seconds", {"job_name": "never_ran"}) == 3600
    assert g(PREFIX + "job_last_run_success", {"job_name": "never_ran", "runner": "inline"}) is None
    assert up(reg, "outputs") == 1


# --- what is not a complete output is skipped -------------------------------------------

def _copy_run(outputs, job, new_run_id, success=True):
    src = latest_run_dir(outputs, job)
    dst = os.path.join(outputs, job, new_run_id)
    shutil.copytree(src, dst)
    if not success:
        os.remove(os.path.join(dst, "_SUCCESS"))
    return dst


def _rewrite_first_row(run_dir, field, value):
    part = sorted(p for p in glob.glob(os.path.join(run_dir, "part-*")) if os.path.getsize(p))[0]
    with open(part, encoding="utf-8") as f:
        lines = f.read().splitlines()
    key, obj = lines[0].split("\t")
    obj = json.loads(obj)
    obj[field] = value
    lines[0] = key + "\t" + json.dumps(obj)
    with open(part, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return json.loads(key)


def test_a_newer_run_without_success_marker_is_ignored(outputs):
    job = "sales_by_region"
    expected = dict(output_rows(latest_run_dir(outputs, job)))
    half = _copy_run(outputs, job, "29991231T235959Z-beef", success=False)
    region = _rewrite_first_row(half, "orders", 999_999)
    for ignored in ("_tmp-29991231T235959Z-0001", "_failed-29991231T235959Z-0002"):
        _rewrite_first_row(_copy_run(outputs, job, ignored), "orders", 888_888)
    reg = make_registry(outputs)
    assert reg.get_sample_value("ecommerce_sales_orders", {"sales_region": region}) \
        == expected[region]["orders"]
    assert up(reg, "outputs") == 1 and errors(reg, "outputs") == 0


def test_a_newer_complete_run_wins(outputs):
    job = "sales_by_region"
    newer = _copy_run(outputs, job, "29991231T235959Z-beef")
    region = _rewrite_first_row(newer, "orders", 12345)
    reg = make_registry(outputs)
    assert reg.get_sample_value("ecommerce_sales_orders", {"sales_region": region}) == 12345
    assert up(reg, "outputs") == 1


# --- damaged files never break the scrape ------------------------------------------------

def _part_with_rows(outputs, job):
    return max(glob.glob(os.path.join(latest_run_dir(outputs, job), "part-*")),
               key=os.path.getsize)


def _assert_job_dropped_others_served(reg, job):
    text = generate_latest(reg).decode()  # the whole scrape still renders
    assert reg.get_sample_value(PREFIX + "output_rows", {"job_name": job}) is None
    for other in TABLE_JOBS:
        if other != job:
            assert reg.get_sample_value(PREFIX + "output_rows", {"job_name": other}) is not None
    # the job's health from its run record is still there
    assert reg.get_sample_value(PREFIX + "job_last_run_success",
                                {"job_name": job, "runner": "inline"}) == 1
    # one bad output is skipped and counted; the source itself is up
    assert up(reg, "outputs") == 1 and errors(reg, "outputs") == 0
    assert skipped(reg, "bad_output") >= 1
    return text


def test_a_part_file_cut_mid_line_drops_only_that_job(outputs):
    part = _part_with_rows(outputs, "sales_by_region")
    with open(part, "rb+") as f:
        f.truncate(os.path.getsize(part) - 7)
    reg = make_registry(outputs)
    assert skipped(reg, "bad_output") == 1  # the first scrape (each get_sample_value is one)
    assert skipped(reg, "bad_output") == 2  # and every scrape after it
    text = _assert_job_dropped_others_served(reg, "sales_by_region")
    assert "ecommerce_sales_orders{" not in text


def test_a_part_file_cut_at_a_line_end_is_caught_by_the_row_count(outputs):
    part = _part_with_rows(outputs, "customer_tiers")
    with open(part, encoding="utf-8") as f:
        lines = f.readlines()
    with open(part, "w", encoding="utf-8") as f:
        f.writelines(lines[:-1])
    _assert_job_dropped_others_served(make_registry(outputs), "customer_tiers")


def test_garbage_bytes_in_a_part_file(outputs):
    part = _part_with_rows(outputs, "device_conversions")
    with open(part, "ab") as f:
        f.write(b"\xff\xfe\x00garbage\x80\n")
    _assert_job_dropped_others_served(make_registry(outputs), "device_conversions")


@pytest.mark.parametrize("content", [b"[1, 2, 3]", b'"EU"\t{"orders": 1', b"\x00\x01\x02",
                                     b'"EU"\t[1, 2]\n', b"not a json key\t{}\n"])
def test_garbled_part_files(outputs, content):
    with open(_part_with_rows(outputs, "sales_by_region"), "wb") as f:
        f.write(content)
    _assert_job_dropped_others_served(make_registry(outputs), "sales_by_region")


@pytest.mark.parametrize("content", [b"{\"job\": \"sales_by_region\", \"run_", b"\xff\xfe",
                                     b"[]", b'{"run_id": "x"}',
                                     b'{"run_id": "x", "runner": "inline", "status": "weird", '
                                     b'"finished_at": 1}'])
def test_a_garbled_run_record_is_skipped(outputs, content):
    path = os.path.join(outputs, "_runs", "sales_by_region", "29991231T235959Z-dead.json")
    with open(path, "wb") as f:
        f.write(content)
    reg = make_registry(outputs)
    assert skipped(reg, "bad_run_record") == 1  # skipped and counted
    (rec,) = records(outputs, "customer_tiers")
    assert reg.get_sample_value(PREFIX + "job_last_run_success",
                                {"job_name": "sales_by_region", "runner": "inline"}) == 1
    assert reg.get_sample_value(PREFIX + "job_last_success_timestamp_seconds",
                                {"job_name": "customer_tiers", "runner": "inline"}) \
        == rec["finished_at"]
    # never the whole source: it is up, every job's output is served
    assert up(reg, "outputs") == 1 and errors(reg, "outputs") == 0
    for job in TABLE_JOBS:
        assert reg.get_sample_value(PREFIX + "output_rows", {"job_name": job}) is not None
    assert skipped(reg, "bad_output") == 0


def test_a_record_being_written_is_not_read(outputs):
    path = os.path.join(outputs, "_runs", "sales_by_region", "29991231T235959Z-dead.json.tmp")
    with open(path, "wb") as f:
        f.write(b'{"half": ')
    assert up(make_registry(outputs), "outputs") == 1


def test_a_missing_output_root_is_the_outputs_source_down(tmp_path, fake_hadoop):
    reg = make_registry(tmp_path / "nowhere", fake_hadoop.url, fake_hadoop.url)
    assert errors(reg, "outputs") == 1
    generate_latest(reg)
    assert up(reg, "outputs") == 0
    assert up(reg, "namenode") == 1 and up(reg, "resourcemanager") == 1
    assert reg.get_sample_value("hadoop_namenode_numlivedatanodes", {"name": "FSNamesystem"}) == 1


def test_an_empty_output_root_is_fine(tmp_path):
    reg = make_registry(tmp_path)
    assert up(reg, "outputs") == 1
    assert reg.get_sample_value(PREFIX + "job_schedule_period_seconds",
                                {"job_name": "sales_by_region"}) == 86400


def test_too_many_output_rows_are_refused_not_exported(tmp_path):
    rows = [(f"k{i}", {"n": i}) for i in range(MAX_SERIES_PER_OUTPUT + 1)]
    table = keyed("wide", "Wide", "key", (("n", "wide_n", "help", "short"),))
    with pytest.raises(OutputFormatError):
        table.samples(rows)


def test_a_long_daily_history_is_not_refused():
    """180 days x (6 regions + "all") = 1,260 daily_revenue rows: the cap is on series, and
    daily_revenue aggregates to the newest day, so its metrics are exported (issue 14)."""
    import datetime

    from ecomsuite import schemas
    from exporters.business import tables_by_job

    table = tables_by_job()["daily_revenue"]
    first = datetime.date(2026, 5, 1)
    fields = {"orders": 3, "completed_orders": 1, "gross_revenue": 30.0, "net_revenue": 20.0,
              "average_order_value": 10.0, "refunds": 1, "refunded_amount": 10.0,
              "judged": True, "anomaly": False, "anomalies": []}
    rows = [([str(first + datetime.timedelta(days=d)), region], dict(fields))
            for d in range(180) for region in (*schemas.REGIONS, "all")]
    assert len(rows) > MAX_SERIES_PER_OUTPUT
    samples = table.samples(rows)
    assert len(samples) <= 10 * len(schemas.REGIONS)
    got = {(name, labels): v for name, labels, v in samples}
    assert got[("ecommerce_daily_revenue_orders", (schemas.REGIONS[0],))] == 3
    assert got[("ecommerce_daily_revenue_total_anomalies_in_window", ())] == 0


# --- the extension point -----------------------------------------------------------------

def test_a_new_job_table_is_picked_up(tmp_path):
    """A job added to the table: a keyed output and a latest-day output, read end to end."""
    day_table = latest_row("daily_totals", "Daily totals", (
        ("revenue", "test_daily_revenue_amount", "Revenue of the newest day.", "short"),))
    funnel_table = keyed("funnel_test", "Funnel", "stage", (
        ("sessions", "test_funnel_sessions", "Sessions per stage.", "short"),))
    root = tmp_path / "out"
    for job, lines in (("daily_totals", ['"2026-11-01"\t{"revenue": 10.5}',
                                         '"2026-11-02"\t{"revenue": 12.25}']),
                       ("funnel_test", ['"view"\t{"sessions": 10}', '"purchase"\t{"sessions": 2}'])):
        run = root / job / "20261121T000000Z-0001"
        run.mkdir(parents=True)
        (run / "part-00000").write_text("\n".join(lines) + "\n")
        (run / "_SUCCESS").write_text("")
    collector = OutputsCollector(LocalStore(str(root)), tables=(day_table, funnel_table))
    got = {s.name: s for fam in collector.collect() for s in fam.samples}
    assert not collector.skipped
    assert got["ecommerce_test_daily_revenue_amount"].value == 12.25
    assert got["ecommerce_test_daily_revenue_amount"].labels == {}
    funnel = {}
    for fam in collector.collect():
        for s in fam.samples:
            if s.name == "ecommerce_test_funnel_sessions":
                funnel[s.labels["stage"]] = s.value
    assert funnel == {"view": 10, "purchase": 2}


def test_a_row_missing_a_field_is_a_format_error():
    table = OUTPUT_TABLES[0]
    with pytest.raises(OutputFormatError):
        table.samples([("EU-WEST", {"orders": 1})])
    with pytest.raises(OutputFormatError):
        table.samples([(["EU", "WEST"], {f.field: 1 for f in table.families})])
    with pytest.raises(OutputFormatError):
        table.samples([("EU-WEST", {f.field: "1" for f in table.families})])


# --- Hadoop sources ------------------------------------------------------------------------

def test_namenode_and_resourcemanager_values_equal_their_json(fake_hadoop):
    reg = make_registry("", fake_hadoop.url, fake_hadoop.url)
    for bean_name, attributes in NAMENODE_BEANS.items():
        bean = fake_hadoop.bean(bean_name)
        for attr, _ in attributes:
            assert reg.get_sample_value("hadoop_namenode_" + attr.lower(),
                                        {"name": bean_name}) == bean[attr], attr
    metrics = fake_hadoop.cluster_metrics["clusterMetrics"]
    for field_name, suffix, bean, _ in RESOURCEMANAGER_FIELDS:
        labels = {"name": bean, **({"q0": "root"} if bean == "QueueMetrics" else {})}
        assert reg.get_sample_value("hadoop_resourcemanager_" + suffix, labels) \
            == metrics[field_name], field_name
    assert up(reg, "namenode") == 1 and up(reg, "resourcemanager") == 1


@pytest.mark.parametrize("captured", [True, False], ids=["captured", "busy"])
def test_the_fixture_json_has_every_field_the_exporter_reads(captured):
    """The JSON captured from the real NameNode/ResourceManager has every bean and field read,
    and so does the hand-made busy variant (so it is shaped like the real one)."""
    with FakeHadoop(captured=captured) as fake:
        for bean_name, attributes in NAMENODE_BEANS.items():
            bean = fake.bean(bean_name)
            assert all(attr in bean for attr, _ in attributes), bean_name
        metrics = fake.cluster_metrics["clusterMetrics"]
        assert all(f in metrics for f, _, _, _ in RESOURCEMANAGER_FIELDS)
        reg = make_registry("", fake.url, fake.url)
        assert up(reg, "namenode") == 1 and up(reg, "resourcemanager") == 1
        assert reg.get_sample_value("hadoop_namenode_capacitytotal", {"name": "FSNamesystem"}) \
            == fake.bean("FSNamesystem")["CapacityTotal"]


@pytest.mark.parametrize("mode", ["error", "garbage", "missing bean", "missing field"])
def test_a_broken_hadoop_endpoint_is_that_source_down(outputs, fake_hadoop, mode):
    if mode in ("error", "garbage"):
        fake_hadoop.mode = mode
    elif mode == "missing bean":
        fake_hadoop.missing_beans.add("JvmMetrics")
    else:
        del fake_hadoop.cluster_metrics["clusterMetrics"]["activeNodes"]
    reg = make_registry(outputs, fake_hadoop.url, fake_hadoop.url)
    generate_latest(reg)
    assert up(reg, "outputs") == 1
    if mode == "missing field":
        assert up(reg, "resourcemanager") == 0 and up(reg, "namenode") == 1
        assert reg.get_sample_value("hadoop_resourcemanager_appsrunning",
                                    {"name": "QueueMetrics", "q0": "root"}) is None
    else:
        assert up(reg, "namenode") == 0
        # nothing half-read from a broken source
        assert not [n for n in families(reg) if n.startswith("hadoop_namenode_")]
    assert reg.get_sample_value("ecommerce_sales_orders", {"sales_region": "US-EAST"}) is not None


def test_unreachable_hadoop_counts_an_error_per_scrape(outputs):
    closed = f"http://127.0.0.1:{free_port()}"
    reg = make_registry(outputs, closed, closed, http_timeout_seconds=1)
    for _ in range(3):
        generate_latest(reg)
    assert errors(reg, "namenode") == 4  # three scrapes, and this one
    assert up(reg, "namenode") == 0 and up(reg, "resourcemanager") == 0
    assert errors(reg, "resourcemanager") == 7
    assert errors(reg, "outputs") == 0
    for source in ("outputs", "namenode", "resourcemanager"):
        assert reg.get_sample_value(PREFIX + "exporter_collect_duration_seconds",
                                    {"source": source}) >= 0


def test_a_source_that_comes_back_is_up_again(outputs, fake_hadoop):
    reg = make_registry(outputs, fake_hadoop.url, fake_hadoop.url)
    fake_hadoop.mode = "error"
    assert up(reg, "namenode") == 0
    fake_hadoop.mode = "ok"
    assert up(reg, "namenode") == 1
    assert errors(reg, "namenode") == 1  # counted once, for the failed scrape
