"""How each job's output rows become metrics: one table, one entry per job.

A job's output is mrjob JSON protocol lines, ``key TAB {field: value}``. An
entry here names the metric families the job's latest complete output
feeds and how its rows map to samples. Most jobs emit one row per value of a
small vocabulary (a region, a tier, a device): :func:`keyed` covers those,
with the row key as one label (a list key: several) and each field as one
family. A job whose rows are keyed by something unbounded (a date, a
customer, an order) must aggregate instead of making that a label: give it a
``to_samples`` function of its own, like daily_revenue (only the newest day,
plus a count of anomaly days), fraud_signals (counts per rule) and
top_products (rank as a value, not a label); :func:`latest_row` covers the
plain "newest row only" case.

To add a job: append an entry to ``OUTPUT_TABLES`` (the dashboards' business
panels are generated from this table too, so the new metrics get panels and
docs/monitoring.md's table must list them: tests/monitoring checks both).
Jobs without an entry still get ``ecommerce_output_rows`` and
``ecommerce_output_timestamp_seconds``.
"""

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from exporters import PREFIX

# Above this many rows in one output, a job's business metrics are not
# exported (and the outputs source reports a problem): a label per row would
# explode the series count.
MAX_ROWS_PER_OUTPUT = 1000


class OutputFormatError(ValueError):
    """An output row that does not have the shape its table expects."""


@dataclass(frozen=True)
class Family:
    """A business metric family (always a gauge: the value in the latest output)."""

    name: str                  # full metric name
    help: str
    labels: tuple
    unit: str = "short"        # Grafana unit for the panels that show it
    field: str = ""            # the output field it comes from (docs, panel titles)
    panel_filter: str = ""     # extra matchers the dashboard panels use, e.g. 'region="all"'
    title: str = ""            # panel title (default: from the field)


@dataclass(frozen=True)
class OutputTable:
    job: str                   # the job's NAME (ecomsuite.registry)
    title: str                 # dashboard row title
    families: tuple            # (Family, ...)
    to_samples: Callable = field(repr=False)  # rows -> iterable of (name, label values, value)

    def samples(self, rows):
        if len(rows) > MAX_ROWS_PER_OUTPUT:
            raise OutputFormatError(
                f"{self.job}: {len(rows)} output rows, more than the {MAX_ROWS_PER_OUTPUT} "
                "a labelled metric may have; aggregate in its to_samples function")
        return list(self.to_samples(rows))

    def family(self, name):
        return next(f for f in self.families if f.name == PREFIX + name)


