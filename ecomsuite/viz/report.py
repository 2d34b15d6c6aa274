"""ecom-report: one self-contained HTML page and a PNG per chart, from an output folder.

The page needs nothing but itself: the charts are PNGs inside it (data: URIs), the style is
inline, there is no script and no link to anything. Each chart is followed by the table of
the numbers it draws; every number cell also carries its exact value (``data-value``).

    ecom-report                                  # output/ and data/ -> report/
    ecom-report --output OUT --data DATA --to DIR
"""

import argparse
import base64
import datetime as dt
import html
import json
import os
import sys
import tempfile
import time

from ecomsuite import layout
from ecomsuite.viz import VizError

PAGE = "index.html"
DEFAULT_TO = "report"

STYLE = """
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f2937;color:#fff;padding:18px 32px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#cbd5e1;font-size:13px}main{max-width:960px;margin:0 auto;padding:16px 24px}
nav{font-size:13px;margin:8px 0 16px}nav a{margin-right:12px;color:#2563eb}
section{background:#fff;border:1px solid #e5e7eb;border-radius:6px;margin:0 0 20px;padding:12px 18px}
section h2{font-size:17px;margin:4px 0}p.note{color:#555;font-size:13px;margin:4px 0 8px}
img.chart{max-width:100%;height:auto;display:block;margin:6px 0}
details{font-size:12px;margin:6px 0}summary{cursor:pointer;color:#2563eb}
table{border-collapse:collapse;margin:6px 0;font-size:12px}
th,td{border-bottom:1px solid #e5e7eb;padding:2px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}ul.notes{font-size:13px;color:#7c2d12}
"""


def _cell(value):
    """(text shown, exact value as JSON) of a table cell."""
    exact = json.dumps(value)
    if value is None:
        return "-", exact
    if isinstance(value, bool):
        return ("yes" if value else "no"), exact
    if isinstance(value, int):
        return f"{value:,}", exact
    if isinstance(value, float):
        text = f"{value:,.6f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.2f}"
        return text, exact
    return str(value), exact


def _table_html(chart):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in chart.table.columns)
    body = []
    for row in chart.table.rows:
        cells = []
        for column, value in zip(chart.table.columns, row):
            text, exact = _cell(value)
            cells.append(f'<td data-column="{html.escape(column)}" '
                         f'data-value="{html.escape(exact)}">{html.escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    rows = len(chart.table.rows)
    return (f'<details{" open" if rows <= 12 else ""}><summary>the numbers ({rows} row'
            f'{"" if rows == 1 else "s"})</summary>'
            f'<table class="data" data-chart="{chart.id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></details>')


def render_page(data, charts, missing, built_at):
    """The HTML text of the report."""
    nav = " ".join(f'<a href="#{c.id}">{html.escape(c.title)}</a>' for c in charts)
    sections = []
    for c in charts:
        uri = "data:image/png;base64," + base64.b64encode(c.png).decode("ascii")
        sections.append(
            f'<section id="{c.id}"><h2>{html.escape(c.title)}</h2>'
            f'<p class="note">{html.escape(c.note)}</p>'
            f'<img class="chart" data-chart="{c.id}" alt="{html.escape(c.title)}" '
            f'src="{uri}">{_table_html(c)}</section>')
    notes = [f"{name.replace('_', ' ')}: nothing to draw (no output for it)" for name in missing]
    notes += data.notes
    notes_html = ("<section id=\"notes\"><h2>Not shown</h2><ul class=\"notes\">"
                  + "".join(f"<li>{html.escape(n)}</li>" for n in notes)
                  + "</ul></section>") if notes else ""
    runs = sorted({o.run_id for o in data.outputs.values()})
    sub = (f"outputs: {html.escape(str(data.output_root))} · data: "
           f"{html.escape(str(data.data_root or '-'))} · {len(data.outputs)} job outputs, "
           f"{sum(len(r) for r in data.records.values())} run records, "
           f"{len(data.manifests)} ingest manifests · built {built_at} UTC")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>E-commerce analytics report</title>"
            f"<style>{STYLE}</style></head><body>"
            f"<header><h1>E-commerce analytics report</h1><p>{sub}</p></header><main>"
            f"<nav>{nav}</nav>{''.join(sections)}{notes_html}"
            f"<p class=\"note\">Outputs' run ids: {html.escape(', '.join(runs) or '-')}</p>"
            "</main></body></html>\n")


