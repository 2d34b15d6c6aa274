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
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from exporters import PREFIX

# Above this many series from one output, a job's business metrics are not
# exported (the output is skipped and counted): a label per row would explode
# the series count. Outputs keyed by something unbounded aggregate first, so
# their row count does not matter.
MAX_SERIES_PER_OUTPUT = 1000


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
    panel_by: tuple = None     # labels the dashboard panel sums by (None: all; (): one total)
    title: str = ""            # panel title (default: from the field)


@dataclass(frozen=True)
class OutputTable:
    job: str                   # the job's NAME (ecomsuite.registry)
    title: str                 # dashboard row title
    families: tuple            # (Family, ...)
    to_samples: Callable = field(repr=False)  # rows -> iterable of (name, label values, value)

    def samples(self, rows, flag=None):
        """The samples of an output's rows. A NaN or +-Inf value is never exported as if it
        were valid: it is left out and reported to `flag(name, label values, value)`."""
        out = []
        for name, labels, value in self.to_samples(rows):
            if math.isfinite(value):
                out.append((name, labels, value))
            elif flag is not None:
                flag(name, labels, value)
        if len(out) > MAX_SERIES_PER_OUTPUT:
            raise OutputFormatError(
                f"{self.job}: {len(out)} series from one output, more than the "
                f"{MAX_SERIES_PER_OUTPUT} a labelled metric may have; aggregate in its "
                "to_samples function")
        return out

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


def _columns(columns, labels, panel_by=None, title_suffix=""):
    """Families and a plan [(field, family name, constant label values)] for `columns`."""
    families, plan = {}, []
    for col in columns:
        fld, name, help_, unit = col[:4]
        extra = col[4] if len(col) > 4 else {}
        by = col[5] if len(col) > 5 else panel_by
        title = (name.replace("_", " ").capitalize() if extra
                 else fld.replace("_", " ").capitalize() if title_suffix else "") + title_suffix
        by = by if by is None else tuple(by) + tuple(extra)
        fam = families.setdefault(name, Family(PREFIX + name, help_, labels + tuple(extra), unit,
                                               fld, by, title))
        if fam.labels != labels + tuple(extra):
            raise ValueError(f"{name}: columns give it different label names")
        plan.append((fld, fam.name, tuple(extra.values())))
    return families, plan


def _plan_samples(plan, obj, labels, where):
    for fld, name, extra in plan:
        v = _field(obj, fld, where)
        if v is not None:
            yield name, labels + extra, number(v, f"{where}.{fld}")


def keyed(job, title, labels, columns, total_key=None, totals=(), panel_by=None):
    """A table whose output has one row per key, the key being one label (or a list: several).

    `labels`: the label name, or a tuple of names for a list key.
    `columns`: ((output field, metric name without prefix, help, unit[, {label: value}[,
    panel_by]]), ...);
    the optional dict adds constant labels, so that several fields can share one family
    (``reached_view`` and ``reached_purchase`` as ``funnel_stage="view"`` and ``"purchase"``).
    A field that is null in a row gives no sample for that row; a missing field is an error.

    `total_key`: the key of a pre-aggregated row over every key (e.g. "all"). That row is
    never exported as a label value (``sum()`` would count it twice); `totals` are its
    fields that ``sum()`` cannot rebuild (ratios, rates), each a family without the key label.
    `panel_by`: the labels the dashboard panels of `columns` sum by (default: all of them).
    """
    labels = (labels,) if isinstance(labels, str) else tuple(labels)
    families, plan = _columns(columns, labels, panel_by)
    total_families, total_plan = _columns(totals, (), title_suffix=f", every {labels[0]}")
    for name in total_families:
        if name in families:
            raise ValueError(f"{name}: a total needs a family of its own")

    def to_samples(rows):
        for key, obj in rows:
            if total_key is not None and key == total_key:
                yield from _plan_samples(total_plan, obj, (), f"{job} row {key!r}")
                continue
            values = key_labels(key, len(labels), f"{job} key")
            yield from _plan_samples(plan, obj, values, f"{job} row {key!r}")

    return OutputTable(job, title, tuple(families.values()) + tuple(total_families.values()),
                       to_samples)


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
TOTAL = "all"             # the key of the jobs' pre-aggregated rows over every region/device

