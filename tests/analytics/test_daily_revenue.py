"""The daily revenue job: against SQL + statistics, injected spike/dip days, the judging rule."""

from decimal import Decimal

import pytest

from ecomsuite.schemas import REGIONS
from jobs.mr_daily_revenue import MRDailyRevenue, judge
from reference import analytics as reference
from tests.analytics.conftest import ANOMALIES
from tests.helpers import append_lines, copy_dataset, dataset_files, run_job, write_lines

pytestmark = pytest.mark.usefixtures("parse_path")  # both row parser paths

ORDER = "ORD{n:05d},CUST00001,LAPTOP001,Gaming Laptop,1,{amount},{amount},{day} 12:00:00,{status},{region}"


def order(n, amount, day, status="COMPLETED", region="US-EAST"):
    return ORDER.format(n=n, amount=amount, day=day, status=status, region=region)


def approx_z(records):
    """z-scores are floats computed two ways: compare them to 1e-3."""
    for r in records.values():
        for a in r["anomalies"]:
            if a["z_score"] is not None:
                a["z_score"] = pytest.approx(a["z_score"], abs=1e-3)
    return records


def test_equals_sql_and_statistics(generated_data):
    files = dataset_files(generated_data, "orders")
    got, counters = run_job(MRDailyRevenue, files)
    assert got == approx_z(reference.daily_revenue(files))
    assert "malformed" not in counters
    assert len({day for day, _ in got}) == 30 and {r for _, r in got} == {*REGIONS, "all"}


def test_finds_exactly_the_injected_days(anomaly_data):
    files = dataset_files(anomaly_data, "orders")
    got, _ = run_job(MRDailyRevenue, files)
    flagged = {key for key, v in got.items() if v["anomaly"]}
    assert flagged == {(day, "all") for day in ANOMALIES}
    for day, factor in ANOMALIES.items():
        metrics = {a["metric"]: a for a in got[(day, "all")]["anomalies"]}
        assert set(metrics) == {"orders", "net_revenue"}
        assert all((a["z_score"] > 2) == (factor > 1) for a in metrics.values())
    assert got == approx_z(reference.daily_revenue(files))
    # Without the relative-change guard, noise days may be flagged too; the injected
    # days are flagged either way.
    bare, _ = run_job(MRDailyRevenue, files, "--min-relative-change", "0")
    assert {(day, "all") for day in ANOMALIES} <= {k for k, v in bare.items() if v["anomaly"]}


def test_trailing_window_and_unjudged_first_week(tmp_path):
    """Days 1-7 are not judged; day 8 is judged against days 1-7; a day with no
    orders inside the calendar counts as zero; regions are reported but not judged."""
    lines, n = [], 0
    for d in range(1, 17):
        count = {8: 30, 10: 0, 16: 0}.get(d, 10 + d % 2)  # a spike, then two days without orders
        for _ in range(count):
            n += 1
            lines.append(order(n, "10.00", f"2025-03-{d:02d}"))
    lines.append(order(n + 1, "10.00", "2025-03-17", status="RETURNED", region="LATAM"))
    path = write_lines(str(tmp_path / "o.csv"), lines, header_of="orders", newline=b"\r\n")
    got, _ = run_job(MRDailyRevenue, [path])
    days = [got[(f"2025-03-{d:02d}", "all")] for d in range(1, 18)]
    assert [r["judged"] for r in days] == [False] * 7 + [True] * 10
    assert [r["anomaly"] for r in days] == [False] * 7 + [True, False, False] + [False] * 5 + [True, False]
    day8 = got[("2025-03-08", "all")]
    assert {a["metric"] for a in day8["anomalies"]} == {"orders", "net_revenue"}
    assert day8["anomalies"][0]["trailing_mean"] == round(74 / 7, 2)
    # day 10 has no orders but its week holds the spike, which widens the deviation
    # (z = -1.83); day 16 has none against a quiet week and is flagged
    assert days[9]["orders"] == 0 and days[9]["average_order_value"] is None
    assert days[15]["anomalies"][0]["z_score"] < -2
    day17 = got[("2025-03-17", "LATAM")]
    assert day17 == {
        "orders": 1, "completed_orders": 0, "gross_revenue": 10.0, "net_revenue": 0.0,
        "average_order_value": None, "refunds": 1, "refunded_amount": 10.0,
        "judged": False, "anomaly": False, "anomalies": []}
    assert not any(v["judged"] for (_, region), v in got.items() if region != "all")
    assert got[("2025-03-05", "ASIA-PACIFIC")]["orders"] == 0  # a region with no rows


