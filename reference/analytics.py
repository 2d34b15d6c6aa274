"""Independent reference computations of the analytics jobs, written from docs/analytics.md.

DuckDB SQL (its own CSV reader, SQL aggregation, exact decimals) where the
question is relational, plain Python (csv module, datetime, statistics) where
it is sequential. None of the jobs' code is used. Meant for clean data.
"""

import datetime
import statistics
from bisect import bisect_left
from collections import defaultdict
from decimal import Decimal

from ecomsuite.schemas import (
    ACTIONS,
    CATALOG,
    DEVICES,
    PURCHASE_INTENTS,
    REFUND_STATUSES,
    REGIONS,
    RFM_SEGMENTS,
)
from reference.common import avg_cents, connect, read_csv_rows, round_cents


def _rank_case(column, values):
    return "CASE " + " ".join(f"WHEN {column} = '{v}' THEN {i}" for i, v in enumerate(values)) + " END"


# --- funnel --------------------------------------------------------------------

def funnel(files):
    """Greedy funnel in SQL: each stage is the earliest event of its action at or after the
    previous stage's time (same second: the later stage counts, as in funnel order)."""
    con = connect({"clickstream": files})
    action_rank = _rank_case("action", ACTIONS)
    device_rank = _rank_case("device", DEVICES)
    stages = []
    for i, action in enumerate(ACTIONS):
        after = f"JOIN s{i - 1} USING (session_id) WHERE e.ts >= s{i - 1}.t AND" if i else "WHERE"
        stages.append(f"s{i} AS (SELECT e.session_id, min(e.ts) t FROM e {after} "
                      f"e.action = '{action}' GROUP BY e.session_id)")
    joins = " ".join(f"LEFT JOIN s{i} USING (session_id)" for i in range(len(ACTIONS)))
    reached = ", ".join(f"s{i}.t IS NOT NULL" for i in range(len(ACTIONS)))
    rows = con.execute(f"""
        WITH e AS (SELECT session_id, CAST(timestamp AS TIMESTAMP) ts, action, device,
                          {action_rank} ar, {device_rank} dr FROM clickstream),
        first_device AS (SELECT session_id, first(device ORDER BY ts, ar, dr) device
                         FROM e GROUP BY session_id),
        {", ".join(stages)}
        SELECT device, {reached} FROM first_device {joins}""").fetchall()
    counts = {d: [0] * len(ACTIONS) for d in (*DEVICES, "all")}
    sessions = dict.fromkeys(counts, 0)
    for device, *flags in rows:
        for key in (device, "all"):
            sessions[key] += 1
            for i, flag in enumerate(flags):
                counts[key][i] += flag
    names = [a.lower() for a in ACTIONS]
    out = {}
    for key, reached_n in counts.items():
        record = {"sessions": sessions[key]}
        record.update({f"reached_{n}": c for n, c in zip(names, reached_n)})
        drops = []
        for i in range(len(ACTIONS) - 1):
            frm, to = reached_n[i], reached_n[i + 1]
            record[f"{names[i]}_to_{names[i + 1]}"] = round(to / frm, 6) if frm else 0.0
            if frm:
                drops.append((-Decimal(frm - to) / frm, i))
        record["overall_conversion"] = round(reached_n[-1] / reached_n[0], 6) if reached_n[0] else 0.0
        if drops:
            lost, i = min(drops)
            record["biggest_drop_off"] = f"{ACTIONS[i]}->{ACTIONS[i + 1]}"
            record["biggest_drop_off_rate"] = round(float(-lost), 6)
        else:
            record["biggest_drop_off"] = record["biggest_drop_off_rate"] = None
        out[key] = record
    return out


# --- daily revenue ---------------------------------------------------------------