def number(value, where):
    """A JSON number as a float; booleans, strings and the like are format errors."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OutputFormatError(f"{where}: expected a number, got {value!r}")
    return float(value)


def label_value(key, where):
    if not isinstance(key, str) or not key:
        raise OutputFormatError(f"{where}: expected a non-empty string, got {key!r}")
    return key


def key_labels(key, n, where):
    """An output key as `n` label values: a string for one label, a list of n strings."""
    if n == 1:
        return (label_value(key, where),)
    if not isinstance(key, list) or len(key) != n:
        raise OutputFormatError(f"{where}: expected a key of {n} strings, got {key!r}")
    return tuple(label_value(k, where) for k in key)


def _field(obj, name, where):
    if not isinstance(obj, dict) or name not in obj:
        raise OutputFormatError(f"{where}: no field {name!r}")
    return obj[name]


def keyed(job, title, labels, columns, panel_filter=""):
    """A table whose output has one row per key, the key being one label (or a list: several).

    `labels`: the label name, or a tuple of names for a list key.
    `columns`: ((output field, metric name without prefix, help, unit[, {label: value}]), ...);
    the optional dict adds constant labels, so that several fields can share one family
    (``reached_view`` and ``reached_purchase`` as ``stage="view"`` and ``stage="purchase"``).
    A field that is null in a row gives no sample for that row; a missing field is an error.
    """
    labels = (labels,) if isinstance(labels, str) else tuple(labels)
    families, plan = {}, []
    for col in columns:
        fld, name, help_, unit = col[:4]
        extra = col[4] if len(col) > 4 else {}
        title = name.replace("_", " ").capitalize() if extra else ""
        fam = families.setdefault(name, Family(PREFIX + name, help_, labels + tuple(extra), unit,
                                               fld, panel_filter, title))
        if fam.labels != labels + tuple(extra):
            raise ValueError(f"{name}: columns give it different label names")
        plan.append((fld, fam.name, tuple(extra.values())))

    def to_samples(rows):
        for key, obj in rows:
            values = key_labels(key, len(labels), f"{job} key")
            for fld, name, extra in plan:
                v = _field(obj, fld, f"{job} row {key!r}")
                if v is not None:
                    yield name, values + extra, number(v, f"{job} {key}.{fld}")

    return OutputTable(job, title, tuple(families.values()), to_samples)


def latest_row(job, title, columns):
    """A table keyed by a sortable, unbounded key (a date): only the newest row is exported.

    `columns` as in :func:`keyed` (without constant labels); the families carry no label.
    """
    families = tuple(Family(PREFIX + name, help_, (), unit, fld)
                     for fld, name, help_, unit in columns)

    def to_samples(rows):
        if not rows:
            return
        key, obj = max(rows, key=lambda kv: str(kv[0]))
        for fam in families:
            v = _field(obj, fam.field, f"{job} row {key!r}")
            if v is not None:
                yield fam.name, (), number(v, f"{job} {key}.{fam.field}")

    return OutputTable(job, title, families, to_samples)


AMOUNT = "short"          # money: currency units of the shop (two decimals)

# --- the further analytics: outputs keyed by something unbounded are aggregated ---

DAILY_REVENUE_COLUMNS = (
    ("orders", "daily_revenue_orders", "Orders on the newest day of the latest daily_revenue output, per region (region=\"all\": every region).", "short"),
    ("gross_revenue", "daily_revenue_gross_amount", "Gross revenue (currency units) on the newest day of the latest daily_revenue output, per region.", AMOUNT),
    ("net_revenue", "daily_revenue_net_amount", "Net revenue (every order but CANCELLED and RETURNED ones; currency units) on the newest day, per region.", AMOUNT),
    ("refunded_amount", "daily_revenue_refunded_amount", "Amount of CANCELLED/RETURNED orders (currency units) on the newest day, per region.", AMOUNT),
    ("average_order_value", "daily_revenue_average_order_value", "Average value of the orders counted in net revenue (currency units) on the newest day, per region; absent without such orders.", AMOUNT),
)
_DAILY = {name: (fld, help_, unit) for fld, name, help_, unit in DAILY_REVENUE_COLUMNS}


def _epoch_day(day, where):
    try:
        return float(calendar.timegm(datetime.date.fromisoformat(day).timetuple()))
    except (TypeError, ValueError) as e:
        raise OutputFormatError(f"{where}: not a YYYY-MM-DD day: {day!r}") from e


def _daily_revenue_samples(rows):
    """Key [day, region]: the newest day's figures per region, and anomaly days per region."""
    keyed_rows = [(key_labels(k, 2, "daily_revenue key"), v) for k, v in rows]
    if not keyed_rows:
        return
    newest = max(day for (day, _), _ in keyed_rows)
    yield PREFIX + "daily_revenue_day_timestamp_seconds", (), _epoch_day(newest, "daily_revenue")
    anomaly_days = {}
    for (day, region), obj in keyed_rows:
        flagged = _field(obj, "anomaly", f"daily_revenue {day} {region}")
        if not isinstance(flagged, bool):
            raise OutputFormatError(f"daily_revenue {day} {region}: anomaly is not true/false")
        anomaly_days[region] = anomaly_days.get(region, 0) + flagged
        if day != newest:
            continue
        yield PREFIX + "daily_revenue_anomaly", (region,), float(flagged)
        for name, (fld, _, _) in _DAILY.items():
            v = _field(obj, fld, f"daily_revenue {day} {region}")
            if v is not None:
                yield PREFIX + name, (region,), number(v, f"daily_revenue {day} {region}.{fld}")
    for region, n in sorted(anomaly_days.items()):
        yield PREFIX + "daily_revenue_anomalies_in_window", (region,), float(n)


FRAUD_RULES = ("bot_session", "order_burst", "amount_outlier")  # jobs/mr_fraud_signals.py RULES


