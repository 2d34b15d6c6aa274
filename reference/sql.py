"""The DuckDB side of the benchmark: for every job, the same analysis in SQL.

Each reference takes ``{dataset: [part files]}`` and returns ``{key: value}``
in the job's output shape. The three core jobs reuse ``reference.core``
(the queries the correctness tests check against). The further-analytics
jobs get theirs here: reference.analytics answers the same questions
for the tests, but reads fraud_signals' rows with the csv module and judges
them in plain Python (and Python statistics elsewhere), which is right for a
test and wrong for a speed reference; here every step over rows is SQL, and
Python only shapes the few result rows.
"""

import datetime
import math
from decimal import Decimal
from fractions import Fraction

from ecomsuite.schemas import ACTIONS, CATALOG, DEVICES, REGIONS
from reference import core
from reference.common import connect

# The further-analytics jobs' parameters, at their defaults (the benchmark runs
# every job with its defaults).
TOP_K = 5
WINDOW_DAYS, Z_THRESHOLD, MIN_RELATIVE_CHANGE = 7, Fraction(2), Fraction("0.25")
MAX_EVENTS_PER_MINUTE, MAX_ORDERS_PER_DAY = 8, 10
OUTLIER_FACTOR, OUTLIER_MIN_ORDERS = Fraction(10), 5
RECENT_DAYS, FREQUENT_ORDERS, HIGH_VALUE_CENTS = 7, 10, 200_000
ACTION_INDEX_SQL = ("CASE action " + " ".join(f"WHEN '{a}' THEN {i}" for i, a in enumerate(ACTIONS))
                    + " END")
DEVICE_INDEX_SQL = ("CASE device " + " ".join(f"WHEN '{d}' THEN {i}" for i, d in enumerate(DEVICES))
                    + " END")


def _cents(value):
    return int(Decimal(value) * 100)


def _money(cents):
    return round(cents / 100, 2)


def _half_up(numerator, denominator):
    return (2 * numerator + denominator) // (2 * denominator)


def _ratio(part, whole):
    return round(part / whole, 6) if whole else 0.0


def top_products(files_by_dataset):
    con = connect(files_by_dataset)
    rows = con.execute(f"""
        WITH totals AS (
            SELECT CASE WHEN grouping(region) = 1 THEN 'all' ELSE region END AS region,
                   product_id, sum(CAST(quantity AS BIGINT)) AS units,
                   sum(CAST(total_amount AS DECIMAL(18, 2))) AS revenue, count(*) AS orders
            FROM orders WHERE status = 'COMPLETED'
            GROUP BY GROUPING SETS ((region, product_id), (product_id))),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY region ORDER BY revenue DESC, product_id)
                          AS by_revenue,
                      row_number() OVER (PARTITION BY region ORDER BY units DESC, product_id)
                          AS by_units
            FROM totals)
        SELECT region, product_id, units, revenue, orders, by_revenue, by_units FROM ranked
        WHERE by_revenue <= {TOP_K} OR by_units <= {TOP_K}""").fetchall()
    names = {p.product_id: p.name for p in CATALOG}
    out = {}
    for region, product, units, revenue, orders, by_revenue, by_units in rows:
        value = {"product_id": product, "product_name": names.get(product),
                 "revenue": _money(_cents(revenue)), "units": int(units), "orders": orders}
        for ranking, rank in (("revenue", by_revenue), ("units", by_units)):
            if rank <= TOP_K:
                out[(region, ranking, rank)] = value
    return out


def _judge(value, window):
    """Is `value` an anomaly against the previous days' `window`? (flagged, z)."""
    w, total = len(window), sum(window)
    mean = Fraction(total, w)
    if abs(value - mean) <= MIN_RELATIVE_CHANGE * mean:
        return False, None
    variance = sum((v - mean) ** 2 for v in window) / (w - 1)   # sample variance
    if variance == 0:
        return value != mean, None
    flagged = (value - mean) ** 2 > Z_THRESHOLD ** 2 * variance
    spread = w * sum(v * v for v in window) - total * total
    return flagged, round((w * value - total) / math.sqrt(w * spread / (w - 1)), 4)


