"""The customer segments job: against a SQL join, the RFM and intent rules, the join's edge cases."""

import pytest

from ecomsuite.schemas import PURCHASE_INTENTS, RFM_SEGMENTS
from jobs.mr_customer_segments import MRCustomerSegments
from reference import analytics as reference
from tests.canonical_inputs import to_canonical
from tests.helpers import (
    append_lines,
    copy_dataset,
    dataset_files,
    key_of,
    run_job,
    write_lines,
)

pytestmark = pytest.mark.usefixtures("parse_path")  # both row parser paths

CUSTOMER = "{c},Ann,Lee,ann{c}@example.com,Lima,LATAM,2024-01-01,10.00,{tier}"
ORDER = "O-{c}-{i},{c},MOUSE001,Ergonomic Mouse,1,{amount},{amount},{day} 09:00:00,{status},LATAM"
CLICK = "2025-06-24 10:00:{s:02d},S-{c},{c},{action},product,MOUSE001,mobile,1"


def customers(*pairs):
    return [CUSTOMER.format(c=c, tier=tier) for c, tier in pairs]


def orders(c, amounts, day="2025-06-30", status="COMPLETED"):
    return [ORDER.format(c=c, i=i, amount=a, day=day, status=status) for i, a in enumerate(amounts)]


def clicks(c, *actions):
    return [CLICK.format(c=c, s=s, action=a) for s, a in enumerate(actions)]


def datasets(tmp_path, customer_lines, order_lines, click_lines):
    """Files in their dataset folders, as the pipeline passes them."""
    return [write_lines(str(tmp_path / name / "part-00000.csv"), lines, header_of=name)
            for name, lines in (("customers", customer_lines), ("orders", order_lines),
                                ("clickstream", click_lines))]


def test_equals_sql_join(generated_data):
    files = {d: dataset_files(generated_data, d) for d in ("customers", "orders", "clickstream")}
    got, counters = run_job(MRCustomerSegments, [f for fs in files.values() for f in fs])
    want = reference.customer_segments(files["customers"], files["orders"], files["clickstream"])
    assert got == want
    assert "malformed" not in counters and "join" not in counters
    # the data reaches several segments and every intent but "inactive" at least
    assert len({k[0] for k in got}) >= 4
    assert {k[2] for k in got if k[2] != "all"} >= set(PURCHASE_INTENTS) - {"inactive"}


def test_rules_per_customer(tmp_path):
    """Thresholds: recent <= 7 days before the as-of date, frequent >= 10 orders,
    high value >= 2000.00 completed."""
    files = datasets(tmp_path, customers(
        ("CHAMP", "GOLD"), ("LOYAL", "SILVER"), ("NEW", "BRONZE"), ("RISK", "GOLD"),
        ("SLEEP", "BRONZE"), ("NEVER", "PLATINUM")), [
        *orders("CHAMP", ["200.00"] * 10),
        *orders("LOYAL", ["1.00"] * 10, day="2025-06-23"),          # 7 days before: recent
        *orders("NEW", ["1999.99"]), *orders("NEW", ["500.00"], status="RETURNED"),
        *orders("RISK", ["2000.00"], day="2025-06-22"),             # 8 days before
        *orders("SLEEP", ["5.00"], day="2025-05-01"),
        *orders("GHOST", ["5.00"]),                                 # no customer row
    ], [
        *clicks("CHAMP", "VIEW", "ADD_TO_CART", "CHECKOUT", "PURCHASE"),
        *clicks("LOYAL", "CHECKOUT"), *clicks("NEW", "VIEW", "VIEW"),
    ])
    got, counters = run_job(MRCustomerSegments, files, "--per-customer")
    assert {c: (v["segment"], v["intent"]) for c, v in got.items()} == {
        "CHAMP": ("champion", "converter"), "LOYAL": ("loyal", "cart_abandoner"),
        "NEW": ("promising", "browser"), "RISK": ("at_risk", "inactive"),
        "SLEEP": ("hibernating", "inactive"), "NEVER": ("never_ordered", "inactive")}
    assert got["NEW"] == {"segment": "promising", "tier": "BRONZE", "intent": "browser",
                          "last_order_date": "2025-06-30", "days_since_last_order": 0,
                          "orders": 2, "completed_spend": 1999.99}
    assert got["NEVER"]["days_since_last_order"] is None
    assert counters["join"] == {"ids_without_customer_row": 1}

    got, _ = run_job(MRCustomerSegments, files)
    assert set(got) == {
        ("champion", "GOLD", "converter"), ("loyal", "SILVER", "cart_abandoner"),
        ("promising", "BRONZE", "browser"), ("at_risk", "GOLD", "inactive"),
        ("hibernating", "BRONZE", "inactive"), ("never_ordered", "PLATINUM", "inactive"),
        *((s, "all", "all") for s in RFM_SEGMENTS)}
    assert got[("hibernating", "all", "all")] == {
        "customers": 1, "share": round(1 / 6, 6), "average_orders": 1.0,
        "average_completed_spend": 5.0, "average_days_since_last_order": 60.0}
    assert got[("never_ordered", "all", "all")]["average_days_since_last_order"] is None

    # an explicit as-of date, and other thresholds
    got, _ = run_job(MRCustomerSegments, files, "--per-customer", "--as-of", "2025-07-30",
                     "--recent-days", "40", "--frequent-orders", "2", "--high-value", "100")
    assert {c: v["segment"] for c, v in got.items()} == {
        "CHAMP": "champion", "LOYAL": "loyal", "NEW": "champion", "RISK": "loyal",
        "SLEEP": "hibernating", "NEVER": "never_ordered"}
    assert got["RISK"]["days_since_last_order"] == 38


