"""Fraud and bot signals: bursty sessions, customers ordering unusually often in a day, orders far above a customer's usual amount."""

import datetime
from bisect import bisect_left
from fractions import Fraction

from mrjob.step import MRStep

from ecomsuite.jobbase import CSVJob, half_up_div, money
from ecomsuite.schemas import CLICKSTREAM, ORDERS

BOT_SESSION = "bot_session"          # rule: too many events in a 60-second window
ORDER_BURST = "order_burst"          # rule: too many orders in one day
AMOUNT_OUTLIER = "amount_outlier"    # rule: an order far above the customer's usual amount
RULES = (BOT_SESSION, ORDER_BURST, AMOUNT_OUTLIER)
SESSION_KEY, CUSTOMER_KEY = "s", "c"  # reduce-key prefixes: a session's or a customer's records
WINDOW_SECONDS = 60
DEFAULT_MAX_EVENTS_PER_MINUTE = 8
DEFAULT_MAX_ORDERS_PER_DAY = 10
DEFAULT_OUTLIER_FACTOR = "10"
DEFAULT_OUTLIER_MIN_ORDERS = 3
EPOCH = datetime.date(1970, 1, 1)
COLUMNS_READ = {
    CLICKSTREAM.name: ("timestamp", "session_id", "customer_id"),
    ORDERS.name: ("order_id", "customer_id", "total_amount", "order_date"),
}


def _days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


class EpochSeconds:
    """"YYYY-MM-DD HH:MM:SS" -> seconds since the epoch (UTC-naive), one date parse per day."""

    def __init__(self):
        self.days = {}

    def __call__(self, timestamp):
        date = timestamp[:10]
        day = self.days.get(date)
        if day is None:
            day = self.days[date] = 86400 * _days_from_civil(
                int(date[:4]), int(date[5:7]), int(date[8:10]))
        return day + int(timestamp[11:13]) * 3600 + int(timestamp[14:16]) * 60 + int(timestamp[17:19])


def busiest_window(times, seconds=WINDOW_SECONDS):
    """(most events in any `seconds`-long window [t, t + seconds), index of its first event); `times` sorted."""
    best, start, j = 0, 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - seconds:
            j += 1
        if i - j + 1 > best:
            best, start = i - j + 1, j
    return best, start