def daily_revenue(files, window=7, z=2.0, min_change=0.25):
    con = connect({"orders": files})
    refunds = ", ".join(f"'{s}'" for s in REFUND_STATUSES)
    amount = "CAST(total_amount AS DECIMAL(18, 2))"
    rows = con.execute(f"""
        SELECT CAST(CAST(order_date AS TIMESTAMP) AS DATE) d, region,
               count(*), count(*) FILTER (WHERE status = 'COMPLETED'),
               sum({amount}),
               coalesce(sum({amount}) FILTER (WHERE status NOT IN ({refunds})), 0),
               count(*) FILTER (WHERE status NOT IN ({refunds})),
               count(*) FILTER (WHERE status IN ({refunds})),
               coalesce(sum({amount}) FILTER (WHERE status IN ({refunds})), 0)
        FROM orders GROUP BY ALL""").fetchall()
    if not rows:
        return {}
    zero = [0, 0, Decimal(0), Decimal(0), 0, 0, Decimal(0)]
    by = defaultdict(lambda: list(zero))
    for day, region, *t in rows:
        for key in ((day, region), (day, "all")):
            by[key] = [a + b for a, b in zip(by[key], t)]
    first, last = min(r[0] for r in rows), max(r[0] for r in rows)
    days = [first + datetime.timedelta(i) for i in range((last - first).days + 1)]
    out = {}
    for region in (*REGIONS, "all"):
        series = [by.get((d, region), zero) for d in days]
        for i, d in enumerate(days):
            orders, completed, gross, net, net_orders, n_refunds, refunded = series[i]
            record = {
                "orders": orders, "completed_orders": completed,
                "gross_revenue": round_cents(gross), "net_revenue": round_cents(net),
                "average_order_value": avg_cents(net, net_orders) if net_orders else None,
                "refunds": n_refunds, "refunded_amount": round_cents(refunded),
                "judged": region == "all" and i >= window, "anomaly": False, "anomalies": [],
            }
            if record["judged"]:
                for metric, col in (("orders", 0), ("net_revenue", 3)):
                    prev = [float(r[col]) for r in series[i - window:i]]
                    x = float(series[i][col])
                    mean, sd = statistics.fmean(prev), statistics.stdev(prev)
                    if abs(x - mean) > z * sd and abs(x - mean) > min_change * mean:
                        record["anomalies"].append({
                            "metric": metric,
                            "value": round_cents(series[i][col]) if col else x,
                            "trailing_mean": (avg_cents(sum(r[col] for r in series[i - window:i]), window)
                                              if col else round(mean, 2)),
                            "z_score": round((x - mean) / sd, 4) if sd else None,
                        })
                record["anomaly"] = bool(record["anomalies"])
            out[(d.isoformat(), region)] = record
    return out


# --- fraud signals ---------------------------------------------------------------

def _rows(files, dataset):
    """Every data row of CSV files (Python's csv module) or of canonical Parquet parts
    (DuckDB, every value as text), as dicts."""
    files = list(files)
    if not files or not all(str(f).endswith(".parquet") for f in files):
        return read_csv_rows(files, dataset)
    cursor = connect({dataset: files}).execute(f"SELECT * FROM {dataset}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def fraud_signals(click_files, order_files, max_events=8, max_orders=10, factor=10,
                  min_others=3):
    """The three rules in plain Python over CSV files or canonical Parquet parts."""
    out = {}
    sessions = defaultdict(list)
    for r in _rows(click_files, "clickstream"):
        t = datetime.datetime.strptime(r["timestamp"], "%Y-%m-%d %H:%M:%S")
        sessions[r["session_id"]].append((t, r["customer_id"]))
    for session, events in sessions.items():
        times = sorted(t for t, _ in events)
        best, start = 0, None
        for t in times:  # the window [t, t + 60 s) starting at each event
            n = bisect_left(times, t + datetime.timedelta(seconds=60)) - bisect_left(times, t)
            if n > best:
                best, start = n, t
        if best > max_events:
            out[("bot_session", session)] = {
                "entity": "session", "customer_id": min(c for _, c in events),
                "events_in_window": best, "window_start": start.strftime("%Y-%m-%d %H:%M:%S"),
                "session_events": len(times), "limit": max_events}
    customers = defaultdict(list)
    for r in _rows(order_files, "orders"):
        customers[r["customer_id"]].append(
            (r["order_id"], r["order_date"][:10], Decimal(r["total_amount"])))
    for customer, orders in customers.items():
        per_day = defaultdict(int)
        for _, day, _ in orders:
            per_day[day] += 1
        busy = sorted((d, n) for d, n in per_day.items() if n > max_orders)
        if busy:
            out[("order_burst", customer)] = {
                "entity": "customer", "days": [{"date": d, "orders": n} for d, n in busy],
                "max_orders_in_a_day": max(n for _, n in busy), "total_orders": len(orders),
                "limit": max_orders}
        for i, (order, day, amount) in enumerate(orders):
            others = [a for j, (_, _, a) in enumerate(orders) if j != i]
            if len(others) < min_others:
                continue
            median = statistics.median(others)
            if amount > factor * median:
                out[("amount_outlier", order)] = {
                    "entity": "order", "customer_id": customer, "order_date": day,
                    "amount": float(amount), "median_of_other_orders": round_cents(median),
                    "times_median": round(float(amount / median), 2) if median else None,
                    "other_orders": len(others), "factor": float(factor)}
    return out


