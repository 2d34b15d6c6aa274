"""Plain-text tables of job outputs and run records, for the terminal."""

import json

MAX_TABLE_ROWS = 24


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


def format_table(title, key_name, rows, max_rows=MAX_TABLE_ROWS, more_hint=""):
    """rows: [(key, {field: value})] -> an aligned text table with a title line.

    Shows at most `max_rows` rows, then says how many more there are.
    """
    if not rows:
        return f"{title}\n  (no rows)"
    fields = list(rows[0][1])
    header = [key_name] + fields
    body = [[format_value(k)] + [format_value(v.get(f)) for f in fields]
            for k, v in rows[:max_rows]]
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    rule = "  ".join("-" * w for w in widths)
    lines = [title, line(header), rule] + [line(r) for r in body]
    if len(rows) > max_rows:
        lines.append(f"  ... {len(rows) - max_rows:,} more rows{more_hint}")
    return "\n".join(lines)


def parse_output_lines(lines):
    """mrjob JSON protocol lines (key TAB value) -> sorted [(key, value)]."""
    rows = []
    for line in lines:
        line = line.strip()
        if line:
            key, _, value = line.partition("\t")
            rows.append((json.loads(key), json.loads(value)))
    return sorted(rows, key=lambda kv: json.dumps(kv[0]))
