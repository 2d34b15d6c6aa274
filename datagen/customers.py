"""The customers dataset: one row per customer, drawn in chunks."""

import numpy as np

from datagen import randomness
from datagen.fastcsv import (
    ConcatField,
    ConstField,
    DateField,
    IntField,
    MoneyField,
    TextField,
    format_rows,
    in_schema_order,
    text_table,
)
from datagen.pools import CITIES_PER_REGION, FIRST_NAMES_PER_REGION, LAST_NAMES_PER_REGION
from ecomsuite import schemas

CHUNK_ROWS = 16_384

# Share of customers per region (schemas.REGIONS order is not assumed).
REGION_WEIGHTS = {"US-EAST": 0.22, "US-WEST": 0.18, "EU-WEST": 0.18,
                  "EU-CENTRAL": 0.14, "ASIA-PACIFIC": 0.18, "LATAM": 0.10}
assert set(REGION_WEIGHTS) == set(schemas.REGIONS)
REGION_CDF = randomness.cdf_of([REGION_WEIGHTS[r] for r in schemas.REGIONS])
REGION_TABLE = text_table(schemas.REGIONS)

# Signups: within SIGNUP_DAYS before the order window, more of them recent.
SIGNUP_DAYS = 3 * 365
SIGNUP_RECENCY = 1.6  # > 1 pulls signups towards the present
# Lifetime value: log-normal around LTV_MEDIAN_CENTS, growing with tenure
# and with the customer's price band (datagen.orders.PRICE_BANDS); gives
# about 60% BRONZE, 30% SILVER, 7% GOLD and 1% PLATINUM.
LTV_MEDIAN_CENTS = 85_000
LTV_BAND_FACTOR = np.array([0.6, 1.1, 2.2])
LTV_SIGMA = 0.8

TIER_TABLE = text_table(schemas.TIERS)
_TIER_BOUNDS = np.array([schemas.TIER_LOWER_BOUND_CENTS[t] for t in schemas.TIERS], dtype=np.int64)


def tier_index(cents):
    """Vectorised schemas.tier_for_lifetime_value, as indexes into schemas.TIERS."""
    return np.searchsorted(_TIER_BOUNDS, cents, side="right") - 1


# The vectorised tier must agree with the schema's rule at every bound.
for _b in _TIER_BOUNDS:
    for _c in (max(0, int(_b) - 1), int(_b), int(_b) + 1):
        assert schemas.TIERS[tier_index(np.array([_c]))[0]] == schemas.tier_for_lifetime_value(_c)


def customer_regions(seed, n):
    """Region index (into schemas.REGIONS) of every customer, as compact int8."""
    regions = np.empty(n, dtype=np.int8)
    for k, lo in enumerate(range(0, n, CHUNK_ROWS)):
        hi = min(n, lo + CHUNK_ROWS)
        rng = randomness.stream(seed, randomness.REGIONS, k)
        regions[lo:hi] = randomness.draw_index(rng, REGION_CDF, hi - lo)
    return regions


def chunk_count(plan):
    """Chunks holding customers [customer_first, customers): numbered from chunk 0 of the
    world, so a customer's row is the same whichever day writes it."""
    first, n = plan.customer_first, plan.rows["customers"]
    if n <= first:
        return 0
    return (n - 1) // CHUNK_ROWS - first // CHUNK_ROWS + 1


def chunk(plan, k):
    """(rows, CSV bytes) of customers chunk `k` (of the written range)."""
    a = plan.customer_first // CHUNK_ROWS + k   # the world's chunk number
    lo = max(plan.customer_first, a * CHUNK_ROWS)
    hi = min(plan.rows["customers"], (a + 1) * CHUNK_ROWS)
    n = hi - lo
    at = slice(lo - a * CHUNK_ROWS, hi - a * CHUNK_ROWS)
    rng = randomness.stream(plan.customer_seed, randomness.CUSTOMERS, a)
    number = np.arange(lo + 1, hi + 1, dtype=np.int64)
    region = plan.regions[lo:hi].astype(np.int64)
    u = rng.random((4, CHUNK_ROWS))[:, at]      # whole chunks drawn: any range is the same
    normal = rng.standard_normal(CHUNK_ROWS)[at]
    first = region * FIRST_NAMES_PER_REGION + (u[0] * FIRST_NAMES_PER_REGION).astype(np.int64)
    last = region * LAST_NAMES_PER_REGION + (u[1] * LAST_NAMES_PER_REGION).astype(np.int64)
    city = region * CITIES_PER_REGION + (u[2] * CITIES_PER_REGION).astype(np.int64)
    days_before = 1 + (SIGNUP_DAYS * u[3] ** SIGNUP_RECENCY).astype(np.int64)
    new = number > plan.backlog                  # signed up on the plan's (only) day
    signup = np.where(new, plan.end_day, plan.signup_anchor - days_before)
    tenure = np.where(new, 0.0, days_before / SIGNUP_DAYS)  # 0..1; the average customer ~0.4
    median = LTV_MEDIAN_CENTS * (0.6 + tenure) * LTV_BAND_FACTOR[plan.bands[lo:hi]]
    ltv = np.rint(median * np.exp(LTV_SIGMA * normal)).astype(np.int64)
    pools = plan.pool_tables
    fields = {
        "customer_id": IntField(number, schemas.ID_DIGITS["CUST"],
                                schemas.CUSTOMER_ID_PREFIX.encode()),
        "first_name": TextField(pools["first_name"], first),
        "last_name": TextField(pools["last_name"], last),
        "email": ConcatField(TextField(pools["email_first"], first), ConstField(b"."),
                             TextField(pools["email_last"], last), IntField(number),
                             ConstField(b"@example.com")),
        "city": TextField(pools["city"], city),
        "region": TextField(REGION_TABLE, region),
        "signup_date": DateField(signup),
        "lifetime_value": MoneyField(ltv),
        "tier": TextField(TIER_TABLE, tier_index(ltv)),
    }
    return n, format_rows(n, in_schema_order(schemas.CUSTOMERS, fields))
