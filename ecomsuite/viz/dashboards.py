"""Sketches of the Grafana dashboards, drawn from a real Prometheus (no Grafana needed).

Each panel's queries go through Prometheus' HTTP API, with the dashboard's template
variables at their defaults: ``query_range`` over the window for a timeseries panel, an
instant query at the window's end for stat, bargauge and table panels (Grafana's
``lastNotNull``). Panels are placed by their ``gridPos`` on Grafana's 24-column grid and drawn
as their simple equivalent, with the panel's title, unit and legend: lines for a timeseries,
big numbers for a stat, horizontal bars for a bargauge, a table for a table (after its merge
and organize transformations). It is a faithful sketch, not a copy of Grafana.

:func:`render` returns what each panel drew, so a test can insist that none drew nothing.
"""

import dataclasses
import datetime as dt
import io
import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from ecomsuite.viz import VizError  # noqa: E402

COLUMN_PX = 64        # one of the grid's 24 columns
ROW_PX = 30           # one grid unit of height (Grafana's)
HEADER_PX = 44
DPI = 100
PALETTE = ("#3274d9", "#e0752d", "#56a64b", "#a352cc", "#f2cc0c", "#8ab8ff", "#de314d",
           "#73bf69", "#ff9830", "#b877d9", "#5794f2", "#96d98d")
COLORS = {"green": "#37872d", "red": "#c4162a", "orange": "#fa6400", "yellow": "#e0b400",
          "blue": "#1f60c4", "text": "#222222", "transparent": "#222222"}
MAX_LEGEND = 12       # legend entries shown; the rest are counted


@dataclasses.dataclass
class Series:
    labels: dict
    legend: str
    points: list          # [(unix seconds, float)]


@dataclasses.dataclass
class PanelResult:
    dashboard: str
    title: str
    type: str
    series: int           # series (or table rows) drawn
    values: int           # finite values drawn
    queries: list         # the expressions sent


class Prometheus:
    """The two query endpoints of Prometheus' HTTP API."""

    def __init__(self, url, timeout=30):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _get(self, path, **params):
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as r:
                body = json.loads(r.read())
        except urllib.error.HTTPError as e:   # a bad query: 400 with an error in JSON
            try:
                body = json.loads(e.read())
            except ValueError:
                raise VizError(f"Prometheus at {self.url}: HTTP {e.code} for {params}") from e
        except (OSError, ValueError) as e:
            raise VizError(f"Prometheus at {self.url} does not answer ({e}): is it running?") from e
        if body.get("status") != "success":
            raise VizError(f"Prometheus refused {params.get('query')!r}: {body.get('error')}")
        return body["data"]

    def instant(self, expr, at):
        return self._get("query", query=expr, time=f"{at:.3f}")["result"]

    def range(self, expr, start, end, step):
        return self._get("query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}",
                         step=f"{step:g}")["result"]


# --- queries -------------------------------------------------------------------------

def variables(board, window_seconds, step):
    """Grafana's built-in interval variables for this window, and the dashboard's own
    template variables at their current (default) values."""
    out = {"__rate_interval": f"{max(4 * step, 60):g}s", "__interval": f"{step:g}s",
           "__range": f"{max(1, int(window_seconds))}s"}
    for var in board.get("templating", {}).get("list", []):
        value = (var.get("current") or {}).get("value")
        if isinstance(value, list):
            value = "|".join(value)
        if value is not None:
            out[var["name"]] = str(value)
    return out


def fill(expr, values):
    """Replace ``$name`` and ``${name}`` (longest names first, so $__range is not $__r...)."""
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
    return expr


_LEGEND = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def legend(fmt, labels, expr):
    if fmt and fmt != "__auto":
        return _LEGEND.sub(lambda m: str(labels.get(m.group(1), "")), fmt).strip()
    shown = {k: v for k, v in labels.items() if k != "__name__"}
    if not shown:
        return expr if len(expr) < 40 else expr[:37] + "..."
    return ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))