# Label names never clash with target labels (the writing-exporters guide: job, instance,
# region, zone, cluster, stage, service, env, ...): the shop's region is `sales_region`,
# a funnel stage `funnel_stage`, the batch job `job_name`.

# --- the further analytics: outputs keyed by something unbounded are aggregated ---

DAILY_REVENUE_COLUMNS = (  # (field, metric, help, unit, panel_by: () = a sum over regions)
    ("orders", "daily_revenue_orders", "Orders on the newest day of the latest daily_revenue output, per sales region.", "short", ()),
    ("gross_revenue", "daily_revenue_gross_amount", "Gross revenue (currency units) on the newest day of the latest daily_revenue output, per sales region.", AMOUNT, ()),
    ("net_revenue", "daily_revenue_net_amount", "Net revenue (every order but CANCELLED and RETURNED ones; currency units) on the newest day, per sales region.", AMOUNT, ()),
    ("refunded_amount", "daily_revenue_refunded_amount", "Amount of CANCELLED/RETURNED orders (currency units) on the newest day, per sales region.", AMOUNT, ()),
    ("average_order_value", "daily_revenue_average_order_value", "Average value of the orders counted in net revenue (currency units) on the newest day, per sales region; absent without such orders.", AMOUNT, None),
)
DAILY_REVENUE_TOTALS = (  # from the output's region "all" rows: what sum() cannot rebuild
    ("average_order_value", "daily_revenue_total_average_order_value", "Average value of the orders counted in net revenue (currency units) on the newest day, over every sales region; absent without such orders.", AMOUNT),
    ("anomaly", "daily_revenue_total_anomaly", "1 if the newest day's orders or net revenue over every sales region break from the trailing week (anomaly).", "short"),
)


def _epoch_day(day, where):
    try:
        return float(calendar.timegm(datetime.date.fromisoformat(day).timetuple()))
    except (TypeError, ValueError) as e:
        raise OutputFormatError(f"{where}: not a YYYY-MM-DD day: {day!r}") from e


def _flag(obj, where):
    flagged = _field(obj, "anomaly", where)
    if not isinstance(flagged, bool):
        raise OutputFormatError(f"{where}: anomaly is not true/false")
    return flagged


def _daily_revenue_samples(rows):
    """Key [day, region]: the newest day's figures per region, and anomaly days per region;
    the region "all" rows give the totals sum() cannot rebuild."""
    keyed_rows = [(key_labels(k, 2, "daily_revenue key"), v) for k, v in rows]
    if not keyed_rows:
        return
    newest = max(day for (day, _), _ in keyed_rows)
    yield PREFIX + "daily_revenue_day_timestamp_seconds", (), _epoch_day(newest, "daily_revenue")
    anomaly_days = {}
    for (day, region), obj in keyed_rows:
        where = f"daily_revenue {day} {region}"
        flagged = _flag(obj, where)
        anomaly_days[region] = anomaly_days.get(region, 0) + flagged
        if day != newest:
            continue
        if region == TOTAL:
            yield PREFIX + "daily_revenue_total_anomaly", (), float(flagged)
            fld = DAILY_REVENUE_TOTALS[0][0]
            v = _field(obj, fld, where)
            if v is not None:
                yield PREFIX + DAILY_REVENUE_TOTALS[0][1], (), number(v, f"{where}.{fld}")
            continue
        yield PREFIX + "daily_revenue_anomaly", (region,), float(flagged)
        for fld, name, _, _, _ in DAILY_REVENUE_COLUMNS:
            v = _field(obj, fld, where)
            if v is not None:
                yield PREFIX + name, (region,), number(v, f"{where}.{fld}")
    for region, n in sorted(anomaly_days.items()):
        if region == TOTAL:
            yield PREFIX + "daily_revenue_total_anomalies_in_window", (), float(n)
        else:
            yield PREFIX + "daily_revenue_anomalies_in_window", (region,), float(n)


