"""Convert the raw CSV datasets and the latest job outputs to typed, partitioned Parquet.

    ecom-parquet --data data/raw --output output --dest data/parquet

Layout under ``--dest`` (each dataset folder is complete when it has ``_SUCCESS``):

    orders/year=YYYY/month=MM/day=DD/part-N.parquet       by order_date
    clickstream/year=YYYY/month=MM/day=DD/part-N.parquet  by timestamp
    customers/part-N.parquet
    jobs/<job>/part-0.parquet       the latest complete run of each job
    <folder>/_manifest.json         what was read: rows, malformed by reason, source

Columns are typed from ecomsuite.schemas: money as decimal(12,2), timestamps
as timestamp[s], dates as date32, ints as int64, the rest as strings. The CSV
files are read as a stream of record batches (pyarrow.csv.open_csv) and
written as they come, so memory stays bounded by a batch and the open row
groups. A row is exported only when every column passes the checks the jobs
apply (ecomsuite.rows, and real calendar days as in CALENDAR_CHECKED jobs);
every other row is counted under its reason (bad_number, bad_timestamp,
missing_<column>, unknown_<column>, wrong_column_count, invalid_utf8) and
reported, and an export whose malformed share is above
``--max-malformed-share`` is not published (exit status 3). Blank lines and
repeated headers are skipped. Money above 9,999,999,999.99 does not fit
decimal(12,2) and counts as bad_number.

Each folder is a pointer to a whole version (ecomsuite.layout.PointedVersions):
``<dest>/<name>`` is a symlink to ``<dest>/_versions/<name>/<version>/``, written
as ``_tmp-<version>``, renamed, given ``_SUCCESS``, and then pointed at in one
step (the previous version is kept), so a reader never sees a partial folder
or none; a failed export leaves the previous version as it was.

Query with DuckDB:

    SELECT year, month, day, sum(total_amount) FROM
        read_parquet('data/parquet/orders/**/*.parquet', hive_partitioning = true)
    GROUP BY ALL ORDER BY ALL;
"""

import argparse
import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ecomsuite import layout, rows, schemas
from ecomsuite.jobbase import (
    DEFAULT_MAX_MALFORMED_SHARE,
    EXIT_TOO_MANY_MALFORMED,
    RowStats,
    TooManyMalformedRows,
    check_malformed,
)
from ecomsuite.pipeline import LocalStore, PipelineError
from ecomsuite.registry import job_classes

DEFAULT_DEST = layout.DEFAULT_PARQUET_ROOT
DEFAULT_BLOCK_BYTES = 1 << 20     # CSV bytes per record batch (about 10,000 rows)
MIN_ROWS_PER_GROUP = 16_384       # rows buffered per partition before a row group is written
JOBS_DIRNAME = layout.ParquetLayout.JOBS
MONEY_TYPE = pa.decimal128(12, 2)
MONEY_INTEGER_DIGITS = 10
PARTITION_BY = {"orders": "order_date", "clickstream": "timestamp"}
PARTITION_FIELDS = (("year", "%Y"), ("month", "%m"), ("day", "%d"))

ARROW_TYPES = {
    schemas.ID: pa.string(), schemas.TEXT: pa.string(), schemas.ENUM: pa.string(),
    schemas.INT: pa.int64(), schemas.MONEY: MONEY_TYPE,
    schemas.TIMESTAMP: pa.timestamp("s"), schemas.DATE: pa.date32(),
}
_PATTERNS = {
    schemas.INT: r"^[0-9]{1,18}$",
    schemas.MONEY: rf"^[0-9]{{1,{MONEY_INTEGER_DIGITS}}}(\.[0-9]{{1,2}})?$",
    schemas.TIMESTAMP: "^" + rows._TIMESTAMP_RE.pattern.decode() + "$",
    schemas.DATE: "^" + rows._DATE_RE.pattern.decode() + "$",
}
_FORMATS = {schemas.TIMESTAMP: schemas.TIMESTAMP_FORMAT, schemas.DATE: schemas.DATE_FORMAT}
# Stand-ins for values that failed their check, so the typed casts never fail
# (the rows are dropped afterwards).
_SAFE_VALUES = {schemas.INT: "0", schemas.MONEY: "0",
                schemas.TIMESTAMP: "2000-01-01 00:00:00", schemas.DATE: "2000-01-01"}


class ExportError(Exception):
    """A problem the user can fix (a missing or incomplete dataset)."""


def arrow_schema(dataset):
    """The typed Arrow schema of a dataset's exported rows."""
    return pa.schema([(c.name, ARROW_TYPES[c.kind]) for c in dataset.columns])


def partitioning():
    return ds.partitioning(pa.schema([(name, pa.string()) for name, _ in PARTITION_FIELDS]),
                           flavor="hive")


# --- CSV -> typed record batches --------------------------------------------------

