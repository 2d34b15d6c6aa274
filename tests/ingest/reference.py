"""An independent reading of landed files, in plain Python (csv module, re, datetime,
Decimal): what the ingest stage must keep and reject. Shares no code with ecomsuite.ingest."""

import bz2
import csv
import datetime
import gzip
import io
import re
from decimal import Decimal

from ecomsuite.schemas import DATASETS

LIMIT = 10**15  # ints and cents must stay below this
_INT = re.compile(r"[0-9]+")
_MONEY = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?")
_STAMP = re.compile(r"(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_DATE = re.compile(r"(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}")


def decompressed(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    if raw[:3] == b"BZh":
        return bz2.decompress(raw)
    return raw


def value(column, text):
    """The typed value, or None when the field is not acceptable."""
    kind = column.kind
    if kind in ("id", "text"):
        return text or None
    if kind == "enum":
        return text if text in column.values else None
    if kind == "int":
        return int(text) if _INT.fullmatch(text) and int(text) < LIMIT else None
    if kind == "money":
        if not _MONEY.fullmatch(text):
            return None
        amount = Decimal(text)
        return amount if amount * 100 < LIMIT else None
    pattern, fmt = ((_STAMP, "%Y-%m-%d %H:%M:%S") if kind == "timestamp" else (_DATE, "%Y-%m-%d"))
    if not pattern.fullmatch(text):
        return None
    try:
        parsed = datetime.datetime.strptime(text, fmt)
    except ValueError:
        return None
    return parsed if kind == "timestamp" else parsed.date()


def read(path, dataset):
    """(valid rows as tuples in schema order, number of rejected data records, header lines)."""
    schema = DATASETS[dataset]
    text = decompressed(path).decode("utf-8-sig", "surrogateescape")
    records = list(csv.reader(io.StringIO(text, newline="")))
    records = [r for r in records if r]           # blank lines
    header = [h.strip() for h in records[0]]
    at = [header.index(name) for name in schema.names]
    valid, rejected, headers = [], 0, 1
    for r in records[1:]:
        if [f.strip() for f in r] == header:
            headers += 1
            continue
        if len(r) != len(header) or any(not f.encode("utf-8", "surrogateescape").decode(
                "utf-8", "replace") == f for f in r):  # a field that is not UTF-8
            rejected += 1
            continue
        row = tuple(value(c, r[i]) for c, i in zip(schema.columns, at))
        if any(v is None for v in row):
            rejected += 1
        else:
            valid.append(row)
    return valid, rejected, headers


def read_valid_prefix(path, dataset, n):
    """The first `n` records of a file whose later text is one unterminated quote."""
    schema = DATASETS[dataset]
    text = decompressed(path).decode("utf-8-sig")
    lines = text.splitlines()[1:n + 1]
    header = [h.strip() for h in text.splitlines()[0].split(",")]
    at = [header.index(name) for name in schema.names]
    return [tuple(value(c, r.split(",")[i]) for c, i in zip(schema.columns, at)) for r in lines]