FRAUD_RULES = ("bot_session", "order_burst", "amount_outlier")  # jobs/mr_fraud_signals.py RULES


def _fraud_days(rule, obj, where):
    """The days (YYYY-MM-DD) a fraud row flags: a bot session its window's day, a burst
    customer each busy day, an outlier order its order day."""
    if not isinstance(obj, dict):
        raise OutputFormatError(f"{where}: not a JSON object")
    if rule == "bot_session":
        days = [str(_field(obj, "window_start", where))[:10]]
    elif rule == "order_burst":
        busy = _field(obj, "days", where)
        if not isinstance(busy, list):
            raise OutputFormatError(f"{where}: days is not a list")
        days = [str(_field(d, "date", where)) for d in busy]
    elif rule == "amount_outlier":
        days = [str(_field(obj, "order_date", where))]
    else:
        return []
    for day in days:
        _epoch_day(day, where)  # a format error if it is not a day
    return days


def fraud_by_day(rows):
    """{day: {rule: flagged entities that day}} of a fraud_signals output (every rule of
    FRAUD_RULES present on each day, 0 when none)."""
    out = {}
    for key, obj in rows:
        rule, entity = key_labels(key, 2, "fraud_signals key")
        for day in _fraud_days(rule, obj, f"fraud_signals {rule} {entity}"):
            per_rule = out.setdefault(day, dict.fromkeys(FRAUD_RULES, 0))
            per_rule[rule] = per_rule.get(rule, 0) + 1
    return out


def _fraud_samples(rows):
    """Key [rule, entity id] (a session, customer or order): counts only, never the entity;
    and the counts of the newest day any rule flagged (the day as a value, not a label)."""
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
    by_day = fraud_by_day(rows)
    if by_day:
        newest = max(by_day)
        yield PREFIX + "fraud_newest_day_timestamp_seconds", (), _epoch_day(newest, "fraud_signals")
        for rule, n in by_day[newest].items():
            yield PREFIX + "fraud_newest_day_signals", (rule,), float(n)


def daily_revenue_by_day(rows):
    """{day: {region: row}} of a daily_revenue output (region "all" included)."""
    out = {}
    for key, obj in rows:
        day, region = key_labels(key, 2, "daily_revenue key")
        _epoch_day(day, f"daily_revenue {day} {region}")
        out.setdefault(day, {})[region] = obj
    return out


def _top_products_samples(rows):
    """Key [region, ranking, rank] -> a product: its totals and rank per region; the region
    "all" ranking (a ranking of its own, not a sum of the regions') as the overall families."""
    totals = {}
    for key, obj in rows:
        if not isinstance(key, list) or len(key) != 3 or not isinstance(key[2], int):
            raise OutputFormatError(f"top_products key: expected [region, ranking, rank], got {key!r}")
        region, ranking = key_labels(key[:2], 2, "top_products key")
        product = label_value(_field(obj, "product_id", f"top_products {key}"), "product_id")
        if region == TOTAL:
            yield PREFIX + "top_product_overall_rank", (ranking, product), float(key[2])
        else:
            yield PREFIX + "top_product_rank", (region, ranking, product), float(key[2])
        totals[(region, product)] = obj
    for (region, product), obj in sorted(totals.items()):
        overall = region == TOTAL
        for fld, name in (("revenue", "revenue_amount"), ("units", "units")):
            value = number(_field(obj, fld, f"top_products {region} {product}"), fld)
            if overall:
                yield PREFIX + "top_product_overall_" + name, (product,), value
            else:
                yield PREFIX + "top_product_" + name, (region, product), value


SEGMENT_AVERAGES = (  # (field, metric, help, unit, factor to base units)
    ("average_orders", "segment_average_orders", "Average orders per customer of each RFM segment (all tiers and intents).", "short", 1),
    ("average_completed_spend", "segment_average_completed_spend", "Average completed spend per customer of each RFM segment (currency units).", AMOUNT, 1),
    ("average_days_since_last_order", "segment_average_time_since_last_order_seconds", "Average time since the last order of each RFM segment's customers (the output's days x 86400; absent for never_ordered).", "s", 86400),
)