def _utf8(column):
    """(strings, ok mask): the column as UTF-8 strings, invalid ones null and not ok."""
    try:
        return pc.cast(column, pa.string()), None
    except pa.ArrowInvalid:
        values, ok = [], []
        for v in column.to_pylist():
            try:
                values.append(v.decode("utf-8"))
                ok.append(True)
            except UnicodeDecodeError:
                values.append(None)
                ok.append(False)
        return pa.array(values, pa.string()), pa.array(ok)


def _check(column, strings):
    """(ok mask, typed array) of one column's strings, as the row parser decides."""
    kind = column.kind
    if kind in (schemas.ID, schemas.TEXT):
        return pc.greater(pc.utf8_length(strings), 0), strings
    if kind == schemas.ENUM:
        return pc.is_in(strings, value_set=pa.array(column.values)), strings
    ok = pc.match_substring_regex(strings, _PATTERNS[kind])
    safe = pc.if_else(ok, strings, pa.scalar(_SAFE_VALUES[kind]))
    if kind == schemas.INT:
        return ok, pc.cast(safe, pa.int64())
    if kind == schemas.MONEY:
        return ok, pc.cast(safe, MONEY_TYPE)
    fmt = _FORMATS[kind]
    parsed = pc.strptime(safe, format=fmt, unit="s")
    ok = pc.and_(ok, pc.equal(pc.strftime(parsed, format=fmt), safe))  # 02-30 is not a day
    return ok, parsed if kind == schemas.TIMESTAMP else pc.cast(parsed, pa.date32())



class CSVConverter:
    """Typed record batches of one dataset's CSV files, with what was skipped counted."""

    def __init__(self, dataset, block_bytes=DEFAULT_BLOCK_BYTES):
        self.dataset = dataset
        self.schema = arrow_schema(dataset)
        self.partition_column = PARTITION_BY.get(dataset.name)
        if self.partition_column:
            self.schema = self.schema.append(pa.field("year", pa.string()))
            for name, _ in PARTITION_FIELDS[1:]:
                self.schema = self.schema.append(pa.field(name, pa.string()))
        self.block_bytes = block_bytes
        self.stats = RowStats()
        self.header = [n.encode() for n in dataset.names]

    def _count(self, reason, n=1):
        if n:
            self.stats.malformed[reason] = self.stats.malformed.get(reason, 0) + n

    def batches(self, path):
        """Yield the typed batches of one CSV file."""
        def wrong_width(row):
            self._count("wrong_column_count")
            return "skip"
        names = list(self.dataset.names)
        try:
            reader = pcsv.open_csv(
                path,
                read_options=pcsv.ReadOptions(column_names=names, block_size=self.block_bytes),
                parse_options=pcsv.ParseOptions(invalid_row_handler=wrong_width),
                convert_options=pcsv.ConvertOptions(
                    column_types={n: pa.binary() for n in names}, strings_can_be_null=False,
                    quoted_strings_can_be_null=False))
        except pa.ArrowInvalid as e:
            if "Empty CSV file" in str(e):
                return
            raise
        for batch in reader:
            typed = self.convert(batch)
            if typed is not None and typed.num_rows:
                yield typed

    def convert(self, batch):
        """One raw batch (binary columns) -> its valid rows, typed; count the rest."""
        is_header = None
        for i, name in enumerate(self.header):
            eq = pc.equal(batch.column(i), pa.scalar(name, pa.binary()))
            is_header = eq if is_header is None else pc.and_(is_header, eq)
        headers = pc.sum(is_header).as_py() or 0
        self.stats.headers += headers
        keep = pc.invert(is_header)
        strings = []
        for i in range(batch.num_columns):
            values, ok = _utf8(batch.column(i))
            strings.append(values)
            if ok is not None:
                keep_utf8 = pc.and_(keep, ok)
                self._count("invalid_utf8", pc.sum(pc.and_(keep, pc.invert(ok))).as_py() or 0)
                keep = keep_utf8
        typed = []
        for column, values in zip(self.dataset.columns, strings):
            ok, array = _check(column, values)
            ok = pc.fill_null(ok, False)
            failed = pc.sum(pc.and_(keep, pc.invert(ok))).as_py() or 0
            self._count(rows._reason(column), failed)
            keep = pc.and_(keep, ok)
            typed.append(array)
        out = pa.RecordBatch.from_arrays(typed, schema=arrow_schema(self.dataset)).filter(keep)
        self.stats.valid += out.num_rows
        if self.partition_column:
            stamp = out.column(self.dataset.index(self.partition_column))
            parts = [pc.strftime(stamp, format=fmt) for _, fmt in PARTITION_FIELDS]
            out = pa.RecordBatch.from_arrays([*out.columns, *parts], schema=self.schema)
        return out


# --- writing, atomically (ecomsuite.layout's pointed versions) ----------------------

def _manifest_bytes(data):
    return json.dumps(data, indent=2, sort_keys=True).encode()


