"""Property: on random mixes of valid and malformed rows, a job's results equal a
reference over the valid rows alone, and its counters equal what was injected."""

import os
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomsuite.schemas import ACTIONS, CLICKSTREAM, DEVICES, ORDERS, REGIONS, STATUSES
from jobs.mr_device_conversions import MRDeviceConversions
from jobs.mr_sales_by_region import MRSalesByRegion
from tests.helpers import merged_counters, run_inline

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

cents = st.integers(min_value=0, max_value=10_000_000)


def amount(c):
    return f"{c // 100}.{c % 100:02d}"


valid_order = st.tuples(cents, st.sampled_from(STATUSES), st.sampled_from(REGIONS))

# Each malformed order row is produced from a valid one by one corruption; the
# value is the reason the job must count it under.
ORDER_CORRUPTIONS = {
    "wrong_column_count": lambda fields: fields[:-1],
    "bad_number": lambda fields: fields[:6] + ["12;5"] + fields[7:],
    "unknown_status": lambda fields: fields[:8] + ["LOST"] + fields[9:],
    "unknown_region": lambda fields: fields[:9] + ["MOON"],
    "invalid_utf8": lambda fields: fields[:3] + ["Caf\udcc3"] + fields[4:],
}


def order_fields(i, c, status, region):
    return [f"ORD{i:05d}", "CUST00001", "LAPTOP001", "Gaming Laptop", "1", amount(c),
            amount(c), "2025-01-15 14:23:45", status, region]


def encode(fields):
    return ",".join(fields).encode("utf-8", "surrogateescape")


@SETTINGS
@given(valid=st.lists(valid_order, max_size=40),
       bad=st.lists(st.tuples(valid_order, st.sampled_from(sorted(ORDER_CORRUPTIONS))),
                    max_size=15),
       split=st.integers(min_value=0, max_value=60), seed=st.randoms(use_true_random=False))
def test_sales_by_region_on_mixed_rows(tmp_path_factory, valid, bad, split, seed):
    lines = [(encode(order_fields(i, *row)), None) for i, row in enumerate(valid)]
    lines += [(encode(ORDER_CORRUPTIONS[reason](order_fields(900 + i, *row))), reason)
              for i, (row, reason) in enumerate(bad)]
    seed.shuffle(lines)
    d = tmp_path_factory.mktemp("p")
    paths = [os.path.join(d, "a.csv"), os.path.join(d, "b.csv")]
    with open(paths[0], "wb") as a, open(paths[1], "wb") as b:
        a.write(ORDERS.header.encode() + b"\n")
        b.write(ORDERS.header.encode() + b"\n")  # the ingest maps columns by the header
        for n, (line, _) in enumerate(lines):
            (a if n < split else b).write(line + b"\n")

    got, counters = run_inline(MRSalesByRegion, paths)

    want = {}
    for c, status, region in valid:
        w = want.setdefault(region, [0, 0, 0, 0])
        w[0] += 1
        w[1] += c
        if status == "COMPLETED":
            w[2] += 1
            w[3] += c
    assert set(got) == set(want)
    for region, (orders, gross, completed, completed_sales) in want.items():
        aov = None
        if completed:
            aov = float((Decimal(completed_sales) / completed / 100).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP))
        assert got[region] == {"orders": orders, "gross_sales": gross / 100,
                               "completed_orders": completed,
                               "completed_sales": completed_sales / 100,
                               "average_order_value": aov}
    c = merged_counters(counters)
    assert c["rows"]["valid"] == len(valid)
    assert c.get("malformed", {}) == dict(Counter(reason for _, reason in bad))


session_events = st.tuples(st.integers(min_value=0, max_value=30),
                           st.sampled_from(ACTIONS), st.sampled_from(DEVICES))
CLICK_CORRUPTIONS = {
    "unknown_action": lambda f: f[:3] + ["SCROLL"] + f[4:],
    "unknown_device": lambda f: f[:6] + ["watch"] + f[7:],
    "missing_session_id": lambda f: f[:1] + [""] + f[2:],
    "wrong_column_count": lambda f: f + ["x"],
}


def click_fields(session, action, device):
    return ["2025-02-01 10:15:23", f"SESSION{session:05d}", "CUST00456", action, "product",
            "LAPTOP001", device, "45"]


@SETTINGS
@given(valid=st.lists(session_events, max_size=60),
       bad=st.lists(st.tuples(session_events, st.sampled_from(sorted(CLICK_CORRUPTIONS))),
                    max_size=15),
       seed=st.randoms(use_true_random=False))
def test_device_conversions_on_mixed_rows(tmp_path_factory, valid, bad, seed):
    lines = [encode(click_fields(*e)) for e in valid]
    lines += [encode(CLICK_CORRUPTIONS[r](click_fields(*e))) for e, r in bad]
    seed.shuffle(lines)
    d = tmp_path_factory.mktemp("c")
    paths = [os.path.join(d, "a.csv"), os.path.join(d, "b.csv")]
    half = len(lines) // 2
    for path, chunk in zip(paths, (lines[:half], lines[half:])):
        with open(path, "wb") as f:
            f.write(CLICKSTREAM.header.encode() + b"\r\n")  # columns are mapped by the header
            f.write(b"".join(line + b"\r\n" for line in chunk))

    got, counters = run_inline(MRDeviceConversions, paths)

    sessions = {}
    for session, action, device in valid:
        s = sessions.setdefault((device, session), [0])
        s[0] += action == "PURCHASE"
    want = {}
    for (device, _), (purchases,) in sessions.items():
        w = want.setdefault(device, [0, 0, 0])
        w[0] += 1
        w[1] += purchases > 0
        w[2] += purchases
    assert got == {d: {"sessions": s, "converted_sessions": c,
                       "conversion_rate": round(c / s, 6), "purchases": p}
                   for d, (s, c, p) in want.items()}
    assert merged_counters(counters).get("malformed", {}) == dict(Counter(r for _, r in bad))
