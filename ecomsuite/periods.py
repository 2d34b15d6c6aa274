"""Period answers from daily partials: a day, the last 7 or 30 days, the whole history.

    python -m ecomsuite.periods --job sales_by_region --last 7
    python -m ecomsuite.periods --job daily_revenue --from 2026-11-01 --to 2026-11-07 --json

``ecom-run --day D`` (or ``--from/--to``, ``--last N``) writes each partial-aware job's
partials for each day into ``<output>/<job>/dt=D/<run_id>/`` (ecomsuite.layout). A
period's answer is the job's own reducers run over the partials of its days
(``CanonicalJob.answer_from_partials``), never over raw or canonical data again, plus
the days before the period the job's window needs (``WINDOW_BEFORE``: daily_revenue's
trailing week, so a period's first days are judged as in a full run). Partials merge
exactly: integer sums and counts, sorted id sets where a distinct count needs them
(device_conversions' sessions), and, where a rule needs a whole period's rows
(fraud_signals' busiest minute of a session, a customer's median order), those rows,
keyed by session or customer. See docs/days.md.
"""

import argparse
import datetime
import json
import sys

from ecomsuite import layout
from ecomsuite.registry import job_classes
from ecomsuite.report import fitted_tables, parse_output_lines


class PeriodError(layout.LayoutError):
    """A period whose partials are not all there: the message names the missing ones."""


def partial_jobs():
    """{name: class} of the jobs that write daily partials, in pipeline order."""
    return {n: c for n, c in job_classes().items() if c.has_partials()}


def needed_days(job_cls, days, landed):
    """The partition days an answer over `days` reads: `days` and the WINDOW_BEFORE days
    before the first, those of them that are landed (`landed`: a set of dates)."""
    first = min(days)
    if job_cls.HISTORY_TO_DATE:  # as of the period's last day: every landed day to it
        return sorted({*[d for d in landed if d <= max(days)], *days})
    before = [first - datetime.timedelta(i) for i in range(job_cls.WINDOW_BEFORE, 0, -1)]
    return sorted({*[d for d in before if d in landed], *days})


def answer(outputs, job_cls, days, landed=None):
    """The job's answer [(key, value)] over `days` (dates) from their partitions.

    `landed`: the days that hold data (default: `days`); window days outside it have no
    partition to read (before the history starts, or a day with no data)."""
    days = sorted(days)
    landed = set(days) if landed is None else set(landed) | set(days)
    read = needed_days(job_cls, days, landed)
    try:
        lines = outputs.read_partials(job_cls.NAME, read, job_cls.PARTIALS_FORMAT)
    except layout.LayoutError as e:
        raise PeriodError(str(e)) from None
    rows = job_cls.answer_from_partials(parse_output_lines(lines))
    key_fields = getattr(job_cls, "KEY_FIELDS", ())
    if read != days and "day" in key_fields:  # the window's days are read, not answered
        wanted = {d.isoformat() for d in days}
        at = key_fields.index("day")
        rows = [(k, v) for k, v in rows if k[at] in wanted]
    return rows


def output_lines(job_cls, rows):
    """The rows as the job's output protocol writes them (mrjob's part-* lines)."""
    protocol = job_cls(args=["--no-conf"]).output_protocol()
    return [protocol.write(k, v) + b"\n" for k, v in rows]


def main(argv=None):
    from ecomsuite import pipeline
    parser = argparse.ArgumentParser(
        prog="python -m ecomsuite.periods",
        description="A job's answer over a period, merged from its daily partitions "
                    "(written by `ecom-run --day/--from/--to/--last`), without reading "
                    "the data again. Default period: every landed day.")
    parser.add_argument("--job", required=True, choices=sorted(partial_jobs()))
    parser.add_argument("--data", default=layout.DEFAULT_DATA_ROOT,
                        help="data root, for the landed days (default: %(default)s)")
    parser.add_argument("--output", default=layout.DEFAULT_OUTPUT_ROOT,
                        help="output root holding the partitions (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="JSON lines, not a table")
    pipeline.add_day_args(parser)
    args = parser.parse_args(argv)
    data, outputs = layout.DataLayout(args.data), layout.OutputLayout(args.output)
    try:
        landed = [d for d, _ in data.complete_days()[0]]
        days = pipeline.select_days(args, data) or landed
        if not days:
            raise PeriodError(f"{data.landing()} has no complete day")
        rows = answer(outputs, partial_jobs()[args.job], days, landed)
    except (layout.LayoutError, pipeline.PipelineError) as e:
        print(f"periods: {e}", file=sys.stderr)
        return 2
    if args.json:
        for k, v in rows:
            print(json.dumps([k, v]))
    else:
        from rich.console import Console

        from ecomsuite.console import terminal_width
        console = Console(width=terminal_width(), highlight=False)
        console.print(f"== {args.job}, {len(days)} day(s) {days[0]}..{days[-1]}: "
                      f"{len(rows):,} row(s) ==", markup=False)
        for table in fitted_tables(rows, console.width, max_rows=len(rows))[0]:
            console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