def median_without(amounts, i):
    """2 x the median of sorted `amounts` without the element at index i (an integer)."""
    m = len(amounts) - 1

    def at(rank):
        return amounts[rank if rank < i else rank + 1]
    if m % 2:
        return 2 * at(m // 2)
    return at(m // 2 - 1) + at(m // 2)


def format_epoch(seconds):
    """Seconds since the epoch -> "YYYY-MM-DD HH:MM:SS"."""
    days, rest = divmod(seconds, 86400)
    day = EPOCH + datetime.timedelta(days)
    return f"{day.isoformat()} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"


class MRFraudSignals(CSVJob):
    NAME = "fraud_signals"
    KEY_FIELDS = ("rule", "entity_id")  # names of the output key's parts (Parquet export)
    CALENDAR_CHECKED = True  # dates are used as days: 2025-02-30 is malformed
    DATASET = CLICKSTREAM

    @classmethod
    def input_datasets(cls):
        return (CLICKSTREAM.name, ORDERS.name)

    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg(
            "--max-events-per-minute", type=int, default=DEFAULT_MAX_EVENTS_PER_MINUTE,
            help="flag a session with more events than this in any 60-second window "
                 "(default: %(default)s)")
        self.add_passthru_arg(
            "--max-orders-per-day", type=int, default=DEFAULT_MAX_ORDERS_PER_DAY,
            help="flag a customer with more orders than this on one day (default: %(default)s)")
        self.add_passthru_arg(
            "--outlier-factor", default=DEFAULT_OUTLIER_FACTOR,
            help="flag an order above this many times the median of the customer's other "
                 "orders (default: %(default)s)")
        self.add_passthru_arg(
            "--outlier-min-orders", type=int, default=DEFAULT_OUTLIER_MIN_ORDERS,
            help="... when the customer has at least this many other orders "
                 "(default: %(default)s)")

    def load_args(self, args):
        super().load_args(args)
        o = self.options
        if o.max_events_per_minute < 1:
            self.arg_parser.error("--max-events-per-minute must be at least 1")
        if o.max_orders_per_day < 1:
            self.arg_parser.error("--max-orders-per-day must be at least 1")
        if o.outlier_min_orders < 1:
            self.arg_parser.error("--outlier-min-orders must be at least 1")
        try:
            self.outlier_factor = Fraction(o.outlier_factor)
        except (ValueError, ZeroDivisionError):
            self.outlier_factor = 0
        if self.outlier_factor < 1:
            self.arg_parser.error("--outlier-factor must be a number of at least 1")

    def steps(self):
        return [MRStep(mapper_raw=self.mapper_raw_entity_records,
                       reducer=self.reducer_judge_entity)]

    def mapper_raw_entity_records(self, input_path, input_uri):
        """One record per session (its event times) or customer (their orders) of this file."""
        dataset = self.input_dataset(input_path, input_uri)
        if dataset is None:
            return
        rows = self.read_rows(input_path, dataset, COLUMNS_READ[dataset.name])
        grouped = {}
        if dataset is CLICKSTREAM:
            epoch = EpochSeconds()
            for timestamp, session, customer in rows:
                g = grouped.get(session)
                if g is None:
                    g = grouped[session] = [customer, []]
                g[1].append(epoch(timestamp))
            for session, record in grouped.items():
                yield [SESSION_KEY, session], record
        else:
            for order, customer, cents, order_date in rows:
                g = grouped.get(customer)
                if g is None:
                    g = grouped[customer] = []
                g.append([order, order_date[:10], cents])
            for customer, orders in grouped.items():
                yield [CUSTOMER_KEY, customer], orders

    def reducer_judge_entity(self, key, records):
        kind, entity = key
        if kind == SESSION_KEY:
            yield from self.judge_session(entity, records)
        else:
            orders = [o for part in records for o in part]
            yield from self.judge_customer(entity, orders)

    def judge_session(self, session, records):
        customers, times = set(), []
        for customer, part in records:
            customers.add(customer)
            times.extend(part)
        times.sort()
        most, start = busiest_window(times)
        if most > self.options.max_events_per_minute:
            yield [BOT_SESSION, session], {
                "entity": "session",
                "customer_id": min(customers),
                "events_in_window": most,
                "window_start": format_epoch(times[start]),
                "session_events": len(times),
                "limit": self.options.max_events_per_minute,
            }

    def judge_customer(self, customer, orders):
        per_day = {}
        for _, day, _ in orders:
            per_day[day] = per_day.get(day, 0) + 1
        limit = self.options.max_orders_per_day
        busy = sorted((day, n) for day, n in per_day.items() if n > limit)
        if busy:
            yield [ORDER_BURST, customer], {
                "entity": "customer",
                "days": [{"date": day, "orders": n} for day, n in busy],
                "max_orders_in_a_day": max(n for _, n in busy),
                "total_orders": len(orders),
                "limit": limit,
            }
        if len(orders) - 1 < self.options.outlier_min_orders:
            return
        amounts = sorted(cents for _, _, cents in orders)
        factor = self.outlier_factor
        for order, day, cents in orders:
            twice_median = median_without(amounts, bisect_left(amounts, cents))
            if 2 * cents > factor * twice_median:
                yield [AMOUNT_OUTLIER, order], {
                    "entity": "order",
                    "customer_id": customer,
                    "order_date": day,
                    "amount": money(cents),
                    "median_of_other_orders": money(half_up_div(twice_median, 2)),
                    "times_median": round(cents * 2 / twice_median, 2) if twice_median else None,
                    "other_orders": len(orders) - 1,
                    "factor": float(factor),
                }


if __name__ == "__main__":
    MRFraudSignals.run()
