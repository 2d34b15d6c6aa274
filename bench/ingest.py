"""The ingest stage against DuckDB doing the same typed read, validation and Parquet write.

    python -m bench.ingest [--scale 10] [--runs 3]

On the benchmark's generated data at one scale (bench/harness.py's Data: one snapshot in
the generator's realistic mode, two parts per dataset), each round times, whole process
and side by side (`make bench` runs the same rounds, bench.harness):
- ``ecom-ingest --force`` on its default runner (validation once: canonical Parquet,
  quarantine, manifests; inline when the landed bytes make one map task, else the local
  runner, ingest.choose_runner; the runner it picked is recorded);
- DuckDB reading the same CSV files as text (columns by header name; records it cannot
  shape into its reject table) and writing the rows that pass the same rules (generated
  from ecomsuite/schemas.py) as typed, zstd Parquet, and the others as a JSON quarantine
  (``python -m bench.ingest --duckdb``).
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


def header_of(path):
    """A landed file's column names (its first record; a BOM dropped)."""
    import csv
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        return tuple(next(csv.reader(f), ()))


def read_raw_sql(files, dataset):
    """DuckDB reading landed CSV files as text, columns by header name (an extra column is
    ignored, as the ingest does; files are grouped by header, since DuckDB takes one
    header per read); records it cannot shape (a missing column, a quote never closed)
    go to its reject table instead of failing the read."""
    groups = {}
    for path in files:
        groups.setdefault(header_of(path), []).append(path)
    names = ", ".join(dataset.names)
    reads = []
    for header, paths in groups.items():
        columns = {c: "VARCHAR" for c in header}
        # no sniffing: the dialect is RFC 4180's (DuckDB's sniffer fails on a small file
        # ending in a quote never closed)
        reads.append(f"SELECT {names} FROM read_csv({paths!r}, header=true, columns={columns!r}, "
                     f"auto_detect=false, delim=',', quote='\"', escape='\"', "
                     f"store_rejects=true)")
    return " UNION ALL ".join(reads)


