"""ecom-datagen: write the orders, customers and clickstream CSV datasets.

Usage: ``python -m datagen [options]`` or ``ecom-datagen [options]``; see
``--help`` and docs/datagen.md.
"""

import argparse
import datetime as dt
import math
import os
import platform
import shutil
import signal
import sys
import time

import numpy as np

import datagen
from datagen import realistic, writer
from datagen.plan import DATASET_ORDER, Options, Plan, PlanError
from datagen.realistic import DEFAULT_MALFORMED_SHARE, Realism, RealisticSink
from datagen.sinks import DatasetExists, LocalSink
from ecomsuite import layout, schemas

DEFAULT_OUT = layout.DEFAULT_SNAPSHOT_ROOT   # a snapshot (without --days)
DEFAULT_DAYS_OUT = layout.DEFAULT_DATA_ROOT  # landing days: <out>/landing/...
DEFAULT_FOLLOW_INTERVAL = 5.0
DEFAULT_PARTS = 2       # a snapshot: one map task per part and core
DEFAULT_DAY_PARTS = 1   # a landed day: small, and ecom-run bundles days
INJECTED = layout.INJECTED
MANIFEST = layout.MANIFEST
EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
PROGRESS_INTERVAL_SECONDS = 0.2
MAX_SCALE = 10_000      # 2.55 billion rows, about 200 GB: beyond it a typo, not a plan
# What a row takes on disk (measured: scale 0.05 and 1) and the rows/s this machine
# writes (docs/datagen.md: 1.1-1.3 M rows/s at scales 10-30): the estimate shown before
# a long run and checked against the free space.
BYTES_PER_ROW = {"orders": 100, "customers": 118, "clickstream": 78}
ROWS_PER_SECOND = 1_000_000
LONG_RUN_ROWS = 5_000_000   # a run this big says what it will take before it starts
DEFAULT_JOBS = min(2, os.cpu_count() or 1)
ROW_NOUNS = {"orders": "orders", "customers": "customers", "clickstream": "clickstream events"}
SUMMARY_ORDER = ("orders", "customers", "clickstream")


def _start(text):
    return text if text == "next" else _date(text)


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


def _date(text):
    if text == "today":
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD or 'today'): {text!r}") from None


def _anomaly(text):
    day, sep, factor = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return dt.date.fromisoformat(day), float(factor)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected YYYY-MM-DD:FACTOR (e.g. 2025-06-10:3.0), not {text!r}") from None


def _scale(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= MAX_SCALE):
        raise argparse.ArgumentTypeError(
            f"must be a number above 0 and at most {MAX_SCALE:,} (scale 1: "
            f"{sum(schemas.DEFAULT_ROWS.values()):,} rows, about "
            f"{_human(estimate_bytes(schemas.DEFAULT_ROWS))}), not {text!r}")
    return value


def _count(text):
    try:
        n = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return n


def _datasets(text):
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in DATASET_ORDER]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"choose from {','.join(DATASET_ORDER)}, not {text!r}")
    return tuple(n for n in DATASET_ORDER if n in names)


