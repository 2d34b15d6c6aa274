"""The core jobs (sales by region, customer tiers, device conversions) in DuckDB SQL."""

from reference.common import avg_cents, connect, round_cents


def sales_by_region(files):
    con = connect({"orders": files})
    rows = con.execute("""
        SELECT region, count(*),
               sum(CAST(total_amount AS DECIMAL(18, 2))),
               count(*) FILTER (WHERE status = 'COMPLETED'),
               coalesce(sum(CAST(total_amount AS DECIMAL(18, 2)))
                        FILTER (WHERE status = 'COMPLETED'), 0)
        FROM orders GROUP BY region""").fetchall()
    return {region: {
        "orders": orders,
        "gross_sales": round_cents(gross),
        "completed_orders": completed,
        "completed_sales": round_cents(completed_sales),
        "average_order_value": avg_cents(completed_sales, completed) if completed else None,
    } for region, orders, gross, completed, completed_sales in rows}


def customer_tiers(files):
    con = connect({"customers": files})
    rows = con.execute("""
        SELECT tier, count(*), sum(CAST(lifetime_value AS DECIMAL(18, 2)))
        FROM customers GROUP BY tier""").fetchall()
    everyone = sum(n for _, n, _ in rows)
    return {tier: {
        "customers": n,
        "share": round(n / everyone, 6),
        "average_lifetime_value": avg_cents(ltv, n),
    } for tier, n, ltv in rows}


def device_conversions(files):
    con = connect({"clickstream": files})
    rows = con.execute("""
        SELECT device, count(DISTINCT session_id),
               count(DISTINCT session_id) FILTER (WHERE action = 'PURCHASE'),
               count(*) FILTER (WHERE action = 'PURCHASE')
        FROM clickstream GROUP BY device""").fetchall()
    return {device: {
        "sessions": sessions,
        "converted_sessions": converted,
        "conversion_rate": round(converted / sessions, 6),
        "purchases": purchases,
    } for device, sessions, converted, purchases in rows}
