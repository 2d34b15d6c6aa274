"""Every coherence rule of the generated data, checked from the CSVs alone."""

import datetime as dt
import re
import statistics
from collections import Counter

import pytest

from ecomsuite import schemas
from ecomsuite.rows import RowParser
from tests.helpers import (
    cents,
    epoch_seconds,
    group,
    load_json,
    part_files,
    read_dataset,
    timestamp,
)

CATALOG = {p.product_id: p for p in schemas.CATALOG}
EMAIL_RE = re.compile(r"([a-z]+)\.([a-z]+)(\d+)@example\.com")
VIEW_PAGES = {"home", "category", "product"}


def end_date(root):
    return dt.date.fromisoformat(load_json(root, "_manifest.json")["end_date"])


def window(root, days):
    end = end_date(root)
    return end - dt.timedelta(days=days - 1), end


# --- ids --------------------------------------------------------------------

@pytest.mark.parametrize("dataset, column, prefix", [
    ("orders", "order_id", schemas.ORDER_ID_PREFIX),
    ("customers", "customer_id", schemas.CUSTOMER_ID_PREFIX),
])
def test_ids_are_a_counter(any_data, dataset, column, prefix):
    ids = [r[column] for r in read_dataset(any_data, dataset)]
    assert ids == [schemas.make_id(prefix, i) for i in range(1, len(ids) + 1)]


def test_session_ids_are_a_counter_in_file_order(any_data):
    seen = list(dict.fromkeys(r["session_id"] for r in read_dataset(any_data, "clickstream")))
    assert seen == [schemas.make_id(schemas.SESSION_ID_PREFIX, i) for i in range(1, len(seen) + 1)]


# --- orders -----------------------------------------------------------------

def test_orders_reference_customers_and_their_region(any_data):
    region_of = {c["customer_id"]: c["region"] for c in read_dataset(any_data, "customers")}
    for o in read_dataset(any_data, "orders"):
        assert o["customer_id"] in region_of
        assert o["region"] == region_of[o["customer_id"]], o


def test_order_money_and_products(any_data):
    for o in read_dataset(any_data, "orders"):
        product = CATALOG[o["product_id"]]
        assert o["product_name"] == product.name
        quantity = int(o["quantity"])
        assert quantity >= 1 and o["quantity"] == str(quantity)
        price = cents(o["price"])
        assert product.price_cents // 2 <= price <= product.price_cents, o
        assert cents(o["total_amount"]) == quantity * price, o


def test_order_dates_in_window_and_ascending_with_ids(any_data):
    first, last = window(any_data, schemas.DEFAULT_ORDER_DAYS)
    times = [timestamp(o["order_date"]) for o in read_dataset(any_data, "orders")]
    assert all(first <= t.date() <= last for t in times)
    assert times == sorted(times)
    days = {t.date() for t in times}
    assert len(days) == schemas.DEFAULT_ORDER_DAYS


def test_order_status_mix(any_data):
    statuses = Counter(o["status"] for o in read_dataset(any_data, "orders"))
    n = sum(statuses.values())
    assert set(statuses) == set(schemas.STATUSES)
    assert statuses.most_common(1)[0][0] == "COMPLETED" and statuses["COMPLETED"] > 0.6 * n
    assert 0.03 * n < statuses["SHIPPED"] + statuses["PENDING"] < 0.3 * n
    assert 0.01 * n < statuses["CANCELLED"] + statuses["RETURNED"] < 0.15 * n


def test_recent_orders_are_more_often_open(any_data):
    end = end_date(any_data)
    open_share = {True: [], False: []}
    for o in read_dataset(any_data, "orders"):
        recent = (end - timestamp(o["order_date"]).date()).days < 2
        open_share[recent].append(o["status"] in ("PENDING", "SHIPPED"))
    assert statistics.mean(open_share[True]) > 3 * statistics.mean(open_share[False])


# --- customers --------------------------------------------------------------

def test_customer_fields(any_data):
    order_start, _ = window(any_data, schemas.DEFAULT_ORDER_DAYS)
    for c in read_dataset(any_data, "customers"):
        assert c["first_name"].strip() and c["last_name"].strip() and c["city"].strip()
        assert c["region"] in schemas.REGIONS
        m = EMAIL_RE.fullmatch(c["email"])
        assert m, c["email"]
        assert int(m.group(3)) == int(c["customer_id"][len(schemas.CUSTOMER_ID_PREFIX):])
        for name, part in ((c["first_name"], m.group(1)), (c["last_name"], m.group(2))):
            if name.isascii() and re.search("[A-Za-z]", name):
                assert part == re.sub("[^a-z]", "", name.lower()), (name, part)
        assert dt.date.fromisoformat(c["signup_date"]) < order_start
        assert c["tier"] == schemas.tier_for_lifetime_value(cents(c["lifetime_value"]))


def test_emails_are_unique(any_data):
    emails = [c["email"] for c in read_dataset(any_data, "customers")]
    assert len(set(emails)) == len(emails)