def daily_revenue(files_by_dataset):
    con = connect(files_by_dataset)
    refunds = "('CANCELLED', 'RETURNED')"
    rows = con.execute(f"""
        SELECT substr(order_date, 1, 10) AS day,
               CASE WHEN grouping(region) = 1 THEN 'all' ELSE region END AS region,
               count(*), count(*) FILTER (WHERE status = 'COMPLETED'),
               sum(CAST(total_amount AS DECIMAL(18, 2))),
               coalesce(sum(CAST(total_amount AS DECIMAL(18, 2)))
                        FILTER (WHERE status NOT IN {refunds}), 0),
               count(*) FILTER (WHERE status NOT IN {refunds}),
               count(*) FILTER (WHERE status IN {refunds}),
               coalesce(sum(CAST(total_amount AS DECIMAL(18, 2)))
                        FILTER (WHERE status IN {refunds}), 0)
        FROM orders GROUP BY GROUPING SETS ((day, region), (day))""").fetchall()
    if not rows:
        return {}
    series = {}
    for day, region, orders, completed, gross, net, net_orders, refunded_n, refunded in rows:
        series.setdefault(region, {})[day] = (orders, completed, _cents(gross), _cents(net),
                                              net_orders, refunded_n, _cents(refunded))
    days = sorted(series["all"])
    first = datetime.date.fromisoformat(days[0])
    last = datetime.date.fromisoformat(days[-1])
    calendar = [(first + datetime.timedelta(d)).isoformat() for d in range((last - first).days + 1)]
    out = {}
    for region in (*REGIONS, "all"):
        by_day = series.get(region, {})
        values = [by_day.get(day, (0,) * 7) for day in calendar]
        judged_from = WINDOW_DAYS if region == "all" else len(calendar)  # only "all" is judged
        for i, day in enumerate(calendar):
            orders, completed, gross, net, net_orders, refunded_n, refunded = values[i]
            record = {"orders": orders, "completed_orders": completed,
                      "gross_revenue": _money(gross), "net_revenue": _money(net),
                      "average_order_value": _money(_half_up(net, net_orders)) if net_orders
                      else None,
                      "refunds": refunded_n, "refunded_amount": _money(refunded),
                      "judged": i >= judged_from, "anomaly": False, "anomalies": []}
            if i >= judged_from:
                for name, index, is_money in (("orders", 0, False), ("net_revenue", 3, True)):
                    window = [v[index] for v in values[i - WINDOW_DAYS:i]]
                    flagged, z = _judge(values[i][index], window)
                    if flagged:
                        record["anomalies"].append({
                            "metric": name,
                            "value": _money(values[i][index]) if is_money else values[i][index],
                            "trailing_mean": _money(_half_up(sum(window), WINDOW_DAYS))
                            if is_money else round(sum(window) / WINDOW_DAYS, 2),
                            "z_score": z})
                record["anomaly"] = bool(record["anomalies"])
            out[(day, region)] = record
    return out


def funnel(files_by_dataset):
    """Greedy in-order matching as SQL: stage i+1 is the first ACTIONS[i+1] event at or after
    stage i's event (the same second counts: events order by time, then action)."""
    con = connect(files_by_dataset)
    stage_ctes = []
    for i in range(1, len(ACTIONS)):
        stage_ctes.append(f"""
        s{i} AS (SELECT e.s, min(e.ts) AS t FROM events e JOIN s{i - 1} USING (s)
                 WHERE e.a = {i} AND e.ts >= s{i - 1}.t GROUP BY e.s)""")
    joins = " ".join(f"LEFT JOIN s{i} USING (s)" for i in range(len(ACTIONS)))
    reached = " + ".join(f"(s{i}.t IS NOT NULL)::INT" for i in range(len(ACTIONS)))
    rows = con.execute(f"""
        WITH events AS (
            SELECT session_id AS s, timestamp AS ts, {ACTION_INDEX_SQL} AS a,
                   {DEVICE_INDEX_SQL} AS d FROM clickstream),
        sessions AS (SELECT s, arg_min(d, ts || a::VARCHAR || d::VARCHAR) AS d
                     FROM events GROUP BY s),
        s0 AS (SELECT s, min(ts) AS t FROM events WHERE a = 0 GROUP BY s),
        {",".join(stage_ctes)}
        SELECT d, {reached} AS stage, count(*) FROM sessions {joins} GROUP BY ALL""").fetchall()
    stages = len(ACTIONS)
    by_device = {d: [0] * (stages + 1) for d in (*DEVICES, "all")}
    for d, stage, n in rows:
        by_device[DEVICES[d]][stage] += n
        by_device["all"][stage] += n
    names = [a.lower() for a in ACTIONS]
    out = {}
    for device, by_stage in by_device.items():
        reached = [sum(by_stage[i + 1:]) for i in range(stages)]
        record = {"sessions": sum(by_stage)}
        record.update({f"reached_{name}": n for name, n in zip(names, reached)})
        drops = []
        for i in range(stages - 1):
            record[f"{names[i]}_to_{names[i + 1]}"] = _ratio(reached[i + 1], reached[i])
            if reached[i]:
                drops.append((Fraction(reached[i] - reached[i + 1], reached[i]), -i))
        record["overall_conversion"] = _ratio(reached[-1], reached[0])
        worst = max(drops) if drops else None
        record["biggest_drop_off"] = f"{ACTIONS[-worst[1]]}->{ACTIONS[-worst[1] + 1]}" \
            if worst else None
        record["biggest_drop_off_rate"] = round(float(worst[0]), 6) if worst else None
        out[device] = record
    return out


