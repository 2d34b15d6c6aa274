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
    id_keys,
    id_names,
    money,
    pack_array,
    pack_keys,
    pack_times,
    pair_order,
    unite_keys,
    unpack_array,
    unpack_times,
)
from ecomsuite.rows import buckets_of, np
from ecomsuite.schemas import (
    CLICKSTREAM,
    CUSTOMER_ID_PREFIX,
    ORDER_ID_PREFIX,
    ORDERS,
    SESSION_ID_PREFIX,
)

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


def unkeyed(columns):
    """pack_keys() pairs of several records -> (their keys, in one table of names, and the
    names)."""
    parts = [(unpack_array(keys), names) for keys, names in columns]
    united, names = unite_keys(parts)
    return np.concatenate(united), names


def smallest_of_groups(keys, names, prefix, starts):
    """The smallest id, as text compares, of each group of `keys` (rows grouped,
    groups starting at `starts`), as a key into `names`. Integer keys order as their
    ids only within one digit count, so a group holding two ids compares their text."""
    first = keys[starts]
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(keys))))
    smallest = first.copy()
    for g in np.unique(group[keys != first[group]]).tolist():
        ids = np.unique(keys[group == g])
        smallest[g] = ids[np.argmin(id_names(ids, names, prefix))]
    return smallest


def event_times(firsts, counts, gaps):
    """Each event's seconds from each session's first event time and its events' gaps
    from the one before (0 for a session's first)."""
    if not len(gaps):
        return np.zeros(0, dtype=np.int64)
    run = np.cumsum(gaps)
    starts = np.cumsum(counts) - counts
    return np.repeat(firsts - run[starts], counts) + run


