"""Injected anomalies and fraud: the ground truth is in the CSVs, and only there."""

import statistics
from collections import Counter

from tests.datagen.conftest import ANOMALIES, FRAUD_ACTORS
from tests.helpers import (
    amount_outliers,
    cents,
    epoch_seconds,
    group,
    load_json,
    most_events_in_window,
    orders_per_customer_day,
    read_dataset,
)

MAX_EVENTS_PER_MINUTE = 8   # the bot rule: more events than this within 60 s
MAX_NORMAL_ORDERS_PER_DAY = 2


def truth(root):
    return load_json(root, "_injected.json")


def session_bursts(root):
    """{session_id: most events within 60 s}."""
    return {sid: most_events_in_window([epoch_seconds(e["timestamp"]) for e in events])
            for sid, events in group(read_dataset(root, "clickstream"), "session_id").items()}


def test_ground_truth_lists_everything_asked_for(injected_data):
    t = truth(injected_data)
    assert t["anomaly_days"] == [{"date": d, "factor": f} for d, f in ANOMALIES]
    for key in ("bot_sessions", "burst_customers", "outlier_orders"):
        assert len(t[key]) == FRAUD_ACTORS, key
    assert load_json(injected_data, "_manifest.json")["options"]["fraud_actors"] == FRAUD_ACTORS


def test_anomaly_days_scale_the_order_count(injected_data, clean_data):
    per_day = Counter(o["order_date"][:10] for o in read_dataset(injected_data, "orders"))
    clean = Counter(o["order_date"][:10] for o in read_dataset(clean_data, "orders"))
    anomalous = {d: f for d, f in ANOMALIES}
    normal = [n for d, n in per_day.items() if d not in anomalous]
    median = statistics.median(normal)
    assert max(normal) < 1.1 * median and min(normal) > 0.9 * median  # clean days are steady
    for day, factor in ANOMALIES:
        assert abs(per_day[day] - factor * clean[day]) <= 1
        assert abs(per_day[day] / median - factor) < 0.15 * factor
    total = load_json(injected_data, "_manifest.json")["rows"]["orders"]
    assert sum(per_day.values()) == total


def test_bot_sessions(injected_data):
    bots = set(truth(injected_data)["bot_sessions"])
    bursts = session_bursts(injected_data)
    sessions = group(read_dataset(injected_data, "clickstream"), "session_id")
    for sid in bots:
        events = sessions[sid]
        times = [epoch_seconds(e["timestamp"]) for e in events]
        assert len(events) >= 20 and times[-1] - times[0] < 60, sid
    flagged = {sid for sid, most in bursts.items() if most > MAX_EVENTS_PER_MINUTE}
    assert flagged == bots


def test_burst_customers(injected_data):
    listed = {(b["customer_id"], b["date"]) for b in truth(injected_data)["burst_customers"]}
    counts = orders_per_customer_day(read_dataset(injected_data, "orders"))
    for key in listed:
        assert counts[key] >= 15, key
    assert {k for k, n in counts.items() if n > MAX_NORMAL_ORDERS_PER_DAY} == listed
    assert len({c for c, _ in listed}) == len(listed)


def test_outlier_orders(injected_data):
    listed = truth(injected_data)["outlier_orders"]
    orders = {o["order_id"]: o for o in read_dataset(injected_data, "orders")}
    by_customer = group(read_dataset(injected_data, "orders"), "customer_id")
    for order_id in listed:
        o = orders[order_id]
        assert 20 <= int(o["quantity"]) <= 50
        others = [cents(x["total_amount"]) for x in by_customer[o["customer_id"]]
                  if x["order_id"] != order_id]
        assert len(others) >= 5
        assert cents(o["total_amount"]) > 10 * max(others)
    assert sorted(amount_outliers(read_dataset(injected_data, "orders"))) == sorted(listed)


def test_clean_data_has_none_of_the_patterns(clean_data):
    assert max(session_bursts(clean_data).values()) <= MAX_EVENTS_PER_MINUTE
    orders = read_dataset(clean_data, "orders")
    assert max(orders_per_customer_day(orders).values()) <= MAX_NORMAL_ORDERS_PER_DAY
    assert amount_outliers(orders) == []
    assert amount_outliers(orders, factor=9.5) == []  # with some margin
    per_customer = Counter(o["customer_id"] for o in orders)
    assert statistics.median(per_customer.values()) <= 15  # a few orders a month each


def test_injections_leave_other_datasets_alone(injected_data, clean_data):
    assert read_dataset(injected_data, "customers") == read_dataset(clean_data, "customers")


def test_every_bot_is_placed_across_chunk_boundaries(monkeypatch):
    """Tiny chunks put many bot targets at chunk edges; each still gets its own session."""
    from datagen import clickstream
    from datagen.plan import Options, Plan
    monkeypatch.setattr(clickstream, "SESSIONS_PER_CHUNK", 50)
    for seed in range(3):
        plan = Plan.build(Options(seed=seed, orders=30000, customers=2000, clicks=20000,
                                  fraud_actors=60), with_pools=False)
        lines = []
        for k in range(clickstream.chunk_count(plan)):
            lines += clickstream.chunk(plan, k)[1].decode().splitlines()
        assert len(lines) == 20000
        events = Counter(line.split(",")[1] for line in lines)
        long_sessions = {s for s, n in events.items() if n > MAX_EVENTS_PER_MINUTE}
        assert len(plan.ground_truth()["bot_sessions"]) == 60
        assert long_sessions == set(plan.ground_truth()["bot_sessions"])
