"""Job outputs and run records as terminal tables (rich) that fit the terminal's width.

A result wider than the terminal is folded: its fields are split over as many tables as
needed, each repeating the key column. A long result is cut to its first rows. Either
way the text under the table says so and names the files holding every row.
"""

import io
import json

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

TERMINAL_ROWS = 10      # rows of a job's output shown on the terminal; the rest: its files
FOLDED_ROWS = 4         # rows shown at least when a result is folded into several tables
UNLIMITED = 100_000     # a width no table reaches, to measure one's natural width


def format_value(value):
    if value is None:
        return "-"
    if isinstance(value, list):
        return " / ".join(format_value(v) for v in value) if value else "-"
    if isinstance(value, float):
        return f"{value:,.6f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def parse_output_lines(lines):
    """mrjob JSON protocol lines (key TAB value) -> sorted [(key, value)]."""
    rows = []
    for line in lines:
        line = line.strip()
        if line:
            key, _, value = line.partition("\t")
            rows.append((json.loads(key), json.loads(value)))
    return sorted(rows, key=lambda kv: json.dumps(kv[0]))


def _table(key_name, fields, cells):
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
    table.add_column(key_name, overflow="fold")
    for name in fields:
        table.add_column(name, justify="right", no_wrap=True)
    for row in cells:
        table.add_row(row[0], *(row[1][name] for name in fields))
    return table


def natural_width(renderable):
    """The columns `renderable` takes when nothing limits it."""
    console = Console(file=io.StringIO(), width=UNLIMITED)
    return Measurement.get(console, console.options, renderable).maximum


def fitted_tables(rows, width, max_rows=TERMINAL_ROWS, key_name="key"):
    """rows [(key, {field: value})] -> ([rich Table], rows shown): the fields folded into
    as many tables as it takes for each to fit `width` columns, each table repeating the
    key column; the first `max_rows` rows, fewer when folded (about `max_rows` table
    lines in all, at least FOLDED_ROWS rows)."""
    fields = list(dict.fromkeys(name for _, value in rows for name in value))

    def cells(n):
        return [(format_value(k), {f: format_value(v.get(f)) for f in fields})
                for k, v in rows[:n]]
    widest = cells(max_rows)
    chunks, chunk = [], []
    for name in fields:
        if chunk and natural_width(_table(key_name, chunk + [name], widest)) > width:
            chunks.append(chunk)
            chunk = []
        chunk.append(name)
    chunks.append(chunk)
    shown = min(len(rows), max_rows if len(chunks) == 1 else
                max(FOLDED_ROWS, max_rows // len(chunks)))
    return [_table(key_name, c, cells(shown)) for c in chunks], shown


def output_view(rows, width, files, max_rows=TERMINAL_ROWS, key_name="key"):
    """A job's output for the terminal: its table(s) and a line saying what is shown and
    where every row is (`files`: the output's part files, a glob)."""
    if not rows:
        return Text(f"(no rows) output: {files}")
    tables, shown = fitted_tables(rows, width, max_rows, key_name)
    what = [f"{len(rows):,} row(s)" if shown == len(rows)
            else f"first {shown} of {len(rows):,} rows"]
    if len(tables) > 1:
        what.append(f"{len(tables)} tables of columns to fit {width} columns")
    pointer = f"all rows: {files}"
    # one line when it fits; else the pointer on a line of its own (a path cut is no use)
    sep = "; " if cell_len(f"{'; '.join(what)}; {pointer}") <= width else "\n"
    note = Text(f"{'; '.join(what)}{sep}{pointer}", style="dim")
    parts = []
    for i, table in enumerate(tables):
        if i:
            parts.append(Text(""))
        parts.append(table)
    return Group(*parts, note)


def runs_table(records, width):
    """The final summary: a line per job run (status, rows, time, and its output folder
    when that still fits `width`)."""
    def table(with_output):
        t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
        t.add_column("job", no_wrap=True)
        t.add_column("status", no_wrap=True)
        for name in ("rows out", "rows read", "rejected", "time"):
            t.add_column(name, justify="right", no_wrap=True)
        if with_output:
            t.add_column("output", overflow="fold")
        for r in records:
            row = [r["job"], "ok" if r["status"] == "succeeded" else r["status"].upper(),
                   format_value(r.get("output_rows")), format_value(r.get("input_rows")),
                   format_value(r.get("malformed_total")), f"{r['duration_seconds'] or 0:.1f} s"]
            t.add_row(*row, *([r.get("output_dir") or "-"] if with_output else []))
        return t
    full = table(with_output=True)
    return full if natural_width(full) <= width else table(with_output=False)