def fraud_signals(files_by_dataset):
    con = connect(files_by_dataset)
    out = {}
    # Bots: the most events in any [t, t + 60 s) of a session; only a session with more
    # events in all than the limit can be one.
    bots = con.execute(f"""
        WITH big AS (SELECT session_id AS s, min(customer_id) AS c, count(*) AS events
                     FROM clickstream GROUP BY 1 HAVING count(*) > {MAX_EVENTS_PER_MINUTE}),
        e AS (SELECT s, timestamp AS ts, epoch(strptime(timestamp, '%Y-%m-%d %H:%M:%S'))::BIGINT AS t
              FROM clickstream JOIN big ON session_id = s),
        w AS (SELECT s, ts, t, count(*) OVER (PARTITION BY s ORDER BY t
                                               RANGE BETWEEN CURRENT ROW AND 59 FOLLOWING) AS n
              FROM e)
        SELECT s, any_value(c), any_value(events), max(n), arg_min(ts, (-n, t))
        FROM w JOIN big USING (s) GROUP BY s
        HAVING max(n) > {MAX_EVENTS_PER_MINUTE}""").fetchall()
    for s, c, events, most, start in bots:
        out[("bot_session", s)] = {"entity": "session", "customer_id": c,
                                   "events_in_window": most, "window_start": start,
                                   "session_events": events, "limit": MAX_EVENTS_PER_MINUTE}
    bursts = con.execute(f"""
        WITH d AS (SELECT customer_id AS c, substr(order_date, 1, 10) AS day, count(*) AS n
                   FROM orders GROUP BY 1, 2),
        t AS (SELECT customer_id AS c, count(*) AS total FROM orders GROUP BY 1)
        SELECT c, list(struct_pack(date := day, orders := n) ORDER BY day), max(n), any_value(total)
        FROM d JOIN t USING (c) WHERE n > {MAX_ORDERS_PER_DAY} GROUP BY c""").fetchall()
    for c, days, most, total in bursts:
        out[("order_burst", c)] = {"entity": "customer", "days": [dict(x) for x in days],
                                   "max_orders_in_a_day": most, "total_orders": total,
                                   "limit": MAX_ORDERS_PER_DAY}
    # Outliers: the median of a customer's other orders, from the sorted amounts without
    # one instance of this order's amount (rank = how many amounts are smaller).
    outliers = con.execute(f"""
        WITH o AS (SELECT customer_id AS c, order_id, substr(order_date, 1, 10) AS day,
                          (CAST(total_amount AS DECIMAL(18, 2)) * 100)::BIGINT AS a FROM orders),
        s AS (SELECT c, list_sort(list(a)) AS xs, count(*) - 1 AS m FROM o GROUP BY c
              HAVING count(*) - 1 >= {OUTLIER_MIN_ORDERS}),
        r AS (SELECT o.*, xs, m, len(list_filter(xs, lambda x: x < a)) AS rank FROM o JOIN s USING (c)),
        k AS (SELECT *, m // 2 AS hi, m // 2 - 1 AS lo FROM r),
        t AS (SELECT *,
                CASE WHEN m % 2 = 1
                     THEN 2 * xs[CASE WHEN hi < rank THEN hi ELSE hi + 1 END + 1]
                     ELSE xs[CASE WHEN lo < rank THEN lo ELSE lo + 1 END + 1]
                        + xs[CASE WHEN hi < rank THEN hi ELSE hi + 1 END + 1] END AS twice_median
              FROM k)
        SELECT order_id, c, day, a, twice_median, m FROM t
        WHERE 2 * a > {OUTLIER_FACTOR.numerator} * twice_median""").fetchall()
    for order, c, day, cents, twice_median, m in outliers:
        out[("amount_outlier", order)] = {
            "entity": "order", "customer_id": c, "order_date": day, "amount": _money(cents),
            "median_of_other_orders": _money(_half_up(twice_median, 2)),
            "times_median": round(cents * 2 / twice_median, 2) if twice_median else None,
            "other_orders": m, "factor": float(OUTLIER_FACTOR)}
    return out


