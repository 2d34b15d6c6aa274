"""Runs by day (issue 14 part 1): day partitions replaced whole, backfills, period answers
from daily partials equal to DuckDB over the canonical partitions, refusals."""

import datetime
import json
import os

import pytest

from ecomsuite import layout, periods
from ecomsuite.report import parse_output_lines
from reference import periods as reference_periods
from tests.analytics.test_daily_revenue import approx_z
from tests.days.conftest import ecom_run

PARTIAL_JOBS = ("sales_by_region", "daily_revenue", "device_conversions", "funnel",
                "customer_tiers", "top_products", "customer_segments", "fraud_signals")
JOBS = ",".join(PARTIAL_JOBS)


def data_parts(outputs, job, day):
    """{name: bytes} of the newest complete version of a day partition's part files."""
    version = outputs.latest_output(job, day)
    return {os.path.basename(p): open(p, "rb").read() for p in outputs.part_files(version)}


def versions_of(outputs, job, day):
    return [n for n in os.listdir(outputs.job_dir(job, day))]


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_a_day_rerun_replaces_its_partition_with_identical_data(landed, landed_days, tmp_path,
                                                                runner):
    day = landed_days[4]
    out = tmp_path / "out"
    ecom_run("--runner", runner, "--data", landed, "--output", out, "--jobs", JOBS,
             "--day", day)
    outputs = layout.OutputLayout(str(out))
    first = {job: (outputs.latest_output(job, day), data_parts(outputs, job, day))
             for job in PARTIAL_JOBS}
    ecom_run("--runner", runner, "--data", landed, "--output", out, "--jobs", JOBS,
             "--day", day)
    for job in PARTIAL_JOBS:
        version, parts = first[job]
        again = outputs.latest_output(job, day)
        assert again != version                      # a new version ...
        assert data_parts(outputs, job, day) == parts  # ... with the same bytes
        assert parts and all(parts.values())
        # the old version is gone: one whole partition, nothing half-written beside it
        assert versions_of(outputs, job, day) == [os.path.basename(again)]
        records, problems = outputs.read_records(job)
        assert not problems
        assert [r.partition for r in records] == [layout.day_name(day)] * 2
        assert all(r.status == "succeeded" and r.input_days == [day.isoformat()]
                   for r in records)
        # the day's rows only: the manifests of that day agree with what the job read
        data = layout.DataLayout(str(landed))
        assert records[-1].valid_rows == sum(
            data.ingest_manifest(name, day).valid
            for name in periods.partial_jobs()[job].input_datasets())


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_a_backfill_writes_each_day_and_then_the_whole_history(landed, landed_days, tmp_path,
                                                               runner):
    out = tmp_path / "out"
    outputs = layout.OutputLayout(str(out))
    first, last = landed_days[2], landed_days[5]
    code, stdout, stderr = ecom_run("--runner", runner, "--data", landed, "--output", out,
                                    "--jobs", JOBS, "--from", first, "--to", last)
    for job in PARTIAL_JOBS:
        assert outputs.partition_days(job) == landed_days[2:6]
        # the other days have no partition: the answer over every day is not claimed
        assert outputs.latest_output(job) is None
        assert f"{job}: the answer over every day is not updated: " \
               f"{len(landed_days) - 4} landed day(s) have no partition" in stderr
    assert "Traceback" not in stderr
    # the rest of the history, in two backfills, one of them overlapping
    ecom_run("--runner", "inline", "--data", landed, "--output", out, "--jobs", JOBS,
             "--from", landed_days[0], "--to", landed_days[3])
    ecom_run("--runner", runner, "--data", landed, "--output", out, "--jobs", JOBS,
             "--last", len(landed_days) - 6)
    full = tmp_path / "full"
    ecom_run("--runner", runner, "--data", landed, "--output", full, "--jobs", JOBS)
    for job in PARTIAL_JOBS:
        assert outputs.partition_days(job) == landed_days
        merged = outputs.latest_output(job)
        recomputed = layout.OutputLayout(str(full)).latest_output(job)
        assert parse_output_lines(outputs.read_output_lines(merged)) == \
            parse_output_lines(outputs.read_output_lines(recomputed))
        record = outputs.read_records(job)[0][-1]
        assert record.partition == "partials" and record.output_dir == merged
        assert record.input_days == [d.isoformat() for d in landed_days]


