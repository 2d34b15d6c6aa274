"""Landing days: the generator as a shop that exports each day's data (docs/datagen.md).

A *world* (``landing/_world.json``, ecomsuite.layout.World) fixes the seed, the daily
sizes and the first landed day (the origin). Each day D is then a one-day Plan:

- customers: the backlog (``--customers``, scale x 5,000) signed up before the origin
  and lands with the origin day; every day after that lands its new sign-ups only
  (a Poisson number, mean SIGNUP_RATE x backlog a day, drawn from the world seed and
  the day). Customer rows never change once landed: a customer's region, price band,
  name and lifetime value at sign-up are the world's (tier changes are not re-landed;
  "Validate once" can take the newest row per customer when they are).
- orders: about scale x 50,000 / 30 a day with the weekday rhythm, by the customers
  signed up by then (each at most once a day, as in a snapshot), each with the status
  of a settled order (STATUS_AGE days old: the shop exports a day's orders as they ended).
- clickstream: about scale x 200,000 / 30 events a day (the snapshot's totals over 30
  days), sessions of customers signed up by then.
- ids: ``ORD<day number><sequence>`` and ``SESSION<day number><sequence>`` (day 1 =
  the origin), unique across days and ascending with time whatever the other days hold.

Every day's rows depend only on the world and the day, so landing 1-30 in one call or
1-10 then 11-30 gives the same bytes, and any day can be landed again alone.
"""

import csv
import datetime as dt
import io
import time

import numpy as np

import datagen
from datagen import pools, randomness, realistic, timeline, writer
from datagen.orders import WEEKDAY_WEIGHTS
from datagen.plan import DATASET_ORDER, DayContext, Options, Plan, PlanError
from ecomsuite import layout, schemas

SIGNUP_RATE = 0.002     # new customers a day, as a share of the backlog
STATUS_AGE = 7          # landed orders carry the status mix of a week-old order
MAX_ANOMALY_FACTOR = 9  # ids leave room for 10x a normal day
SMALL_DAY_ROWS = 200_000  # a day this small is made in-process (workers cost more)
SIGNUPS = 8             # randomness stream numbers (never renumber)
DAY_SEEDS = 9
_MEAN_WEEKDAY = sum(WEEKDAY_WEIGHTS) / len(WEEKDAY_WEIGHTS)


def id_stride(per_day):
    """A power of ten above 10x a day's rows: day d's ids are d * stride + 1, 2, ..."""
    return 10 ** len(str(10 * max(1, per_day)))


def make_world(seed, scale, origin, orders=None, customers=None, clicks=None):
    """The World of a first landing (sizes per day from the snapshot defaults)."""
    per_day_orders = orders if orders is not None else int(
        schemas.DEFAULT_ROWS["orders"] * scale / schemas.DEFAULT_ORDER_DAYS + 0.5)
    per_day_clicks = clicks if clicks is not None else int(
        schemas.DEFAULT_ROWS["clickstream"] * scale / schemas.DEFAULT_ORDER_DAYS + 0.5)
    backlog = customers if customers is not None else max(
        1, int(schemas.DEFAULT_ROWS["customers"] * scale + 0.5))
    if seed < 0 or seed >= 2 ** 32:
        raise PlanError(f"--seed must be in 0..{2 ** 32 - 1} when landing days, not {seed}")
    if backlog < 1:
        raise PlanError("orders and clicks need customers: --customers must be at least 1")
    return layout.World(
        seed=seed, scale=scale, origin=origin.isoformat(), generator_version=datagen.__version__,
        sizes={"orders_per_day": per_day_orders, "clicks_per_day": per_day_clicks,
               "backlog_customers": backlog, "signup_rate": SIGNUP_RATE,
               "status_age_days": STATUS_AGE,
               "order_id_stride": id_stride(per_day_orders),
               "session_id_stride": id_stride(per_day_clicks)})