def _fraud_samples(rows):
    """Key [rule, entity id] (a session, customer or order): counts only, never the entity."""
    flagged, customers = dict.fromkeys(FRAUD_RULES, 0), set()
    for key, obj in rows:
        rule, entity = key_labels(key, 2, "fraud_signals key")
        flagged[rule] = flagged.get(rule, 0) + 1
        customer = obj.get("customer_id") if isinstance(obj, dict) else None
        customers.add(customer if customer else entity if rule == "order_burst" else None)
    customers.discard(None)
    for rule, n in flagged.items():
        yield PREFIX + "fraud_signals", (rule,), float(n)
    yield PREFIX + "fraud_flagged_customers", (), float(len(customers))


def _top_products_samples(rows):
    """Key [region, ranking, rank] -> a product: its totals per region, and its rank per ranking."""
    totals = {}
    for key, obj in rows:
        if not isinstance(key, list) or len(key) != 3 or not isinstance(key[2], int):
            raise OutputFormatError(f"top_products key: expected [region, ranking, rank], got {key!r}")
        region, ranking = key_labels(key[:2], 2, "top_products key")
        product = label_value(_field(obj, "product_id", f"top_products {key}"), "product_id")
        yield PREFIX + "top_product_rank", (region, ranking, product), float(key[2])
        totals[(region, product)] = obj
    for (region, product), obj in sorted(totals.items()):
        for fld, name in (("revenue", "top_product_revenue_amount"), ("units", "top_product_units")):
            yield (PREFIX + name, (region, product),
                   number(_field(obj, fld, f"top_products {region} {product}"), fld))


SEGMENT_AVERAGES = (  # (field, metric, help, unit, factor to base units)
    ("average_orders", "segment_average_orders", "Average orders per customer of each RFM segment (all tiers and intents).", "short", 1),
    ("average_completed_spend", "segment_average_completed_spend", "Average completed spend per customer of each RFM segment (currency units).", AMOUNT, 1),
    ("average_days_since_last_order", "segment_average_time_since_last_order_seconds", "Average time since the last order of each RFM segment's customers (the output's days x 86400; absent for never_ordered).", "s", 86400),
)


def _segment_samples(rows):
    """Key [segment, tier, intent] with "all" roll-ups: counts per cell, averages per segment."""
    for key, obj in rows:
        segment, tier, intent = key_labels(key, 3, "customer_segments key")
        where = f"customer_segments {key}"
        yield (PREFIX + "segment_customers", (segment, tier, intent),
               number(_field(obj, "customers", where), "customers"))
        yield (PREFIX + "segment_customer_ratio", (segment, tier, intent),
               number(_field(obj, "share", where), "share"))
        if tier == intent == "all":
            for fld, name, _, _, factor in SEGMENT_AVERAGES:
                v = _field(obj, fld, where)
                if v is not None:
                    yield PREFIX + name, (segment,), number(v, fld) * factor


def _table(job, title, families, to_samples):
    return OutputTable(job, title, tuple(Family(PREFIX + f[0], *f[1:]) for f in families),
                       to_samples)


