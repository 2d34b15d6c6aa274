"""Daily revenue per day and region, with days whose orders or net revenue break from the trailing week flagged."""

import datetime
import math
from fractions import Fraction

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import (
    CanonicalJob,
    civil_numbers,
    day_text,
    epoch_days,
    half_up_div,
    money,
)
from ecomsuite.rows import group_sums, np
from ecomsuite.schemas import DATE_FORMAT, ORDERS, REFUND_STATUSES, REGIONS, STATUSES

ALL_REGIONS = "all"      # the region key of the totals over every region
ALL_DAYS = "days"        # one reduce key: judging a day needs the days before it
COMPLETED_CODE = STATUSES.index("COMPLETED")
REFUND_CODES = {STATUSES.index(s) for s in REFUND_STATUSES}
DEFAULT_WINDOW_DAYS = 7
DEFAULT_Z_THRESHOLD = "2"
DEFAULT_MIN_RELATIVE_CHANGE = "0.25"
# The judged metrics: (output field, index in the per-day totals, is money).
ORDERS_I, COMPLETED_I, GROSS_I, NET_I, NET_ORDERS_I, REFUNDS_I, REFUNDED_I = range(7)
JUDGED = (("orders", ORDERS_I, False), ("net_revenue", NET_I, True))


def judge(value, window, z_threshold, min_relative_change):
    """Is `value` an anomaly against `window` (the previous days' values)? -> (flagged, z).

    Flagged when it lies more than `z_threshold` sample standard deviations
    from the window's mean AND differs from that mean by more than
    `min_relative_change` of it. Decided exactly on integers (thresholds are
    Fractions); z is the float z-score, None when the window is constant.
    """
    w = len(window)
    total = sum(window)
    spread = w * sum(v * v for v in window) - total * total  # w (w-1) x sample variance
    deviation = w * value - total                             # w * (value - mean)
    if abs(deviation) <= min_relative_change * total:
        return False, None
    if spread == 0:
        return deviation != 0, None
    # |value - mean| > z * s  <=>  (w-1) deviation^2 > z^2 w spread
    flagged = (w - 1) * deviation * deviation > z_threshold * z_threshold * w * spread
    z = deviation / math.sqrt(w * spread / (w - 1))
    return flagged, round(z, 4)


def add_order(totals, key, cents, status, n=1):
    """Add `n` orders of one status (an index into STATUSES) worth `cents` in all to totals[key]."""
    t = totals.get(key)
    if t is None:
        t = totals[key] = [0, 0, 0, 0, 0, 0, 0]
    t[ORDERS_I] += n
    t[GROSS_I] += cents
    if status in REFUND_CODES:
        t[REFUNDS_I] += n
        t[REFUNDED_I] += cents
    else:
        t[NET_ORDERS_I] += n
        t[NET_I] += cents
        if status == COMPLETED_CODE:
            t[COMPLETED_I] += n