class Days:
    """Plans of the days of one world."""

    def __init__(self, world):
        self.world = world
        self.origin = timeline.epoch_day(dt.date.fromisoformat(world.origin))
        self.sizes = world.sizes
        self._customers = {}
        self._pools = None

    def signups(self, day):
        """New customers on epoch day `day` (after the origin's backlog)."""
        rng = randomness.stream(self.world.seed, SIGNUPS, day)
        return int(rng.poisson(self.sizes["signup_rate"] * self.sizes["backlog_customers"]))

    def customers_by(self, day):
        """Customers signed up by the end of epoch day `day`."""
        if day not in self._customers:
            total = self.sizes["backlog_customers"]
            for d in range(self.origin, day + 1):
                total += self.signups(d)
                self._customers[d] = total
        return self._customers[day]

    def day_seed(self, day):
        sequence = np.random.SeedSequence(self.world.seed, spawn_key=(DAY_SEEDS, day))
        return int(sequence.generate_state(1, np.uint32)[0])

    def orders_on(self, day, factor=1.0):
        weight = WEEKDAY_WEIGHTS[(day + 3) % 7] / _MEAN_WEEKDAY   # 1970-01-01: a Thursday
        return int(int(self.sizes["orders_per_day"] * weight + 0.5) * factor + 0.5)

    def plan(self, date, parts=1, anomaly=None):
        day = timeline.epoch_day(date)
        if day < self.origin:
            raise PlanError(f"{date} is before the landing zone's first day {self.world.origin} "
                            "(its customers' backlog lands with that day)")
        number = day - self.origin + 1
        factor = 1.0 if anomaly is None else anomaly
        if not 0 <= factor <= MAX_ANOMALY_FACTOR:
            raise PlanError(f"anomaly factor for {date} must be within 0..{MAX_ANOMALY_FACTOR}")
        context = DayContext(
            world_seed=self.world.seed, origin_day=self.origin,
            backlog=self.sizes["backlog_customers"],
            customer_first=0 if day == self.origin else self.customers_by(day - 1),
            order_id_offset=number * self.sizes["order_id_stride"],
            session_id_offset=number * self.sizes["session_id_stride"],
            status_age=self.sizes["status_age_days"])
        weight = WEEKDAY_WEIGHTS[(day + 3) % 7] / _MEAN_WEEKDAY
        options = Options(
            seed=self.day_seed(day), orders=self.orders_on(day, factor),
            customers=self.customers_by(day),
            clicks=int(self.sizes["clicks_per_day"] * weight + 0.5),
            end_date=date, parts=parts, day=context)
        plan = Plan.build(options, with_pools=False)
        if self._pools is None:  # the Faker pools are the world's: made once
            self._pools = pools.build_pools(self.world.seed).tables()
        plan.pool_tables = self._pools
        return plan


class _DaySink:
    """datagen.writer's sink protocol onto a layout.DayWriter."""

    def __init__(self, day_writer, rows, realism=None):
        self.day_writer, self.rows, self.realism = day_writer, rows, realism
        self.parts = {}

    def open_part(self, dataset, filename):
        if self.realism is None:
            return self.day_writer.open(dataset, filename, count_rows=True)
        # a record may hold a line break: the commit's rows are the records counted by the
        # filter, not the lines
        index = self.parts[dataset] = self.parts.get(dataset, -1) + 1
        tracked = self.day_writer.open(dataset, filename)
        return self.realism.open(tracked, dataset, index,
                                 f"{layout.day_name(self.day_writer.day)}/{filename}",
                                 on_close=lambda part: setattr(tracked, "rows", part.records))


def land_day(target, days, date, parts=1, anomaly=None, jobs=1, on_rows=None,
             realistic_share=None):
    """Generate and land one whole day: every dataset, one commit. Returns {dataset: rows}.

    With `realistic_share` (a malformed share) the files are written in the realistic mode
    (datagen.realistic, seeded by the day) and what they hold is recorded after the commit
    (realistic.record_day)."""
    plan = days.plan(date, parts, anomaly)
    realism = None if realistic_share is None else realistic.Realism(plan.seed, realistic_share)
    day_writer = target.begin_day(date, source="datagen")
    try:
        sink = _DaySink(day_writer, plan.rows, realism)
        if sum(plan.rows.values()) < SMALL_DAY_ROWS:
            jobs = 1
        with writer.ChunkMaker(plan, jobs) as maker:
            for name in DATASET_ORDER:
                writer.write_dataset(sink, plan, name, maker.chunks(name), on_rows)
        for name in DATASET_ORDER:  # the commit counts the rows in its files: the plan's
            counted = sum(f.rows for f in day_writer.files.get(name, ()))
            if counted != plan.write_rows(name):
                raise RuntimeError(f"{date} {name}: {counted} rows written, "
                                   f"{plan.write_rows(name)} planned")
        day_writer.commit(keep_previous=False)
    except BaseException:
        day_writer.abort()
        raise
    if realism is not None:
        realistic.record_day(target, date, realism.summary())
    return {name: plan.write_rows(name) for name in DATASET_ORDER}


