"""Fraud and bot signals: bursty sessions, customers ordering unusually often in a day, orders far above a customer's usual amount."""

import datetime
from fractions import Fraction

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import (
    CanonicalJob,
    add_buckets_arg,
    bucket_rows,
    check_buckets_arg,
    group_order,
    group_starts,
    half_up_div,
    money,
    pack_array,
    pack_times,
    unpack_array,
    unpack_times,
)
from ecomsuite.rows import buckets_of, np
from ecomsuite.schemas import CLICKSTREAM, ORDERS

BOT_SESSION = "bot_session"          # rule: too many events in a 60-second window
ORDER_BURST = "order_burst"          # rule: too many orders in one day
AMOUNT_OUTLIER = "amount_outlier"    # rule: an order far above the customer's usual amount
RULES = (BOT_SESSION, ORDER_BURST, AMOUNT_OUTLIER)
SESSION_KEY, CUSTOMER_KEY = "s", "c"  # reduce keys [kind, bucket]: sessions' or customers' data
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
def busiest_windows(keys, starts, seconds=WINDOW_SECONDS):
    """Per group of sorted `keys` (group * 2**34 + seconds): the most events in any window
    [t, t + seconds) and the index of that window's first event (the earliest such)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    within = np.searchsorted(keys, keys + seconds, side="left") - np.arange(len(keys))
    most = np.maximum.reduceat(within, starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(keys))))
    at_most = np.flatnonzero(within == most[group])
    first = at_most[group_starts(group[at_most])]
    return most, first


def distinct_ids(ids):
    """(distinct ids, each id's index into them, whether some id was given twice) of the
    bucket's parts' ids, with one sort of the ids; when none repeats, the ids keep
    their order (and the parts' rows need no merge)."""
    order = np.argsort(ids, kind="stable")
    starts = group_starts(ids[order])
    if len(starts) == len(ids):
        return ids, np.arange(len(ids)), False
    rank = np.zeros(len(ids), dtype=np.int64)
    rank[starts] = 1
    code = np.empty(len(ids), dtype=np.int64)
    code[order] = np.cumsum(rank) - 1
    return ids[order[starts]], code, True


def twice_median_without(amounts, starts, sizes, position):
    """2 x the median of each group of sorted `amounts` without the element at `position`
    (an index into amounts; its group starts at starts, has sizes elements); needs sizes >= 2."""
    m = sizes - 1
    i = position - starts

    def at(rank):
        return amounts[starts + rank + (rank >= i)]
    upper = at(m // 2)
    lower = at(np.maximum((m - 1) // 2, 0))
    return np.where(m % 2 == 1, 2 * upper, lower + upper)


def day_iso(day):
    """Days since the epoch -> "YYYY-MM-DD"."""
    return (EPOCH + datetime.timedelta(day)).isoformat()


def format_epoch(seconds):
    """Seconds since the epoch -> "YYYY-MM-DD HH:MM:SS"."""
    days, rest = divmod(seconds, 86400)
    day = EPOCH + datetime.timedelta(days)
    return f"{day.isoformat()} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"


class MRFraudSignals(CanonicalJob):
    NAME = "fraud_signals"
    KEY_FIELDS = ("rule", "entity_id")  # names of the output key's parts (Parquet export)
    DATASET = CLICKSTREAM
    # Sessions and customers are split into reduce keys each by a stable hash of their
    # id: at least two (the local runner's two cores, and a day partition's keys), over a
    # whole input one per jobbase.ROWS_PER_BUCKET rows.
    FEWEST_BUCKETS = 2

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
        add_buckets_arg(self, "sessions and the customers each")

    def load_args(self, args):
        super().load_args(args)
        o = self.options
        if o.max_events_per_minute < 1:
            self.arg_parser.error("--max-events-per-minute must be at least 1")
        if o.max_orders_per_day < 1:
            self.arg_parser.error("--max-orders-per-day must be at least 1")
        if o.outlier_min_orders < 1:
            self.arg_parser.error("--outlier-min-orders must be at least 1")
        check_buckets_arg(self)
        try:
            self.outlier_factor = Fraction(o.outlier_factor)
        except (ValueError, ZeroDivisionError):
            self.outlier_factor = 0
        if self.outlier_factor < 1:
            self.arg_parser.error("--outlier-factor must be a number of at least 1")

    # A day's partials (docs/days.md): the mapper's records of each bucket merged into
    # one of the same form. Sessions: every event time of each session (sorted by id,
    # then time), its event count and smallest customer, so a session whose events are
    # on two days (a minute crossing midnight) merges by id into the same busiest window.
    # Customers: every order (customer, order id, order day, cents), sorted, so per-day
    # counts, totals and each customer's median of other orders are those of the period.
    PARTIAL_STEP = 0

    def steps(self):
        return self.partial_steps([MRStep(mapper_raw=self.mapper_raw_bucket_records,
                                          reducer=self.reducer_judge_bucket)])

    def merge_partials(self, key, records):
        """The bucket's records as one record of the same form, in a fixed order (sessions
        or customers by id, then event time or order day, id and amount)."""
        if key[0] == SESSION_KEY:
            parts = [(unpack_array(s), unpack_array(c), unpack_array(n), unpack_times(t))
                     for s, c, n, t in records]
            sessions, customers, counts, times = (np.concatenate(p) for p in zip(*parts))
            names, code = np.unique(sessions, return_inverse=True)
            per_event = np.repeat(code, counts)
            times = times[np.lexsort((times, per_event))]
            by_customer = np.lexsort((customers, code))  # each session's smallest first
            smallest = customers[by_customer[group_starts(code[by_customer])]]
            yield [pack_array(names), pack_array(smallest),
                   pack_array(np.bincount(per_event, minlength=len(names))), pack_times(times)]
        else:
            customers, order_ids, days, cents = (
                np.concatenate([unpack_array(p) for p in column]) for column in zip(*records))
            order = np.lexsort((cents, order_ids, days, customers))
            yield [pack_array(customers[order]), pack_array(order_ids[order]),
                   pack_array(days[order]), pack_array(cents[order])]

    def mapper_raw_bucket_records(self, input_path, input_uri):
        """Per bucket of this file's sessions (or customers): their events' times (or orders)."""
        dataset = self.input_dataset(input_path)
        # timestamps as the epoch seconds Parquet stores (no text made and parsed back)
        for columns in self.iter_columns(input_path, COLUMNS_READ[dataset.name], dataset,
                                         seconds=True):
            if dataset is CLICKSTREAM:
                yield from self.session_records(*columns)
            else:
                yield from self.customer_records(*columns)

    def session_records(self, times, sessions, customers):
        order = group_order(sessions, times)
        sessions, times, customers = sessions[order], times[order], customers[order]
        starts = group_starts(sessions)
        counts = np.diff(np.append(starts, len(sessions)))
        group = np.repeat(np.arange(len(starts)), counts)
        first_customer = customers[starts]
        smallest = first_customer.copy()
        mixed = np.flatnonzero(customers != first_customer[group])
        for g in np.unique(group[mixed]).tolist():
            smallest[g] = min(customers[starts[g]:starts[g] + counts[g]].tolist())
        buckets = buckets_of(sessions[starts], self.bucket_count())
        event_rows = dict(bucket_rows(buckets[group], self.bucket_count()))
        for b, groups in bucket_rows(buckets, self.bucket_count()):
            yield [SESSION_KEY, b], [pack_array(sessions[starts[groups]]),
                                     pack_array(smallest[groups]),
                                     pack_array(counts[groups]),
                                     pack_times(times[event_rows[b]])]

    def customer_records(self, order_ids, customers, cents, seconds):
        days = seconds // 86400  # the order's day, as days since the epoch
        for b, rows in bucket_rows(buckets_of(customers, self.bucket_count()),
                                   self.bucket_count()):
            yield [CUSTOMER_KEY, b], [pack_array(customers[rows]), pack_array(order_ids[rows]),
                                      pack_array(days[rows]), pack_array(cents[rows])]

    def reducer_judge_bucket(self, key, records):
        if key[0] == SESSION_KEY:
            yield from self.judge_sessions(records)
        else:
            yield from self.judge_customers(records)

    def judge_sessions(self, records):
        """Merge the files' parts of a bucket's sessions; flag those with a busy minute."""
        parts = [(unpack_array(s), unpack_array(c), unpack_array(n), unpack_times(t))
                 for s, c, n, t in records]
        sessions, customers, counts, times = (np.concatenate(p) for p in zip(*parts))
        if not len(times):
            return
        names, code, merged = distinct_ids(sessions)
        # one int64 key per event, (session, time): one integer sort merges the parts
        low = int(times.min())
        keys = np.repeat(code, counts) * 2**34 + (times - low)
        if merged:
            keys.sort()
        per_event = keys >> 34
        times = (keys & (2**34 - 1)) + low
        starts = group_starts(per_event)
        most, first = busiest_windows(keys, starts)
        limit = self.options.max_events_per_minute
        flagged = np.flatnonzero(most > limit)
        if not len(flagged):
            return
        sizes = np.diff(np.append(starts, len(keys)))
        smallest_customer = {}
        for part in np.flatnonzero(np.isin(code, per_event[starts[flagged]])).tolist():
            g = int(code[part])
            if g not in smallest_customer or customers[part] < smallest_customer[g]:
                smallest_customer[g] = customers[part]
        for g in flagged.tolist():
            session = int(per_event[starts[g]])
            yield [BOT_SESSION, names[session].decode()], {
                "entity": "session",
                "customer_id": smallest_customer[session].decode(),
                "events_in_window": int(most[g]),
                "window_start": format_epoch(int(times[first[g]])),
                "session_events": int(sizes[g]),
                "limit": limit,
            }

    def judge_customers(self, records):
        """Merge the files' parts of a bucket's customers; flag bursts and outlier orders."""
        customers, order_ids, days, amounts = (
            np.concatenate([unpack_array(p) for p in column]) for column in zip(*records))
        if not len(customers):
            return
        names, code = np.unique(customers, return_inverse=True)
        day_names, day = np.unique(days, return_inverse=True)
        yield from self.judge_bursts(names, code, day_names, day, np.bincount(code))
        yield from self.judge_amounts(names, code, amounts, order_ids, days)

    def judge_bursts(self, names, code, day_names, day, totals):
        limit = self.options.max_orders_per_day
        per_day = np.bincount(code * len(day_names) + day)
        busy = np.flatnonzero(per_day > limit)
        found = {}
        for g in busy.tolist():
            c, d = divmod(g, len(day_names))
            found.setdefault(c, []).append((day_iso(int(day_names[d])), int(per_day[g])))
        for c, busy_days in sorted(found.items()):
            yield [ORDER_BURST, names[c].decode()], {
                "entity": "customer",
                "days": [{"date": d, "orders": n} for d, n in sorted(busy_days)],
                "max_orders_in_a_day": max(n for _, n in busy_days),
                "total_orders": int(totals[c]),
                "limit": limit,
            }

    def judge_amounts(self, names, code, amounts, order_ids, days):
        """An order is flagged when amount > factor x the median of the customer's other
        orders, judged only with at least --outlier-min-orders other orders."""
        order = np.lexsort((amounts, code))
        sorted_code, sorted_amounts = code[order], amounts[order]
        starts = group_starts(sorted_code)
        sizes = np.diff(np.append(starts, len(order)))
        group = np.repeat(np.arange(len(starts)), sizes)
        judged = np.flatnonzero(sizes[group] - 1 >= self.options.outlier_min_orders)
        if not len(judged):
            return
        twice = twice_median_without(sorted_amounts, starts[group[judged]], sizes[group[judged]],
                                     judged)
        factor = self.outlier_factor
        # amount > factor x twice / 2, exactly: 2 x amount x den > num x twice
        if factor.denominator < 2**20 and factor.numerator < 2**20:
            high = 2 * sorted_amounts[judged] * factor.denominator > factor.numerator * twice
            candidates = judged[high].tolist()
            twice_of = dict(zip(judged.tolist(), twice.tolist()))
        else:  # thresholds too fine for int64: decide with Python integers
            twice_of = dict(zip(judged.tolist(), twice.tolist()))
            candidates = [p for p, t in twice_of.items() if 2 * int(sorted_amounts[p]) > factor * t]
        for p in candidates:
            row = int(order[p])
            cents, twice_median = int(sorted_amounts[p]), twice_of[p]
            yield [AMOUNT_OUTLIER, order_ids[row].decode()], {
                "entity": "order",
                "customer_id": names[sorted_code[p]].decode(),
                "order_date": day_iso(int(days[row])),
                "amount": money(cents),
                "median_of_other_orders": money(half_up_div(twice_median, 2)),
                "times_median": round(cents * 2 / twice_median, 2) if twice_median else None,
                "other_orders": int(sizes[group[p]]) - 1,
                "factor": float(factor),
            }


if __name__ == "__main__":
    MRFraudSignals.run()