def _segment_samples(rows):
    """Key [segment, tier, intent], with a segment's totals as [segment, "all", "all"]:
    counts per cell (sum() rebuilds the totals), averages per segment from its totals row."""
    for key, obj in rows:
        segment, tier, intent = key_labels(key, 3, "customer_segments key")
        where = f"customer_segments {key}"
        if tier == intent == TOTAL:
            for fld, name, _, _, factor in SEGMENT_AVERAGES:
                v = _field(obj, fld, where)
                if v is not None:
                    yield PREFIX + name, (segment,), number(v, fld) * factor
            continue
        if TOTAL in (segment, tier, intent):
            raise OutputFormatError(f"{where}: an unexpected roll-up row")
        yield (PREFIX + "segment_customers", (segment, tier, intent),
               number(_field(obj, "customers", where), "customers"))
        yield (PREFIX + "segment_customer_ratio", (segment, tier, intent),
               number(_field(obj, "share", where), "share"))


def _table(job, title, families, to_samples):
    """families: ((metric without prefix, help, labels, unit, field, panel_by, title), ...)."""
    return OutputTable(job, title, tuple(Family(PREFIX + f[0], *f[1:]) for f in families),
                       to_samples)


FUNNEL_STEPS = ("view_to_add_to_cart", "add_to_cart_to_checkout", "checkout_to_purchase")
FUNNEL_STAGES = ("view", "add_to_cart", "checkout", "purchase")
SEGMENT_CELL = ("segment", "tier", "intent")