# --- customer segments -----------------------------------------------------------

def segment_of(days, orders, spend, recent=7, frequent=10, high=Decimal("2000.00")):
    if not orders:
        return "never_ordered"
    f, m = orders >= frequent, spend >= high
    if days <= recent:
        return "champion" if f and m else "loyal" if f or m else "promising"
    return "at_risk" if f or m else "hibernating"


def intent_of(furthest):
    if furthest is None:
        return "inactive"
    return ("converter" if furthest == "PURCHASE" else
            "browser" if furthest == "VIEW" else "cart_abandoner")


def customer_rfm(customer_files, order_files, click_files):
    """[(customer_id, tier, last order date, orders, completed spend, furthest action, as_of)]."""
    con = connect({"customers": customer_files, "orders": order_files,
                   "clickstream": click_files})
    rank = _rank_case("action", ACTIONS)
    return con.execute(f"""
        WITH o AS (SELECT customer_id, max(CAST(CAST(order_date AS TIMESTAMP) AS DATE)) last_day,
                          count(*) n,
                          coalesce(sum(CAST(total_amount AS DECIMAL(18, 2)))
                                   FILTER (WHERE status = 'COMPLETED'), 0) spend
                   FROM orders GROUP BY 1),
             s AS (SELECT customer_id, arg_max(action, {rank}) furthest FROM clickstream GROUP BY 1),
             a AS (SELECT max(CAST(CAST(order_date AS TIMESTAMP) AS DATE)) as_of FROM orders)
        SELECT c.customer_id, c.tier, o.last_day, coalesce(o.n, 0), coalesce(o.spend, 0),
               s.furthest, a.as_of
        FROM customers c LEFT JOIN o USING (customer_id) LEFT JOIN s USING (customer_id), a
    """).fetchall()


def customer_segments(customer_files, order_files, click_files):
    groups = defaultdict(lambda: [0, 0, Decimal(0), 0])
    rows = customer_rfm(customer_files, order_files, click_files)
    for _, tier, last, n, spend, furthest, as_of in rows:
        days = (as_of - last).days if last else None
        seg = segment_of(days, n, spend)
        for key in ((seg, tier, intent_of(furthest)), (seg, "all", "all")):
            g = groups[key]
            g[0] += 1
            g[1] += n
            g[2] += spend
            g[3] += days or 0
    assert {k[0] for k in groups} <= set(RFM_SEGMENTS)
    assert {k[2] for k in groups} <= set(PURCHASE_INTENTS) | {"all"}
    return {key: {
        "customers": c, "share": round(c / len(rows), 6), "average_orders": round(n / c, 4),
        "average_completed_spend": avg_cents(spend, c),
        "average_days_since_last_order": round(days / c, 4) if key[0] != "never_ordered" else None,
    } for key, (c, n, spend, days) in groups.items()}


# --- top products ----------------------------------------------------------------

def top_products(files, k=5):
    con = connect({"orders": files})
    rows = con.execute("""
        WITH p AS (
            SELECT region, product_id, sum(CAST(quantity AS BIGINT)) units,
                   sum(CAST(total_amount AS DECIMAL(18, 2))) revenue, count(*) n
            FROM orders WHERE status = 'COMPLETED' GROUP BY ALL
            UNION ALL
            SELECT 'all', product_id, sum(CAST(quantity AS BIGINT)),
                   sum(CAST(total_amount AS DECIMAL(18, 2))), count(*)
            FROM orders WHERE status = 'COMPLETED' GROUP BY ALL)
        SELECT region, 'revenue', row_number() OVER (PARTITION BY region
                   ORDER BY revenue DESC, product_id) r, product_id, units, revenue, n FROM p
        UNION ALL
        SELECT region, 'units', row_number() OVER (PARTITION BY region
                   ORDER BY units DESC, product_id) r, product_id, units, revenue, n FROM p
    """).fetchall()
    names = {p.product_id: p.name for p in CATALOG}
    return {(region, ranking, rank): {
        "product_id": product, "product_name": names.get(product),
        "revenue": round_cents(revenue), "units": units, "orders": n,
    } for region, ranking, rank, product, units, revenue, n in rows if rank <= k}

