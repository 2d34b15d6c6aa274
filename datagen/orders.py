"""The orders dataset: orders over the order window, in time order, drawn in chunks.

Order ``g`` (0-based, id ``ORD<g+1>``) falls on the day whose cumulative
count passes ``g``; as the ``j``-th of that day's ``count`` orders its time is
the day's activity quantile ``(j + u) / count``, so ids ascend with time.
Its customer is ``(a_d * j + b_d) mod customers`` with per-day ``a_d``
coprime to the number of customers: a permutation, so on a day with no more
orders than customers nobody orders twice (a customer has about
``orders / customers`` orders over the window, one a day at most unless the
day has more orders than there are customers).
"""

import math

import numpy as np

from datagen import randomness, timeline
from datagen.fastcsv import (
    IntField,
    MoneyField,
    TextField,
    TimestampField,
    format_rows,
    in_schema_order,
    text_table,
)
from ecomsuite import schemas

CHUNK_ROWS = 16_384

# Relative order volume per weekday (Monday first): a mild weekly rhythm,
# every clean day within a few percent of the window's median.
WEEKDAY_WEIGHTS = (1.00, 0.98, 0.97, 0.99, 1.02, 1.04, 1.01)

# Cheaper products sell more often: weight ~ 1 / sqrt(price).
PRODUCT_CDF = randomness.cdf_of([1 / math.sqrt(p.price_cents) for p in schemas.CATALOG])
PRODUCT_CENTS = np.array([p.price_cents for p in schemas.CATALOG], dtype=np.int64)
PRODUCT_ID_TABLE = text_table(schemas.PRODUCT_IDS)
PRODUCT_NAME_TABLE = text_table([p.name for p in schemas.CATALOG])

# Every customer shops in one price band: (name, share of customers, lowest
# and highest catalog price in cents). Within a band, products sell by the
# weights above, and a normal order's total never exceeds BAND_SPREAD times
# the smallest total the band allows (the cheapest product at the deepest
# discount): no normal order is ever 10x another order of the same customer.
PRICE_BANDS = (
    ("budget", 0.45, 4_999, 14_999),
    ("mid", 0.35, 14_999, 44_950),
    ("premium", 0.20, 39_999, 149_900),
)
BAND_SPREAD = 9.5
BAND_CDF = randomness.cdf_of([share for _, share, _, _ in PRICE_BANDS])

# Quantity 1..5 of a normal order, capped per band and product (see above).
QUANTITY_WEIGHTS = (0.72, 0.18, 0.06, 0.025, 0.015)
QUANTITY_CDF = randomness.cdf_of(QUANTITY_WEIGHTS)

# An occasional discount off the catalog price (percent: share of orders).
DISCOUNTS = {0: 0.92, 10: 0.06, 20: 0.02}
DISCOUNT_PERCENT = np.array(list(DISCOUNTS), dtype=np.int64)
DISCOUNT_CDF = randomness.cdf_of(list(DISCOUNTS.values()))
MAX_DISCOUNT = max(DISCOUNTS)


def _band_tables():
    in_band = np.array([[lo <= c <= hi for c in PRODUCT_CENTS] for _, _, lo, hi in PRICE_BANDS])
    weights = np.where(in_band, 1 / np.sqrt(PRODUCT_CENTS), 0.0)
    cdf = np.stack([randomness.cdf_of(w) for w in weights])
    smallest_total = [lo * (100 - MAX_DISCOUNT) / 100 for _, _, lo, _ in PRICE_BANDS]
    cap = np.floor(BAND_SPREAD * np.array(smallest_total)[:, None] / PRODUCT_CENTS)
    cap = np.minimum(cap, len(QUANTITY_WEIGHTS)).astype(np.int64)
    assert (cap[in_band] >= 1).all(), "a band's dearest product must fit BAND_SPREAD"
    return cdf, np.where(in_band, cap, 0)


# (bands, products): cumulative product choice and quantity cap of each band.
BAND_PRODUCT_CDF, BAND_QUANTITY_CAP = _band_tables()

# Status mix by the order's age in days at the end date: recent orders are
# still pending or shipped, older ones completed (or cancelled/returned).
STATUS_BY_AGE = (  # (youngest age in days, {status: share})
    (0, {"COMPLETED": 0.10, "PENDING": 0.45, "SHIPPED": 0.43, "CANCELLED": 0.02, "RETURNED": 0.00}),
    (2, {"COMPLETED": 0.58, "PENDING": 0.04, "SHIPPED": 0.32, "CANCELLED": 0.04, "RETURNED": 0.02}),
    (7, {"COMPLETED": 0.885, "PENDING": 0.005, "SHIPPED": 0.02, "CANCELLED": 0.04, "RETURNED": 0.05}),
)
STATUS_AGE_FROM = np.array([age for age, _ in STATUS_BY_AGE], dtype=np.int64)
STATUS_CDF = np.stack([randomness.cdf_of([mix[s] for s in schemas.STATUSES])
                       for _, mix in STATUS_BY_AGE])
assert all(set(mix) == set(schemas.STATUSES) for _, mix in STATUS_BY_AGE)
STATUS_TABLE = text_table(schemas.STATUSES)
REGION_TABLE = text_table(schemas.REGIONS)