def test_revenue_fields_and_rounding(tmp_path):
    path = write_lines(str(tmp_path / "o.csv"), [
        order(1, "0.01", "2025-01-01"),
        order(2, "0.02", "2025-01-01", status="PENDING"),
        order(3, "5.00", "2025-01-01", status="CANCELLED"),
        'ORD00004,CUST00002,LAPTOP001,"Laptop, ""Gaming""",1,1.00,1.00,2025-01-01 23:59:59,SHIPPED,US-EAST',
    ], header_of="orders")
    got, _ = run_job(MRDailyRevenue, [path])
    r = got[("2025-01-01", "US-EAST")]
    assert (r["orders"], r["completed_orders"], r["refunds"]) == (4, 1, 1)
    assert (r["gross_revenue"], r["net_revenue"], r["refunded_amount"]) == (6.03, 1.03, 5.0)
    assert r["average_order_value"] == 0.34  # 1.03 / 3 = 0.3433 -> 0.34


def test_empty_header_only_and_malformed_inputs(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    bad = write_lines(str(tmp_path / "bad.csv"), [
        "ORD1,C,P,N,1,1.00,1.00,2025-01-01,COMPLETED,US-EAST",            # bad_timestamp
        "ORD1,C,P,N,1,1.00,1.5.0,2025-01-01 10:00:00,COMPLETED,US-EAST",  # bad_number
        "ORD1,C,P,N,1,1.00,1.00,2025-01-01 10:00:00,LOST,US-EAST",        # unknown_status
    ], header_of="orders")
    got, counters = run_job(MRDailyRevenue, [empty, bad])
    assert got == {}
    assert counters["malformed"] == {"bad_timestamp": 1, "bad_number": 1, "unknown_status": 1}


def test_counts_injected_malformed_rows_on_generated_data(generated_data, tmp_path):
    root = copy_dataset(generated_data, tmp_path, "orders")
    files = dataset_files(root, "orders")
    append_lines(files[0], ["ORD99999,CUST00001,LAPTOP001,Gaming Laptop,1,1299.99,-1,"
                            "2025-06-10 10:00:00,COMPLETED,US-EAST"])
    append_lines(files[1], ["ORD99998,CUST00001,LAPTOP001,Gaming Laptop,1,1299.99,1299.99,"
                            "2025-06-10 10:00:00,COMPLETED,MOON"])
    got, counters = run_job(MRDailyRevenue, files)
    assert counters["malformed"] == {"bad_number": 1, "unknown_region": 1}
    assert got == approx_z(reference.daily_revenue(dataset_files(generated_data, "orders")))


@pytest.mark.parametrize("value, window, flagged", [
    (100, [100] * 7, False),          # constant window, same value
    (101, [100] * 7, False),          # constant window, within the 25% guard
    (200, [100] * 7, True),           # constant window, far off: flagged, z undefined
    (140, [90, 110] * 3 + [100], True),
    (115, [90, 110] * 3 + [100], False),   # |z| < 2 (and < 25%)
])
def test_judging_rule(value, window, flagged):
    got, z = judge(value, window, Decimal(2), Decimal("0.25"))
    assert got is flagged
    if len(set(window)) == 1:
        assert z is None


def test_options_are_validated(tmp_path):
    path = write_lines(str(tmp_path / "o.csv"), [], header_of="orders")
    for args in (["--window-days", "1"], ["--z-threshold", "x"], ["--min-relative-change", "-1"]):
        with pytest.raises(ValueError, match=args[0]):  # mrjob's arg_parser.error, built in code
            MRDailyRevenue(["--no-conf", *args, path])