def export_dataset(store, dest, dataset, block_bytes=DEFAULT_BLOCK_BYTES,
                   max_malformed_share=DEFAULT_MAX_MALFORMED_SHARE):
    """Export one raw dataset; return its manifest.

    Raises ExportError (missing input) or TooManyMalformedRows (nothing published)."""
    try:
        files = store.input_paths([dataset.name])
    except PipelineError as e:
        raise ExportError(str(e)) from e
    converter = CSVConverter(dataset, block_bytes)

    def all_batches():
        for path in files:
            yield from converter.batches(path)

    versions = layout.ParquetLayout(dest).dataset(dataset.name)
    version = layout.new_id()
    temp = versions.temp(version)
    try:
        os.makedirs(temp)
        ds.write_dataset(
            all_batches(), temp, schema=converter.schema, format="parquet",
            partitioning=partitioning() if converter.partition_column else None,
            basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore",
            min_rows_per_group=MIN_ROWS_PER_GROUP, max_rows_per_group=8 * MIN_ROWS_PER_GROUP,
            max_partitions=100_000)
        stats = converter.stats
        manifest = {"dataset": dataset.name, "source": files, "exported_rows": stats.valid,
                    "header_rows": stats.headers, "malformed_rows": dict(sorted(
                        stats.malformed.items())), "malformed_total": stats.malformed_total,
                    "malformed_share": round(stats.malformed_share, 6),
                    "partitioned_by": converter.partition_column, "exported_at": time.time(),
                    "version": version, "input_days": store.input_days}
        check_malformed(f"parquet export of {dataset.name}", stats, max_malformed_share)
        versions.publish(temp, version, _manifest_bytes(manifest))
    except BaseException:
        versions.discard(temp)
        raise
    manifest["report"] = stats.report(f"{dataset.name} -> parquet")
    return manifest


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
        prog="ecom-parquet", description="Convert the raw CSV datasets and the latest "
        "complete job outputs to typed Parquet, orders and clickstream partitioned "
        "year=YYYY/month=MM/day=DD, each folder written atomically.")
    parser.add_argument("--data", default=layout.DEFAULT_DATA_ROOT,
                        help="data root: its landing zone's complete days, or a snapshot "
                             "folder holding orders/, customers/, clickstream/ "
                             "(default: %(default)s)")
    parser.add_argument("--output", default=layout.DEFAULT_OUTPUT_ROOT,
                        help="job outputs to export (default: %(default)s)")
    parser.add_argument("--dest", default=DEFAULT_DEST,
                        help="where the Parquet folders go (default: %(default)s)")
    parser.add_argument("--datasets", default=",".join(schemas.DATASETS),
                        help="comma-separated datasets to export (default: %(default)s)")
    parser.add_argument("--skip-jobs", action="store_true", help="do not export job outputs")
    parser.add_argument("--block-bytes", type=int, default=DEFAULT_BLOCK_BYTES,
                        help="CSV bytes read per batch (default: %(default)s)")
    parser.add_argument("--max-malformed-share", type=float,
                        default=DEFAULT_MAX_MALFORMED_SHARE,
                        help="do not publish a dataset whose malformed share (0-1) is above "
                             "this (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="print only failures")
    args = parser.parse_args(argv)
    unknown = set(args.datasets.split(",")) - set(schemas.DATASETS)
    if unknown:
        parser.error(f"unknown dataset(s) {', '.join(sorted(unknown))}; "
                     f"known: {', '.join(schemas.DATASETS)}")
    if args.block_bytes < 4096:
        parser.error("--block-bytes must be at least 4096")
    if not 0.0 <= args.max_malformed_share <= 1.0:
        parser.error("--max-malformed-share must be between 0 and 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    store = LocalStore(args.data, args.output)  # reads the landing zone's days or a snapshot
    status = 0
    for name in args.datasets.split(","):
        try:
            manifest = export_dataset(store, args.dest, schemas.DATASETS[name],
                                      args.block_bytes, args.max_malformed_share)
        except ExportError as e:
            print(f"ecom-parquet: {name}: {e}", file=sys.stderr)
            status = status or 1
            continue
        except TooManyMalformedRows as e:
            print(f"ecom-parquet: {e}", file=sys.stderr)
            status = EXIT_TOO_MANY_MALFORMED
            continue
        if not args.quiet:
            print(f"{manifest['report']} -> {layout.ParquetLayout(args.dest).dataset(name).link}")
    if not args.skip_jobs and os.path.isdir(args.output):
        for manifest in export_job_outputs(args.output, args.dest):
            if not args.quiet:
                print(f"{manifest['job']}: {manifest['exported_rows']} rows of run "
                      f"{manifest['run_id']} -> {layout.ParquetLayout(args.dest).job(manifest['job']).link}")
    return status


if __name__ == "__main__":
    sys.exit(main())