def day_counts(total, first_day, days):
    """Split `total` orders over `days` days by weekday weight (largest remainder)."""
    weekday = (np.arange(first_day, first_day + days) + 3) % 7  # 1970-01-01 was a Thursday
    w = np.array(WEEKDAY_WEIGHTS)[weekday]
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(np.int64)
    short = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


def day_permutations(seed, days, customers):
    """Per day (a_d, b_d) of the customer permutation j -> (a_d * j + b_d) mod customers."""
    rng = randomness.stream(seed, randomness.ORDER_PLAN)
    mult = np.ones(days, dtype=np.int64)
    add = np.zeros(days, dtype=np.int64)
    for d in range(days):
        if customers > 1:
            while True:
                a = int(rng.integers(1, customers))
                if math.gcd(a, customers) == 1:
                    break
            mult[d] = a
            add[d] = int(rng.integers(0, customers))
    return mult, add


def customer_bands(seed, n):
    """Price band index (into PRICE_BANDS) of every customer, as compact int8."""
    bands = np.empty(n, dtype=np.int8)
    for k, lo in enumerate(range(0, n, CHUNK_ROWS)):
        hi = min(n, lo + CHUNK_ROWS)
        rng = randomness.stream(seed, randomness.BANDS, k)
        bands[lo:hi] = randomness.draw_index(rng, BAND_CDF, hi - lo)
    return bands


def customer_of(plan, g):
    """Customer index of order row g (before injections)."""
    d = int(np.searchsorted(plan.day_ends, g, side="right"))
    j = g - int(plan.day_starts[d])
    return (int(plan.day_mult[d]) * j + int(plan.day_add[d])) % plan.rows["customers"]


def rows_of_customer(plan, c):
    """Order rows whose customer is `c` (before injections), ascending."""
    n = plan.rows["customers"]
    rows = []
    for d, count in enumerate(plan.day_counts):
        a, b = int(plan.day_mult[d]), int(plan.day_add[d])
        j = ((c - b) * pow(a, -1, n)) % n if n > 1 else 0
        while j < count:
            rows.append(int(plan.day_starts[d]) + j)
            j += n
    return rows


def chunk_count(plan):
    return -(-plan.rows["orders"] // CHUNK_ROWS)


def chunk(plan, k):
    """(rows, CSV bytes) of orders chunk `k`."""
    lo = k * CHUNK_ROWS
    hi = min(plan.rows["orders"], lo + CHUNK_ROWS)
    n = hi - lo
    rng = randomness.stream(plan.seed, randomness.ORDERS, k)
    g = np.arange(lo, hi, dtype=np.int64)
    day = np.searchsorted(plan.day_ends, g, side="right")
    j = g - plan.day_starts[day]
    u = rng.random((5, n))
    second = timeline.second_of_day((j + u[0]) / plan.day_counts[day])
    customer = (plan.day_mult[day] * j + plan.day_add[day]) % plan.rows["customers"]
    o = plan.order_overrides
    first, last = np.searchsorted(o["row"], [lo, hi])
    at = o["row"][first:last] - lo

    def override(name, column):
        values = o[name][first:last]
        column[at[values >= 0]] = values[values >= 0]

    override("customer", customer)
    band = plan.bands[customer]
    product = np.empty(n, dtype=np.int64)
    for band_index, cdf in enumerate(BAND_PRODUCT_CDF):
        in_band = band == band_index
        product[in_band] = np.searchsorted(cdf, u[1][in_band], side="right")
    quantity = np.minimum(np.searchsorted(QUANTITY_CDF, u[2], side="right") + 1,
                          BAND_QUANTITY_CAP[band, product])
    discount = DISCOUNT_PERCENT[np.searchsorted(DISCOUNT_CDF, u[3], side="right")]
    age = plan.order_days - 1 - day if plan.status_age is None else np.full(n, plan.status_age)
    age_group = np.searchsorted(STATUS_AGE_FROM, age, side="right") - 1
    status = np.empty(n, dtype=np.int64)
    for group, cdf in enumerate(STATUS_CDF):
        of_age = age_group == group
        status[of_age] = np.searchsorted(cdf, u[4][of_age], side="right")
    override("product", product)
    override("quantity", quantity)
    override("status", status)
    discount[at[o["product"][first:last] >= 0]] = 0  # an injected order is at list price

    price = (PRODUCT_CENTS[product] * (100 - discount) + 50) // 100
    fields = {
        "order_id": IntField(g + 1 + plan.order_id_offset, schemas.ID_DIGITS["ORD"],
                             schemas.ORDER_ID_PREFIX.encode()),
        "customer_id": IntField(customer + 1, schemas.ID_DIGITS["CUST"],
                                schemas.CUSTOMER_ID_PREFIX.encode()),
        "product_id": TextField(PRODUCT_ID_TABLE, product),
        "product_name": TextField(PRODUCT_NAME_TABLE, product),
        "quantity": IntField(quantity),
        "price": MoneyField(price),
        "total_amount": MoneyField(price * quantity),
        "order_date": TimestampField((plan.order_first_day + day) * timeline.SECONDS_PER_DAY
                                     + second),
        "status": TextField(STATUS_TABLE, status),
        "region": TextField(REGION_TABLE, plan.regions[customer]),
    }
    return n, format_rows(n, in_schema_order(schemas.ORDERS, fields))
