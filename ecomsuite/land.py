"""ecom-land: land external files into the landing zone, whole or not at all.

    ecom-land --dataset orders --day 2026-11-25 export-1.csv export-2.csv.gz
    ecom-land --data hdfs:///ecommerce --dataset orders --day 2026-11-25 hdfs:///incoming/o.csv
    ecom-land --dataset customers --day 2026-11-25 --move /incoming/customers.csv.bz2

The files (local paths or ``hdfs://`` URIs; plain, gzip or bz2 CSV, any size) are
copied into a new version of ``<data>/landing/<dataset>/dt=<day>/`` and then
committed in one step (ecomsuite.layout's DayCommit): the day's other datasets are
kept, this dataset's previous files are replaced. A failure or a kill before the
commit leaves the day as it was. ``--move`` removes the sources only after the
commit, so there is always a whole copy somewhere.
"""

import argparse
import os
import sys

from ecomsuite import layout, schemas

EXIT_FAILED = 1
EXIT_USAGE = 2


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="ecom-land", description=__doc__.split("\n\n")[0] + " Layout: "
        "<data>/landing/<dataset>/dt=YYYY-MM-DD/.", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n" + "\n".join(__doc__.split("\n\n")[1].splitlines()))
    parser.add_argument("--data", default=layout.DEFAULT_DATA_ROOT,
                        help="data root (a folder or hdfs://...; default: %(default)s)")
    parser.add_argument("--dataset", required=True, choices=list(schemas.DATASETS))
    parser.add_argument("--day", required=True, type=layout.as_date_arg, metavar="YYYY-MM-DD")
    parser.add_argument("--move", action="store_true",
                        help="remove the sources once the day is committed")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="*.csv, *.csv.gz or *.csv.bz2, local or hdfs://")
    args = parser.parse_args(argv)
    names = [os.path.basename(f.rstrip("/")) for f in args.files]
    bad = [n for n in names if not n.endswith(layout.LANDED_SUFFIXES) or n.startswith((".", "_"))]
    if bad:
        parser.error(f"{', '.join(bad)}: landed files are *.csv, *.csv.gz or *.csv.bz2 "
                     "(not hidden)")
    if len(set(names)) != len(names):
        parser.error("two files with the same name: land them under different names")
    return args


def land(data_root, dataset, day, files, move=False):
    """Land `files` as `dataset` of `day`; return the DayCommit."""
    target = layout.DataLayout(data_root)
    sources = []
    for path in files:
        store = layout.store_for(path)
        if not store.exists(path) or store.is_dir(path):
            raise layout.LayoutError(f"{path}: no such file")
        sources.append((store, path))
    writer = target.begin_day(day, source="ecom-land")
    try:
        for store, path in sources:
            writer.add(dataset, os.path.basename(path.rstrip("/")), store, path)
        commit = writer.commit()
    except BaseException:
        writer.abort()
        raise
    if move:
        layout.kill_point("land:sources-kept")
        for store, path in sources:
            store.delete(path)
    return commit


def main(argv=None):
    args = parse_args(argv)
    try:
        commit = land(args.data, args.dataset, args.day, args.files, args.move)
    except layout.LayoutError as e:
        print(f"ecom-land: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print(f"ecom-land: {e}; nothing was committed", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("ecom-land: interrupted; nothing was committed", file=sys.stderr)
        return 130
    if not args.quiet:
        files = commit.files(args.dataset)
        total = sum(f.bytes for f in files)
        target = layout.DataLayout(args.data)
        print(f"landed {len(files)} file(s), {total:,} bytes, as {args.dataset} of "
              f"{args.day} in {target.day_dir(args.dataset, args.day)} (commit {commit.seq})",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
