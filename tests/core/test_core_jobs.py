"""The three core jobs against an independent DuckDB computation, and their edge cases."""

import subprocess
import sys

import pytest

from jobs.mr_customer_tiers import MRCustomerTiers
from jobs.mr_device_conversions import MRDeviceConversions
from jobs.mr_sales_by_region import MRSalesByRegion
from reference import core as reference
from tests.canonical_inputs import to_canonical
from tests.helpers import merged_counters, part_files, run_inline, write_lines

CORE = [
    (MRSalesByRegion, "orders", reference.sales_by_region),
    (MRCustomerTiers, "customers", reference.customer_tiers),
    (MRDeviceConversions, "clickstream", reference.device_conversions),
]

ORDER = "ORD{n:05d},CUST00001,LAPTOP001,Gaming Laptop,1,{amount},{amount},2025-01-15 14:23:45,{status},{region}"
CLICK = "2025-02-01 10:15:{s:02d},{session},CUST00456,{action},product,LAPTOP001,{device},45"
CUSTOMER = "CUST{n:05d},John,Smith,john.smith{n}@example.com,New York,US-EAST,2023-05-12,{ltv},{tier}"


@pytest.mark.parametrize("job_cls, dataset, expected", CORE, ids=lambda x: getattr(x, "NAME", None))
def test_job_equals_independent_computation(generated_data, job_cls, dataset, expected):
    files = part_files(generated_data, dataset)
    assert len(files) == 2  # two map tasks at least
    got, counters = run_inline(job_cls, files)
    want = expected(files)
    assert got == want
    c = merged_counters(counters)
    assert "malformed" not in c
    assert c["rows"]["header"] == len(files)


def test_generated_data_has_every_key(generated_data):
    """The comparison above is only meaningful if every region/tier/device is present."""
    from ecomsuite.schemas import DEVICES, REGIONS, TIERS
    assert set(reference.sales_by_region(part_files(generated_data, "orders"))) == set(REGIONS)
    assert set(reference.customer_tiers(part_files(generated_data, "customers"))) == set(TIERS)
    assert set(reference.device_conversions(
        part_files(generated_data, "clickstream"))) == set(DEVICES)


@pytest.mark.parametrize("job_cls, dataset, expected", CORE, ids=lambda x: getattr(x, "NAME", None))
def test_empty_and_header_only_inputs(tmp_path, job_cls, dataset, expected):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = write_lines(str(tmp_path / "header.csv"), [], header_of=dataset)
    got, counters = run_inline(job_cls, [empty, header_only])
    assert got == {}
    c = merged_counters(counters)
    assert c["rows"] == {"valid": 0, "header": 1}
    assert "malformed" not in c


def test_sales_edge_cases(tmp_path):
    """Duplicate headers mid-file, CRLF, quoted fields, blank lines, a region with no rows."""
    crlf = write_lines(str(tmp_path / "a.csv"), [
        ORDER.format(n=1, amount="10.00", status="COMPLETED", region="US-EAST"),
        ORDER.format(n=2, amount="5.55", status="PENDING", region="US-EAST"),
    ], header_of="orders", newline=b"\r\n")
    mixed = write_lines(str(tmp_path / "b.csv"), [
        ORDER.format(n=3, amount="0.01", status="COMPLETED", region="LATAM"),
        "order_id,customer_id,product_id,product_name,quantity,price,total_amount,order_date,status,region",
        '"order_id","customer_id","product_id","product_name","quantity","price","total_amount","order_date","status","region"',
        'ORD00004,CUST00002,LAPTOP001,"Laptop, ""Gaming"" edition",2,0.03,0.05,2025-01-15 14:23:45,COMPLETED,LATAM',
        "",
        ORDER.format(n=5, amount="7", status="CANCELLED", region="EU-WEST"),
    ], header_of="orders")
    got, counters = run_inline(MRSalesByRegion, [crlf, mixed])
    assert got == {
        "US-EAST": {"orders": 2, "gross_sales": 15.55, "completed_orders": 1,
                    "completed_sales": 10.0, "average_order_value": 10.0},
        # (0.01 + 0.05) / 2 = 0.03 exactly; rounding half up is checked below
        "LATAM": {"orders": 2, "gross_sales": 0.06, "completed_orders": 2,
                  "completed_sales": 0.06, "average_order_value": 0.03},
        # a region with orders but none completed has no average order value
        "EU-WEST": {"orders": 1, "gross_sales": 7.0, "completed_orders": 0,
                    "completed_sales": 0.0, "average_order_value": None},
    }
    c = merged_counters(counters)
    assert c["rows"] == {"valid": 5, "header": 4, "blank": 1}
    assert "malformed" not in c


