"""What a run generates: options in, row counts, calendars and injections out.

A :class:`Plan` holds everything a chunk of any dataset needs (it is small:
a few arrays of days, one byte per customer for the region, the injected
rows) so that chunks can be made in any order and in any process.
"""

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from datagen import clickstream, customers, orders, pools, randomness, timeline
from ecomsuite import schemas

DATASET_ORDER = ("customers", "orders", "clickstream")  # the order they are written in
assert set(DATASET_ORDER) == set(schemas.DATASETS)

# Injected fraud patterns (see docs/datagen.md).
BURST_ORDERS = (15, 30)           # orders of a burst customer on the burst day
BURST_SPREAD = 3                  # burst orders lie within 3x their count of the day's orders
OUTLIER_QUANTITY = (20, 50)
OUTLIER_MIN_PRICE_CENTS = 80_000  # outlier orders are of products at least this dear
OUTLIER_MIN_OTHER_ORDERS = 5      # ...by customers with at least this many normal orders
OUTLIER_MIN_RATIO = 15            # ...at least this many times their dearest possible normal order
BOT_SPACING = 100                 # events between bot targets (> a bot plus a normal session)


class PlanError(ValueError):
    """The options cannot be honoured (the message says why)."""


@dataclass(frozen=True)
class DayContext:
    """What makes a one-day plan part of a world of days (see datagen/days.py).

    The customers (regions, bands, names) come from `world_seed`; the day's own
    orders and sessions from the plan's seed. Customers ``[customer_first, customers)``
    are the day's new sign-ups (the first day: the backlog too); ``backlog`` customers
    signed up before the `origin` day. Order and session numbers start after the offsets.
    """

    world_seed: int
    origin_day: int          # epoch day of the world's first landed day
    backlog: int             # customers who signed up before origin_day
    customer_first: int      # first customer index written on this day
    order_id_offset: int
    session_id_offset: int
    status_age: int          # orders land with the status of an order this many days old


@dataclass(frozen=True)
class Options:
    seed: int = 42
    scale: float = 1.0
    orders: int | None = None      # None: DEFAULT_ROWS * scale
    customers: int | None = None
    clicks: int | None = None
    end_date: dt.date = dt.date.fromisoformat(schemas.DEFAULT_END_DATE)
    parts: int = 2
    anomalies: tuple = ()          # ((date, factor), ...)
    fraud_actors: int = 0
    datasets: tuple = DATASET_ORDER  # the datasets to write (all are planned)
    day: DayContext | None = None  # one day of a world of days (datagen.days)


def scaled(dataset, scale):
    return int(schemas.DEFAULT_ROWS[dataset] * scale + 0.5)