class MRDailyRevenue(CanonicalJob):
    NAME = "daily_revenue"
    KEY_FIELDS = ("day", "region")  # names of the output key's parts (Parquet export)
    DATASET = ORDERS
    COLUMNS = ("total_amount", "order_date", "status", "region")
    PARTIAL_STEP = 0   # a day's partials: its [day, region, *totals] per region
    WINDOW_BEFORE = DEFAULT_WINDOW_DAYS   # a period's first day is judged on the week before

    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg(
            "--window-days", type=int, default=DEFAULT_WINDOW_DAYS,
            help="a day is judged against this many previous days; earlier days are "
                 "not judged (default: %(default)s)")
        self.add_passthru_arg(
            "--z-threshold", default=DEFAULT_Z_THRESHOLD,
            help="flag a day more than this many standard deviations from the trailing "
                 "mean (default: %(default)s)")
        self.add_passthru_arg(
            "--min-relative-change", default=DEFAULT_MIN_RELATIVE_CHANGE,
            help="and only when it differs from the trailing mean by more than this share "
                 "of it (0 turns this off; default: %(default)s)")

    def load_args(self, args):
        super().load_args(args)
        if self.options.window_days < 2:
            self.arg_parser.error("--window-days must be at least 2")
        for name in ("z_threshold", "min_relative_change"):
            try:
                value = Fraction(getattr(self.options, name))
            except (ValueError, ZeroDivisionError):
                value = -1
            if value < 0:
                self.arg_parser.error(
                    f"--{name.replace('_', '-')} must be a non-negative number")
            setattr(self, name, value)

    def steps(self):
        return self.partial_steps([MRStep(mapper_raw=self.mapper_raw_day_region_totals,
                                          reducer=self.reducer_days)])

    def merge_partials(self, _, partials):
        totals = {}
        for day, region, *t in partials:
            into = totals.setdefault((day, region), [0] * len(t))
            for i, n in enumerate(t):
                into[i] += n
        for (day, region), t in sorted(totals.items()):
            yield [day, region, *t]

    def mapper_raw_day_region_totals(self, input_path, input_uri):
        """In-mapper combining: one total per (day, region) of this file."""
        totals = {}
        for columns in self.iter_columns(input_path, seconds=True):
            self.add_rows(totals, *columns)
        for (day, region), t in totals.items():
            yield ALL_DAYS, [day, region, *t]

    @staticmethod
    def add_rows(totals, cents, seconds, status, region):
        """Group the rows by (day, region, status) with numpy, then fold."""
        if not len(seconds):
            return
        day = epoch_days(seconds)
        first = int(day.min())
        day -= first
        days = civil_numbers(np.arange(first, first + int(day.max()) + 1))
        groups = len(days) * len(REGIONS) * len(STATUSES)
        key = (day * len(REGIONS) + region) * len(STATUSES) + status
        counts = np.bincount(key, minlength=groups).tolist()
        sums = group_sums(key, cents, groups).tolist()
        for g in np.flatnonzero(counts).tolist():
            d, rest = divmod(g, len(REGIONS) * len(STATUSES))
            r, st = divmod(rest, len(STATUSES))
            add_order(totals, (day_text(int(days[d])), REGIONS[r]), sums[g], st, counts[g])

    def reducer_days(self, _, partials):
        """Sum the partials per day and region, fill the calendar, judge each series."""
        series = {region: {} for region in (*REGIONS, ALL_REGIONS)}
        for day, region, *t in partials:
            for key in (region, ALL_REGIONS):
                totals = series[key].setdefault(day, [0] * len(t))
                for i, n in enumerate(t):
                    totals[i] += n
        days = sorted(series[ALL_REGIONS])
        if not days:
            return
        first = datetime.datetime.strptime(days[0], DATE_FORMAT).date()
        last = datetime.datetime.strptime(days[-1], DATE_FORMAT).date()
        calendar = [(first + datetime.timedelta(d)).strftime(DATE_FORMAT)
                    for d in range((last - first).days + 1)]
        for region, by_day in series.items():
            rows = [by_day.get(day) or [0] * 7 for day in calendar]
            # Only the all-regions series is judged: a region's day holds a sixth
            # of the orders, too few for a z-score on a week of days to mean much.
            judged_from = self.options.window_days if region == ALL_REGIONS else len(rows)
            for i, day in enumerate(calendar):
                yield [day, region], self.day_record(rows, i, judged_from)

    def day_record(self, rows, i, judged_from):
        """A day's totals; judged against the `window` days before it when i >= judged_from."""
        window = self.options.window_days
        t = rows[i]
        record = {
            "orders": t[ORDERS_I],
            "completed_orders": t[COMPLETED_I],
            "gross_revenue": money(t[GROSS_I]),
            "net_revenue": money(t[NET_I]),
            "average_order_value":
                money(half_up_div(t[NET_I], t[NET_ORDERS_I])) if t[NET_ORDERS_I] else None,
            "refunds": t[REFUNDS_I],
            "refunded_amount": money(t[REFUNDED_I]),
            "judged": i >= judged_from,
            "anomaly": False,
            "anomalies": [],
        }
        if i < judged_from:
            return record
        for name, index, is_money in JUDGED:
            previous = [r[index] for r in rows[i - window:i]]
            flagged, z = judge(t[index], previous, self.z_threshold, self.min_relative_change)
            if flagged:
                mean = half_up_div(sum(previous), window)
                record["anomalies"].append({
                    "metric": name,
                    "value": money(t[index]) if is_money else t[index],
                    "trailing_mean": money(mean) if is_money else round(sum(previous) / window, 2),
                    "z_score": z,
                })
        record["anomaly"] = bool(record["anomalies"])
        return record


if __name__ == "__main__":
    MRDailyRevenue.run()
