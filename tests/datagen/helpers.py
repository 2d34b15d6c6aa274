"""Readers and checks shared by the generator's tests (independent of datagen's code)."""

import csv
import datetime as dt
import functools
import json
import os
import re
import statistics

from ecomsuite.schemas import DATASETS

MONEY_RE = re.compile(r"\d+\.\d\d")
WINDOW_SECONDS = 60


def part_files(root, dataset):
    directory = os.path.join(root, dataset)
    return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                  if f.startswith("part-"))


@functools.lru_cache(maxsize=16)
def read_rows(root, dataset):
    """Every data row of a dataset as a dict, parts in order, checking each part's header.

    Cached per (root, dataset): callers must not modify the rows.
    """
    rows = []
    names = list(DATASETS[dataset].names)
    for path in part_files(root, dataset):
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            assert next(reader) == names, path
            for row in reader:
                assert len(row) == len(names), (path, row)
                rows.append(dict(zip(names, row)))
    return rows


def data_bytes(root, dataset):
    """The parts' bytes without their header lines, concatenated."""
    out = []
    for path in part_files(root, dataset):
        with open(path, "rb") as f:
            f.readline()
            out.append(f.read())
    return b"".join(out)


def all_files(root):
    """{relative path: bytes} of every file under root."""
    found = {}
    for directory, _, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = f.read()
    return found


def load_json(root, name):
    with open(os.path.join(root, name)) as f:
        return json.load(f)


def cents(text):
    assert MONEY_RE.fullmatch(text), f"not money with two decimals: {text!r}"
    units, frac = text.split(".")
    return int(units) * 100 + int(frac)


def timestamp(text):
    assert len(text) == 19 and text[10] == " ", text
    return dt.datetime.fromisoformat(text)


def epoch_seconds(text):
    return int((timestamp(text) - dt.datetime(1970, 1, 1)).total_seconds())


def group(rows, key):
    groups = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return groups


def most_events_in_window(seconds, window=WINDOW_SECONDS):
    """Most events within any `window`-second span [t, t + window) of sorted times."""
    best = j = 0
    for i, t in enumerate(seconds):
        while seconds[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def amount_outliers(orders, factor=10, min_other_orders=5):
    """Order ids above `factor` x the median of their customer's other orders."""
    found = []
    for rows in group(orders, "customer_id").values():
        if len(rows) - 1 < min_other_orders:
            continue
        amounts = [cents(r["total_amount"]) for r in rows]
        for i, row in enumerate(rows):
            others = amounts[:i] + amounts[i + 1:]
            if amounts[i] > factor * statistics.median(others):
                found.append(row["order_id"])
    return found


def orders_per_customer_day(orders):
    counts = {}
    for r in orders:
        key = (r["customer_id"], r["order_date"][:10])
        counts[key] = counts.get(key, 0) + 1
    return counts