def _write(path, data):
    """Write a file whole: a temporary name in the same folder, renamed over `path`."""
    folder = os.path.dirname(path) or "."
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(temp, 0o644)  # mkstemp makes it private; a report is for reading
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise


def build(output_root, data_root, to):
    """Write the page and the PNGs into `to`; returns (page path, [Chart], [missing names])."""
    from ecomsuite.viz import charts as charts_mod
    from ecomsuite.viz import data as data_mod

    data = data_mod.load(output_root, data_root)
    made, missing = [], []
    for name, chart in _draw_each(charts_mod, data):
        (made if chart is not None else missing).append(chart if chart is not None else name)
    if layout.is_hdfs(to):
        raise VizError(f"--to {to}: the report is written to a local folder")
    try:
        os.makedirs(to, exist_ok=True)
        for c in made:
            _write(os.path.join(to, f"{c.id}.png"), c.png)
        page = os.path.join(to, PAGE)
        built_at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
        _write(page, render_page(data, made, missing, built_at).encode("utf-8"))
    except OSError as e:
        raise VizError(f"cannot write the report into {os.path.abspath(to)}: "
                       f"{e.strerror or e}; give another --to") from e
    return page, made, missing


def _draw_each(charts_mod, data):
    """Each chart; one whose output rows lack what it reads is reported, not a traceback."""
    for f in charts_mod.CHARTS:
        try:
            yield f.__name__, f(data)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            data.notes.append(f"{f.__name__.replace('_', ' ')}: could not be drawn: the output "
                              f"rows are not what the chart reads ({type(e).__name__}: {e})")
            yield f.__name__, None


def parser():
    p = argparse.ArgumentParser(
        prog="ecom-report",
        description="Write one self-contained HTML page (opens offline: charts embedded, no "
                    "scripts, no links) and one PNG per chart, from the jobs' latest complete "
                    "outputs, their run records and the ingest manifests.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="charts: sales per region; sales per region and day; daily revenue with its\n"
               "  anomaly days; tier distribution; device conversion; the funnel; top products;\n"
               "  fraud flags; data quality (records read, valid and quarantined by reason, per\n"
               "  day, from the ingest manifests); job durations and history (run records).\n"
               "  A chart with no data is listed under 'Not shown' on the page.\n\n"
               "Exit codes:\n  0  written (the last line printed is the page's path)\n"
               "  2  nothing to report (no outputs), a folder that cannot be written, or a bad "
               "argument")
    p.add_argument("--output", default=layout.DEFAULT_OUTPUT_ROOT, metavar="DIR",
                   help="the jobs' output root, local or hdfs:// (default: %(default)s)")
    p.add_argument("--data", default=layout.DEFAULT_DATA_ROOT, metavar="DIR",
                   help="the data root whose ingest manifests give the data-quality chart "
                        "(default: %(default)s; '' leaves that chart out)")
    p.add_argument("--to", default=DEFAULT_TO, metavar="DIR",
                   help=f"folder to write {PAGE} and the PNGs into (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="print only the page's path")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    started = time.monotonic()
    try:
        page, made, missing = build(args.output, args.data or None, args.to)
    except (VizError, layout.LayoutError) as e:
        print(f"ecom-report: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"ecom-report: {e}", file=sys.stderr)
        return 2
    if not args.quiet:
        size = os.path.getsize(page)
        print(f"ecom-report: {len(made)} charts ({', '.join(c.id for c in made)}) in "
              f"{time.monotonic() - started:.1f} s; page {size / 1024:,.0f} KiB")
        for name in missing:
            print(f"ecom-report: no data for {name.replace('_', ' ')}")
    print(os.path.abspath(page))
    return 0


if __name__ == "__main__":
    sys.exit(main())
