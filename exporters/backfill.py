"""`ecom-exporter backfill`: every processed day's KPIs into Prometheus, at that day's time.

The live gauges say what the latest output holds now; a chart of revenue per day needs one
sample per day at that day's timestamp, which no scrape can give (a scrape stamps every
sample "now"). So the history is written with Prometheus' own backfill: this command writes
the history families (exporters/families.py HISTORY) as OpenMetrics with explicit timestamps
(each day's UTC midnight) and, with --tsdb, runs
``promtool tsdb create-blocks-from openmetrics FILE DIR`` to turn them into TSDB blocks in
Prometheus' data directory (Prometheus picks them up at its next block reload, or start).

Series stay bounded: the day is the sample's timestamp, never a label, so 180 days of
orders per region are 6 series of 180 samples. Re-running it is harmless: blocks that
overlap hold the same samples, which Prometheus' compaction merges. ``--day D`` (or
``--from D --to D``, or ``--last N`` with ``--data``: ecom-run's day options, read by
ecomsuite.pipeline.select_days) writes only those days' samples: what the cluster's daily
unit (ecom-daily.service) adds after its jobs; ``--tsdb-optional`` lets ``make demo`` go
on without promtool.

Sources, read through ecomsuite.layout:

* daily_revenue (its latest complete output, one row per day and region; and the answer
  for each day with a partition of daily partials ``<job>/dt=YYYY-MM-DD/<run_id>/``, written
  by ``ecom-run --day`` and merged by ecomsuite.periods, which wins for its day): orders,
  gross and net revenue per sales region, the anomaly flag per region and over every region;
* fraud_signals: entities flagged per rule and day (exporters.business.fraud_by_day);
* device_conversions' day partitions (``ecom-run --day``), each day's answer merged from
  its partials: conversion per device and day;
* the data root's ingest manifests: valid and rejected records per dataset and day.

Prometheus drops blocks older than its retention (``--storage.tsdb.retention.time``, 15
days by default): keep it at least as long as the history (make monitoring-up: 400d).
"""

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

from ecomsuite import layout, schemas
from ecomsuite.report import parse_output_lines
from exporters import families as F
from exporters.business import TOTAL, daily_revenue_by_day, fraud_by_day
from exporters.freshness import day_seconds

DEFAULT_JOB_LABEL = "ecommerce-exporter"   # grafana/config.py SCRAPE_JOB
EXIT_USAGE, EXIT_FAILED = 2, 1


class BackfillError(Exception):
    """An expected fault: one line, what to do."""


def _rows(out, run_dir):
    text = "".join(out.read_output_lines(run_dir))
    return parse_output_lines(text.splitlines())


def _day_answers(out, job, only=None):
    """{day: rows [(key, value)]}: the job's answer for each day that has a complete
    partition of its daily partials (``ecom-run --day``), merged from them by
    ecomsuite.periods (with the days before it that the job's window reads); only the days
    in `only` (ISO dates) when given."""
    from ecomsuite import periods
    job_cls = periods.partial_jobs().get(job)
    if job_cls is None:
        return {}
    days = out.partition_days(job)
    answers = {}
    for day in days:
        if only is not None and day.isoformat() not in only:
            continue
        try:
            rows = periods.answer(out, job_cls, [day], landed=days)
        except periods.PeriodError:     # a window day missing: no answer for that day
            continue
        text = b"".join(periods.output_lines(job_cls, rows)).decode("utf-8")
        answers[day.isoformat()] = parse_output_lines(text.splitlines())
    return answers


def _by_day(out, job, split, only=None, whole_period=False):
    """{day: value} from the job's latest whole output (split: rows -> {day: value}) and its
    per-day partitions (a partition replaces the whole output's value for its day); only the
    days in `only` (ISO dates) when given. `whole_period`: the whole output alone when there
    is one (a job whose day is judged against the other days, as fraud_signals' outliers
    and sessions across midnight are: one day's answer by itself would undercount)."""
    days = {}
    latest = out.latest_output(job)
    if latest is not None:
        days.update(split(_rows(out, latest)))
    day_answers = {} if whole_period and latest is not None else _day_answers(out, job, only)
    for day, rows in day_answers.items():
        got = split(rows)
        days[day] = got.get(day, next(iter(got.values()), None))
    return {d: v for d, v in days.items()
            if v is not None and (only is None or d in only)}