def duckdb_ingest(data_root, dest, con=None):
    """The ingest's work in DuckDB: every landed file of every dataset read, checked by the
    same rules, the valid rows written as typed zstd Parquet and the others (rule failures
    and records it could not read) as a JSON quarantine. Returns {dataset: Parquet path}
    and leaves the typed rows as tables named by dataset in `con` when given."""
    import duckdb
    con = con or duckdb.connect()
    out = {}
    for name, dataset in schemas.DATASETS.items():
        files = layout.DataLayout(data_root).input_files([name])[0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS {read_raw_sql(files, dataset)}")
        ok = " AND ".join(rule_sql(c) for c in dataset.columns)
        typed = ", ".join(typed_sql(c) for c in dataset.columns)
        out[name] = f"{dest}/{name}.parquet"
        con.execute(f"COPY (SELECT {typed} FROM raw WHERE {ok}) TO "
                    f"'{out[name]}' (FORMAT parquet, COMPRESSION zstd)")
        con.execute(f"COPY (SELECT * FROM raw WHERE NOT coalesce({ok}, false)) TO "
                    f"'{dest}/{name}-rejected.json' (FORMAT json)")
        con.execute(f"COPY (SELECT DISTINCT scan_id, file_id, line, csv_line FROM reject_errors) "
                    f"TO '{dest}/{name}-unreadable.json' (FORMAT json)")
        con.execute("DROP TABLE raw")
    return out


def time_ingest(data, runs, work, warmup=1):
    """Paired rounds on `data` (a bench.harness.Data): ecom-ingest (its default runner, --force) and
    DuckDB's same work, whole processes; the median ratio and the load of each round."""
    ingest_cmd = [os.path.join(os.path.dirname(harness.PY), "ecom-ingest"), "--data",
                  data.dir, "--force", "--json"]
    rounds, runners = [], set()
    for i in range(runs + warmup):
        dest = os.path.join(work, f"duck-{i}")
        os.makedirs(dest, exist_ok=True)
        load = harness.round_load()
        sides = [("ecom-ingest", ingest_cmd),
                 ("duckdb", [harness.PY, "-m", "bench.ingest", "--duckdb", data.dir, dest])]
        if i % 2:
            sides.reverse()
        measured = {}
        for what, cmd in sides:
            m = harness.run_measured(cmd, work, f"ingest-{what}-{i}", env=harness.measured_env())
            if m.returncode != 0:
                raise RuntimeError(f"{what} failed:\n{m.stderr_tail()}")
            measured[what] = m
        ours, duck = measured["ecom-ingest"], measured["duckdb"]
        with open(ours.stdout_path, encoding="utf-8") as f:
            runners.add(json.load(f)["runner"])
        shutil.rmtree(dest)
        rounds.append({"warmup": i < warmup, "ingest_s": round(ours.wall, 3),
                       "duckdb_s": round(duck.wall, 3), "ingest_rss_mib":
                       round(ours.maxrss_mib, 1), "duckdb_rss_mib": round(duck.maxrss_mib, 1),
                       "load1": round(load, 2)})
        harness.log(f"  ingest round {i}: ecom-ingest {ours.wall:.2f} s, DuckDB {duck.wall:.2f} s"
                    f"  load {load:.2f}")
    timed = [r for r in rounds if not r["warmup"]]
    d = layout.DataLayout(data.dir)
    manifests = {n: d.ingest_manifest(n, None) for n in schemas.DATASETS}
    result = {"scale": data.scale, "realistic": data.realistic, "runner": "/".join(sorted(runners)),
              "records": sum(m.records for m in manifests.values()),
              "rejected": sum(m.rejected for m in manifests.values()),
              "rounds": rounds,
              "ingest_median_s": statistics.median(r["ingest_s"] for r in timed),
              "duckdb_median_s": statistics.median(r["duckdb_s"] for r in timed),
              "ratio_median": round(statistics.median(r["ingest_s"] / r["duckdb_s"]
                                                      for r in timed), 3),
              "ratio_min": round(min(r["ingest_s"] / r["duckdb_s"] for r in timed), 3),
              "ratio_max": round(max(r["ingest_s"] / r["duckdb_s"] for r in timed), 3),
              "peak_rss_mib": max(r["ingest_rss_mib"] for r in rounds),
              "duckdb_peak_rss_mib": max(r["duckdb_rss_mib"] for r in rounds),
              "load1_mean": round(statistics.mean(r["load1"] for r in timed), 2),
              "load1_max": max(r["load1"] for r in timed), "measured_at": time.time()}
    result["records_per_s"] = round(result["records"] / result["ingest_median_s"])
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--clean", action="store_true",
                        help="the generator's tidy data instead of its realistic mode")
    parser.add_argument("--duckdb", nargs=2, metavar=("DATA", "DEST"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duckdb:
        duckdb_ingest(*args.duckdb)
        return 0
    data = harness.Data(args.scale, args.seed, parts=2, realistic=not args.clean)
    work = tempfile.mkdtemp(prefix="bench-ingest-")
    try:
        data.ensure(work)
        result = time_ingest(data, args.runs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    records = result["records"]
    os.makedirs(harness.RESULTS_DIR, exist_ok=True)
    with open(os.path.join(harness.RESULTS_DIR, "ingest-latest.json"), "w") as f:
        json.dump(result, f, indent=2)
    text = (f"Ingest at S{args.scale:g} ({records:,} records, {result['rejected']:,} rejected, "
            f"{'realistic' if data.realistic else 'generator'} data, {result['runner']} runner, median of "
            f"{args.runs}, load average up to {result['load1_max']}): ecom-ingest "
            f"{result['ingest_median_s']:.2f} s ({result['records_per_s']:,} records/s), DuckDB "
            f"{result['duckdb_median_s']:.2f} s: **{result['ratio_median']:.2f}x**\n")
    with open(os.path.join(harness.RESULTS_DIR, "ingest-latest.md"), "w") as f:
        f.write(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