def _float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def panel_series(panel, prom, values, start, end, step):
    """[(target, [Series])] of a panel: ranges for timeseries, instant values otherwise."""
    out = []
    for t in panel.get("targets", []):
        if t.get("hide") or not t.get("expr"):
            continue
        expr = fill(t["expr"], values)
        if panel["type"] == "timeseries":
            result = prom.range(expr, start, end, step)
            series = [Series(r["metric"], legend(t.get("legendFormat"), r["metric"], expr),
                             [(float(ts), _float(v)) for ts, v in r["values"]]) for r in result]
        else:
            result = prom.instant(expr, end)
            series = [Series(r["metric"], legend(t.get("legendFormat"), r["metric"], expr),
                             [(float(r["value"][0]), _float(r["value"][1]))]) for r in result]
        series.sort(key=lambda s: s.legend)
        out.append((dict(t, expr=expr), series))
    return out


# --- units -----------------------------------------------------------------------------

def _si(value, suffixes=("", "K", "Mil", "Bil", "Tri"), base=1000.0, decimals=None):
    i = 0
    while abs(value) >= base and i < len(suffixes) - 1:
        value /= base
        i += 1
    if decimals is None:
        decimals = 0 if (value == int(value) and i == 0) else (2 if abs(value) < 10 else 1)
    return f"{value:.{decimals}f}{(' ' + suffixes[i]) if suffixes[i] else ''}"


def _duration(seconds):
    a = abs(seconds)
    for limit, div, name in ((60, 1, "s"), (3600, 60, "min"), (86400, 3600, "hour"),
                             (86400 * 7, 86400, "day"), (math.inf, 86400 * 7, "week")):
        if a < limit:
            v = seconds / div
            return f"{v:.1f} {name}" if name != "s" or a >= 1 or a == 0 else f"{seconds * 1000:.0f} ms"
    return f"{seconds:g} s"


def format_value(value, unit, decimals=None):
    """A number as Grafana's unit shows it (the units the dashboards use)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "No data"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if unit == "percentunit":
        return f"{value * 100:.{1 if decimals is None else decimals}f}%"
    if unit == "percent":
        return f"{value:.{1 if decimals is None else decimals}f}%"
    if unit == "s":
        return _duration(value)
    if unit == "bytes":
        return _si(value, ("B", "KiB", "MiB", "GiB", "TiB", "PiB"), 1024.0, decimals)
    if unit == "mbytes":
        return _si(value, ("MiB", "GiB", "TiB", "PiB"), 1024.0, decimals)
    if unit == "dateTimeAsIso":   # Grafana's time units take milliseconds
        return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if unit == "none":
        return f"{value:.{decimals}f}" if decimals is not None else f"{value:g}"
    return _si(value, decimals=decimals)   # short and anything else


def mapped(value, mappings):
    """(text, colour) from a panel's value mappings, or None."""
    for m in mappings or []:
        if m.get("type") == "value" and value is not None and not math.isnan(value):
            key = f"{value:g}"
            hit = m.get("options", {}).get(key)
            if hit:
                return hit.get("text", key), COLORS.get(hit.get("color"), hit.get("color"))
    return None


def threshold_color(value, thresholds, default=PALETTE[2]):
    steps = (thresholds or {}).get("steps") or []
    color = default
    for s in steps:
        if s.get("value") is None or (value is not None and value >= s["value"]):
            color = COLORS.get(s.get("color"), s.get("color") or default)
    return color


# --- drawing ------------------------------------------------------------------------

class Canvas:
    """Pixel placement on one figure: the grid's columns and rows to figure fractions."""

    def __init__(self, board, rows):
        self.width = 24 * COLUMN_PX
        self.height = HEADER_PX + rows * ROW_PX + 8
        self.fig = plt.figure(figsize=(self.width / DPI, self.height / DPI), dpi=DPI)
        self.fig.patch.set_facecolor("#f4f5f5")

    def box(self, x, y, w, h):
        """Figure-fraction (left, bottom, width, height) of a pixel box from the top-left."""
        return (x / self.width, 1 - (y + h) / self.height, w / self.width, h / self.height)

    def grid_px(self, pos, pad=4):
        x = pos["x"] * COLUMN_PX + pad
        y = HEADER_PX + pos["y"] * ROW_PX + pad
        return x, y, pos["w"] * COLUMN_PX - 2 * pad, pos["h"] * ROW_PX - 2 * pad

    def text(self, x, y, s, **kw):
        self.fig.text(x / self.width, 1 - y / self.height, s, **kw)

    def axes(self, x, y, w, h, **kw):
        return self.fig.add_axes(self.box(x, y, w, h), **kw)