def history_samples(outputs_root, data_root=None, days=None):
    """[(Metric, {label: value}, value, unix seconds)] of every processed day, or only of
    `days` (dates or ISO strings) when given: what the daily run adds for its day."""
    out = layout.OutputLayout(outputs_root)
    only = None if days is None else {layout.as_date(d).isoformat() for d in days}
    samples = []

    revenue = _by_day(out, "daily_revenue", daily_revenue_by_day, only)
    for day, regions in sorted(revenue.items()):
        ts = day_seconds(day)
        for region, row in sorted(regions.items()):
            if region == TOTAL:
                samples.append((F.HISTORY_TOTAL_ANOMALY, {}, float(bool(row["anomaly"])), ts))
                continue
            labels = {"sales_region": region}
            samples.append((F.HISTORY_ORDERS, labels, float(row["orders"]), ts))
            samples.append((F.HISTORY_GROSS_AMOUNT, labels, float(row["gross_revenue"]), ts))
            samples.append((F.HISTORY_NET_AMOUNT, labels, float(row["net_revenue"]), ts))
            samples.append((F.HISTORY_ANOMALY, labels, float(bool(row["anomaly"])), ts))

    # fraud: flags by the day they happened, as judged over every day (the published answer);
    # a day the job read without any flag has 0 for every rule
    fraud = _by_day(out, "fraud_signals", fraud_by_day, only, whole_period=True)
    for day in revenue:
        fraud.setdefault(day, {})
    for day, per_rule in sorted(fraud.items()):
        for rule in sorted(set(per_rule) | {"bot_session", "order_burst", "amount_outlier"}):
            samples.append((F.HISTORY_FRAUD_SIGNALS, {"rule": rule},
                            float(per_rule.get(rule, 0)), day_seconds(day)))

    for day, devices in sorted(_day_partitions_rows(out, "device_conversions", only).items()):
        for device, row in sorted(devices.items()):
            rate = row.get("conversion_rate") if isinstance(row, dict) else None
            if device != TOTAL and isinstance(rate, (int, float)):
                samples.append((F.HISTORY_CONVERSION_RATIO, {"device": device}, float(rate),
                                day_seconds(day)))

    if data_root:
        data = layout.DataLayout(data_root)
        for dataset in schemas.DATASETS:
            for day in data.canonical_days(dataset):
                if only is not None and layout.as_date(day).isoformat() not in only:
                    continue
                manifest = data.ingest_manifest(dataset, day)
                if manifest is None:
                    continue
                for status, n in (("valid", manifest.valid), ("rejected", manifest.rejected)):
                    samples.append((F.HISTORY_INGESTED_ROWS,
                                    {"dataset": dataset, "status": status}, float(n),
                                    day_seconds(day)))
    return [s for s in samples if math.isfinite(s[2])]


def _day_partitions_rows(out, job, only=None):
    """{day: {key: row}} of the job's answers for the days that have a partition."""
    return {day: {str(k): v for k, v in rows}
            for day, rows in _day_answers(out, job, only).items()}


