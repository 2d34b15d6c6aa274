"""Helpers shared by the tests: run a job inline, write CSV fixtures, read generated data.

Independent of the code under test (the references are in the `reference` package).
"""

import csv
import datetime as dt
import functools
import glob
import json
import os
import re
import shutil
import statistics

from ecomsuite.schemas import DATASETS
from reference.common import read_csv_rows  # noqa: F401  (the tests read CSVs with it too)
from tests.canonical_inputs import to_canonical

MONEY_RE = re.compile(r"\d+\.\d\d")
WINDOW_SECONDS = 60


# --- running jobs ----------------------------------------------------------------

def run_inline(job_cls, paths, *args):
    """Ingest CSV `paths` (tests/canonical_inputs.py), run a job on the inline runner over
    the canonical parts; return ({key: value}, [the ingest's counts, then each step's])."""
    parts, ingested = to_canonical(paths)
    if not parts:  # only empty files: nothing to run on
        return {}, [ingested]
    job = job_cls(["--no-conf", *args, *parts])
    with job.make_runner() as runner:
        runner.run()
        out = dict(job.parse_output(runner.cat_output()))
        counters = runner.counters()
    read = sum(c.get("rows", {}).get("valid", 0) for c in counters)
    assert read == ingested["rows"]["valid"], (read, ingested)
    return out, [ingested] + [{g: v for g, v in c.items() if g != "rows"} for c in counters]


def key_of(key):
    """JSON keys may be lists: make them hashable."""
    return tuple(key) if isinstance(key, list) else key


def run_job(job_cls, paths, *args):
    """Ingest CSV `paths` (tests/canonical_inputs.py) and run a job inline over the canonical
    parts; return ({key: value}, the ingest's counts merged with the job's counters), list
    keys as tuples, failing on a key emitted twice."""
    parts, ingested = to_canonical(paths)
    if not parts:  # only empty files: nothing to run on
        return {}, ingested
    job = job_cls(["--no-conf", *args, *parts])
    with job.make_runner() as runner:
        runner.run()
        out = {}
        for key, value in job.parse_output(runner.cat_output()):
            assert key_of(key) not in out, f"key {key} emitted twice"
            out[key_of(key)] = value
        counters = merged_counters(runner.counters())
    assert counters.get("rows", {}).get("valid", 0) == ingested["rows"]["valid"]
    counters.pop("rows", None)
    return out, merged_counters([ingested, counters])


def merged_counters(step_counters):
    """{group: {name: n}} summed over the steps."""
    merged = {}
    for counters in step_counters:
        for group_name, names in counters.items():
            for name, n in names.items():
                merged.setdefault(group_name, {})
                merged[group_name][name] = merged[group_name].get(name, 0) + n
    return merged


# --- writing inputs --------------------------------------------------------------

def write_lines(path, lines, header_of=None, newline=b"\n"):
    """Write byte/str lines (with an optional dataset header first) to `path`."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        if header_of:
            f.write(DATASETS[header_of].header.encode() + newline)
        for line in lines:
            f.write((line.encode() if isinstance(line, str) else line) + newline)
    return path


def append_lines(path, lines):
    with open(path, "ab") as f:
        for line in lines:
            f.write((line.encode() if isinstance(line, str) else line) + b"\n")


def copy_dataset(root, dest, *datasets):
    """Copy datasets of a generated root into `dest` (to add rows to them)."""
    for name in datasets:
        shutil.copytree(os.path.join(str(root), name), os.path.join(str(dest), name))
    return dest


# --- reading generated data ------------------------------------------------------

def part_files(root, dataset):
    """The part files of one dataset under a data root, in order."""
    directory = os.path.join(str(root), dataset)
    return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                  if f.startswith("part-"))


def dataset_files(root, *datasets):
    """The part files of datasets under a generated data root, in dataset order."""
    return [f for name in datasets
            for f in sorted(glob.glob(os.path.join(str(root), name, "part-*")))]


@functools.lru_cache(maxsize=16)
def read_dataset(root, dataset):
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
    with open(os.path.join(str(root), name)) as f:
        return json.load(f)


def injected(root):
    """The ground truth of a dataset generated with injections."""
    return load_json(root, "_injected.json")


# --- values and plain-Python checks of generated rows ----------------------------

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