@dataclass
class Plan:
    options: Options
    rows: dict = field(default_factory=dict)

    @property
    def seed(self):
        return self.options.seed

    @property
    def customer_seed(self):
        """Customers are the world's: the same on every day of it."""
        day = self.options.day
        return day.world_seed if day else self.options.seed

    @property
    def customer_first(self):
        return self.options.day.customer_first if self.options.day else 0

    @property
    def backlog(self):
        """Customers who signed up before the (first) window; the rest sign up on the day."""
        return self.options.day.backlog if self.options.day else self.rows["customers"]

    @property
    def signup_anchor(self):
        """The backlog's signups lie within SIGNUP_DAYS before this epoch day."""
        return self.options.day.origin_day if self.options.day else self.order_first_day

    @property
    def order_id_offset(self):
        return self.options.day.order_id_offset if self.options.day else 0

    @property
    def session_id_offset(self):
        return self.options.day.session_id_offset if self.options.day else 0

    @property
    def status_age(self):
        return self.options.day.status_age if self.options.day else None

    def write_rows(self, dataset):
        """Rows written for `dataset` (a day writes only its new customers)."""
        if dataset == "customers":
            return max(0, self.rows["customers"] - self.customer_first)
        return self.rows[dataset]

    @classmethod
    def build(cls, options, with_pools=True):
        plan = cls(options)
        plan._size()
        plan._calendar()
        plan.regions = customers.customer_regions(plan.customer_seed, plan.rows["customers"])
        plan.bands = orders.customer_bands(plan.customer_seed, plan.rows["customers"])
        plan._inject_orders()
        plan._inject_bots()
        plan.click_chunks, plan.bot_sessions = clickstream.layout(plan)
        if len(plan.bot_sessions) != len(plan.bot_targets):
            raise PlanError("could not place every bot session; use more --clicks")
        with_pools = with_pools and "customers" in options.datasets
        plan.pool_tables = pools.build_pools(plan.customer_seed).tables() if with_pools else None
        return plan

    # --- sizes and calendars ------------------------------------------------

    def _size(self):
        o = self.options
        if o.seed < 0:
            raise PlanError(f"--seed must be >= 0, not {o.seed}")
        if not o.scale > 0:
            raise PlanError(f"--scale must be positive, not {o.scale}")
        unknown = set(o.datasets) - set(DATASET_ORDER)
        if unknown or not o.datasets:
            raise PlanError(f"--datasets takes some of {','.join(DATASET_ORDER)}, "
                            f"not {','.join(o.datasets) or 'nothing'}")
        if o.parts < 1:
            raise PlanError(f"--parts must be at least 1, not {o.parts}")
        asked = {"orders": o.orders, "customers": o.customers, "clickstream": o.clicks}
        for name, n in asked.items():
            if n is not None and n < 0:
                raise PlanError(f"the number of {name} rows cannot be negative ({n})")
            self.rows[name] = scaled(name, o.scale) if n is None else n
        if o.customers is None and (self.rows["orders"] or self.rows["clickstream"]):
            self.rows["customers"] = max(1, self.rows["customers"])  # a tiny --scale
        if self.rows["customers"] == 0 and (self.rows["orders"] or self.rows["clickstream"]):
            raise PlanError("orders and clicks need customers: --customers must be at least 1")

    def _calendar(self):
        o = self.options
        self.end_day = timeline.epoch_day(o.end_date)
        self.order_days = 1 if o.day else schemas.DEFAULT_ORDER_DAYS
        self.order_first_day = self.end_day - self.order_days + 1
        self.click_days = 1 if o.day else schemas.DEFAULT_CLICK_DAYS
        self.click_first_day = self.end_day - self.click_days + 1
        self.base_orders = self.rows["orders"]
        counts = orders.day_counts(self.base_orders, self.order_first_day, self.order_days)
        seen = set()
        for date, factor in o.anomalies:
            d = timeline.epoch_day(date) - self.order_first_day
            if not 0 <= d < self.order_days:
                raise PlanError(
                    f"anomaly day {date} is outside the order window "
                    f"{self.window('orders')[0]}..{self.window('orders')[1]}")
            if date in seen:
                raise PlanError(f"anomaly day {date} given twice")
            if not factor >= 0:
                raise PlanError(f"anomaly factor for {date} must be >= 0, not {factor}")
            seen.add(date)
            counts[d] = int(counts[d] * factor + 0.5)
        self.day_counts = counts
        self.day_ends = np.cumsum(counts)
        self.day_starts = self.day_ends - counts
        self.rows["orders"] = int(counts.sum())
        self.day_mult, self.day_add = orders.day_permutations(
            self.seed, self.order_days, max(1, self.rows["customers"]))

    def window(self, dataset):
        """(first, last) date of the order or click window, ISO strings."""
        first = self.order_first_day if dataset == "orders" else self.click_first_day
        return (timeline.from_epoch_day(first).isoformat(),
                timeline.from_epoch_day(self.end_day).isoformat())

    # --- injections ---------------------------------------------------------

    def _inject_orders(self):
        """Burst customers and outlier orders, as overrides of planned order rows."""
        n = self.options.fraud_actors
        self.bursts, self.outliers = [], []
        overrides = {}  # row -> (customer, product, quantity, status); -1 = keep
        if n:
            rng = randomness.stream(self.seed, randomness.INJECTIONS, 0)
            if self.rows["customers"] < 4 * n:
                raise PlanError(f"--fraud-actors {n} needs at least {4 * n} customers")
            anomaly_days = {timeline.epoch_day(d) - self.order_first_day
                            for d, _ in self.options.anomalies}
            days = [d for d in range(self.order_days) if d not in anomaly_days]
            chosen_days = rng.choice(days, n, replace=n > len(days))
            who = rng.choice(self.rows["customers"], n, replace=False)
            for d, c in zip(chosen_days.tolist(), who.tolist()):
                size = int(rng.integers(BURST_ORDERS[0], BURST_ORDERS[1] + 1))
                count = int(self.day_counts[d])
                width = min(count, BURST_SPREAD * size)
                first = int(rng.integers(0, count - width + 1)) if count >= size else 0
                free = [j for j in range(first, first + width)
                        if int(self.day_starts[d]) + j not in overrides]
                if len(free) < size:
                    raise PlanError(
                        f"--fraud-actors {n}: {timeline.from_epoch_day(self.order_first_day + d)} "
                        f"has too few orders ({count}) for a burst of {size}; use a larger scale")
                for j in sorted(rng.choice(free, size, replace=False).tolist()):
                    overrides[int(self.day_starts[d]) + j] = (c, -1, -1, -1)
                self.bursts.append((c, self.order_first_day + d))

            dear = [i for i, p in enumerate(schemas.CATALOG)
                    if p.price_cents >= OUTLIER_MIN_PRICE_CENTS]
            least_outlier = OUTLIER_QUANTITY[0] * min(orders.PRODUCT_CENTS[dear])
            band_top = (orders.BAND_QUANTITY_CAP * orders.PRODUCT_CENTS).max(axis=1)
            outlier_bands = np.flatnonzero(band_top * OUTLIER_MIN_RATIO <= least_outlier)
            taken = set(who.tolist())
            completed = schemas.STATUSES.index("COMPLETED")
            for _attempt in range(10_000):
                if len(self.outliers) == n or not self.rows["orders"]:
                    break
                g = int(rng.integers(0, self.rows["orders"]))
                c = orders.customer_of(self, g)
                if g in overrides or c in taken or self.bands[c] not in outlier_bands:
                    continue
                others = [r for r in orders.rows_of_customer(self, c)
                          if r != g and r not in overrides]
                if len(others) < OUTLIER_MIN_OTHER_ORDERS:
                    continue
                product = dear[int(rng.integers(0, len(dear)))]
                quantity = int(rng.integers(OUTLIER_QUANTITY[0], OUTLIER_QUANTITY[1] + 1))
                overrides[g] = (-1, product, quantity, completed)
                taken.add(c)
                self.outliers.append(g)
            if len(self.outliers) < n:
                raise PlanError(
                    f"--fraud-actors {n}: too few customers with several orders for "
                    f"{n} outlier orders; use a larger scale or fewer actors")
        rows = np.array(sorted(overrides), dtype=np.int64)
        values = np.array([overrides[r] for r in rows.tolist()], dtype=np.int64).reshape(-1, 4)
        self.order_overrides = {"row": rows}
        for i, name in enumerate(("customer", "product", "quantity", "status")):
            self.order_overrides[name] = values[:, i].copy()
        self.outliers.sort()

    def _inject_bots(self):
        n = self.options.fraud_actors
        total = self.rows["clickstream"]
        self.bot_targets = np.zeros(0, dtype=np.int64)
        self.bots = {k: np.zeros(0, dtype=np.int64) for k in ("events", "device", "customer")}
        if not n:
            return
        slots = (total - 2 * BOT_SPACING) // BOT_SPACING
        if slots < n:
            raise PlanError(f"--fraud-actors {n} needs at least "
                            f"{(n + 2) * BOT_SPACING} clickstream events")
        rng = randomness.stream(self.seed, randomness.INJECTIONS, 1)
        chosen = np.sort(rng.choice(slots, n, replace=False))
        self.bot_targets = chosen * BOT_SPACING + BOT_SPACING // 2
        lo, hi = clickstream.BOT_EVENTS
        self.bots = {
            "events": rng.integers(lo, hi + 1, n),
            "device": randomness.draw_index(rng, clickstream.BOT_DEVICE_CDF, n),
            "customer": rng.integers(0, self.rows["customers"], n),
        }

    def ground_truth(self):
        """What was injected, for OUT/_injected.json."""
        return {
            "anomaly_days": [{"date": d.isoformat(), "factor": f}
                             for d, f in sorted(self.options.anomalies)],
            "bot_sessions": [schemas.make_id(schemas.SESSION_ID_PREFIX, s + 1)
                             for s in self.bot_sessions],
            "burst_customers": [
                {"customer_id": schemas.make_id(schemas.CUSTOMER_ID_PREFIX, c + 1),
                 "date": timeline.from_epoch_day(day).isoformat()}
                for c, day in sorted(self.bursts, key=lambda b: (b[1], b[0]))],
            "outlier_orders": [schemas.make_id(schemas.ORDER_ID_PREFIX, g + 1)
                               for g in self.outliers],
        }