OUTPUT_TABLES = (
    keyed("sales_by_region", "Sales by region", "sales_region", (
        ("orders", "sales_orders", "Orders per sales region in the latest complete sales_by_region output.", "short"),
        ("gross_sales", "sales_gross_amount", "Gross sales per sales region (all orders, currency units), latest output.", AMOUNT),
        ("completed_orders", "sales_completed_orders", "Orders with status COMPLETED per sales region, latest output.", "short"),
        ("completed_sales", "sales_completed_amount", "Sales of COMPLETED orders per sales region (currency units), latest output.", AMOUNT),
        ("average_order_value", "sales_average_order_value", "Average COMPLETED order value per sales region (currency units); absent for a region without completed orders.", AMOUNT),
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
        ("sessions", "funnel_sessions", "Sessions per device in the latest funnel output.", "short", {}, ()),
        *((f"reached_{stage}", "funnel_stage_sessions", "Sessions that reached each funnel stage in time order, per device, latest funnel output.", "short", {"funnel_stage": stage}, ())
          for stage in FUNNEL_STAGES),
        *((step, "funnel_step_ratio", "Sessions reaching a stage / sessions reaching the stage before it (0-1), per device.", "percentunit", {"step": step})
          for step in FUNNEL_STEPS),
        ("overall_conversion", "funnel_conversion_ratio", "Sessions reaching purchase / sessions reaching view (0-1), per device.", "percentunit"),
        ("biggest_drop_off_rate", "funnel_biggest_drop_off_ratio", "Share of sessions lost at the funnel's worst step (0-1), per device.", "percentunit"),
    ), total_key=TOTAL, totals=(
        *((step, "funnel_total_step_ratio", "Sessions reaching a stage / sessions reaching the stage before it (0-1), over every device.", "percentunit", {"step": step})
          for step in FUNNEL_STEPS),
        ("overall_conversion", "funnel_total_conversion_ratio", "Sessions reaching purchase / sessions reaching view (0-1), over every device.", "percentunit"),
        ("biggest_drop_off_rate", "funnel_total_biggest_drop_off_ratio", "Share of sessions lost at the funnel's worst step (0-1), over every device.", "percentunit"),
    )),
    _table("daily_revenue", "Daily revenue", (
        ("daily_revenue_day_timestamp_seconds", "The newest day (UTC midnight, unix time) of the latest daily_revenue output: the day the daily_revenue_* figures are for.", (), "dateTimeAsIso", "day", None, "Day of these figures"),
        *((name, help_, ("sales_region",), unit, fld, by) for fld, name, help_, unit, by in DAILY_REVENUE_COLUMNS),
        ("daily_revenue_anomaly", "1 if the newest day's orders or net revenue break from the trailing week (anomaly), per sales region.", ("sales_region",), "short", "anomaly", None, "Newest day is an anomaly, by region"),
        ("daily_revenue_anomalies_in_window", "Days flagged as anomalies in the latest daily_revenue output's window, per sales region.", ("sales_region",), "short", "anomalies", None, "Anomaly days in the window, by region"),
        *((name, help_, (), unit, fld, None, "Average order value, all regions") for fld, name, help_, unit in DAILY_REVENUE_TOTALS[:1]),
        ("daily_revenue_total_anomaly", DAILY_REVENUE_TOTALS[1][2], (), "short", "anomaly", None, "Newest day is an anomaly, all regions"),
        ("daily_revenue_total_anomalies_in_window", "Days flagged as anomalies over every sales region in the latest daily_revenue output's window.", (), "short", "anomalies", None, "Anomaly days in the window, all regions"),
    ), _daily_revenue_samples),
    _table("fraud_signals", "Fraud signals", (
        ("fraud_signals", "Entities flagged by each rule in the latest fraud_signals output (bot_session: sessions, order_burst: customers, amount_outlier: orders).", ("rule",), "short", "rule", None, "Flagged entities by rule"),
        ("fraud_flagged_customers", "Distinct customers behind any fraud signal in the latest fraud_signals output.", (), "short", "customer_id", None, "Flagged customers"),
        ("fraud_newest_day_timestamp_seconds", "The newest day (UTC midnight, unix time) on which any rule flagged something in the latest fraud_signals output: the day fraud_newest_day_signals counts.", (), "dateTimeAsIso", "day", None, "Newest day with fraud signals"),
        ("fraud_newest_day_signals", "Entities flagged by each rule on the newest day with signals (a bot session by its window's day, a burst customer on each busy day, an outlier order by its order day).", ("rule",), "short", "rule", None, "Flagged entities on the newest day, by rule"),
    ), _fraud_samples),
    _table("customer_segments", "Customer segments", (
        ("segment_customers", "Customers per RFM segment, tier and purchase intent in the latest customer_segments output (sum by segment for a segment's customers).", SEGMENT_CELL, "short", "customers", ("segment",), "Customers by segment"),
        ("segment_customer_ratio", "Share of all customers in each segment/tier/intent cell (0-1).", SEGMENT_CELL, "percentunit", "share", ("segment",), "Share of customers by segment"),
        *((name, help_, ("segment",), unit, fld) for fld, name, help_, unit, _ in SEGMENT_AVERAGES),
    ), _segment_samples),
    _table("top_products", "Top products", (
        ("top_product_overall_revenue_amount", "Completed revenue (currency units) of each product in the overall top-k ranking (every sales region).", ("product_id",), AMOUNT, "revenue", None, "Revenue of the top products, all regions"),
        ("top_product_overall_units", "Completed units of each product in the overall top-k ranking.", ("product_id",), "short", "units", None, "Units of the top products, all regions"),
        ("top_product_overall_rank", "Rank (1 = best) of the product in each overall ranking (revenue, units), latest top_products output.", ("ranking", "product_id"), "none", "rank", None, "Rank in each overall ranking"),
        ("top_product_revenue_amount", "Completed revenue (currency units) of each product in a top-k ranking of its sales region.", ("sales_region", "product_id"), AMOUNT, "revenue", None, "Revenue of each region's top products"),
        ("top_product_units", "Completed units of each product in a top-k ranking of its sales region.", ("sales_region", "product_id"), "short", "units", None, "Units of each region's top products"),
        ("top_product_rank", "Rank (1 = best) of the product in each ranking (revenue, units) of its sales region.", ("sales_region", "ranking", "product_id"), "none", "rank", None, "Rank in each region's rankings"),
    ), _top_products_samples),
)


def tables_by_job(tables=OUTPUT_TABLES):
    return {t.job: t for t in tables}


def all_families(tables=OUTPUT_TABLES):
    return [fam for t in tables for fam in t.families]
