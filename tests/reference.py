"""Independent reference computations of the core jobs, in DuckDB SQL.

These read the same CSV files the jobs read but share none of the jobs' code:
DuckDB's own CSV reader, SQL aggregation, and exact decimals rounded half up
in Python. They are meant for clean data (the generator's output).
"""

from decimal import ROUND_HALF_UP, Decimal

import duckdb

from ecomsuite.schemas import DATASETS

CENT = Decimal("0.01")


def connect(files_by_dataset):
    """A DuckDB connection with a view per dataset over its CSV files (or its canonical
    Parquet parts, cast back to text), every column VARCHAR (the SQL casts what it uses). Shared by every reference (core,
    further analytics) and by the benchmark's queries (bench/sql.py)."""
    con = duckdb.connect()
    for dataset, files in files_by_dataset.items():
        columns = {name: "VARCHAR" for name in DATASETS[dataset].names}
        file_list = "[" + ", ".join(f"'{f}'" for f in files) + "]"
        if files and all(str(f).endswith(".parquet") for f in files):
            # the canonical form (typed Parquet): the same VARCHAR view of its values
            text = ", ".join(f"CAST({n} AS VARCHAR) AS {n}" for n in columns)
            con.execute(f"CREATE VIEW {dataset} AS SELECT {text} FROM read_parquet({file_list})")
            continue
        con.execute(f"CREATE VIEW {dataset} AS SELECT * FROM read_csv({file_list}, "
                    f"header=true, columns={columns!r}, quote='\"', escape='\"')")
    return con


def round_cents(value):
    """An exact amount -> a float rounded half up to cents."""
    return float(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def avg_cents(total, n):
    """total / n rounded half up to cents, as a float."""
    return float((Decimal(total) / n).quantize(CENT, rounding=ROUND_HALF_UP))


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