@pytest.fixture(scope="module")
def backfilled(landed, landed_days, tmp_path_factory):
    """Every landed day's partitions, written by one backfill (inline runner)."""
    out = tmp_path_factory.mktemp("days-out")
    ecom_run("--runner", "inline", "--data", landed, "--output", out, "--jobs", JOBS,
             "--from", landed_days[0], "--to", landed_days[-1])
    return layout.OutputLayout(str(out))


def canonical_files(landed):
    data = layout.DataLayout(str(landed))
    return lambda dataset, day: data.canonical_parts(dataset, [day])


def keyed(rows):
    return {tuple(k) if isinstance(k, list) else k: v for k, v in rows}


PERIODS = {
    "one day": lambda days: days[8:9],
    "last 7 days": lambda days: days[-7:],
    "last 3 days": lambda days: days[-3:],
    "the first 2 days": lambda days: days[:2],      # no week before them: not judged
    "the whole history": lambda days: days,
}


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("job", PARTIAL_JOBS)
def test_period_answers_equal_duckdb_over_the_canonical_partitions(landed, landed_days,
                                                                  backfilled, job, period):
    days = PERIODS[period](landed_days)
    job_cls = periods.partial_jobs()[job]
    got = keyed(periods.answer(backfilled, job_cls, days, landed_days))
    files = canonical_files(landed)
    if job == "daily_revenue":
        expected = approx_z(reference_periods.daily_revenue(files, days, landed_days))
        assert {k[0] for k in got} == {d.isoformat() for d in days}
    elif job == "customer_segments":  # RFM as of the period's last day
        expected = reference_periods.customer_segments(files, days, landed_days)
    else:
        expected = reference_periods.REFERENCES[job](files, days)
    assert got == expected
    assert got  # a period with data has an answer


def test_distinct_sessions_of_a_period_are_not_the_sum_of_its_days(landed, landed_days,
                                                                   backfilled):
    """Sessions are merged as id sets: a session with events on two days counts once in
    any period holding both (and the period equals DuckDB's count distinct, above)."""
    job_cls = periods.partial_jobs()["device_conversions"]
    whole = keyed(periods.answer(backfilled, job_cls, landed_days))
    by_day = [keyed(periods.answer(backfilled, job_cls, [d])) for d in landed_days]
    summed = sum(r[dev]["sessions"] for r in by_day for dev in r)
    distinct = sum(r["sessions"] for r in whole.values())
    files = canonical_files(landed)
    spanning = summed - distinct   # sessions counted on more than one day
    expected = reference_periods.device_conversions(files, landed_days)
    assert distinct == sum(r["sessions"] for r in expected.values())
    assert spanning >= 0


def test_periods_cli_prints_a_period_from_the_partitions(landed, landed_days, backfilled,
                                                        capsys):
    code = periods.main(["--job", "sales_by_region", "--data", str(landed), "--output",
                         backfilled.root, "--last", "7", "--json"])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    files = canonical_files(landed)
    assert {k: v for k, v in rows} == reference_periods.sales_by_region(files, landed_days[-7:])


# --- refusals ----------------------------------------------------------------------------

def test_a_day_not_landed_is_refused_naming_its_partitions(landed, landed_days, tmp_path):
    missing = landed_days[-1] + datetime.timedelta(days=3)
    code, _, stderr = ecom_run("--runner", "inline", "--data", landed, "--output",
                               tmp_path / "out", "--jobs", JOBS, "--from", landed_days[-2],
                               "--to", missing, check=False)
    assert code == 2
    assert "Traceback" not in stderr
    assert f"orders/dt={missing.isoformat()}" in stderr
    assert f"clickstream/dt={missing.isoformat()}" in stderr
    assert not os.path.exists(tmp_path / "out" / "sales_by_region")  # nothing was run