def test_lifetime_value_is_skewed_and_every_tier_occurs(any_data):
    customers = read_dataset(any_data, "customers")
    ltv = [cents(c["lifetime_value"]) for c in customers]
    assert statistics.mean(ltv) > 1.15 * statistics.median(ltv)
    tiers = Counter(c["tier"] for c in customers)
    assert set(tiers) == set(schemas.TIERS)
    assert tiers["BRONZE"] > tiers["SILVER"] > tiers["GOLD"] > tiers["PLATINUM"]


def test_cities_and_names_come_from_small_pools_per_region(any_data):
    customers = read_dataset(any_data, "customers")
    by_region = group(customers, "region")
    assert set(by_region) == set(schemas.REGIONS)
    for rows in by_region.values():
        cities = {c["city"] for c in rows}
        assert 5 <= len(cities) <= 200
    # Non-English locales are used where they fit: some names are not ASCII.
    assert any(not (c["first_name"] + c["last_name"]).isascii() for c in customers)


# --- clickstream ------------------------------------------------------------

def sessions(root):
    return group(read_dataset(root, "clickstream"), "session_id")


def test_clicks_reference_catalog_customers_and_window(any_data):
    customers = {c["customer_id"] for c in read_dataset(any_data, "customers")}
    first, last = window(any_data, schemas.DEFAULT_CLICK_DAYS)
    for e in read_dataset(any_data, "clickstream"):
        assert e["product_id"] in CATALOG
        assert e["customer_id"] in customers
        assert e["device"] in schemas.DEVICES
        assert first <= timestamp(e["timestamp"]).date() <= last


def test_sessions_are_one_customer_one_device_in_time_order(any_data):
    for sid, events in sessions(any_data).items():
        assert len({e["customer_id"] for e in events}) == 1, sid
        assert len({e["device"] for e in events}) == 1, sid
        times = [epoch_seconds(e["timestamp"]) for e in events]
        for before, after, e in zip(times, times[1:], events):
            assert after - before == int(e["duration_seconds"]) >= 0, sid


def test_sessions_follow_the_funnel(any_data):
    for sid, events in sessions(any_data).items():
        actions = [e["action"] for e in events]
        views = actions.count("VIEW")
        assert views >= 1 and actions[:views] == ["VIEW"] * views, sid
        assert actions[views:] == list(schemas.ACTIONS[1:1 + len(actions) - views]), sid
        for e in events:
            if e["action"] == "VIEW":
                assert e["page"] in VIEW_PAGES, sid
            else:
                assert e["page"] == schemas.ACTION_PAGE[e["action"]], sid
                assert e["product_id"] == events[views - 1]["product_id"], sid
        if len(actions) > views:
            assert events[views - 1]["page"] == "product", sid


def funnel_shares(root):
    reached = Counter()
    per_device = {d: Counter() for d in schemas.DEVICES}
    for events in sessions(root).values():
        actions = {e["action"] for e in events}
        device = events[0]["device"]
        per_device[device]["sessions"] += 1
        per_device[device]["purchased"] += "PURCHASE" in actions
        reached["sessions"] += 1
        for a in actions:
            reached[a] += 1
    return reached, per_device


def test_funnel_drop_off_is_realistic(clean_data):
    reached, _ = funnel_shares(clean_data)
    cart = reached["ADD_TO_CART"] / reached["sessions"]
    assert 0.28 <= cart <= 0.42
    assert 0.35 <= reached["CHECKOUT"] / reached["ADD_TO_CART"] <= 0.65
    assert reached["PURCHASE"] / reached["CHECKOUT"] >= 0.7


def test_conversion_differs_by_device(clean_data):
    _, per_device = funnel_shares(clean_data)
    rate = {d: c["purchased"] / c["sessions"] for d, c in per_device.items()}
    assert rate["desktop"] > rate["tablet"] > rate["mobile"]
    assert per_device["mobile"]["sessions"] > per_device["desktop"]["sessions"]


def test_normal_sessions_are_short_and_spread_over_minutes(clean_data):
    lengths, spans = [], []
    for events in sessions(clean_data).values():
        times = [epoch_seconds(e["timestamp"]) for e in events]
        lengths.append(len(events))
        if len(events) > 1:
            spans.append(times[-1] - times[0])
    assert max(lengths) <= 8
    assert 60 <= statistics.median(spans) <= 900


# --- the CSV itself ---------------------------------------------------------

@pytest.mark.parametrize("dataset", list(schemas.DATASETS))
def test_every_line_parses_with_the_jobs_parser(clean_data, dataset):
    ds = schemas.DATASETS[dataset]
    parser = RowParser(ds, ds.names)
    for path in part_files(clean_data, dataset):
        rows = sum(1 for _ in parser.parse_file(path))
        assert rows > 0
    assert not parser.malformed
    assert parser.headers == len(part_files(clean_data, dataset))
    assert parser.valid == len(read_dataset(clean_data, dataset))


def test_fields_are_quoted_only_when_needed(clean_data):
    for dataset in schemas.DATASETS:
        for path in part_files(clean_data, dataset):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if '"' in line:
                        assert dataset == "customers"
                        quoted = re.findall(r'"((?:[^"]|"")*)"', line)
                        assert quoted and all("," in q or '"' in q for q in quoted), line