def estimate_rows(world, days, first=True):
    """{dataset: rows} about what landing `days` days of `world` writes (for the size check)."""
    sizes = world.sizes
    customers = sizes["signup_rate"] * sizes["backlog_customers"] * days
    return {"orders": sizes["orders_per_day"] * days,
            "customers": int(customers + (sizes["backlog_customers"] if first else 0)),
            "clickstream": sizes["clicks_per_day"] * days}


def open_world(target, seed, scale, first_day, orders=None, customers=None, clicks=None):
    """The landing zone's World, made on a first landing; refuses another seed or size."""
    asked = make_world(seed, scale, first_day, orders, customers, clicks)
    world = target.read_world()
    if world is None:
        target.write_world(asked)
        return target.read_world()
    if (world.seed, world.sizes) != (asked.seed, {**asked.sizes}):
        raise PlanError(
            f"{target.world_path()} was landed with seed {world.seed}, scale {world.scale:g} "
            f"({world.sizes['orders_per_day']:,} orders a day): land with the same --seed and "
            "sizes to continue it, or into another --out")
    if world.generator_version != datagen.__version__:
        raise PlanError(f"{target.world_path()} was landed by generator "
                        f"{world.generator_version}, this is {datagen.__version__}: its days "
                        "would not continue the same data; land into another --out")
    return world


def split_by_hour(dataset, data):
    """{hour: CSV bytes} of a day's rows (no header), by the hour of their time column;
    customers all land with the first hour."""
    if dataset == "customers":
        return {0: data}
    column = schemas.DATASETS[dataset].index("order_date" if dataset == "orders" else "timestamp")
    hours = {}
    text = data.decode("utf-8")
    for line, row in zip(text.splitlines(keepends=True),
                         csv.reader(io.StringIO(text, newline=""))):
        hours.setdefault(int(row[column][11:13]), []).append(line)
    return {h: "".join(lines).encode("utf-8") for h, lines in hours.items()}


def day_rows(days, date):
    """{dataset: CSV bytes without header} of one whole day (in memory)."""
    plan = days.plan(date)
    out = {}
    for name in DATASET_ORDER:
        out[name] = b"".join(data for _, data in
                             (writer.make_chunk(plan, name, k)
                              for k in range(writer.GENERATORS[name].chunk_count(plan))))
    return out


def follow(target, days, first_day, interval, ticks=None, say=print, sleep=time.sleep):
    """Land one simulated hour of the days from `first_day` on every `interval` seconds:
    each hour is a new file per dataset and a new commit of its day (open until hour 23,
    then closed). Stops after `ticks` hours (None: never). Returns the hours landed."""
    landed = 0
    date = first_day
    while True:
        rows = day_rows(days, date)
        pieces = {name: split_by_hour(name, data) for name, data in rows.items()}
        for hour in range(24):
            if ticks is not None and landed >= ticks:
                return landed
            day_writer = target.begin_day(date, source="datagen --follow")
            try:
                for name in DATASET_ORDER:
                    body = pieces[name].get(hour, b"")
                    if hour and not body:
                        continue
                    header = (schemas.DATASETS[name].header + "\n").encode()
                    with day_writer.open(name, f"hour-{hour:02d}.csv", count_rows=True) as f:
                        f.write(header + body)
                day_writer.commit(closed=hour == 23, keep_previous=hour > 0, append=hour > 0)
            except BaseException:
                day_writer.abort()
                raise
            landed += 1
            say(f"landed {date} {hour:02d}:00-{hour:02d}:59"
                + (" (day closed)" if hour == 23 else ""))
            if ticks is None or landed < ticks:
                sleep(interval)
        date += dt.timedelta(days=1)