def test_a_day_missing_a_dataset_is_refused_naming_it(landed, landed_days, tmp_path):
    """A day whose commit holds orders only: a day run over it refuses, naming the
    datasets it lacks; the period CLI refuses a period whose partitions are missing."""
    data = tmp_path / "data"
    # a copy of the landing zone's first two days, then a day with orders only
    src = layout.DataLayout(str(landed))
    dst = layout.DataLayout(str(data))
    for day in landed_days[:2]:
        writer = dst.begin_day(day)
        for name in ("orders", "customers", "clickstream"):
            for i, path in enumerate(src.day_files(name, day)):
                writer.add(name, f"part-{i:05d}.csv", src.store, path)
        writer.commit()
    lonely = landed_days[2]
    writer = dst.begin_day(lonely)
    writer.add("orders", "part-00000.csv", src.store, src.day_files("orders", lonely)[0])
    writer.commit()
    code, _, stderr = ecom_run("--runner", "inline", "--data", data, "--output",
                               tmp_path / "out", "--jobs", JOBS, "--last", "3", check=False)
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert f"clickstream/dt={lonely.isoformat()}" in stderr
    assert f"customers/dt={lonely.isoformat()}" in stderr
    assert f"orders/dt={lonely.isoformat()}" not in stderr
    # only the partitions the selected jobs read are asked for
    code, _, stderr = ecom_run("--runner", "inline", "--data", data, "--output",
                               tmp_path / "out", "--jobs", "sales_by_region,funnel", "--last",
                               "3", check=False)
    assert code == 2 and "Traceback" not in stderr
    assert f"clickstream/dt={lonely.isoformat()}" in stderr
    assert f"customers/dt={lonely.isoformat()}" not in stderr
    # the two whole days run; a period over the third has no partition to merge
    ecom_run("--runner", "inline", "--data", data, "--output", tmp_path / "out", "--jobs",
             JOBS, "--from", landed_days[0], "--to", landed_days[1])
    with pytest.raises(periods.PeriodError, match=f"sales_by_region/dt={lonely.isoformat()}"):
        periods.answer(layout.OutputLayout(str(tmp_path / "out")),
                       periods.partial_jobs()["sales_by_region"], landed_days[1:3])


def test_a_partition_in_an_older_partials_format_is_rerun_not_misread(landed, landed_days,
                                                                      tmp_path):
    """A day partition written by a version of the job whose partials had another form
    (its run record's partials_format) counts as missing: named, never merged."""
    out = tmp_path / "out"
    job = periods.partial_jobs()["fraud_signals"]
    days = landed_days[:2]
    ecom_run("--runner", "inline", "--data", landed, "--output", out, "--jobs", job.NAME,
             "--from", days[0], "--to", days[1])
    outputs = layout.OutputLayout(str(out))
    assert job.PARTIALS_FORMAT > 1
    assert outputs.partials_format(job.NAME, days[0]) == job.PARTIALS_FORMAT
    answer = periods.answer(outputs, job, days)
    # the first day as the version before wrote it: a record without partials_format
    version = outputs.latest_output(job.NAME, days[0])
    path = outputs.record_path(job.NAME, os.path.basename(version))
    with open(path) as f:
        record = json.load(f)
    del record["partials_format"]
    with open(path, "w") as f:
        json.dump(record, f)
    assert outputs.missing_partitions(job.NAME, days, job.PARTIALS_FORMAT) == days[:1]
    with pytest.raises(periods.PeriodError,
                       match=f"{job.NAME}/dt={days[0].isoformat()} .*older version"):
        periods.answer(outputs, job, days)
    code, _, stderr = ecom_run("--runner", "inline", "--data", landed, "--output", out,
                               "--jobs", job.NAME, "--day", days[1])
    assert code == 0 and "Traceback" not in stderr
    # the stale day is among the days without a partition
    assert f"{len(landed_days) - 1} landed day(s) have no partition ({days[0].isoformat()}, " \
        in stderr
    # the day run again: read as before
    ecom_run("--runner", "inline", "--data", landed, "--output", out, "--jobs", job.NAME,
             "--day", days[0])
    assert periods.answer(outputs, job, days) == answer