def customer_segments(files_by_dataset):
    con = connect(files_by_dataset)
    rows = con.execute(f"""
        WITH o AS (SELECT customer_id, max(substr(order_date, 1, 10)) AS last_day, count(*) AS n,
                          coalesce(sum(CAST(total_amount AS DECIMAL(18, 2)))
                                   FILTER (WHERE status = 'COMPLETED'), 0) AS spent
                   FROM orders GROUP BY 1),
        k AS (SELECT customer_id, max({ACTION_INDEX_SQL}) AS furthest FROM clickstream GROUP BY 1),
        as_of AS (SELECT max(substr(order_date, 1, 10))::DATE AS d FROM orders),
        c AS (SELECT customer_id, min(tier) AS tier FROM customers GROUP BY 1),
        j AS (SELECT c.tier, o.n, o.spent,
                     (SELECT d FROM as_of) - o.last_day::DATE AS days,
                     CASE WHEN k.furthest IS NULL THEN 'inactive' WHEN k.furthest >= 3
                          THEN 'converter' WHEN k.furthest >= 1 THEN 'cart_abandoner'
                          ELSE 'browser' END AS intent,
                     coalesce(o.n, 0) >= {FREQUENT_ORDERS} AS frequent,
                     coalesce(o.spent, 0) * 100 >= {HIGH_VALUE_CENTS} AS high_value
              FROM c LEFT JOIN o USING (customer_id) LEFT JOIN k USING (customer_id)),
        seg AS (SELECT *, CASE
                    WHEN days IS NULL THEN 'never_ordered'
                    WHEN days <= {RECENT_DAYS} THEN CASE WHEN frequent AND high_value THEN 'champion'
                        WHEN frequent OR high_value THEN 'loyal' ELSE 'promising' END
                    WHEN frequent OR high_value THEN 'at_risk' ELSE 'hibernating' END AS segment
                FROM j)
        SELECT segment, CASE WHEN grouping(tier) = 1 THEN 'all' ELSE tier END,
               CASE WHEN grouping(intent) = 1 THEN 'all' ELSE intent END,
               count(*), coalesce(sum(n), 0), coalesce(sum(spent), 0), coalesce(sum(days), 0)
        FROM seg GROUP BY GROUPING SETS ((segment, tier, intent), (segment))""").fetchall()
    everyone = sum(r[3] for r in rows if r[1] == "all")
    return {(segment, tier, intent): {
        "customers": n,
        "share": _ratio(n, everyone),
        "average_orders": round(orders / n, 4),
        "average_completed_spend": _money(_half_up(_cents(spent), n)),
        "average_days_since_last_order": round(days / n, 4) if segment != "never_ordered"
        else None,
    } for segment, tier, intent, n, orders, spent, days in rows}


def _one(dataset, fn):
    def run(files_by_dataset):
        return fn(files_by_dataset[dataset])
    run.datasets = (dataset,)
    return run


REFERENCES = {
    "sales_by_region": _one("orders", core.sales_by_region),
    "customer_tiers": _one("customers", core.customer_tiers),
    "device_conversions": _one("clickstream", core.device_conversions),
    "top_products": top_products,
    "daily_revenue": daily_revenue,
    "funnel": funnel,
    "fraud_signals": fraud_signals,
    "customer_segments": customer_segments,
}


def reference_for(job_name):
    """The DuckDB reference of a job, or None when the benchmark has none yet."""
    return REFERENCES.get(job_name)
