"""Export the latest complete job outputs to Parquet, for SQL with DuckDB.

    ecom-parquet --output output --dest data/parquet

The datasets themselves need no export: the ingest stage (``ecom-ingest``) writes
their valid rows, typed, as Parquet partitioned by day (the canonical form,
``<data>/canonical/<dataset>/dt=YYYY-MM-DD/<version>/part-*.parquet``; see
``ecomsuite.canonical``), which DuckDB reads directly:

    SELECT CAST(order_date AS DATE) d, sum(total_amount)
    FROM read_parquet('data/canonical/orders/*/*/part-*.parquet') GROUP BY ALL ORDER BY ALL;

(that glob also reads superseded versions kept for readers; ``ecomsuite.layout``'s
``DataLayout.canonical_parts`` lists the newest complete version of each day).

Layout under ``--dest``: ``jobs/<job>/part-0.parquet`` (the latest complete run of
each job) with ``_manifest.json``. Each folder is a pointer to a whole version
(ecomsuite.layout.PointedVersions): ``<dest>/<name>`` is a symlink to
``<dest>/_versions/<name>/<version>/``, written as ``_tmp-<version>``, renamed, given
``_SUCCESS``, and then pointed at in one step (the previous version is kept), so a
reader never sees a partial folder or none.
"""

import argparse
import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

from ecomsuite import layout
from ecomsuite.registry import job_classes

DEFAULT_DEST = layout.DEFAULT_PARQUET_ROOT
JOBS_DIRNAME = layout.ParquetLayout.JOBS


def _manifest_bytes(data):
    return json.dumps(data, indent=2, sort_keys=True).encode()


def job_output_table(lines, key_fields=None):
    """mrjob JSON lines (key TAB value) -> a table: key column(s), then the value's fields.

    The key's parts become the job's KEY_FIELDS columns when they match it,
    else key_0, key_1, ... (a list key) or "key" (a scalar). A field Arrow cannot type
    consistently is kept as JSON text.
    """
    records = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        key, _, value = line.partition("\t")
        key, value = json.loads(key), json.loads(value)
        keys = key if isinstance(key, list) else [key]
        if key_fields and len(key_fields) == len(keys):
            names = key_fields
        elif isinstance(key, list):
            names = [f"key_{i}" for i in range(len(keys))]
        else:
            names = ["key"]
        record = dict(zip(names, keys))
        record.update(value if isinstance(value, dict) else {"value": value})
        records.append(record)
    records.sort(key=lambda r: json.dumps(r, sort_keys=True))
    columns = {}
    for r in records:
        for name in r:
            columns.setdefault(name, None)
    arrays = {}
    for name in columns:
        values = [r.get(name) for r in records]
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[name] = pa.array([None if v is None else json.dumps(v) for v in values],
                                    pa.string())
    if not arrays:  # no output lines: the key columns alone
        return pa.table({name: pa.array([], pa.string()) for name in key_fields or ["key"]})
    return pa.table(arrays)


def export_job_outputs(output_root, dest):
    """Export the latest complete output of every job found under `output_root`."""
    manifests = []
    classes = job_classes()
    outputs = layout.OutputLayout(output_root)
    for job in outputs.jobs():
        run = outputs.latest_output(job)
        if run is None:
            continue
        lines = outputs.read_output_lines(run)
        key_fields = getattr(classes.get(job), "KEY_FIELDS", None)
        table = job_output_table(lines, key_fields)
        versions = layout.ParquetLayout(dest).job(job)
        version = layout.new_id()
        temp = versions.temp(version)
        try:
            os.makedirs(temp)
            pq.write_table(table, os.path.join(temp, "part-0.parquet"))
            manifest = {"job": job, "source": run, "run_id": os.path.basename(run),
                        "exported_rows": table.num_rows, "exported_at": time.time(),
                        "version": version}
            versions.publish(temp, version, _manifest_bytes(manifest))
        except BaseException:
            versions.discard(temp)
            raise
        manifests.append(manifest)
    return manifests


# --- command line ---------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="ecom-parquet", description="Export the latest complete output of every job to "
        "Parquet (jobs/<job>/part-0.parquet), each folder written atomically. The datasets' "
        "typed Parquet is the canonical form the ingest writes (<data>/canonical/).")
    parser.add_argument("--output", default=layout.DEFAULT_OUTPUT_ROOT,
                        help="job outputs to export (default: %(default)s)")
    parser.add_argument("--dest", default=DEFAULT_DEST,
                        help="where the Parquet folders go (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="print only failures")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not os.path.isdir(args.output):
        print(f"ecom-parquet: {args.output}: no job outputs (run `make run-local` first)",
              file=sys.stderr)
        return 1
    for manifest in export_job_outputs(args.output, args.dest):
        if not args.quiet:
            print(f"{manifest['job']}: {manifest['exported_rows']} rows of run "
                  f"{manifest['run_id']} -> {layout.ParquetLayout(args.dest).job(manifest['job']).link}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