def test_average_rounds_half_up_to_cents(tmp_path):
    f = write_lines(str(tmp_path / "a.csv"), [
        ORDER.format(n=1, amount="0.01", status="COMPLETED", region="US-WEST"),
        ORDER.format(n=2, amount="0.02", status="COMPLETED", region="US-WEST"),
    ])
    got, _ = run_inline(MRSalesByRegion, [f])
    assert got["US-WEST"]["average_order_value"] == 0.02  # 0.015 -> 0.02


def test_sums_are_exact_at_cents(tmp_path):
    """A float accumulator drifts; integer cents do not (0.1 added 1000 times)."""
    f = write_lines(str(tmp_path / "a.csv"), [
        ORDER.format(n=i, amount="0.10", status="COMPLETED", region="US-WEST")
        for i in range(1000)] + [
        ORDER.format(n=2000 + i, amount="1234567.89", status="COMPLETED", region="US-EAST")
        for i in range(7)])
    got, _ = run_inline(MRSalesByRegion, [f])
    assert got["US-WEST"]["gross_sales"] == 100.0
    assert got["US-EAST"]["gross_sales"] == 8641975.23


def test_sales_malformed_rows_are_counted_by_reason(tmp_path):
    f = write_lines(str(tmp_path / "bad.csv"), [
        ORDER.format(n=1, amount="10.00", status="COMPLETED", region="US-EAST"),
        ORDER.format(n=2, amount="1O.00", status="COMPLETED", region="US-EAST"),   # letter O
        ORDER.format(n=3, amount="10.001", status="COMPLETED", region="US-EAST"),  # 3 decimals
        ORDER.format(n=4, amount="-1.00", status="COMPLETED", region="US-EAST"),
        ORDER.format(n=5, amount="10.00", status="DONE", region="US-EAST"),
        ORDER.format(n=6, amount="10.00", status="COMPLETED", region="MARS"),
        ORDER.format(n=7, amount="10.00", status="COMPLETED", region="US-EAST") + ",extra",
        "ORD00008,CUST00001,LAPTOP001",
        b"ORD00009,CUST00001,LAPTOP001,Gaming \xff Laptop,1,1.00,1.00,2025-01-15 14:23:45,COMPLETED,US-EAST",
        ORDER.format(n=10, amount="", status="COMPLETED", region="US-EAST"),
        '"ORD00011,unterminated quote',
    ])
    got, counters = run_inline(MRSalesByRegion, [f])
    assert got == {"US-EAST": {"orders": 1, "gross_sales": 10.0, "completed_orders": 1,
                               "completed_sales": 10.0, "average_order_value": 10.0}}
    c = merged_counters(counters)
    assert c["rows"] == {"valid": 1}
    assert c["malformed"] == {"bad_number": 4, "unknown_status": 1, "unknown_region": 1,
                              "wrong_column_count": 2, "invalid_utf8": 1,
                              "unterminated_quote": 1}


def test_a_file_of_only_malformed_rows(tmp_path):
    f = write_lines(str(tmp_path / "bad.csv"), ["garbage", "x,y", b"\xfe\xff"],
                    header_of="clickstream")
    got, counters = run_inline(MRDeviceConversions, [f])
    assert got == {}
    assert merged_counters(counters)["malformed"] == {"wrong_column_count": 2, "invalid_utf8": 1}


