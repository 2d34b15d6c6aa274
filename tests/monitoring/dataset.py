"""A small dataset in the suite's schemas, for when the real generator is not usable.

The end-to-end test prefers ``python -m datagen`` (the session fixture
``generated_data``); this writer is its stand-in: a few hundred deterministic
rows per dataset, a header, two part files, a handful of malformed lines (so
the malformed-rows panels have data) and ``_SUCCESS`` last.
"""

import os
import random

from ecomsuite import config, schemas

ORDERS, CUSTOMERS, CLICKS = 240, 60, 600
# One malformed line per dataset and reason the jobs count (column counts, enums).
MALFORMED = {
    "orders": ["ORD99999,CUST00001,LAPTOP001,Gaming Laptop,1,1299.99,1299.99,"
               "2026-11-01 10:00:00,LOST_IN_MAIL,US-EAST",
               "not,enough,columns"],
    "customers": ["CUST99999,Ann,Lee,ann@example.com,Oslo,EU-WEST,2026-01-01,12.50,DIAMOND"],
    "clickstream": ["2026-11-01 10:00:00,SESSION99999,CUST00001,TELEPORT,home,LAPTOP001,"
                    "mobile,3"],
}


def _orders(rng):
    for n in range(1, ORDERS + 1):
        product = rng.choice(schemas.CATALOG)
        quantity = rng.randint(1, 3)
        price = product.price_cents
        yield [schemas.make_id("ORD", n), schemas.make_id("CUST", rng.randint(1, CUSTOMERS)),
               product.product_id, product.name, str(quantity), f"{price / 100:.2f}",
               f"{price * quantity / 100:.2f}",
               f"2026-11-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:00:00",
               rng.choice(schemas.STATUSES), rng.choice(schemas.REGIONS)]


def _customers(rng):
    for n in range(1, CUSTOMERS + 1):
        ltv = rng.randint(0, 900_000)
        yield [schemas.make_id("CUST", n), "Ada", "Byron", f"c{n}@example.com", "Leeds",
               rng.choice(schemas.REGIONS), "2025-06-01", f"{ltv / 100:.2f}",
               schemas.tier_for_lifetime_value(ltv)]


def _clicks(rng):
    for n in range(1, CLICKS + 1):
        session = schemas.make_id("SESSION", 1 + n // 4)
        yield ["2026-11-02 12:00:00", session, schemas.make_id("CUST", rng.randint(1, CUSTOMERS)),
               rng.choice(schemas.ACTIONS), rng.choice(schemas.PAGES),
               rng.choice(schemas.PRODUCT_IDS), rng.choice(schemas.DEVICES),
               str(rng.randint(1, 300))]


def write_small_dataset(root, seed=7):
    """Write orders/, customers/ and clickstream/ under `root`; return `root`."""
    rng = random.Random(seed)
    for dataset, rows in (("orders", _orders(rng)), ("customers", _customers(rng)),
                          ("clickstream", _clicks(rng))):
        directory = os.path.join(root, dataset)
        os.makedirs(directory, exist_ok=True)
        lines = [",".join(r) for r in rows] + MALFORMED[dataset]
        half = len(lines) // 2
        for i, chunk in enumerate((lines[:half], lines[half:])):
            with open(os.path.join(directory, f"part-{i:05d}.csv"), "w", encoding="utf-8") as f:
                if i == 0:
                    f.write(schemas.DATASETS[dataset].header + "\n")
                f.write("\n".join(chunk) + "\n")
        open(os.path.join(directory, config.SUCCESS_MARKER), "wb").close()
    return root
