"""The ingest stage against DuckDB doing the same typed read, validation and Parquet write.

    python -m bench.ingest [--scale 10] [--runs 3]

On the benchmark's generated data at one scale (bench/harness.py's Data: one snapshot,
two parts per dataset), each round times, whole process and side by side:
- ``ecom-ingest --runner inline --force`` (validation once: canonical Parquet,
  quarantine, manifests);
- DuckDB reading the same CSV files as text and writing the rows that pass the same
  rules (generated from ecomsuite/schemas.py) as typed, zstd Parquet, and the others
  as a JSON quarantine (``python -m bench.ingest --duckdb``).
Writes bench/results/ingest-latest.{json,md}.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import harness  # noqa: E402
from ecomsuite import layout, schemas  # noqa: E402

NUMBER = r"[0-9]{1,15}"
MONEY = r"[0-9]+(\.[0-9]{1,2})?"


def rule_sql(column):
    """DuckDB SQL that is true when a text field passes the ingest's rule for its column."""
    n, kind = column.name, column.kind
    if kind in (schemas.ID, schemas.TEXT):
        return f"coalesce({n}, '') <> ''"
    if kind == schemas.ENUM:
        return f"{n} IN ({', '.join(repr(v) for v in column.values)})"
    if kind == schemas.INT:
        return f"regexp_full_match({n}, '{NUMBER}')"
    if kind == schemas.MONEY:
        return (f"(regexp_full_match({n}, '{MONEY}') AND "
                f"length(replace({n}, '.', '')) - CASE WHEN {n} LIKE '%.%' THEN "
                f"2 - length(split_part({n}, '.', 2)) ELSE -2 END <= 15)")
    fmt, pattern = (("%Y-%m-%d %H:%M:%S", r"(19|20)\d\d-\d\d-\d\d \d\d:\d\d:\d\d")
                    if kind == schemas.TIMESTAMP else ("%Y-%m-%d", r"(19|20)\d\d-\d\d-\d\d"))
    return f"(regexp_full_match({n}, '{pattern}') AND try_strptime({n}, '{fmt}') IS NOT NULL)"


def typed_sql(column):
    n, kind = column.name, column.kind
    return {schemas.INT: f"CAST({n} AS BIGINT)", schemas.MONEY: f"CAST({n} AS DECIMAL(18, 2))",
            schemas.TIMESTAMP: f"CAST({n} AS TIMESTAMP)",
            schemas.DATE: f"CAST({n} AS DATE)"}.get(kind, n) + f" AS {n}"


def duckdb_ingest(data_root, dest):
    import duckdb
    con = duckdb.connect()
    for name, dataset in schemas.DATASETS.items():
        files = layout.DataLayout(data_root).input_files([name])[0]
        columns = {c: "VARCHAR" for c in dataset.names}
        con.execute(f"CREATE TEMP TABLE raw AS SELECT * FROM read_csv({files!r}, header=true, "
                    f"columns={columns!r}, quote='\"', escape='\"', ignore_errors=false)")
        ok = " AND ".join(rule_sql(c) for c in dataset.columns)
        typed = ", ".join(typed_sql(c) for c in dataset.columns)
        con.execute(f"COPY (SELECT {typed} FROM raw WHERE {ok}) TO "
                    f"'{dest}/{name}.parquet' (FORMAT parquet, COMPRESSION zstd)")
        con.execute(f"COPY (SELECT * FROM raw WHERE NOT coalesce({ok}, false)) TO "
                    f"'{dest}/{name}-rejected.json' (FORMAT json)")
        con.execute("DROP TABLE raw")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--duckdb", nargs=2, metavar=("DATA", "DEST"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duckdb:
        duckdb_ingest(*args.duckdb)
        return 0
    data = harness.Data(args.scale, args.seed, parts=2)
    work = tempfile.mkdtemp(prefix="bench-ingest-")
    try:
        data.ensure(work)
        ingest_cmd = [os.path.join(os.path.dirname(harness.PY), "ecom-ingest"), "--data",
                      data.dir, "--runner", "inline", "--force", "--quiet"]
        rounds = []
        for i in range(args.runs + 1):  # the first round warms the caches
            dest = os.path.join(work, f"duck-{i}")
            os.makedirs(dest)
            load = os.getloadavg()[0]
            ours = harness.run_measured(ingest_cmd, work, f"ingest-{i}", env=harness.measured_env())
            duck = harness.run_measured([harness.PY, "-m", "bench.ingest", "--duckdb", data.dir,
                                         dest], work, f"duck-{i}", env=harness.measured_env())
            for m, what in ((ours, "ecom-ingest"), (duck, "duckdb")):
                if m.returncode != 0:
                    raise SystemExit(f"{what} failed:\n{m.stderr_tail()}")
            shutil.rmtree(dest)
            rounds.append({"warmup": i == 0, "ingest_s": round(ours.wall, 3),
                           "duckdb_s": round(duck.wall, 3), "ingest_rss_mib":
                           round(ours.maxrss_mib, 1), "load1": round(load, 2)})
            harness.log(f"round {i}: ecom-ingest {ours.wall:.2f} s, DuckDB {duck.wall:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    timed = [r for r in rounds if not r["warmup"]]
    d = layout.DataLayout(data.dir)
    records = sum(d.ingest_manifest(n, None).records for n in schemas.DATASETS)
    result = {"scale": args.scale, "records": records, "rounds": rounds,
              "ingest_median_s": statistics.median(r["ingest_s"] for r in timed),
              "duckdb_median_s": statistics.median(r["duckdb_s"] for r in timed),
              "ratio_median": statistics.median(r["ingest_s"] / r["duckdb_s"] for r in timed),
              "max_load1": max(r["load1"] for r in timed), "measured_at": time.time()}
    result["records_per_s"] = round(records / result["ingest_median_s"])
    os.makedirs(harness.RESULTS_DIR, exist_ok=True)
    with open(os.path.join(harness.RESULTS_DIR, "ingest-latest.json"), "w") as f:
        json.dump(result, f, indent=2)
    text = (f"Ingest at S{args.scale:g} ({records:,} records, inline runner, median of "
            f"{len(timed)}, load average up to {result['max_load1']}): ecom-ingest "
            f"{result['ingest_median_s']:.2f} s ({result['records_per_s']:,} records/s), DuckDB "
            f"{result['duckdb_median_s']:.2f} s: **{result['ratio_median']:.2f}x**\n")
    with open(os.path.join(harness.RESULTS_DIR, "ingest-latest.md"), "w") as f:
        f.write(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
