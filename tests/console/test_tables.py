"""Job outputs as terminal tables: never wider than the terminal, every field and shown
row present with its value, and the files holding every row named."""

import io
import re

import pytest
from rich.console import Console

from ecomsuite.report import (
    FOLDED_ROWS,
    TERMINAL_ROWS,
    format_value,
    output_view,
    runs_table,
)

# the funnel's fields (218 columns wide as one table)
FUNNEL_FIELDS = ["sessions", "reached_view", "reached_add_to_cart", "reached_checkout",
                 "reached_purchase", "view_to_add_to_cart", "add_to_cart_to_checkout",
                 "checkout_to_purchase", "overall_conversion", "biggest_drop_off",
                 "biggest_drop_off_rate"]


def render(renderable, width):
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def wide_rows(n=4):
    return [(device, {f: (f"{device}->{i}" if f == "biggest_drop_off"
                          else 1000 * i + j if f.startswith(("sessions", "reached"))
                          else round(0.1 + j / 1000 + i / 100, 6))
                      for i, f in enumerate(FUNNEL_FIELDS)})
            for j, device in enumerate(["all", "desktop", "mobile", "tablet"][:n])]


def long_rows(n=210):
    return [([f"2025-06-{1 + i // 7:02d}", f"R{i % 7}"],
             {"orders": 100 + i, "gross_revenue": 1000.25 + i, "anomalies": ["a", "b"] if i % 5 == 0 else []})
            for i in range(n)]


def cells_of(text):
    """Each table line's cells (runs of 2+ spaces separate them)."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("width", [80, 200])
def test_a_wide_result_fits_and_keeps_every_field_and_value(width):
    rows = wide_rows()
    text = render(output_view(rows, width, "output/funnel/RUN/part-*"), width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    found = cells_of(text)
    for name in FUNNEL_FIELDS:   # every field heads a column of some table
        assert any(name in cells for cells in found), name
    for key, value in rows:      # every value on a line of its own key
        for name in FUNNEL_FIELDS:
            assert any(cells[0] == key and format_value(value[name]) in cells[1:]
                       for cells in found), (key, name)
    assert "all rows: output/funnel/RUN/part-*" in text
    if width == 80:
        assert "tables of columns to fit 80 columns" in text


def test_at_200_columns_the_funnel_takes_fewer_tables_than_at_80():
    def tables(width):
        return sum(line.startswith("key ") for line in
                   render(output_view(wide_rows(), width, "x"), width).splitlines())
    assert 1 <= tables(200) < tables(80)


@pytest.mark.parametrize("width", [80, 200])
def test_a_long_result_is_cut_and_names_its_files(width):
    rows = long_rows()
    text = render(output_view(rows, width, "output/daily_revenue/RUN/part-*"), width)
    assert max(len(line) for line in text.splitlines()) <= width
    shown = TERMINAL_ROWS if width == 200 else None
    keys = [format_value(k) for k, _ in rows]
    present = [k for k in keys if k in text]
    assert present == keys[:len(present)] and len(present) >= FOLDED_ROWS
    if shown:
        assert len(present) == shown
    assert f"first {len(present)} of 210 rows" in text
    assert "all rows: output/daily_revenue/RUN/part-*" in text
    assert "a / b" in text     # a list value, joined


def test_no_rows_still_names_the_output():
    assert "(no rows) output: out/fraud_signals/RUN/part-*" in render(
        output_view([], 80, "out/fraud_signals/RUN/part-*"), 80)


def test_one_field_wider_than_the_terminal_still_fits():
    rows = [("k" * 50, {"text": "word " * 30})]
    text = render(output_view(rows, 40, "o/part-*"), 40)
    assert max(len(line) for line in text.splitlines()) <= 40


@pytest.mark.parametrize("width", [80, 200])
def test_the_run_summary_fits_and_shows_outputs_when_there_is_room(width):
    records = [{"job": "customer_segments", "status": "succeeded", "output_rows": 65,
                "input_rows": 255405, "malformed_total": 3, "duration_seconds": 14.7,
                "run_id": "20261126T150040Z-262f",
                "output_dir": "output/customer_segments/20261126T150040Z-262f"},
               {"job": "funnel", "status": "failed", "output_rows": None, "input_rows": None,
                "malformed_total": None, "duration_seconds": 1.0, "run_id": "x",
                "output_dir": None}]
    text = render(runs_table(records, width), width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "customer_segments" in text and "255,405" in text and "FAILED" in text
    assert ("output/customer_segments/20261126T150040Z-262f" in text) == (width == 200)