def time_gaps(times, starts):
    """event_times' gaps of times sorted within groups starting at `starts`."""
    gaps = np.diff(times, prepend=times[:1])
    gaps[starts] = 0
    return gaps


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
    # 2: ids as integer keys (jobbase.id_keys) with their names, event times as each
    # session's first time and the gaps between its events
    PARTIALS_FORMAT = 2

    def steps(self):
        return self.partial_steps([MRStep(mapper_raw=self.mapper_raw_bucket_records,
                                          reducer=self.reducer_judge_bucket)])

    def merge_partials(self, key, records):
        """The bucket's records as one record of the same form, in a fixed order (sessions
        or customers by id, then event time or order day, id and amount)."""
        if key[0] == SESSION_KEY:
            sessions, names, customers, customer_names, counts, times = \
                self.session_events(records)
            per_event = np.repeat(sessions, counts)
            order = np.lexsort((times, per_event))
            per_event, times = per_event[order], times[order]
            starts = group_starts(per_event)
            by_customer = np.argsort(sessions, kind="stable")
            first_of = group_starts(sessions[by_customer])
            smallest = smallest_of_groups(customers[by_customer], customer_names,
                                          CUSTOMER_ID_PREFIX, first_of)
            yield [*pack_keys(per_event[starts], names), *pack_keys(smallest, customer_names),
                   pack_array(np.diff(np.append(starts, len(times)))),
                   pack_times(times[starts]), pack_array(time_gaps(times, starts))]
        else:
            (customers, customer_names), (order_ids, order_names), days, cents = \
                self.order_rows(records)
            order = np.lexsort((cents, order_ids, days, customers))
            yield [*pack_keys(customers[order], customer_names),
                   *pack_keys(order_ids[order], order_names),
                   pack_array(days[order]), pack_array(cents[order])]

    @staticmethod
    def session_events(records):
        """A bucket's session records concatenated: (session keys, their names, each
        session's smallest customer key, the customers' names, events per session,
        every event's time in session order)."""
        columns = list(zip(*records))
        sessions, names = unkeyed(zip(columns[0], columns[1]))
        customers, customer_names = unkeyed(zip(columns[2], columns[3]))
        counts = np.concatenate([unpack_array(c) for c in columns[4]])
        firsts = np.concatenate([unpack_times(t) for t in columns[5]])
        gaps = np.concatenate([unpack_array(g) for g in columns[6]])
        return sessions, names, customers, customer_names, counts, \
            event_times(firsts, counts, gaps)

    @staticmethod
    def order_rows(records):
        """A bucket's order records concatenated: ((customer keys, names), (order keys,
        names), days, cents)."""
        columns = list(zip(*records))
        return (unkeyed(zip(columns[0], columns[1])), unkeyed(zip(columns[2], columns[3])),
                np.concatenate([unpack_array(d) for d in columns[4]]),
                np.concatenate([unpack_array(c) for c in columns[5]]))

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
        # a file holds a session's events together: key the runs of equal ids, not each event
        runs = group_starts(sessions)
        run_keys, names = id_keys(sessions[runs], SESSION_ID_PREFIX)
        keys = np.repeat(run_keys, np.diff(np.append(runs, len(sessions))))
        order = group_order(keys, times)
        keys, times, customers = keys[order], times[order], customers[order]
        starts = group_starts(keys)
        counts = np.diff(np.append(starts, len(keys)))
        group = np.repeat(np.arange(len(starts)), counts)
        first_customer = customers[starts]
        smallest = first_customer.copy()
        # sessions whose customer changes between two of their events
        mixed = group[1:][(customers[1:] != customers[:-1]) & (keys[1:] == keys[:-1])]
        for g in np.unique(mixed).tolist():
            smallest[g] = min(customers[starts[g]:starts[g] + counts[g]].tolist())
        customer_keys, customer_names = id_keys(smallest, CUSTOMER_ID_PREFIX)
        gaps = time_gaps(times, starts)
        buckets = buckets_of(sessions[order[starts]], self.bucket_count())
        event_rows = dict(bucket_rows(buckets[group], self.bucket_count()))
        for b, groups in bucket_rows(buckets, self.bucket_count()):
            yield [SESSION_KEY, b], [*pack_keys(keys[starts[groups]], names),
                                     *pack_keys(customer_keys[groups], customer_names),
                                     pack_array(counts[groups]),
                                     pack_times(times[starts[groups]]),
                                     pack_array(gaps[event_rows[b]])]

    def customer_records(self, order_ids, customers, cents, seconds):
        days = seconds // 86400  # the order's day, as days since the epoch
        customer_keys, customer_names = id_keys(customers, CUSTOMER_ID_PREFIX)
        order_keys, order_names = id_keys(order_ids, ORDER_ID_PREFIX)
        for b, rows in bucket_rows(buckets_of(customers, self.bucket_count()),
                                   self.bucket_count()):
            yield [CUSTOMER_KEY, b], [*pack_keys(customer_keys[rows], customer_names),
                                      *pack_keys(order_keys[rows], order_names),
                                      pack_array(days[rows]), pack_array(cents[rows])]

    def reducer_judge_bucket(self, key, records):
        if key[0] == SESSION_KEY:
            yield from self.judge_sessions(records)
        else:
            yield from self.judge_customers(records)

    def judge_sessions(self, records):
        """Merge the files' parts of a bucket's sessions; flag those with a busy minute."""
        sessions, names, customers, customer_names, counts, times = \
            self.session_events(records)
        if not len(times):
            return
        distinct, code, merged = distinct_ids(sessions)
        # one int64 key per event, (session, time): one integer sort merges the parts
        low = int(times.min())
        keys = np.repeat(code, counts) * 2**34 + (times - low)
        if merged:
            keys.sort()
        limit = self.options.max_events_per_minute
        # a session has a busy minute when some event of it has `limit` more of its events
        # within the window after it (the keys of two sessions are 2**34 apart): only
        # those sessions' events are judged further
        busy = np.zeros(len(distinct), dtype=bool)
        busy[keys[:-limit][keys[limit:] - keys[:-limit] < WINDOW_SECONDS] >> 34] = True
        if not busy.any():
            return
        keys = keys[busy[keys >> 34]]
        per_event = keys >> 34
        times = (keys & (2**34 - 1)) + low
        starts = group_starts(per_event)
        most, first = busiest_windows(keys, starts)
        flagged = np.flatnonzero(most > limit)
        sizes = np.diff(np.append(starts, len(keys)))
        smallest_customer = {}
        parts = np.flatnonzero(np.isin(code, per_event[starts[flagged]]))
        named = id_names(customers[parts], customer_names, CUSTOMER_ID_PREFIX)
        for g, customer in zip(code[parts].tolist(), named):
            if g not in smallest_customer or customer < smallest_customer[g]:
                smallest_customer[g] = customer
        session_ids = id_names(distinct[per_event[starts[flagged]]], names, SESSION_ID_PREFIX)
        for g, session_id in zip(flagged.tolist(), session_ids):
            session = int(per_event[starts[g]])
            yield [BOT_SESSION, session_id], {
                "entity": "session",
                "customer_id": smallest_customer[session],
                "events_in_window": int(most[g]),
                "window_start": format_epoch(int(times[first[g]])),
                "session_events": int(sizes[g]),
                "limit": limit,
            }

    def judge_customers(self, records):
        """Merge the files' parts of a bucket's customers; flag bursts and outlier orders."""
        (customers, customer_names), (order_ids, order_names), days, amounts = \
            self.order_rows(records)
        if not len(customers):
            return
        keys, code = np.unique(customers, return_inverse=True)

        def customer_ids(codes):
            return id_names(keys[codes], customer_names, CUSTOMER_ID_PREFIX)
        day_names, day = np.unique(days, return_inverse=True)
        yield from self.judge_bursts(customer_ids, code, day_names, day, np.bincount(code))
        yield from self.judge_amounts(customer_ids, code, amounts,
                                      (order_ids, order_names), days)

    def judge_bursts(self, customer_ids, code, day_names, day, totals):
        limit = self.options.max_orders_per_day
        per_day = np.bincount(code * len(day_names) + day)
        busy = np.flatnonzero(per_day > limit)
        found = {}
        for g in busy.tolist():
            c, d = divmod(g, len(day_names))
            found.setdefault(c, []).append((day_iso(int(day_names[d])), int(per_day[g])))
        named = dict(zip(customer_ids(np.array(list(found), dtype=np.int64)), found.items()))
        for name, (c, busy_days) in sorted(named.items()):
            yield [ORDER_BURST, name], {
                "entity": "customer",
                "days": [{"date": d, "orders": n} for d, n in sorted(busy_days)],
                "max_orders_in_a_day": max(n for _, n in busy_days),
                "total_orders": int(totals[c]),
                "limit": limit,
            }

    def judge_amounts(self, customer_ids, code, amounts, order_ids, days):
        """An order is flagged when amount > factor x the median of the customer's other
        orders, judged only with at least --outlier-min-orders other orders."""
        order = pair_order(code, amounts)
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
        rows = order[np.array(candidates, dtype=np.int64)]
        order_keys, order_names = order_ids
        named = zip(candidates, rows.tolist(),
                    id_names(order_keys[rows], order_names, ORDER_ID_PREFIX),
                    customer_ids(sorted_code[np.array(candidates, dtype=np.int64)]))
        for p, row, order_id, customer_id in named:
            cents, twice_median = int(sorted_amounts[p]), twice_of[p]
            yield [AMOUNT_OUTLIER, order_id], {
                "entity": "order",
                "customer_id": customer_id,
                "order_date": day_iso(int(days[row])),
                "amount": money(cents),
                "median_of_other_orders": money(half_up_div(twice_median, 2)),
                "times_median": round(cents * 2 / twice_median, 2) if twice_median else None,
                "other_orders": int(sizes[group[p]]) - 1,
                "factor": float(factor),
            }


if __name__ == "__main__":
    MRFraudSignals.run()