def _escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def openmetrics(samples, job=DEFAULT_JOB_LABEL):
    """OpenMetrics text: each family's samples together, each series' in time order."""
    by_family = {}
    for metric, labels, value, ts in samples:
        by_family.setdefault(metric.name, (metric, []))[1].append((labels, value, ts))
    lines = []
    for name in sorted(by_family):
        metric, rows = by_family[name]
        lines.append(f"# HELP {name} {metric.help}")
        lines.append(f"# TYPE {name} gauge")
        for labels, value, ts in sorted(rows, key=lambda r: (sorted(r[0].items()), r[2])):
            pairs = {"job": job, **labels}
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(pairs.items()))
            lines.append(f"{name}{{{text}}} {value:.17g} {ts:.0f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def promtool_create_blocks(openmetrics_file, tsdb_dir, promtool="promtool"):
    tool = shutil.which(promtool)
    if tool is None:
        raise BackfillError(f"{promtool} not found: install Debian's prometheus package "
                            "(make monitoring-deps)")
    os.makedirs(tsdb_dir, exist_ok=True)
    result = subprocess.run([tool, "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                             openmetrics_file, tsdb_dir], capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BackfillError(f"promtool tsdb create-blocks-from openmetrics failed: {last[0]}")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="ecom-exporter backfill",
        description="Write every processed day's KPIs (revenue and orders per day and region, "
                    "anomaly days, fraud signals per day, conversion per device and day where "
                    "per-day outputs exist, records ingested per day) as OpenMetrics samples at "
                    "each day's UTC midnight, and turn them into Prometheus TSDB blocks with "
                    "promtool. Series are bounded: the day is the timestamp, not a label.")
    p.add_argument("--outputs", default=layout.DEFAULT_OUTPUT_ROOT, metavar="PATH_OR_URI",
                   help="the pipeline's output root (default %(default)s)")
    p.add_argument("--data", default="", metavar="PATH_OR_URI",
                   help="the data root, for records ingested per day (default: none)")
    p.add_argument("--tsdb", metavar="DIR",
                   help="Prometheus' data directory (--storage.tsdb.path): the blocks go there; "
                        "Prometheus loads them at its next block reload or start")
    p.add_argument("--openmetrics", metavar="FILE",
                   help="also keep the OpenMetrics text here ('-': print it)")
    p.add_argument("--tsdb-optional", action="store_true",
                   help="with --tsdb: when promtool is not found, write no blocks and say so "
                        "instead of failing (make demo)")
    p.add_argument("--promtool", default="promtool", metavar="COMMAND",
                   help="promtool to run with --tsdb: a command on PATH or a path "
                        "(default %(default)s)")
    p.add_argument("--job", default=DEFAULT_JOB_LABEL,
                   help="the job label of the samples: the exporter's scrape job, which the "
                        "dashboards select (default %(default)s)")
    from ecomsuite import pipeline
    pipeline.add_day_args(p, "by default every processed day; the daily run "
                             "(ecom-daily.service) adds only its own day (--day)")
    args = p.parse_args(argv)
    if not args.tsdb and not args.openmetrics:
        p.error("give --tsdb DIR (Prometheus' data directory) and/or --openmetrics FILE")
    if args.tsdb_optional and not args.tsdb:
        p.error("--tsdb-optional goes with --tsdb DIR")
    if args.last is not None and not args.data:
        p.error("--last N counts back from the newest landed day: give --data too")
    try:  # only --last reads the data root (its newest landed day)
        args.days = pipeline.select_days(
            args, layout.DataLayout(args.data) if args.last is not None else None)
    except (pipeline.PipelineError, layout.LayoutError) as e:
        p.error(str(e))
    return args


def _span(days):
    first, last = min(days), max(days)
    return first if first == last else f"{first} .. {last}"


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    start = time.perf_counter()
    try:
        samples = history_samples(args.outputs, args.data or None, args.days)
    except (OSError, ValueError, KeyError, TypeError, layout.LayoutError) as e:
        print(f"ecom-exporter backfill: cannot read the history from {args.outputs}: {e}",
              file=sys.stderr)
        return EXIT_FAILED
    if not samples:
        which = f"processed day {_span(args.days)}" if args.days else "processed day"
        print(f"ecom-exporter backfill: no {which} in {args.outputs} (run ecom-run first)",
              file=sys.stderr)
        return EXIT_FAILED
    text = openmetrics(samples, args.job)
    if args.openmetrics == "-":
        sys.stdout.write(text)
    elif args.openmetrics:
        try:
            _write_whole(args.openmetrics, text)
        except OSError as e:
            print(f"ecom-exporter backfill: cannot write {args.openmetrics}: {e}",
                  file=sys.stderr)
            return EXIT_FAILED
    wrote = []
    if args.openmetrics and args.openmetrics != "-":
        wrote.append(f"OpenMetrics in {args.openmetrics}")
    if args.tsdb:
        if args.tsdb_optional and shutil.which(args.promtool) is None:
            wrote.append(f"no TSDB blocks: {args.promtool} not found (Debian's prometheus "
                         "package: make monitoring-deps)")
        else:
            with tempfile.TemporaryDirectory(prefix="ecom-backfill-") as tmp:
                path = os.path.join(tmp, "history.om")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                try:
                    promtool_create_blocks(path, args.tsdb, args.promtool)
                except BackfillError as e:
                    print(f"ecom-exporter backfill: {e}", file=sys.stderr)
                    return EXIT_FAILED
            wrote.append(f"TSDB blocks in {args.tsdb}")
    days = sorted({time.strftime("%Y-%m-%d", time.gmtime(ts)) for _, _, _, ts in samples})
    series = {(m.name, json.dumps(labels, sort_keys=True)) for m, labels, _, _ in samples}
    where = (": " + "; ".join(wrote)) if wrote else ""
    print(f"ecom-exporter backfill: {len(days)} day{'' if len(days) == 1 else 's'} "
          f"({_span(days)}), {len(series)} series, "
          f"{len(samples)} samples{where} in {time.perf_counter() - start:.1f}s",
          file=sys.stderr)
    return 0


def _write_whole(path, text):
    """Write `path` whole or not at all (a reader, e.g. promtool after it, never takes half)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".history-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
