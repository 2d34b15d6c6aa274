"""Run one core job's analysis in Spark (pyspark, ``local[2]``) and print it as JSON.

    .venvs/spark/bin/python bench/spark_run.py JOB DATASET=FILE[,FILE...] ...

What users would pick instead of this suite, timed by the benchmark as a whole process
(JVM and session start-up included, as a user waits for it) over the same canonical
Parquet files as the jobs and DuckDB. Its output is compared with DuckDB's
(reference/core.py), key by key. It runs in its own virtualenv (``make bench-spark``
makes it: pyspark is never part of the suite's install or of ``make test``), so it
imports nothing but pyspark and the standard library.
"""

import json
import os
import sys
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# The same analyses as reference/core.py, in Spark SQL (money as DECIMAL(18, 2)).
QUERIES = {
    "sales_by_region": ("orders", """
        SELECT region, count(*),
               sum(CAST(total_amount AS DECIMAL(18, 2))),
               count(*) FILTER (WHERE status = 'COMPLETED'),
               coalesce(sum(CAST(total_amount AS DECIMAL(18, 2)))
                        FILTER (WHERE status = 'COMPLETED'), 0)
        FROM orders GROUP BY region"""),
    "customer_tiers": ("customers", """
        SELECT tier, count(*), sum(CAST(lifetime_value AS DECIMAL(18, 2)))
        FROM customers GROUP BY tier"""),
    "device_conversions": ("clickstream", """
        SELECT device, count(DISTINCT session_id),
               count(DISTINCT CASE WHEN action = 'PURCHASE' THEN session_id END),
               count(*) FILTER (WHERE action = 'PURCHASE')
        FROM clickstream GROUP BY device"""),
}


def _cents(value):
    return float(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def _avg(total, n):
    return float((Decimal(total) / n).quantize(CENT, rounding=ROUND_HALF_UP))


def shape(job, rows):
    if job == "sales_by_region":
        return {r: {"orders": n, "gross_sales": _cents(g), "completed_orders": c,
                    "completed_sales": _cents(cs),
                    "average_order_value": _avg(cs, c) if c else None}
                for r, n, g, c, cs in rows}
    if job == "customer_tiers":
        everyone = sum(n for _, n, _ in rows)
        return {t: {"customers": n, "share": round(n / everyone, 6),
                    "average_lifetime_value": _avg(v, n)} for t, n, v in rows}
    return {d: {"sessions": s, "converted_sessions": c, "conversion_rate": round(c / s, 6),
                "purchases": p} for d, s, c, p in rows}


def main(argv):
    job, specs = argv[0], argv[1:]
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
             .appName(f"bench-{job}").config("spark.driver.memory", "2g")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        dataset, query = QUERIES[job]
        for spec in specs:
            name, _, paths = spec.partition("=")
            if name == dataset:
                spark.read.parquet(*paths.split(",")).createOrReplaceTempView(name)
        rows = [tuple(r) for r in spark.sql(query).collect()]
    finally:
        spark.stop()
    json.dump([[k, v] for k, v in shape(job, rows).items()], sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