OUTPUT_TABLES = (
    keyed("sales_by_region", "Sales by region", "region", (
        ("orders", "sales_orders", "Orders per region in the latest complete sales_by_region output.", "short"),
        ("gross_sales", "sales_gross_amount", "Gross sales per region (all orders, currency units), latest output.", AMOUNT),
        ("completed_orders", "sales_completed_orders", "Orders with status COMPLETED per region, latest output.", "short"),
        ("completed_sales", "sales_completed_amount", "Sales of COMPLETED orders per region (currency units), latest output.", AMOUNT),
        ("average_order_value", "sales_average_order_value", "Average COMPLETED order value per region (currency units); absent for a region without completed orders.", AMOUNT),
    )),
    keyed("customer_tiers", "Customers by tier", "tier", (
        ("customers", "customer_tier_customers", "Customers per tier in the latest complete customer_tiers output.", "short"),
        ("share", "customer_tier_ratio", "Share of all customers in each tier (0-1), latest output.", "percentunit"),
        ("average_lifetime_value", "customer_tier_average_lifetime_value", "Average customer lifetime value per tier (currency units), latest output.", AMOUNT),
    )),
    keyed("device_conversions", "Device conversions", "device", (
        ("sessions", "device_sessions", "Sessions per device in the latest complete device_conversions output.", "short"),
        ("converted_sessions", "device_converted_sessions", "Sessions with at least one purchase per device, latest output.", "short"),
        ("conversion_rate", "device_conversion_ratio", "Converted sessions / sessions per device (0-1), latest output.", "percentunit"),
        ("purchases", "device_purchases", "PURCHASE events per device, latest output.", "short"),
    )),
    keyed("funnel", "Conversion funnel", "device", (
        ("sessions", "funnel_sessions", "Sessions per device (device=\"all\": every device) in the latest funnel output.", "short"),
        *((f"reached_{stage}", "funnel_stage_sessions", "Sessions that reached each funnel stage in time order, per device, latest funnel output.", "short", {"stage": stage})
          for stage in ("view", "add_to_cart", "checkout", "purchase")),
        *((step, "funnel_step_ratio", "Sessions reaching a stage / sessions reaching the stage before it (0-1), per device.", "percentunit", {"step": step})
          for step in ("view_to_add_to_cart", "add_to_cart_to_checkout", "checkout_to_purchase")),
        ("overall_conversion", "funnel_conversion_ratio", "Sessions reaching purchase / sessions reaching view (0-1), per device.", "percentunit"),
        ("biggest_drop_off_rate", "funnel_biggest_drop_off_ratio", "Share of sessions lost at the funnel's worst step (0-1), per device.", "percentunit"),
    ), panel_filter='device="all"'),
    _table("daily_revenue", "Daily revenue", (
        ("daily_revenue_day_timestamp_seconds", "The newest day (UTC midnight, unix time) of the latest daily_revenue output: the day the daily_revenue_* figures are for.", (), "dateTimeAsIso", "day", "", "Day of these figures"),
        *((name, help_, ("region",), unit, fld, 'region="all"') for fld, name, help_, unit in DAILY_REVENUE_COLUMNS),
        ("daily_revenue_anomaly", "1 if the newest day's orders or net revenue break from the trailing week (anomaly), per region.", ("region",), "short", "anomaly", 'region="all"', "Newest day is an anomaly"),
        ("daily_revenue_anomalies_in_window", "Days flagged as anomalies in the latest daily_revenue output's window, per region.", ("region",), "short", "anomalies", "", "Anomaly days in the window"),
    ), _daily_revenue_samples),
    _table("fraud_signals", "Fraud signals", (
        ("fraud_signals", "Entities flagged by each rule in the latest fraud_signals output (bot_session: sessions, order_burst: customers, amount_outlier: orders).", ("rule",), "short", "rule", "", "Flagged entities by rule"),
        ("fraud_flagged_customers", "Distinct customers behind any fraud signal in the latest fraud_signals output.", (), "short", "customer_id", "", "Flagged customers"),
    ), _fraud_samples),
    _table("customer_segments", "Customer segments", (
        ("segment_customers", "Customers per RFM segment, tier and purchase intent (\"all\": the roll-up) in the latest customer_segments output.", ("segment", "tier", "intent"), "short", "customers", 'tier="all", intent="all"'),
        ("segment_customer_ratio", "Share of all customers in each segment/tier/intent cell (0-1).", ("segment", "tier", "intent"), "percentunit", "share", 'tier="all", intent="all"'),
        *((name, help_, ("segment",), unit, fld) for fld, name, help_, unit, _ in SEGMENT_AVERAGES),
    ), _segment_samples),
    _table("top_products", "Top products", (
        ("top_product_revenue_amount", "Completed revenue (currency units) of each product in a top-k ranking, per region (region=\"all\": overall).", ("region", "product_id"), AMOUNT, "revenue", 'region="all"', "Revenue of the top products"),
        ("top_product_units", "Completed units of each product in a top-k ranking, per region.", ("region", "product_id"), "short", "units", 'region="all"', "Units of the top products"),
        ("top_product_rank", "Rank (1 = best) of the product in each ranking (revenue, units) per region, latest top_products output.", ("region", "ranking", "product_id"), "none", "rank", 'region="all"', "Rank in each ranking"),
    ), _top_products_samples),
)


def tables_by_job(tables=OUTPUT_TABLES):
    return {t.job: t for t in tables}


def all_families(tables=OUTPUT_TABLES):
    return [fam for t in tables for fam in t.families]