def _share(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be within 0..1 (a share), not {text!r}")
    return value


def make_realism(parser, args, seed):
    """The --realistic filter for these arguments (None without --realistic)."""
    if args.malformed_share is not None and not args.realistic:
        parser.error("--malformed-share goes with --realistic")
    if not args.realistic:
        return None
    share = DEFAULT_MALFORMED_SHARE if args.malformed_share is None else args.malformed_share
    return Realism(seed, share)


def _positive_int(text):
    n = _count(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {text!r}")
    return n


def build_parser():
    rows = schemas.DEFAULT_ROWS
    parser = argparse.ArgumentParser(
        prog="ecom-datagen",
        description=(
            "Generate the e-commerce datasets (orders, customers, clickstream) as CSV part\n"
            "files with headers, deterministically from a seed (same seed, options and\n"
            "package versions: same bytes). Layout:\n"
            "  OUT/<dataset>/part-NNNNN.csv ... and an empty _SUCCESS written last\n"
            "  OUT/_manifest.json (what was generated), OUT/_injected.json (ground truth)\n"
            "With --days N it lands days instead (docs/datagen.md):\n"
            "  OUT/landing/<dataset>/dt=YYYY-MM-DD/... each day committed whole or not at all,\n"
            "  continuing the same customers and catalog when called again for later days."),
        epilog=(
            "examples:\n"
            "  python -m datagen                                  # scale 1 into data/raw\n"
            "  python -m datagen --scale 10 --parts 4 --out /tmp/s10 --overwrite\n"
            "  python -m datagen --anomaly 2025-06-10:3.0 --anomaly 2025-06-20:0.2 "
            "--fraud-actors 3\n"
            "  python -m datagen --out hdfs://namenode:9870/data/raw   # needs datagen.hdfs_sink\n"
            "  python -m datagen --days 30                        # 30 days into data/landing\n"
            "  python -m datagen --days 5 --start-date next       # the 5 days after the newest\n"
            "  python -m datagen --follow --interval 2 --ticks 48 # an hour of data every 2 s"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", metavar="DIR",
                        help=f"output root: a directory, or hdfs://... (default: {DEFAULT_OUT}; "
                             f"with --days or --follow: {DEFAULT_DAYS_OUT})")
    parser.add_argument("--days", type=_count, metavar="N",
                        help="land N days into OUT/landing/<dataset>/dt=YYYY-MM-DD/, each "
                             "committed whole (sizes are per day: scale x 50,000/30 orders, "
                             "x 200,000/30 clicks; --orders/--clicks are per day, --customers "
                             "the backlog before the first day)")
    parser.add_argument("--start-date", type=_start, metavar="YYYY-MM-DD|next",
                        help="first day to land (default: the N days ending at --end-date; "
                             "'next': the day after the newest landed day)")
    parser.add_argument("--follow", action="store_true",
                        help="then keep landing: one simulated hour of the next day every "
                             "--interval seconds (a new file per dataset and hour, the day "
                             "closed at its last hour); Ctrl-C stops")
    parser.add_argument("--interval", type=_seconds, default=DEFAULT_FOLLOW_INTERVAL,
                        metavar="SECONDS", help="--follow: seconds between hours "
                        "(default: %(default)s)")
    parser.add_argument("--ticks", type=_count, metavar="N",
                        help="--follow: stop after N hours (default: never)")
    parser.add_argument("--seed", type=int, default=42,
                        help="random seed; same seed and options give the same bytes "
                             "(default: %(default)s)")
    parser.add_argument("--scale", type=_scale, default=1.0,
                        help=f"multiply all row counts (scale 1: {rows['orders']:,} orders, "
                             f"{rows['customers']:,} customers, {rows['clickstream']:,} "
                             "clickstream events; float, default: %(default)s)")
    parser.add_argument("--orders", type=_count, metavar="N",
                        help="number of orders (before --anomaly factors), overriding --scale")
    parser.add_argument("--customers", type=_count, metavar="N",
                        help="number of customers, overriding --scale")
    parser.add_argument("--clicks", type=_count, metavar="N",
                        help="number of clickstream events, overriding --scale")
    parser.add_argument("--end-date", type=_date, default=_date(schemas.DEFAULT_END_DATE),
                        metavar="YYYY-MM-DD",
                        help=f"last day of the {schemas.DEFAULT_ORDER_DAYS}-day order window "
                             f"and the {schemas.DEFAULT_CLICK_DAYS}-day click window, or "
                             "'today' (default: %(default)s)")
    parser.add_argument("--parts", type=_positive_int, metavar="N",
                        help="part files per dataset (with --days: per dataset and day); the "
                             f"rows do not depend on it (default: {DEFAULT_PARTS}, with --days "
                             f"{DEFAULT_DAY_PARTS})")
    parser.add_argument("--datasets", type=_datasets, default=DATASET_ORDER, metavar="LIST",
                        help="comma-separated datasets to write (default: all: "
                             f"{','.join(DATASET_ORDER)}); the others are still planned, so "
                             "what is written is the same as in a full run")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace datasets already in OUT (otherwise refuse, exit 2)")
    parser.add_argument("--anomaly", type=_anomaly, action="append", default=[],
                        metavar="YYYY-MM-DD:FACTOR",
                        help="multiply the orders of that day by FACTOR (3.0 spike, 0.2 dip); "
                             "repeatable; the day must lie in the order window")
    parser.add_argument("--fraud-actors", type=_count, default=0, metavar="N",
                        help="inject N bot sessions, N burst customers and N outlier orders "
                             "(ground truth in OUT/_injected.json; default: %(default)s)")
    parser.add_argument("--realistic", action="store_true",
                        help="write files like a real export (datagen/realistic.py): quoted "
                             "product names with commas and doubled quotes, non-ASCII names and "
                             "cities, an extra customers column 'address' (some over two lines), "
                             "some files with CRLF, a share of malformed records "
                             "(--malformed-share), and with --days some days as one file and "
                             "others as 3-8 parts; same seed, same bytes")
    parser.add_argument("--malformed-share", type=_share, metavar="X",
                        help="--realistic: share of records turned into faults the ingest "
                             "rejects, each with its reason (default: "
                             f"{DEFAULT_MALFORMED_SHARE})")
    parser.add_argument("--jobs", type=_positive_int, default=DEFAULT_JOBS, metavar="N",
                        help="processes making chunks; the output does not depend on it "
                             "(default: %(default)s, the cores up to 2)")
    parser.add_argument("--quiet", action="store_true",
                        help="print nothing (not even the final summary)")
    parser.add_argument("--no-space-check", action="store_true",
                        help="write even if the size estimate does not fit the free space of "
                             "OUT's disk (otherwise refuse, exit 2)")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {datagen.__version__}")
    return parser


def make_sink(out, overwrite):
    """LocalSink for a path; HdfsSink (datagen/hdfs_sink.py) for hdfs://..."""
    if out.startswith("hdfs://"):
        try:
            from datagen.hdfs_sink import HdfsSink
        except ImportError as e:
            if getattr(e, "name", None) == "datagen.hdfs_sink" or sys.modules.get(
                    "datagen.hdfs_sink", False) is None:
                raise PlanError(
                    f"--out {out}: HDFS output needs datagen/hdfs_sink.py (HdfsSink), "
                    "which is not in this installation") from None
            raise PlanError(f"--out {out}: cannot load the HDFS sink: {e}") from None
        return HdfsSink(out, overwrite=overwrite)
    return LocalSink(out, overwrite=overwrite)


class Progress:
    """Rows written per dataset on a terminal, redrawn in place; silent otherwise."""

    def __init__(self, stream, enabled):
        self.stream, self.enabled = stream, enabled

    def start(self, dataset, total):
        self.dataset, self.total, self.done = dataset, total, 0
        self.began = self.shown = time.perf_counter()
        self._draw()

    def add(self, rows):
        self.done += rows
        now = time.perf_counter()
        if now - self.shown >= PROGRESS_INTERVAL_SECONDS:
            self.shown = now
            self._draw()

    def finish(self):
        self._draw(end="\n")

    def _draw(self, end=""):
        if not self.enabled:
            return
        seconds = time.perf_counter() - self.began
        rate = self.done / seconds if seconds > 0 else 0.0
        share = self.done / self.total if self.total else 1.0
        self.stream.write(f"\r{self.dataset:<12} {self.done:>13,} / {self.total:,} rows "
                          f"{share:6.1%}  {rate / 1e6:5.2f} M rows/s\x1b[K{end}")
        self.stream.flush()


def _human(size):
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} TB"


def estimate_bytes(rows):
    return sum(BYTES_PER_ROW[name] * n for name, n in rows.items())


def free_space(out):
    """Free bytes on the disk `out` would be written to (its nearest existing folder)."""
    path = os.path.abspath(out)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return shutil.disk_usage(path).free


class TooBig(Exception):
    """The run's size estimate does not fit the free space."""


def check_size(rows, out, quiet, force, say):
    """Say what a long run will take before it starts; refuse one that cannot fit."""
    total, size = sum(rows.values()), estimate_bytes(rows)
    seconds = total / ROWS_PER_SECOND
    text = (f"about {total:,} rows, {_human(size)}, {seconds:,.0f} s at "
            f"{ROWS_PER_SECOND / 1e6:g} M rows/s")
    if total >= LONG_RUN_ROWS and not quiet:
        say(f"ecom-datagen: writing {text} to {out}")
    if out.startswith("hdfs://") or force:
        return
    free = free_space(out)
    if size > free:
        raise TooBig(f"this run needs {text.split(', ')[1]} ({text.split(', ')[0]}) in {out}, "
                     f"whose disk has {_human(free)} free: free some space, lower --scale, "
                     "or pass --no-space-check to write anyway")


def manifest(plan, files, rows):
    o = plan.options
    return {
        "generator": "datagen",
        "generator_version": datagen.__version__,
        "seed": o.seed,
        "scale": o.scale,
        "end_date": o.end_date.isoformat(),
        "windows": {name: dict(zip(("first", "last"), plan.window(name)))
                    for name in ("orders", "clickstream")},
        "datasets": list(o.datasets),
        "rows": {name: rows[name] for name in o.datasets},
        "parts": o.parts,
        "files": files,
        "options": {
            "orders": o.orders, "customers": o.customers, "clicks": o.clicks,
            "anomalies": [{"date": d.isoformat(), "factor": f} for d, f in o.anomalies],
            "fraud_actors": o.fraud_actors,
        },
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "faker": _faker_version()},
    }


def _faker_version():
    from importlib.metadata import version
    return version("Faker")


class _CountedFile:
    """A part file that counts the lines written through it."""

    def __init__(self, file):
        self.file, self.lines = file, 0

    def write(self, data):
        self.lines += data.count(b"\n")
        return self.file.write(data)

    def close(self):
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class _CountingSink:
    """The part of the sink protocol write_dataset uses, counting the rows written:
    the manifest's counts are those of the files, by construction."""

    def __init__(self, sink):
        self.sink, self.parts = sink, {}

    def open_part(self, dataset, filename):
        part = _CountedFile(self.sink.open_part(dataset, filename))
        self.parts.setdefault(dataset, []).append(part)
        return part

    def rows(self, dataset):
        return sum(part.lines - 1 for part in self.parts.get(dataset, ()))  # - the header


def generate(plan, sink, progress, jobs=1, realism=None):
    """Write every dataset through `sink`; all or nothing per dataset. Returns the manifest,
    whose row counts are the lines written to the part files (minus their headers): the
    records, also with `realism` (datagen.realistic: a fault replaces a record)."""
    begun = []
    counted = _CountingSink(RealisticSink(sink, realism) if realism else sink)
    try:
        datasets = plan.options.datasets
        for name in datasets:
            sink.begin(name)
            begun.append(name)
        files = {}
        with writer.ChunkMaker(plan, jobs) as maker:
            for name in datasets:
                progress.start(name, plan.rows[name])
                files[name] = writer.write_dataset(counted, plan, name, maker.chunks(name),
                                                   progress.add)
                progress.finish()
        rows = {name: counted.rows(name) for name in datasets}
        if rows != {name: plan.rows[name] for name in datasets}:
            raise RuntimeError(f"rows written {rows} are not the plan's {plan.rows}")
        # the previous run's manifest and ground truth go before its data does: a kill
        # before the new ones are written leaves none, never one describing other data
        for name in (MANIFEST, INJECTED):
            sink.remove_json(name)
        for name in datasets:
            sink.commit(name)
            begun.remove(name)
    except BaseException:
        for name in begun:
            sink.abort(name)
        raise
    layout.kill_point("datagen:before-manifest")
    sink.write_json(INJECTED, plan.ground_truth())
    m = manifest(plan, files, rows)
    if realism:
        m["realistic"] = realism.summary()
    sink.write_manifest(m)
    return m


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through generate(), which cleans up


def summary(plan, out, seconds):
    written = [n for n in SUMMARY_ORDER if n in plan.options.datasets]
    counts = ", ".join(f"{plan.rows[n]:,} {ROW_NOUNS[n]}" for n in written)
    total = sum(plan.rows[n] for n in written)
    rate = f" ({total / seconds / 1e6:.2f} M rows/s)" if seconds > 0 else ""
    return (f"wrote {counts} ({plan.options.parts} parts each) to {out} "
            f"in {seconds:.1f} s{rate}")


def _say(text):
    print(text, file=sys.stderr, flush=True)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.days is not None or args.follow:
        return land_main(parser, args)
    if args.start_date is not None or args.ticks is not None:
        parser.error("--start-date and --ticks go with --days or --follow")
    args.out = args.out or DEFAULT_OUT
    realism = make_realism(parser, args, args.seed)
    began = time.perf_counter()
    options = Options(
        seed=args.seed, scale=args.scale, orders=args.orders, customers=args.customers,
        clicks=args.clicks, end_date=args.end_date, parts=args.parts or DEFAULT_PARTS,
        anomalies=tuple(args.anomaly), fraud_actors=args.fraud_actors, datasets=args.datasets)
    try:
        sink = make_sink(args.out, args.overwrite)
        plan = Plan.build(options)
    except PlanError as e:
        parser.error(str(e))
    progress = Progress(sys.stderr, enabled=sys.stderr.isatty() and not args.quiet)
    try:
        check_size({n: plan.rows[n] for n in options.datasets}, args.out, args.quiet,
                   args.no_space_check, _say)
    except TooBig as e:
        print(f"ecom-datagen: {e}", file=sys.stderr)
        return EXIT_USAGE
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        generate(plan, sink, progress, jobs=args.jobs, realism=realism)
    except DatasetExists as e:
        print(f"ecom-datagen: refusing to overwrite: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\necom-datagen: interrupted; nothing was left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as e:  # disk full, permissions, an unreachable NameNode ...
        print(f"\necom-datagen: cannot write to {args.out}: {e}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not args.quiet:
        print(summary(plan, args.out, time.perf_counter() - began), file=sys.stderr)
    return 0


def land_main(parser, args):
    """--days / --follow: land days into OUT/landing (datagen.days)."""
    from datagen import days as daymod

    out = args.out or DEFAULT_DAYS_OUT
    if args.fraud_actors:
        parser.error("--fraud-actors needs a snapshot (without --days): outlier orders need "
                     "several orders of one customer in one plan")
    if args.datasets != DATASET_ORDER:
        parser.error("--datasets: a landed day holds every dataset (it is committed whole)")
    if args.days == 0 and not args.follow:
        parser.error("--days must be at least 1")
    began = time.perf_counter()
    say = (lambda text: None) if args.quiet else (
        lambda text: print(text, file=sys.stderr, flush=True))
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        target = layout.DataLayout(out)
        landed = target.days()
        if args.start_date == "next":
            if not landed:
                parser.error(f"--start-date next: {target.landing()} has no landed day yet")
            start = landed[-1] + dt.timedelta(days=1)
        elif args.start_date is not None:
            start = args.start_date
        else:
            start = args.end_date - dt.timedelta(days=(args.days or 1) - 1)
        n = args.days or 0
        wanted = [start + dt.timedelta(days=i) for i in range(n)]
        if wanted:  # before anything is written (the world too)
            sizes = target.read_world() or daymod.make_world(
                args.seed, args.scale, start, args.orders, args.customers, args.clicks)
            check_size(daymod.estimate_rows(sizes, len(wanted), first=not landed), out,
                       args.quiet, args.no_space_check, _say)
        world = daymod.open_world(target, args.seed, args.scale, start, args.orders,
                                  args.customers, args.clicks)
        days = daymod.Days(world)
        anomalies = dict(args.anomaly)
        outside = sorted(set(anomalies) - set(wanted))
        if outside:
            parser.error(f"--anomaly {outside[0]}: not one of the days being landed")
        taken = [d for d in wanted if d in set(landed)]
        if taken and not args.overwrite:
            print(f"ecom-datagen: refusing to overwrite: {taken[0]} is already landed in "
                  f"{target.landing()} ({len(taken)} of the days); pass --overwrite to land "
                  "them again, or --start-date next", file=sys.stderr)
            return EXIT_USAGE
        totals = dict.fromkeys(DATASET_ORDER, 0)
        share = None
        if args.realistic or args.malformed_share is not None:
            share = make_realism(parser, args, args.seed).malformed_share
        if args.follow and share is not None:
            parser.error("--realistic goes with --days, not with --follow")
        injected = {}
        for i, date in enumerate(wanted, 1):
            parts = args.parts or (realistic.day_parts(world.seed, date.toordinal())
                                   if share is not None else DEFAULT_DAY_PARTS)
            rows = daymod.land_day(target, days, date, parts=parts,
                                   anomaly=anomalies.get(date), jobs=args.jobs,
                                   realistic_share=share)
            if share is not None:
                for name, counts in realistic.read_ground_truth(target)[
                        date.isoformat()]["injected"].items():
                    for reason, count in counts.items():
                        injected.setdefault(name, {}).setdefault(reason, 0)
                        injected[name][reason] += count
            for name, count in rows.items():
                totals[name] += count
            if sys.stderr.isatty() and not args.quiet:
                print(f"\rlanded {date} ({i}/{n})\x1b[K", end="", file=sys.stderr, flush=True)
            layout.kill_point("datagen:between-days")
        if wanted and not args.quiet and share is not None:
            faults = sum(sum(c.values()) for c in injected.values())
            print(f"realistic mode: {faults:,} malformed records injected (share {share:g}), "
                  "some days in one file and others in 3-8 parts", file=sys.stderr)
        if wanted and not args.quiet:
            counts = ", ".join(f"{totals[k]:,} {ROW_NOUNS[k]}" for k in SUMMARY_ORDER)
            tty = sys.stderr.isatty()
            print(f"{chr(13) if tty else ''}landed {n} day(s) {wanted[0]}..{wanted[-1]}: "
                  f"{counts} into {target.landing()} in {time.perf_counter() - began:.1f} s"
                  f"{chr(27) + '[K' if tty else ''}", file=sys.stderr)
        if args.follow:
            first = (wanted[-1] if wanted else (landed[-1] if landed and args.start_date
                                                 is None else start - dt.timedelta(days=1)))
            first = first + dt.timedelta(days=1)
            daymod.follow(target, days, first, args.interval, args.ticks, say=say)
    except PlanError as e:
        parser.error(str(e))
    except (layout.LayoutError, TooBig) as e:
        print(f"ecom-datagen: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\necom-datagen: interrupted; the day being landed was not committed",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as e:
        print(f"\necom-datagen: cannot land into {out}: {e}; the day being landed was not "
              "committed", file=sys.stderr)
        return EXIT_FAILED
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