@pytest.mark.parametrize("args, says", [
    (["--to", "2026-01-02"], "--to needs --from"),
    (["--from", "2026-01-02"], "--from needs --to"),
    (["--from", "2026-01-03", "--to", "2026-01-02"], "is before --from"),
    (["--last", "0"], "--last must be at least 1"),
    (["--day", "2026-02-30"], "not a day"),
])
def test_bad_day_selections_are_refused(landed, tmp_path, args, says):
    code, _, stderr = ecom_run("--runner", "inline", "--data", landed, "--output",
                               tmp_path / "out", *args, check=False)
    assert code == 2
    assert says in stderr
    assert "Traceback" not in stderr


# --- fraud_signals: flags that need two days' partials -----------------------------------

def test_fraud_flags_that_span_midnight_need_both_days(landed, landed_days, backfilled):
    """The actors of tests/days/conftest.py: a bot session whose busiest minute crosses
    midnight (its events landed on two days), a burst half landed a day late, an outlier
    against orders of the day before. Each day alone flags none of them; a period holding
    both days flags each, as the full computation over those days does (the reference);
    12 orders across midnight are no burst (orders count per calendar day)."""
    job_cls = periods.partial_jobs()["fraud_signals"]
    files = canonical_files(landed)

    def flags(days):
        got = keyed(periods.answer(backfilled, job_cls, days, landed_days))
        assert got == reference_periods.fraud_signals(files, days)
        return got
    d = landed_days
    for one in (d[0], d[1], d[9], d[10], d[11]):
        assert not {e for _, e in flags([one])} & {"SESSIONF0001", "CUSTF0003", "ORDF5-03"}
    session = flags(d[:2])[("bot_session", "SESSIONF0001")]
    assert session == {"entity": "session", "customer_id": "CUSTF0001", "events_in_window": 10,
                       "window_start": f"{d[0].isoformat()} 23:59:40", "session_events": 10,
                       "limit": 8}
    late = flags(d[9:11])
    assert late[("order_burst", "CUSTF0003")]["days"] == [
        {"date": d[9].isoformat(), "orders": 12}]
    outliers = flags(d[10:12])
    assert outliers[("amount_outlier", "ORDF5-03")]["median_of_other_orders"] == 10.0
    whole = flags(d)
    assert ("order_burst", "CUSTF0004") not in whole
    assert {("bot_session", "SESSIONF0001"), ("bot_session", "SESSIONF0002"),
            ("order_burst", "CUSTF0003"), ("amount_outlier", "ORDF5-03")} <= set(whole)


def test_the_fraud_history_counts_each_flag_on_its_day_as_judged_over_every_day(
        landed, landed_days, backfilled):
    """`ecom-exporter backfill` over day partitions: fraud flags per rule and day are the
    whole history's (the reference over every day), so the actors that need two days count
    on their day; one day's answer alone would miss them."""
    from exporters.backfill import history_samples

    want = {}
    for (rule, _), obj in reference_periods.fraud_signals(canonical_files(landed),
                                                          landed_days).items():
        days = ([obj["window_start"][:10]] if rule == "bot_session" else
                [d["date"] for d in obj["days"]] if rule == "order_burst" else
                [obj["order_date"]])
        for day in days:
            want[(rule, day)] = want.get((rule, day), 0) + 1
    got = {}
    for metric, labels, value, ts in history_samples(backfilled.root):
        if metric.name.endswith("history_fraud_signals") and value:
            day = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).date().isoformat()
            got[(labels["rule"], day)] = value
    assert got == want
    assert ("bot_session", landed_days[0].isoformat()) in got     # the session across midnight