def test_device_conversions_edge_cases(tmp_path):
    """A session split across files, a device with no rows, unknown actions counted."""
    a = write_lines(str(tmp_path / "a.csv"), [
        CLICK.format(s=1, session="S1", action="VIEW", device="mobile"),
        CLICK.format(s=2, session="S1", action="ADD_TO_CART", device="mobile"),
        CLICK.format(s=3, session="S2", action="VIEW", device="desktop"),
        CLICK.format(s=4, session="S3", action="CLICK", device="desktop"),
        CLICK.format(s=5, session="S4", action="VIEW", device="smart-tv"),
    ], header_of="clickstream")
    b = write_lines(str(tmp_path / "b.csv"), [
        CLICK.format(s=6, session="S1", action="PURCHASE", device="mobile"),
        CLICK.format(s=7, session="S1", action="PURCHASE", device="mobile"),
        CLICK.format(s=8, session="S5", action="VIEW", device="mobile"),
    ], header_of="clickstream")
    got, counters = run_inline(MRDeviceConversions, [a, b])
    assert got == {
        "mobile": {"sessions": 2, "converted_sessions": 1, "conversion_rate": 0.5,
                   "purchases": 2},
        "desktop": {"sessions": 1, "converted_sessions": 0, "conversion_rate": 0.0,
                    "purchases": 0},
    }
    assert merged_counters(counters)["malformed"] == {"unknown_action": 1, "unknown_device": 1}


def test_tiers_share_and_missing_tier(tmp_path):
    f = write_lines(str(tmp_path / "c.csv"), [
        CUSTOMER.format(n=1, ltv="100.00", tier="BRONZE"),
        CUSTOMER.format(n=2, ltv="200.01", tier="BRONZE"),
        CUSTOMER.format(n=3, ltv="9000.00", tier="PLATINUM"),
        CUSTOMER.format(n=4, ltv="abc", tier="GOLD"),
        CUSTOMER.format(n=5, ltv="10.00", tier="DIAMOND"),
    ], header_of="customers")
    got, counters = run_inline(MRCustomerTiers, [f])
    assert got == {
        "BRONZE": {"customers": 2, "share": 0.666667, "average_lifetime_value": 150.01},
        "PLATINUM": {"customers": 1, "share": 0.333333, "average_lifetime_value": 9000.0},
    }
    assert merged_counters(counters)["malformed"] == {"bad_number": 1, "unknown_tier": 1}


def run_script(job_file, *args):
    return subprocess.run([sys.executable, f"jobs/{job_file}", *map(str, args)],
                          capture_output=True, text=True)


def test_command_line_reads_canonical_parts_and_reports_rows(tmp_path):
    f = write_lines(str(tmp_path / "a.csv"), [
        ORDER.format(n=1, amount="10.00", status="COMPLETED", region="US-EAST"),
        ORDER.format(n=2, amount="bad", status="COMPLETED", region="US-EAST"),
    ], header_of="orders")
    parts, _ = to_canonical([f])
    r = run_script("mr_sales_by_region.py", *parts)
    assert r.returncode == 0, r.stderr
    assert "sales_by_region: 1 rows read" in r.stderr
    assert r.stdout.startswith('"US-EAST"\t{"orders":1,')
    raw = run_script("mr_sales_by_region.py", f)  # not the canonical form: a clear error
    assert raw.returncode != 0
    assert "neither a canonical Parquet part nor a bundle of parts" in raw.stderr


@pytest.mark.parametrize("job_file", ["mr_sales_by_region.py", "mr_customer_tiers.py",
                                      "mr_device_conversions.py"])
def test_help_works(job_file):
    r = run_script(job_file, "--help")
    assert r.returncode == 0
    assert "usage:" in r.stdout


@pytest.mark.parametrize("job_cls, dataset, expected", CORE, ids=lambda x: getattr(x, "NAME", None))
def test_local_runner_equals_inline(generated_data, job_cls, dataset, expected):
    files = part_files(generated_data, dataset)
    inline, _ = run_inline(job_cls, files)
    parts, _ = to_canonical(files)
    job = job_cls(["--no-conf", "-r", "local", *parts])
    with job.make_runner() as runner:
        runner.run()
        local = dict(job.parse_output(runner.cat_output()))
    assert local == inline