def _frame(canvas, panel, unit):
    x, y, w, h = canvas.grid_px(panel["gridPos"])
    bg = canvas.axes(x, y, w, h)
    bg.set_axis_off()
    bg.add_patch(FancyBboxPatch((0, 0), 1, 1, boxstyle="round,pad=0,rounding_size=0.01",
                                transform=bg.transAxes, facecolor="white",
                                edgecolor="#d0d3d8", linewidth=0.8))
    title = panel.get("title") or "(no title)"
    canvas.text(x + 8, y + 16, _clip(title, w // 7), fontsize=9.5, fontweight="bold",
                color="#222")
    if unit and unit not in ("short", "none"):
        canvas.text(x + w - 8, y + 16, unit, fontsize=7, color="#888", ha="right")
    return x, y + 24, w, h - 24


def _clip(text, n):
    return text if len(text) <= n else text[:max(1, n - 1)] + "…"


def _no_data(canvas, x, y, w, h):
    canvas.text(x + w / 2, y + h / 2, "No data", fontsize=12, color="#c4162a", ha="center",
                va="center")


def draw_timeseries(canvas, panel, data, unit):
    x, y, w, h = _frame(canvas, panel, unit)
    series = [s for _, ss in data for s in ss]
    drawn = [s for s in series if any(math.isfinite(v) for _, v in s.points)]
    if not drawn:
        _no_data(canvas, x, y, w, h)
        return 0, 0
    legend_rows = min(len(drawn), MAX_LEGEND)
    legend_w = min(0.38 * w, 260) if legend_rows > 0 else 0
    ax = canvas.axes(x + 52, y + 4, w - 52 - legend_w - 12, h - 26)
    values = 0
    for i, s in enumerate(drawn):
        pts = [(dt.datetime.fromtimestamp(t, dt.timezone.utc), v) for t, v in s.points]
        values += sum(1 for _, v in pts if math.isfinite(v))
        ax.plot([p[0] for p in pts], [p[1] for p in pts], linewidth=1.3,
                color=PALETTE[i % len(PALETTE)], label=_clip(s.legend, 34))
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    import matplotlib.dates as mdates
    times = [t for s in drawn for t, _ in s.points]
    span = max(times) - min(times)
    # AutoDateLocator has no interval for a window of a few seconds: ticks every n seconds
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=5) if span >= 60 else
                               mdates.SecondLocator(interval=max(1, int(span // 4) or 1)))
    # Grafana's axis: clock times over a day or less, dates over days of history
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S" if span <= 86400 else
                                                      "%m-%d"))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _: format_value(v, unit)))
    ymin, ymax = ax.get_ylim()
    if ymin == ymax:
        ax.set_ylim(ymin - 1, ymax + 1)
    handles, labels = ax.get_legend_handles_labels()
    extra = len(handles) - MAX_LEGEND
    if extra > 0:
        handles, labels = handles[:MAX_LEGEND - 1], labels[:MAX_LEGEND - 1] + []
        labels.append(f"… {extra + 1} more")
        handles.append(plt.Line2D([], [], color="none"))
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=6.5,
              frameon=False, borderaxespad=0, handlelength=1.2)
    return len(drawn), values


def _instant_values(data):
    """[(legend, value)] of every series' single value."""
    return [(s.legend, s.points[-1][1] if s.points else math.nan) for _, ss in data for s in ss]


def _single_values(canvas, panel, data, unit):
    """A stat or bar gauge panel's frame, field defaults and finite single values
    [(legend, value)]; with none, "no data" is drawn in the frame."""
    frame = _frame(canvas, panel, unit)
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    items = [(label, v) for label, v in _instant_values(data) if math.isfinite(v)]
    if not items:
        _no_data(canvas, *frame)
    return frame, defaults, items