def test_join_across_files_and_duplicate_rows(tmp_path):
    """A customer's row, orders and sessions in different files; a duplicate customer row."""
    a = write_lines(str(tmp_path / "a.csv"), customers(("C1", "SILVER"), ("C1", "GOLD")),
                    header_of="customers")
    b = write_lines(str(tmp_path / "b.csv"), orders("C1", ["1.00"], day="2025-06-01"),
                    header_of="orders", newline=b"\r\n")
    c = write_lines(str(tmp_path / "c.csv"), orders("C1", ["2.00"], day="2025-06-05"))
    d = write_lines(str(tmp_path / "d.csv"), clicks("C1", "ADD_TO_CART"))
    got, counters = run_job(MRCustomerSegments, [a, b, c, d], "--per-customer")
    assert got == {"C1": {"segment": "promising", "tier": "GOLD", "intent": "cart_abandoner",
                          "last_order_date": "2025-06-05", "days_since_last_order": 0,
                          "orders": 2, "completed_spend": 3.0}}
    assert counters["join"] == {"duplicate_customer_rows": 1}


def test_empty_and_malformed_inputs(generated_data, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    got, _ = run_job(MRCustomerSegments, [empty])
    assert got == {}
    root = copy_dataset(generated_data, tmp_path / "data", "customers", "orders", "clickstream")
    files = {d: dataset_files(root, d) for d in ("customers", "orders", "clickstream")}
    append_lines(files["customers"][0], ["CUST99999,A,B,e,X,LATAM,2024-01-01,1.00,DIAMOND"])
    append_lines(files["orders"][1], ["ORD99999,CUST00001,P,N,1,1.00,1.00,2025-02-30 10:00:00,"
                                      "COMPLETED,LATAM"])
    append_lines(files["clickstream"][0], ["2025-06-24 10:00:00,S,,VIEW,product,P,mobile,1"])
    got, counters = run_job(MRCustomerSegments, [f for fs in files.values() for f in fs])
    assert counters["malformed"] == {"unknown_tier": 1, "bad_timestamp": 1,
                                     "missing_customer_id": 1}
    want = {d: dataset_files(generated_data, d) for d in ("customers", "orders", "clickstream")}
    assert got == reference.customer_segments(want["customers"], want["orders"],
                                              want["clickstream"])


@pytest.mark.parametrize("args", [["--as-of", "2025-02-30"], ["--high-value", "12.345"],
                                  ["--frequent-orders", "0"], ["--recent-days", "-1"]])
def test_options_are_validated(args):
    with pytest.raises(ValueError, match=args[0]):
        MRCustomerSegments(["--no-conf", *args])


# Ids as a real export may hold them: the job turns CUST<digits> ids into integers and
# keeps any other id exactly (jobbase.id_keys); each must stay a customer of its own.
ODD_IDS = (
    "CUST42", "CUST042", "CUST0042", "CUST00000042",          # leading zeros: four customers
    "CUST" + "9" * 15, "CUST" + "9" * 16, "CUST" + "1" * 40,  # the most digits, and more
    "CUST", "CUST-42", "CUST42x", "cust42", "42", "007", "12345678901234567890",
    "ACME 42", "Kunde-Müller-7", "顧客42", "CUSTé42", "CUST４２",  # non-ASCII (fullwidth digits)
)


def odd_id_files(tmp_path, ids, ghost="CUST0000042"):
    """Per id: a customer row, orders and sessions that put the ids in different groups;
    the customer rows in one file, orders in two, and an order of an id without a row."""
    tiers = ("BRONZE", "SILVER", "GOLD", "PLATINUM")
    days = ("2025-06-30", "2025-06-23", "2025-05-01")
    actions = ("VIEW", "ADD_TO_CART", "CHECKOUT", "PURCHASE")
    order_lines = [[], []]
    click_lines = []
    for i, c in enumerate(ids):
        if i % 5 != 4:  # every fifth never ordered
            amounts = [f"{(i * 137) % 2500}.{i % 100:02d}"] * (1 + i % 12)
            order_lines[i % 2] += orders(c, amounts, day=days[i % 3])
            order_lines[1 - i % 2] += orders(c, ["3.00"], day=days[(i + 1) % 3],
                                             status="RETURNED")
        if i % 4 != 3:  # every fourth never clicked
            click_lines += clicks(c, *actions[:1 + i % 4])
    order_lines[0] += orders(ghost, ["1.00"])
    c = write_lines(str(tmp_path / "customers" / "part-00000.csv"),
                    customers(*((c, tiers[i % 4]) for i, c in enumerate(ids))),
                    header_of="customers")
    o = [write_lines(str(tmp_path / "orders" / f"part-0000{k}.csv"), lines, header_of="orders")
         for k, lines in enumerate(order_lines)]
    s = write_lines(str(tmp_path / "clickstream" / "part-00000.csv"), click_lines,
                    header_of="clickstream")
    return [c], o, [s]


def test_odd_customer_ids_equal_sql_join(tmp_path):
    c, o, s = odd_id_files(tmp_path, ODD_IDS)
    got, counters = run_job(MRCustomerSegments, [*c, *o, *s])
    assert got == reference.customer_segments(c, o, s)
    assert counters["join"] == {"ids_without_customer_row": 1}  # CUST0000042 is no CUST42
    got, _ = run_job(MRCustomerSegments, [*c, *o, *s], "--per-customer")
    assert sorted(got) == sorted(ODD_IDS)  # every id back exactly, none merged with another
    rfm = {row[0]: row for row in reference.customer_rfm(c, o, s)}
    for customer, value in got.items():
        _, tier, last, n, spend, furthest, _ = rfm[customer]
        assert (value["tier"], value["orders"], value["last_order_date"]) == \
            (tier, n, last.isoformat() if last else None), customer
        assert (value["completed_spend"], value["intent"]) == \
            (float(spend), reference.intent_of(furthest)), customer


def test_odd_customer_ids_merge_from_daily_partials(tmp_path):
    """Days' partials (each day's files run with --partials) merge into the full run's
    answer, with the odd ids of one day meeting the same ids of another."""
    first = odd_id_files(tmp_path / "day1", ODD_IDS[::2])
    second = odd_id_files(tmp_path / "day2", ODD_IDS, ghost="顧客42 ")
    partials = []
    for files in (first, second):
        parts, _ = to_canonical([f for fs in files for f in fs])
        job = MRCustomerSegments(["--no-conf", "--partials", *parts])
        with job.make_runner() as runner:
            runner.run()
            partials += list(job.parse_output(runner.cat_output()))
    want, _ = run_job(MRCustomerSegments, [f for files in (first, second) for fs in files
                                           for f in fs])
    got = {key_of(k): v for k, v in MRCustomerSegments.answer_from_partials(partials)}
    assert got == want
    # the first day's customer rows are landed again on the second (other tiers): one each
    assert sum(v["customers"] for k, v in got.items() if k[1] == "all") == len(ODD_IDS)


def test_a_partial_in_the_old_form_is_refused_by_name():
    """Day partitions written before integer keys held the ids as text: say what to do."""
    old = [(0, ["C", ["CUST00000001", "CUST00000002"], [0, 2]])]
    with pytest.raises(ValueError, match=r"older form.*ecom-run --day"):
        MRCustomerSegments.answer_from_partials(old)
