"""Customer segments: customers per RFM segment, tier and purchase intent, from a join of customers, orders and clickstream."""

import datetime

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import (
    CanonicalJob,
    add_buckets_arg,
    bucket_rows,
    check_buckets_arg,
    civil_numbers,
    day_text,
    epoch_days,
    group_starts,
    half_up_div,
    id_keys,
    id_names,
    lookup_sorted,
    max_by_group,
    money,
    pack_ints,
    pack_keys,
    ratio,
    unite_keys,
    unpack_array,
    unpack_ints,
)
from ecomsuite.rows import buckets_of, group_sums, np, parse_cents
from ecomsuite.schemas import (
    ACTIONS,
    CLICKSTREAM,
    CUSTOMERS,
    DATE_FORMAT,
    ORDERS,
    PURCHASE_INTENTS,
    RFM_SEGMENTS,
    STATUSES,
    TIERS,
)

COMPLETED_CODE = STATUSES.index("COMPLETED")
ALL = "all"  # the tier and intent of a segment's totals
COLUMNS_READ = {
    CUSTOMERS.name: ("customer_id", "tier"),
    ORDERS.name: ("customer_id", "order_date", "total_amount", "status"),
    CLICKSTREAM.name: ("customer_id", "action"),
}
# Record kinds. Step 1 (key: a bucket of customer ids): a file's customer
# rows, orders summaries or furthest actions of that bucket's customers, as
# [kind, packed integer keys of the ids (jobbase.id_keys), the names of its
# negative keys (ids not shaped like CUST<digits>), packed value columns...].
# Step 2 (one key): the latest order date, a group of customers, one
# customer. Values sort by kind (SORT_VALUES), so step 2 sees every latest
# date before any customer.
CUSTOMER_ROW, ORDERS_SUMMARY, CLICKS_SUMMARY = "C", "O", "S"
KIND_OF = {CUSTOMERS.name: CUSTOMER_ROW, ORDERS.name: ORDERS_SUMMARY,
           CLICKSTREAM.name: CLICKS_SUMMARY}
LATEST_DATE, GROUP, ONE_CUSTOMER = "D", "G", "P"
JOIN_GROUP = "join"  # counter group: ids in orders/clickstream with no customer row

ACTION_INDEX = {a: i for i, a in enumerate(ACTIONS)}
PURCHASE_I, ADD_TO_CART_I = ACTION_INDEX["PURCHASE"], ACTION_INDEX["ADD_TO_CART"]
CONVERTER, CART_ABANDONER, BROWSER, INACTIVE = PURCHASE_INTENTS
CHAMPION, LOYAL, PROMISING, AT_RISK, HIBERNATING, NEVER_ORDERED = RFM_SEGMENTS
DEFAULT_RECENT_DAYS = 7
DEFAULT_FREQUENT_ORDERS = 10
DEFAULT_HIGH_VALUE = "2000.00"
CUSTOMER_PREFIX = "CUST"  # ids CUST<1-15 digits> join as integers; any other id exactly too
NO_ORDER = 0  # the last order day (yyyymmdd) of a customer who never ordered


def intent(furthest_action):
    """Purchase intent from the furthest funnel action of any of the customer's sessions."""
    if furthest_action is None:
        return INACTIVE
    if furthest_action >= PURCHASE_I:
        return CONVERTER
    if furthest_action >= ADD_TO_CART_I:
        return CART_ABANDONER
    return BROWSER


def segment(days_since_last_order, frequent, high_value, recent_days):
    """The RFM segment from recency (R: last order within `recent_days`), frequency (F) and
    monetary value (M) flags; None days means the customer never ordered."""
    if days_since_last_order is None:
        return NEVER_ORDERED
    if days_since_last_order <= recent_days:
        if frequent and high_value:
            return CHAMPION
        return LOYAL if frequent or high_value else PROMISING
    return AT_RISK if frequent or high_value else HIBERNATING


INTENTS = PURCHASE_INTENTS
# intent() as an index into INTENTS, by furthest action + 1 (0: no session)
INTENT_OF_FURTHEST = tuple(INTENTS.index(intent(a)) for a in (None, *range(len(ACTIONS))))
# of a customer's duplicate rows the tier first by name wins: each tier code's rank by name
TIER_RANK = tuple(sorted(TIERS).index(t) for t in TIERS)


