"""Format columns of numpy arrays into CSV bytes without a Python loop per row.

A chunk of ``n`` rows is laid out as an ``n x width`` matrix of bytes: each
field owns a fixed slice of columns wide enough for its longest value,
shorter values are left-aligned or right-aligned and padded with NUL bytes,
and the separators are constants. Dropping every NUL byte of the row-major
matrix then leaves exactly the CSV text, rows in order::

    fields = [IntField(ids, min_digits=5, prefix=b"ORD"), TextField(table, idx)]
    data = format_rows(n, fields)      # b"ORD00001,Gaming Laptop\\n..."

No value may contain a NUL byte (none of ours can). Text values come from
small vocabularies (:func:`text_table`) that are CSV-escaped once, when the
table is built, so a value with a comma or a quote is quoted per RFC 4180 and
every other value is written bare.
"""

import datetime as dt

import numpy as np

COMMA, NEWLINE, DOT = 44, 10, 46
EPOCH = dt.date(1970, 1, 1)

# "0000" .. "9999" as a (10000, 4) byte table: four digits per lookup.
_DIGITS4 = np.frombuffer(
    "".join(f"{i:04d}" for i in range(10_000)).encode(), dtype=np.uint8).reshape(10_000, 4)
_POW10 = np.array([10 ** k for k in range(1, 19)], dtype=np.int64)
_HMS = None  # "HH:MM:SS" for every second of a day, built on first use


def csv_escape(text):
    """Quote `text` per RFC 4180 if it holds a comma, a quote or a line break."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def text_table(values, escape=True):
    """A (len(values), width) byte table of the UTF-8 values, NUL-padded."""
    encoded = [(csv_escape(v) if escape else v).encode() for v in values]
    width = max(1, max((len(b) for b in encoded), default=1))
    table = np.zeros((len(encoded), width), dtype=np.uint8)
    for i, b in enumerate(encoded):
        if b"\x00" in b:
            raise ValueError(f"NUL byte in CSV value {b!r}")
        table[i, :len(b)] = np.frombuffer(b, dtype=np.uint8)
    return table


def digit_count(values):
    """Number of decimal digits of each non-negative int64 (0 has one)."""
    return np.searchsorted(_POW10, values, side="right") + 1


class Field:
    width = 0

    def fill(self, out):
        """Write this field into `out`, an (n, self.width) uint8 view."""
        raise NotImplementedError


class ConstField(Field):
    def __init__(self, text):
        self.bytes = np.frombuffer(text, dtype=np.uint8)
        self.width = len(text)

    def fill(self, out):
        out[:] = self.bytes


class TextField(Field):
    """Row i gets ``table[index[i]]`` (see :func:`text_table`)."""

    def __init__(self, table, index):
        self.table, self.index = table, index
        self.width = table.shape[1]

    def fill(self, out):
        np.take(self.table, self.index, axis=0, out=out, mode="clip")  # clip: unbuffered


class IntField(Field):
    """Non-negative integers, zero-padded to `min_digits`, after an optional prefix."""

    def __init__(self, values, min_digits=1, prefix=b""):
        self.values = np.asarray(values, dtype=np.int64)
        if len(self.values) and self.values.min() < 0:
            raise ValueError("IntField takes non-negative integers")
        self.prefix = prefix
        self.min_digits = min_digits
        top = int(self.values.max()) if len(self.values) else 0
        self.digits = max(min_digits, int(digit_count(np.array([top]))[0]))
        self.width = len(prefix) + self.digits

    def fill(self, out):
        p = len(self.prefix)
        if p:
            out[:, :p] = np.frombuffer(self.prefix, dtype=np.uint8)
        digits = out[:, p:]
        v = self.values.copy()
        right = self.digits
        while right > 0:
            step = min(4, right)
            np.take(_DIGITS4[:, 4 - step:], v % 10_000, axis=0, out=digits[:, right - step:right],
                    mode="clip")
            v //= 10_000
            right -= step
        if self.digits > self.min_digits:  # blank the leading zeros of the shorter values
            need = np.maximum(digit_count(self.values), self.min_digits)
            if need.min() < self.digits:
                lead = np.arange(self.digits) < (self.digits - need)[:, None]
                digits[lead] = 0


class MoneyField(Field):
    """Integer cents as ``units.cc``: exactly two decimals, no float on the way."""

    def __init__(self, cents):
        cents = np.asarray(cents, dtype=np.int64)
        self.units = IntField(cents // 100)
        self.cents = IntField(cents % 100, min_digits=2)
        self.width = self.units.width + 1 + 2

    def fill(self, out):
        w = self.units.width
        self.units.fill(out[:, :w])
        out[:, w] = DOT
        self.cents.fill(out[:, w + 1:])


class ConcatField(Field):
    """Several fields written side by side as one CSV field (e.g. an email)."""

    def __init__(self, *parts):
        self.parts = parts
        self.width = sum(p.width for p in parts)

    def fill(self, out):
        at = 0
        for p in self.parts:
            p.fill(out[:, at:at + p.width])
            at += p.width


def _day_table(first_day, last_day, suffix=b""):
    days = [EPOCH + dt.timedelta(days=d) for d in range(first_day, last_day + 1)]
    return text_table([d.isoformat() + suffix.decode() for d in days], escape=False)


class DateField(Field):
    """Days since 1970-01-01 as YYYY-MM-DD."""

    width = 10

    def __init__(self, days):
        self.days = np.asarray(days, dtype=np.int64)

    def fill(self, out):
        lo = int(self.days.min()) if len(self.days) else 0
        hi = int(self.days.max()) if len(self.days) else 0
        np.take(_day_table(lo, hi), self.days - lo, axis=0, out=out, mode="clip")


class TimestampField(Field):
    """Seconds since 1970-01-01 00:00:00 as YYYY-MM-DD HH:MM:SS."""

    width = 19

    def __init__(self, seconds):
        self.seconds = np.asarray(seconds, dtype=np.int64)

    def fill(self, out):
        global _HMS
        if _HMS is None:
            s = np.arange(86_400)
            hms = np.stack([s // 3600, s // 60 % 60, s % 60], axis=1)
            table = np.full((86_400, 8), 58, dtype=np.uint8)  # ':'
            table[:, 0::3] = 48 + hms // 10
            table[:, 1::3] = 48 + hms % 10
            _HMS = table
        days, secs = np.divmod(self.seconds, 86_400)
        DateField(days).fill(out[:, :10])
        out[:, 10] = 32  # ' '
        np.take(_HMS, secs, axis=0, out=out[:, 11:], mode="clip")


def format_rows(n, fields):
    """CSV bytes of `n` rows made of `fields`, separated by commas, ending in newlines."""
    if n == 0:
        return b""
    width = sum(f.width for f in fields) + len(fields)
    matrix = np.zeros((n, width), dtype=np.uint8)
    at = 0
    for i, f in enumerate(fields):
        f.fill(matrix[:, at:at + f.width])
        at += f.width
        matrix[:, at] = COMMA if i < len(fields) - 1 else NEWLINE
        at += 1
    flat = matrix.reshape(-1)
    kept = flat[flat != 0]
    del matrix, flat  # keep the peak low: the matrix goes before the bytes come
    return kept.tobytes()


def in_schema_order(dataset, fields):
    """The fields of a {column name: Field} dict in the dataset's column order."""
    if set(fields) != set(dataset.names):
        raise ValueError(f"{dataset.name}: fields {sorted(fields)} != columns {dataset.names}")
    return [fields[name] for name in dataset.names]
