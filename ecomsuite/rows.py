"""Parse raw CSV lines of one dataset, checking the columns a job reads.

Jobs read bytes (``mapper_raw`` hands them whole files), so parsing works on
bytes and stays on a fast path for the common line: ASCII, no quotes. A line
that fails a check is skipped and counted under the reason it failed; nothing
is dropped without a count.

Reasons (the mrjob counter names in group ``malformed``):
  invalid_utf8, wrong_column_count, bad_number, bad_timestamp, bad_date,
  missing_<column>, unknown_<column> (an enum column with a value outside
  its vocabulary, e.g. unknown_status, unknown_action).
"""

import csv
import re
from collections import Counter

from ecomsuite import schemas

UTF8_BOM = b"\xef\xbb\xbf"

_TIMESTAMP_RE = re.compile(
    rb"(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]) "
    rb"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d")
_DATE_RE = re.compile(rb"(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])")


def parse_cents(field):
    """b"12.5" -> 1250; None unless a non-negative decimal with <= 2 decimals."""
    whole, dot, frac = field.partition(b".")
    if not whole.isdigit() or len(frac) > 2 or (dot and not frac.isdigit()):
        return None
    return int(whole) * 100 + (int(frac.ljust(2, b"0")) if frac else 0)


def _int(field):
    return int(field) if field.isdigit() else None


def _text(field):
    return field.decode("utf-8") if field else None


def _matcher(regex):
    fullmatch = regex.fullmatch

    def check(field):
        return field.decode("ascii") if fullmatch(field) else None
    return check


def _enum(values):
    lookup = {v.encode(): v for v in values}
    return lookup.get


_CONVERTERS = {
    schemas.INT: (lambda c: _int, "bad_number"),
    schemas.MONEY: (lambda c: parse_cents, "bad_number"),
    schemas.TIMESTAMP: (lambda c: _matcher(_TIMESTAMP_RE), "bad_timestamp"),
    schemas.DATE: (lambda c: _matcher(_DATE_RE), "bad_date"),
    schemas.ENUM: (lambda c: _enum(c.values), None),
    schemas.ID: (lambda c: _text, None),
    schemas.TEXT: (lambda c: _text, None),
}


def _reason(column):
    make, reason = _CONVERTERS[column.kind]
    if reason:
        return reason
    return ("unknown_" if column.kind == schemas.ENUM else "missing_") + column.name


class RowParser:
    """Parses lines of `dataset`, returning the values of `columns` typed.

    ``parse(line)`` returns a list (money as integer cents, int as int, the
    rest as str) or None for a header, blank or malformed line; each of
    those is counted in ``valid``, ``headers``, ``blank`` or ``malformed``.
    """

    def __init__(self, dataset, columns):
        self.dataset = dataset
        self.width = len(dataset.columns)
        self.header = dataset.header.encode()
        self.checks = []
        for name in columns:
            column = dataset.column(name)
            make, _ = _CONVERTERS[column.kind]
            self.checks.append((dataset.index(name), make(column), _reason(column)))
        self.valid = self.headers = self.blank = 0
        self.malformed = Counter()

    def fields(self, line):
        """Split a line into byte fields, or return a malformed reason (str)."""
        if not line.isascii():
            if line.startswith(UTF8_BOM):
                line = line[3:]
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                return "invalid_utf8"
            if '"' in text:
                return [f.encode() for f in next(csv.reader([text]))]
        elif b'"' in line:
            return [f.encode() for f in next(csv.reader([line.decode("ascii")]))]
        return line.split(b",")

    def parse(self, line):
        line = line.rstrip(b"\r\n")
        if not line:
            self.blank += 1
            return None
        if line.removeprefix(UTF8_BOM) == self.header:
            self.headers += 1
            return None
        fields = self.fields(line)
        if isinstance(fields, str):
            self.malformed[fields] += 1
            return None
        if len(fields) != self.width:
            self.malformed["wrong_column_count"] += 1
            return None
        if b'"' in line and b",".join(fields) == self.header:  # a quoted header
            self.headers += 1
            return None
        values = []
        for index, convert, reason in self.checks:
            value = convert(fields[index])
            if value is None:
                self.malformed[reason] += 1
                return None
            values.append(value)
        self.valid += 1
        return values

    def parse_file(self, path):
        """Yield the typed values of every valid row of the file at `path`."""
        parse = self.parse
        with open(path, "rb") as f:
            for line in f:
                values = parse(line)
                if values is not None:
                    yield values