def draw_stat(canvas, panel, data, unit):
    (x, y, w, h), defaults, items = _single_values(canvas, panel, data, unit)
    if not items:
        return 0, 0
    n = len(items)
    cols = min(n, max(1, int(w // 110)))
    rows = math.ceil(n / cols)
    cell_w, cell_h = w / cols, h / rows
    shown = []
    for label, v in items:
        hit = mapped(v, defaults.get("mappings"))
        shown.append((label, hit if hit else (format_value(v, unit, defaults.get("decimals")),
                                              threshold_color(v, defaults.get("thresholds")))))
    longest = max(len(text) for _, (text, _) in shown)
    # a bold glyph is about 0.62 em wide; 1 pt = DPI / 72 px
    size = max(7, min(30, cell_h * 0.42, 0.88 * cell_w / (0.62 * longest * DPI / 72)))
    for i, (label, (text, color)) in enumerate(shown):
        cx = x + (i % cols + 0.5) * cell_w
        cy = y + (i // cols + 0.5) * cell_h
        show_label = n > 1
        canvas.text(cx, cy + (0 if not show_label else -size * 0.15), text, fontsize=size,
                    fontweight="bold", color=color, ha="center", va="center")
        if show_label:
            canvas.text(cx, cy + size * 0.75 + 4, _clip(label, int(cell_w // 6)),
                        fontsize=max(6, min(8, size * 0.45)), color="#555", ha="center",
                        va="center")
    return n, n


def draw_bargauge(canvas, panel, data, unit):
    (x, y, w, h), defaults, items = _single_values(canvas, panel, data, unit)
    if not items:
        return 0, 0
    shown = items[:24]
    label_w = min(0.45 * w, max(len(lbl) for lbl, _ in shown) * 5.5 + 10)
    value_w = 62
    ax = canvas.axes(x + label_w, y + 2, w - label_w - value_w - 8, h - 8)
    lo = defaults.get("min", 0)
    hi = defaults.get("max", max([v for _, v in shown] + [lo + 1e-9]))
    hi = hi if hi > lo else lo + 1
    n = len(shown)
    for i, (label, v) in enumerate(shown):
        yy = n - 1 - i
        color = threshold_color(v, defaults.get("thresholds"), PALETTE[0])
        if color == COLORS["green"] and len(defaults.get("thresholds", {}).get("steps", [])) <= 1:
            color = PALETTE[i % len(PALETTE)]
        ax.barh(yy, hi - lo, left=lo, height=0.7, color="#eef0f2")
        ax.barh(yy, max(0.0, min(v, hi) - lo), left=lo, height=0.7, color=color)
        ax.text(-0.01, yy, _clip(label, int(label_w // 5.5)), transform=ax.get_yaxis_transform(),
                ha="right", va="center", fontsize=min(8, max(5.5, 120 / n)))
        ax.text(1.01, yy, format_value(v, unit, defaults.get("decimals")),
                transform=ax.get_yaxis_transform(), ha="left", va="center",
                fontsize=min(8, max(5.5, 120 / n)), color="#222")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_axis_off()
    if len(items) > len(shown):
        canvas.text(x + w - 8, y + h - 2, f"… {len(items) - len(shown)} more", fontsize=7,
                    color="#888", ha="right")
    return len(items), len(items)


def table_rows(panel, data):
    """(columns, rows) of a table panel: one row per label set, a value column per query
    (Grafana's "merge"), then "organize": columns excluded and renamed."""
    organize = {}
    for t in panel.get("transformations", []):
        if t.get("id") == "organize":
            organize = t.get("options", {})
    exclude = {k for k, v in organize.get("excludeByName", {}).items() if v}
    rename = organize.get("renameByName", {})
    label_names, merged = [], {}
    for target, series in data:
        col = f"Value #{target.get('refId', '?')}"
        for s in series:
            labels = {k: v for k, v in s.labels.items() if k != "__name__"}
            for k in labels:
                if k not in label_names:
                    label_names.append(k)
            key = tuple(sorted(labels.items()))
            merged.setdefault(key, dict(labels))[col] = s.points[-1][1] if s.points else math.nan
    value_cols = [f"Value #{t.get('refId', '?')}" for t, _ in data]
    columns = [c for c in label_names + value_cols if c not in exclude and "Time" != c]
    rows = [[row.get(c) for c in columns] for _, row in sorted(merged.items())]
    return [rename.get(c, c) for c in columns], rows


def _override(panel, column, prop):
    for o in panel.get("fieldConfig", {}).get("overrides", []):
        if o.get("matcher", {}).get("id") == "byName" and o["matcher"].get("options") == column:
            for p in o.get("properties", []):
                if p.get("id") == prop:
                    return p.get("value")
    return None


def draw_table(canvas, panel, data, unit):
    x, y, w, h = _frame(canvas, panel, unit)
    columns, rows = table_rows(panel, data)
    if not rows:
        _no_data(canvas, x, y, w, h)
        return 0, 0
    max_rows = max(1, int((h - 18) // 15))
    shown = rows[:max_rows]
    cells, colors = [], []
    for row in shown:
        line, line_colors = [], []
        for c, v in zip(columns, row):
            if isinstance(v, float):
                hit = mapped(v, _override(panel, c, "mappings"))
                col_unit = _override(panel, c, "unit") or unit
                line.append(hit[0] if hit else format_value(v, col_unit))
                line_colors.append(hit[1] if hit else "#222")
            else:
                line.append("" if v is None else str(v))
                line_colors.append("#222")
        cells.append(line)
        colors.append(line_colors)
    ax = canvas.axes(x + 6, y, w - 12, min(h - 4, 15 * (len(shown) + 1) + 4))
    ax.set_axis_off()
    table = ax.table(cellText=cells, colLabels=columns, loc="upper left", cellLoc="left",
                     colLoc="left", bbox=(0, 0, 1, 1), edges="horizontal")
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("#e3e5e8")
        if r == 0:
            cell.get_text().set_fontweight("bold")
            cell.get_text().set_color("#555")
        else:
            cell.get_text().set_color(colors[r - 1][c])
    if len(rows) > len(shown):
        canvas.text(x + w - 8, y + h - 4, f"… {len(rows) - len(shown)} more rows", fontsize=7,
                    color="#888", ha="right")
    values = sum(1 for row in rows for v in row if isinstance(v, float) and math.isfinite(v))
    return len(rows), values


DRAW = {"timeseries": draw_timeseries, "stat": draw_stat, "bargauge": draw_bargauge,
        "table": draw_table}


def render(board, prom, start, end, step, name="", panel_window=None):
    """Draw one dashboard: (PNG bytes, [PanelResult]). `panel_window(panel)` may give a
    panel its own (start, end, step) (a panel of backfilled history on a dashboard of live
    gauges); None keeps the dashboard's."""
    panels = board.get("panels", [])
    rows = max((p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels), default=1)
    canvas = Canvas(board, rows)
    values = variables(board, end - start, step)
    span = dt.datetime.fromtimestamp(start, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    end_fmt = "%H:%M:%S" if end - start < 86400 else "%Y-%m-%d %H:%M:%S"
    span_end = dt.datetime.fromtimestamp(end, dt.timezone.utc).strftime(end_fmt)
    vars_text = "   ".join(f"{v['name']} = {(v.get('current') or {}).get('text', '')}"
                           for v in board.get("templating", {}).get("list", []))
    canvas.text(12, 20, board.get("title", name), fontsize=14, fontweight="bold", color="#222")
    canvas.text(12, 36, f"{vars_text}   ·   {span} – {span_end} UTC   ·   a sketch drawn from "
                "Prometheus' query API by ecomsuite.viz.dashboards", fontsize=7.5, color="#666")
    results = []
    for p in panels:
        if p.get("type") == "row":
            _x, y, w, _h = canvas.grid_px(p["gridPos"], pad=0)
            canvas.text(10, y + 19, p.get("title") or "(untitled row)", fontsize=11.5,
                        fontweight="bold", color="#333")
            continue
        draw = DRAW.get(p.get("type"))
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
        own = panel_window(p) if panel_window else None
        if own:
            data = panel_series(p, prom, variables(board, own[1] - own[0], own[2]), *own)
        else:
            data = panel_series(p, prom, values, start, end, step)
        if draw is None:
            x, y, w, h = _frame(canvas, p, unit)
            canvas.text(x + w / 2, y + h / 2, f"({p.get('type')} panel: not sketched)",
                        ha="center", fontsize=8, color="#888")
            n, v = 0, 0
        else:
            n, v = draw(canvas, p, data, unit)
        results.append(PanelResult(name, p.get("title", ""), p.get("type"), n, v,
                                   [t["expr"] for t, _ in data]))
    buf = io.BytesIO()
    canvas.fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(canvas.fig)
    return buf.getvalue(), results
