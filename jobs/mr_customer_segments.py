"""Customer segments: customers per RFM segment, tier and purchase intent, from a join of customers, orders and clickstream."""

import datetime

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import (
    CanonicalJob,
    day_numbers,
    day_text,
    group_starts,
    half_up_div,
    money,
    ratio,
)
from ecomsuite.rows import buckets_of, decode, group_sums, np, parse_cents
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
# rows, orders summaries or furthest actions of that bucket's customers.
# Step 2 (one key): the latest order date, a group of customers, one
# customer. Values sort by kind (SORT_VALUES), so step 2 sees every latest
# date before any customer.
CUSTOMER_ROW, ORDERS_SUMMARY, CLICKS_SUMMARY = "C", "O", "S"
KIND_OF = {CUSTOMERS.name: CUSTOMER_ROW, ORDERS.name: ORDERS_SUMMARY,
           CLICKSTREAM.name: CLICKS_SUMMARY}
# Customers are split into this many reduce keys by a stable hash of their id
# (two fill the local runner's two cores; raise on a cluster).
DEFAULT_BUCKETS = 2
LATEST_DATE, GROUP, ONE_CUSTOMER = "D", "G", "P"
JOIN_GROUP = "join"  # counter group: ids in orders/clickstream with no customer row

ACTION_INDEX = {a: i for i, a in enumerate(ACTIONS)}
PURCHASE_I, ADD_TO_CART_I = ACTION_INDEX["PURCHASE"], ACTION_INDEX["ADD_TO_CART"]
CONVERTER, CART_ABANDONER, BROWSER, INACTIVE = PURCHASE_INTENTS
CHAMPION, LOYAL, PROMISING, AT_RISK, HIBERNATING, NEVER_ORDERED = RFM_SEGMENTS
DEFAULT_RECENT_DAYS = 7
DEFAULT_FREQUENT_ORDERS = 10
DEFAULT_HIGH_VALUE = "2000.00"


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


def day_number(date):
    return datetime.date.fromisoformat(date).toordinal()


class MRCustomerSegments(CanonicalJob):
    NAME = "customer_segments"
    KEY_FIELDS = ("segment", "tier", "intent")  # names of the output key's parts (Parquet export)
    DATASET = CUSTOMERS
    SORT_VALUES = True  # see the record kinds above

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
        self.add_passthru_arg(
            "--buckets", type=int, default=DEFAULT_BUCKETS,
            help="reduce keys of the join, by a stable hash of the customer id "
                 "(default: %(default)s; more on a cluster)")
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
        if o.buckets < 1:
            self.arg_parser.error("--buckets must be at least 1")
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
        """A bucket's records folded: ([(customer, tier code)] rows, {customer: [last order
        day, orders, completed cents]}, {customer: furthest action})."""
        rows, orders, furthest = [], {}, {}
        for kind, ids, *values in parts:
            if kind == CUSTOMER_ROW:
                rows.extend(zip(ids, values[0]))
            elif kind == ORDERS_SUMMARY:
                for customer, last, n, spent in zip(ids, *values):
                    o = orders.get(customer)
                    if o is None:
                        orders[customer] = [last, n, spent]
                    else:
                        o[0] = max(o[0], last)
                        o[1] += n
                        o[2] += spent
            else:
                for customer, a in zip(ids, values[0]):
                    if a > furthest.get(customer, -1):
                        furthest[customer] = a
        return rows, orders, furthest

    def merge_partials(self, bucket, parts):
        rows, orders, furthest = self.fold_parts(parts)
        if rows:
            rows.sort()
            yield [CUSTOMER_ROW, [c for c, _ in rows], [t for _, t in rows]]
        if orders:
            ids = sorted(orders)
            yield [ORDERS_SUMMARY, ids, *([orders[c][i] for c in ids] for i in range(3))]
        if furthest:
            ids = sorted(furthest)
            yield [CLICKS_SUMMARY, ids, [furthest[c] for c in ids]]

    def mapper_raw_customer_parts(self, input_path, input_uri):
        """Per bucket of this file's customers: their rows, orders summaries or furthest actions."""
        dataset = self.input_dataset(input_path)
        columns = self.read_columns(input_path, COLUMNS_READ[dataset.name], dataset)
        ids = columns[0]
        if not len(ids):
            return
        if dataset is CUSTOMERS:
            parts = columns
        elif dataset is ORDERS:
            _, stamps, cents, status = columns
            ids, customer = np.unique(ids, return_inverse=True)
            last = np.zeros(len(ids), dtype=np.int64)
            np.maximum.at(last, customer, day_numbers(stamps))
            done = status == COMPLETED_CODE
            parts = [ids, last, np.bincount(customer, minlength=len(ids)),
                     np.array(group_sums(customer[done], cents[done], len(ids)), dtype=object)]
        else:
            actions = columns[1]
            runs = group_starts(ids)  # a session's events come together: fold runs first
            run_max = np.maximum.reduceat(actions, runs)
            ids, customer = np.unique(ids[runs], return_inverse=True)
            furthest = np.full(len(ids), -1, dtype=np.int64)
            np.maximum.at(furthest, customer, run_max)
            parts = [ids, furthest]
        kind = KIND_OF[dataset.name]
        buckets = buckets_of(ids, self.options.buckets)
        for b in range(self.options.buckets):
            rows = buckets == b
            if rows.any():
                yield b, [kind, decode(ids[rows]).tolist(),
                          *(p[rows].tolist() for p in parts[1:])]

    def reducer_init_groups(self):
        self.latest = None
        # (last order date, frequent, high value, tier, intent) -> [customers, orders, cents]
        self.groups = {}

    def reducer_join_customer(self, bucket, parts):
        """A bucket of customers is whole here: join each one's row, orders and sessions."""
        rows, orders, furthest = self.fold_parts(parts)
        tiers = {}
        for customer, tier in rows:
            tiers.setdefault(customer, []).append(TIERS[tier])
        if orders:
            latest = max(o[0] for o in orders.values())
            self.latest = latest if self.latest is None else max(self.latest, latest)
        unknown = (orders.keys() | furthest.keys()) - tiers.keys()
        if unknown:
            self.increment_counter(JOIN_GROUP, "ids_without_customer_row", len(unknown))
        duplicates = sum(len(t) - 1 for t in tiers.values())
        if duplicates:
            self.increment_counter(JOIN_GROUP, "duplicate_customer_rows", duplicates)
        o = self.options
        for customer, customer_tiers in tiers.items():
            tier = min(customer_tiers)  # of duplicate rows, deterministically
            last, n, cents = orders.get(customer, (None, 0, 0))
            last = day_text(last) if last is not None else None
            action = intent(furthest.get(customer))
            if o.per_customer:
                yield None, [ONE_CUSTOMER, customer, tier, action, last, n, cents]
                continue
            key = (last, n >= o.frequent_orders, cents >= self.high_value_cents, tier, action)
            g = self.groups.get(key)
            if g is None:
                g = self.groups[key] = [0, 0, 0]
            g[0] += 1
            g[1] += n
            g[2] += cents

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
