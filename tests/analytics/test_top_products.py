"""The top products job: against SQL window functions, ties, k, regions without sales."""

import pytest

from ecomsuite.schemas import REGIONS
from jobs.mr_top_products import MRTopProducts
from reference import analytics as reference
from tests.helpers import append_lines, copy_dataset, dataset_files, run_job, write_lines

pytestmark = pytest.mark.usefixtures("parse_path")  # both row parser paths

ORDER = "O{n},C1,{product},Some name,{qty},{amount},{amount},2025-06-01 10:00:00,{status},{region}"


def order(n, product, qty, amount, status="COMPLETED", region="US-EAST"):
    return ORDER.format(n=n, product=product, qty=qty, amount=amount, status=status, region=region)


@pytest.mark.parametrize("k", ["5", "15"])
def test_equals_sql_ranking(generated_data, k):
    files = dataset_files(generated_data, "orders")
    got, counters = run_job(MRTopProducts, files, "--top-k", k)
    assert got == reference.top_products(files, int(k))
    assert "malformed" not in counters
    assert {key[0] for key in got} == {*REGIONS, "all"}


def test_ties_go_to_the_smaller_product_id(tmp_path):
    a = write_lines(str(tmp_path / "a.csv"), [
        order(1, "MOUSE001", 2, "10.00"),
        order(2, "BAG001", 1, "10.00"),
        order(3, "DESK001", 1, "10.00", region="LATAM"),
    ], header_of="orders", newline=b"\r\n")
    b = write_lines(str(tmp_path / "b.csv"), [
        order(4, "CHAIR001", 1, "5.00"), order(5, "CHAIR001", 1, "5.00"),  # 10.00 in two orders
        order(6, "LAPTOP001", 9, "999.00", status="CANCELLED"),            # not completed
        'O7,C1,UNKNOWN9,"Thing, ""new""",3,1.00,3.00,2025-06-01 10:00:00,COMPLETED,US-EAST',
    ])
    got, _ = run_job(MRTopProducts, [a, b], "--top-k", "3")
    revenue = [got[("US-EAST", "revenue", r)]["product_id"] for r in (1, 2, 3)]
    assert revenue == ["BAG001", "CHAIR001", "MOUSE001"]
    units = [got[("US-EAST", "units", r)]["product_id"] for r in (1, 2, 3)]
    assert units == ["UNKNOWN9", "CHAIR001", "MOUSE001"]
    assert got[("US-EAST", "units", 1)] == {"product_id": "UNKNOWN9", "product_name": None,
                                            "revenue": 3.0, "units": 3, "orders": 1}
    assert got[("US-EAST", "revenue", 2)] == {"product_id": "CHAIR001",
                                              "product_name": "Office Chair",
                                              "revenue": 10.0, "units": 2, "orders": 2}
    assert got[("all", "revenue", 1)]["product_id"] == "BAG001"  # DESK001 ties at 10.00 too
    # a region with one product lists one; regions with no completed order list none
    assert [k for k in got if k[0] == "LATAM"] == [("LATAM", "revenue", 1), ("LATAM", "units", 1)]
    assert not any(k[0] == "EU-WEST" for k in got)


def test_empty_and_malformed_inputs(generated_data, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header = write_lines(str(tmp_path / "h.csv"), [], header_of="orders")
    got, counters = run_job(MRTopProducts, [empty, header])
    assert got == {} and counters["rows"] == {"valid": 0, "header": 1}
    root = copy_dataset(generated_data, tmp_path / "data", "orders")
    files = dataset_files(root, "orders")
    append_lines(files[0], [order(1, "MOUSE001", "two", "1.00"),
                            order(2, "", 1, "1.00"),
                            order(3, "MOUSE001", 1, "1.00", region="MARS")])
    got, counters = run_job(MRTopProducts, files)
    assert counters["malformed"] == {"bad_number": 1, "missing_product_id": 1,
                                     "unknown_region": 1}
    assert got == reference.top_products(dataset_files(generated_data, "orders"))


def test_top_k_is_validated():
    with pytest.raises(ValueError, match="--top-k"):
        MRTopProducts(["--no-conf", "--top-k", "0"])