def record(kind, keys, names, values):
    """A step-1 record of one kind: integer keys (only the names they use), value columns."""
    return [kind, *pack_keys(keys, names), *(pack_ints(v) for v in values)]


def unpack_keys(packed):
    if not isinstance(packed, str):
        raise ValueError(
            "customer_segments: a stored partial in an older form (customer ids as "
            "text, before integer keys): write that day's partition again "
            "(ecom-run --day DAY)")
    return unpack_array(packed)


def distinct(keys):
    """(the distinct keys, sorted; each row's index into them; a row of each): np.unique
    without its stable sort for the first rows (any row of a key has the same id)."""
    keys, index = np.unique(keys, return_inverse=True)
    row = np.empty(len(keys), dtype=np.int64)
    row[index] = np.arange(len(index))
    return keys, index, row


def concat(arrays):
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


def day_number(date):
    return datetime.date.fromisoformat(date).toordinal()


class MRCustomerSegments(CanonicalJob):
    NAME = "customer_segments"
    KEY_FIELDS = ("segment", "tier", "intent")  # names of the output key's parts (Parquet export)
    DATASET = CUSTOMERS
    SORT_VALUES = True  # see the record kinds above
    # Customers are split into reduce keys by a stable hash of their id: at least two (the
    # local runner's two cores, and a day partition's keys), over a whole input one per
    # jobbase.ROWS_PER_BUCKET rows.
    FEWEST_BUCKETS = 2

    @classmethod
    def input_datasets(cls):
        return (CUSTOMERS.name, ORDERS.name, CLICKSTREAM.name)

    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg(
            "--recent-days", type=int, default=DEFAULT_RECENT_DAYS,
            help="recent (R): last order at most this many days before the as-of date "
                 "(default: %(default)s)")
        self.add_passthru_arg(
            "--frequent-orders", type=int, default=DEFAULT_FREQUENT_ORDERS,
            help="frequent (F): at least this many orders, any status (default: %(default)s)")
        self.add_passthru_arg(
            "--high-value", default=DEFAULT_HIGH_VALUE,
            help="high value (M): completed orders worth at least this much "
                 "(default: %(default)s)")
        self.add_passthru_arg(
            "--as-of", help="the date recency counts from, YYYY-MM-DD (default: the date "
                            "of the latest order in the input)")
        add_buckets_arg(self, "customers (the join)")
        self.add_passthru_arg(
            "--per-customer", action="store_true",
            help="one line per customer instead of counts per segment, tier and intent")

    def load_args(self, args):
        super().load_args(args)
        o = self.options
        if o.recent_days < 0:
            self.arg_parser.error("--recent-days must not be negative")
        if o.frequent_orders < 1:
            self.arg_parser.error("--frequent-orders must be at least 1")
        check_buckets_arg(self)
        self.high_value_cents = parse_cents(o.high_value.encode())
        if self.high_value_cents is None:
            self.arg_parser.error("--high-value must be an amount like 2000 or 1999.99")
        self.as_of = None
        if o.as_of:
            try:
                self.as_of = datetime.datetime.strptime(o.as_of, DATE_FORMAT).date().toordinal()
            except ValueError:
                self.arg_parser.error("--as-of must be a date YYYY-MM-DD")

    # A day's partials: per customer bucket, the customer rows landed that day, each
    # customer's orders summary (last order day: max; orders, completed cents: sums) and
    # furthest action (max). RFM as of a day reads every partition up to it.
    PARTIAL_STEP = 0
    HISTORY_TO_DATE = True

    def steps(self):
        return self.partial_steps([
            MRStep(mapper_raw=self.mapper_raw_customer_parts,
                   reducer_init=self.reducer_init_groups,
                   reducer=self.reducer_join_customer,
                   reducer_final=self.reducer_final_groups),
            MRStep(reducer=self.reducer_segments),
        ])

    @staticmethod
    def fold_parts(parts):
        """A bucket's records folded, each customer's id as an integer key (id_keys):
        (names of the negative keys, (keys, tier codes) of the customer rows, (keys, last
        order day, orders, completed cents) per customer with orders, (keys, furthest
        action) per customer with sessions); keys sorted, summaries one per key."""
        parts = [(kind, unpack_keys(keys), names, [unpack_ints(v) for v in values])
                 for kind, keys, names, *values in parts]
        united, names = unite_keys([(keys, part_names) for _, keys, part_names, _ in parts])

        def rows_of(kind, width):
            chosen = [(keys, values) for (k, _, _, values), keys in zip(parts, united)
                      if k == kind]
            return [concat([keys for keys, _ in chosen]),
                    *(concat([values[i] for _, values in chosen]) for i in range(width))]

        keys, tiers = rows_of(CUSTOMER_ROW, 1)
        order = np.lexsort((np.array(TIER_RANK)[tiers], keys))
        rows = (keys[order], tiers[order])
        keys, last, n, cents = rows_of(ORDERS_SUMMARY, 3)
        keys, customer = np.unique(keys, return_inverse=True)
        orders = (keys, max_by_group(customer, last, len(keys)),
                  group_sums(customer, n, len(keys)), group_sums(customer, cents, len(keys)))
        keys, furthest = rows_of(CLICKS_SUMMARY, 1)
        keys, customer = np.unique(keys, return_inverse=True)
        return names, rows, orders, (keys, max_by_group(customer, furthest, len(keys)))

    def merge_partials(self, bucket, parts):
        names, *kinds = self.fold_parts(parts)
        for kind, (keys, *values) in zip((CUSTOMER_ROW, ORDERS_SUMMARY, CLICKS_SUMMARY), kinds):
            if len(keys):
                yield record(kind, keys, names, values)

    def mapper_raw_customer_parts(self, input_path, input_uri):
        """Per bucket of this file's customers: their rows, orders summaries or furthest actions."""
        dataset = self.input_dataset(input_path)
        for columns in self.iter_columns(input_path, COLUMNS_READ[dataset.name], dataset,
                                         seconds=True):
            yield from self.customer_parts(dataset, columns)

    def customer_parts(self, dataset, columns):
        ids = columns[0]
        if dataset is CUSTOMERS:
            keys, names = id_keys(ids, CUSTOMER_PREFIX)
            parts = [keys, columns[1]]
        elif dataset is ORDERS:
            _, stamps, cents, status = columns
            keys, names = id_keys(ids, CUSTOMER_PREFIX)
            keys, customer, one = distinct(keys)
            ids = ids[one]
            done = status == COMPLETED_CODE
            latest = civil_numbers(max_by_group(customer, epoch_days(stamps), len(keys)))
            parts = [keys, latest,
                     np.bincount(customer, minlength=len(keys)),
                     group_sums(customer[done], cents[done], len(keys))]
        else:
            runs = group_starts(ids)  # a session's events come together: fold runs first
            run_max = np.maximum.reduceat(columns[1], runs)
            keys, names = id_keys(ids[runs], CUSTOMER_PREFIX)
            keys, customer, one = distinct(keys)
            ids = ids[runs][one]
            parts = [keys, max_by_group(customer, run_max, len(keys))]
        kind = KIND_OF[dataset.name]
        # a stable hash of the id's bytes
        for b, rows in bucket_rows(buckets_of(ids, self.bucket_count()), self.bucket_count()):
            yield b, record(kind, parts[0][rows], names, [p[rows] for p in parts[1:]])

    def reducer_init_groups(self):
        self.latest = None
        # (last order date, frequent, high value, tier, intent) -> [customers, orders, cents]
        self.groups = {}

    def reducer_join_customer(self, bucket, parts):
        """A bucket of customers is whole here: join each one's row, orders and sessions
        (sorted integer keys: searchsorted), then count them per group."""
        names, (keys, tiers), (o_keys, o_last, o_n, o_cents), (s_keys, s_furthest) = \
            self.fold_parts(parts)
        first = group_starts(keys)  # rows sorted by key, then tier name: the first one wins
        if len(keys) > len(first):
            self.increment_counter(JOIN_GROUP, "duplicate_customer_rows", len(keys) - len(first))
        keys, tiers = keys[first], tiers[first]
        o_at, o_hit = lookup_sorted(keys, o_keys)
        s_at, s_hit = lookup_sorted(keys, s_keys)
        unknown = len(np.union1d(o_keys[~o_hit], s_keys[~s_hit]))
        if unknown:
            self.increment_counter(JOIN_GROUP, "ids_without_customer_row", unknown)
        if len(o_keys):
            latest = int(o_last.max())
            self.latest = latest if self.latest is None else max(self.latest, latest)
        last = np.full(len(keys), NO_ORDER, dtype=np.int64)
        last[o_at[o_hit]] = o_last[o_hit]
        n = np.zeros(len(keys), dtype=np.int64)
        n[o_at[o_hit]] = o_n[o_hit]
        cents = np.zeros(len(keys), dtype=o_cents.dtype)
        cents[o_at[o_hit]] = o_cents[o_hit]
        furthest = np.full(len(keys), -1, dtype=np.int64)
        furthest[s_at[s_hit]] = s_furthest[s_hit]
        intents = np.array(INTENT_OF_FURTHEST)[furthest + 1]
        o = self.options
        if o.per_customer:
            for customer, tier, action, day, orders, spent in zip(
                    id_names(keys, names, CUSTOMER_PREFIX), tiers.tolist(), intents.tolist(),
                    last.tolist(), n.tolist(), cents.tolist()):
                yield None, [ONE_CUSTOMER, customer, TIERS[tier], INTENTS[action],
                             day_text(day) if day != NO_ORDER else None, orders, int(spent)]
            return
        frequent = n >= o.frequent_orders
        high = cents >= self.high_value_cents
        # one integer per (last order day, frequent, high value, tier, intent)
        code = (((last * 2 + frequent) * 2 + high) * len(TIERS) + tiers) \
            * len(INTENTS) + intents
        codes, group = np.unique(code, return_inverse=True)
        totals = zip(np.bincount(group, minlength=len(codes)).tolist(),
                     group_sums(group, n, len(codes)).tolist(),
                     group_sums(group, cents, len(codes)).tolist())
        for c, (customers, orders, spent) in zip(codes.tolist(), totals):
            c, action = divmod(c, len(INTENTS))
            c, tier = divmod(c, len(TIERS))
            c, high_value = divmod(c, 2)
            day, frequent_ = divmod(c, 2)
            key = (day_text(day) if day != NO_ORDER else None, bool(frequent_),
                   bool(high_value), TIERS[tier], INTENTS[action])
            g = self.groups.get(key)
            if g is None:
                g = self.groups[key] = [0, 0, 0]
            g[0] += customers
            g[1] += orders
            g[2] += int(spent)

    def reducer_final_groups(self):
        if self.latest is not None:
            yield None, [LATEST_DATE, day_text(self.latest)]
        for key, totals in self.groups.items():
            yield None, [GROUP, *key, *totals]

    def reducer_segments(self, _, records):
        """Recency needs the as-of date: the latest-date records come first."""
        as_of = self.as_of
        o = self.options
        totals = {}
        everyone = 0
        for kind, *values in records:
            if kind == LATEST_DATE:
                latest = day_number(values[0])
                if self.as_of is None and (as_of is None or latest > as_of):
                    as_of = latest
                continue
            if kind == ONE_CUSTOMER:
                customer, tier, intent_, last, orders, cents = values
                days = as_of - day_number(last) if last else None
                yield customer, {
                    "segment": segment(days, orders >= o.frequent_orders,
                                       cents >= self.high_value_cents, o.recent_days),
                    "tier": tier,
                    "intent": intent_,
                    "last_order_date": last,
                    "days_since_last_order": days,
                    "orders": orders,
                    "completed_spend": money(cents),
                }
                continue
            last, frequent, high_value, tier, intent_, customers, orders, cents = values
            days = as_of - day_number(last) if last else None
            seg = segment(days, frequent, high_value, o.recent_days)
            everyone += customers
            for key in ((seg, tier, intent_), (seg, ALL, ALL)):
                t = totals.get(key)
                if t is None:
                    t = totals[key] = [0, 0, 0, 0]
                t[0] += customers
                t[1] += orders
                t[2] += cents
                t[3] += days * customers if days is not None else 0
        for key in sorted(totals):
            customers, orders, cents, days = totals[key]
            yield list(key), {
                "customers": customers,
                "share": ratio(customers, everyone),
                "average_orders": round(orders / customers, 4),
                "average_completed_spend": money(half_up_div(cents, customers)),
                "average_days_since_last_order":
                    round(days / customers, 4) if key[0] != NEVER_ORDERED else None,
            }


if __name__ == "__main__":
    MRCustomerSegments.run()
