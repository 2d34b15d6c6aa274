"""Field checks of the datasets' columns, per field and in bulk (numpy), and a CSV line parser.

The ingest stage (``ecomsuite.ingest``) validates every landed record with the
per-field converters (``_CONVERTERS``, one reason per column kind) and, for plain
records, the vectorised checks (``_bulk_check``) that never accept what the
per-field ones reject; jobs no longer parse CSV (they read the canonical form).
``RowParser`` below is the line parser the jobs used before the ingest stage;
it is kept for its tests (tests/bench/test_bulk_parse.py) and is not on any
job's path.

Parsing works on bytes and stays on a fast path for the common line: ASCII, no
quotes. A line that fails a check is skipped and counted under the reason it
failed; nothing is dropped without a count.

Reasons (the mrjob counter names in group ``malformed``):
  invalid_utf8, wrong_column_count, bad_number, bad_timestamp, bad_date,
  missing_<column>, unknown_<column> (an enum column with a value outside
  its vocabulary, e.g. unknown_status, unknown_action).

Two ways to read a file, with the same counts:

* ``parse_file`` yields one row (a sequence of typed values) per valid line;
* ``parse_file_columns`` yields, per chunk of the file, numpy arrays of the
  rows it could check in bulk and a list of the other valid rows, for jobs
  that aggregate with numpy.

Both check most lines of a file of BULK_MIN_BYTES or more in bulk
(``parse_chunk``): a line is taken on the bulk path only when it is plain
(valid UTF-8 not starting with a BOM, no quote, no NUL, no CR but one before
its newline), has exactly the dataset's column count, is not the header and
each column read passes a vectorised check equivalent to the per-line one.
Every other line goes through ``parse``, which decides its fate and reason
exactly as before, so the counts never depend on the path.
"""

import csv
import os
import re
from collections import Counter
from functools import cache

from ecomsuite import schemas


class _Numpy:
    """numpy, imported on first use: a reduce task never parses rows, and a
    task process starts about 0.1 s sooner without it."""

    def __getattr__(self, name):
        global np
        import numpy
        np = numpy
        return getattr(numpy, name)


np = _Numpy()

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


# --- bulk checks ------------------------------------------------------------
#
# Each takes the chunk's bytes (a uint8 array) and, for the candidate lines,
# the start and length of one field; it returns (ok, values): a mask of the
# fields that pass, exactly when the per-line converter would accept them, and
# their values as a numpy array. A field too long for the check's width is
# not ok (its line goes through parse()).

CHUNK_BYTES = 2 << 20      # bytes read at a time (cut after a newline)
# Smaller files are parsed line by line: importing numpy (~0.1-0.15 s a process)
# costs more than the bulk path saves on fewer than ~40k rows.
BULK_MIN_BYTES = 4 << 20
ID_WIDTH = 32              # longest id checked in bulk
TEXT_WIDTH = 64            # longest text checked in bulk
NUMBER_WIDTH = 15          # most digits of an int/money checked in bulk (exact in float64)
PAD = 64                   # zero bytes around a chunk, so fixed-width windows never run off it
_NL, _CR, _QUOTE, _COMMA, _DOT, _DASH, _SPACE, _COLON = b"\n\r\",.- :"


@cache
def _pow10():
    return 10.0 ** np.arange(NUMBER_WIDTH - 1, -1, -1)   # 1e14 .. 1e0


def _window(padded, width):
    return np.lib.stride_tricks.sliding_window_view(padded, width)


def _left(padded, starts, lengths, width):
    """(n, width) uint8: each field's first `width` bytes, zero past its end."""
    m = _window(padded, width)[starts]
    m *= np.arange(width) < lengths[:, None]
    return m


def _right(padded, starts, lengths, width):
    """(n, width) uint8: each field right-aligned (its last `width` bytes), zero before it."""
    m = _window(padded, width)[starts + lengths - width]
    m *= np.arange(width) >= width - lengths[:, None]
    return m


def _width(lengths, cap):
    return max(1, min(cap, int(lengths.max()) if len(lengths) else 1))


@cache
def _low_masks():
    """_low_masks()[k]: the low k bytes of a little-endian word (k = 0..8)."""
    return np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


def _words(padded):
    """Element i: the 8 bytes of `padded` from i on, as a little-endian uint64 (unaligned)."""
    return np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))


def _number_by_value(padded, starts, lengths, convert):
    """For fields of at most 8 bytes with few distinct values: each distinct field checked
    and converted by the per-line converter itself, the results spread back with numpy."""
    ends = starts + lengths
    words = _words(padded)[ends - 8] & ~_low_masks()[8 - np.clip(lengths, 0, 8)]
    distinct, inverse = np.unique(words, return_inverse=True)
    if len(distinct) > max(256, len(words) // 8):
        return None
    values, valid = [], []
    for word in distinct.tolist():
        value = convert(word.to_bytes(8, "little").lstrip(b"\0"))
        valid.append(value is not None)
        values.append(value or 0)
    ok = (lengths >= 1) & np.array(valid, dtype=bool)[inverse]
    return ok, np.array(values, dtype=np.int64)[inverse]


def _number(padded, starts, lengths, money):
    """As _int (digits only) or parse_cents (digits, optionally '.' and one or two digits)."""
    w = max(_width(lengths, NUMBER_WIDTH), 3)
    ok = (lengths >= 1) & (lengths <= NUMBER_WIDTH)
    m = _right(padded, starts, lengths, w)
    outside = np.arange(w) < w - lengths[:, None]
    digits = m - np.uint8(48)          # wraps below '0': only 0-9 are digits
    digit = digits <= 9
    if money:
        dot = m == _DOT
        ok &= (digit | dot | outside).all(1)
        ndot = dot.sum(1)
        frac = np.where(ndot == 1, w - 1 - dot.argmax(1), 0)
        ok &= (ndot <= 1) & (lengths - frac - ndot >= 1) & (frac <= 2) & ((ndot == 0) | (frac >= 1))
    else:
        ok &= (digit | outside).all(1)
    digits[~digit] = 0
    full = (digits @ _pow10()[-w:]).astype(np.int64)   # every digit, the dot skipped over
    if not money:
        return ok, full
    last = digits[:, -1].astype(np.int64)
    fraction = np.where(frac == 1, last, np.where(frac == 2, digits[:, -2] * 10 + last, 0))
    scale = np.where(ndot == 1, 10 ** np.minimum(frac + 1, 3), 1)
    return ok, (full - fraction) // scale * 100 + fraction * 10 ** np.clip(2 - frac, 0, 2)


def _bulk_number(convert, money):
    """As `convert` (_int or parse_cents): short fields with few distinct values are
    checked by value (_number_by_value), the others digit by digit (_number)."""
    def check(padded, starts, lengths):
        if len(lengths) and lengths.max() <= 8:
            found = _number_by_value(padded, starts, lengths, convert)
            if found is not None:
                return found
        return _number(padded, starts, lengths, money=money)
    return check


def _bulk_datetime(width):
    """As _TIMESTAMP_RE (width 19) or _DATE_RE (width 10), matched in full."""
    digit_cols = [0, 1, 2, 3, 5, 6, 8, 9] + ([11, 12, 14, 15, 17, 18] if width == 19 else [])

    def check(padded, starts, lengths):
        m = _left(padded, starts, lengths, width)
        d = m.astype(np.int16) - 48
        dd = d[:, digit_cols]
        ok = (lengths == width) & ((dd >= 0) & (dd <= 9)).all(1)
        ok &= (m[:, 4] == _DASH) & (m[:, 7] == _DASH)
        century = d[:, 0] * 10 + d[:, 1]
        month = d[:, 5] * 10 + d[:, 6]
        day = d[:, 8] * 10 + d[:, 9]
        ok &= ((century == 19) | (century == 20)) & (month >= 1) & (month <= 12)
        ok &= (day >= 1) & (day <= 31)
        if width == 19:
            ok &= (m[:, 10] == _SPACE) & (m[:, 13] == _COLON) & (m[:, 16] == _COLON)
            ok &= (d[:, 11] * 10 + d[:, 12] <= 23) & (d[:, 14] <= 5) & (d[:, 17] <= 5)
        return ok, m.view(f"S{width}").ravel()
    return check


def _bulk_enum(values):
    """Values compared as 8-byte words: the field, zero-padded, equals one of them."""
    encoded = [v.encode() for v in values]
    longest = max(len(e) for e in encoded)
    width = -(-longest // 8) * 8
    words = [np.frombuffer(e.ljust(width, b"\0"), dtype="<u8") for e in encoded]

    def check(padded, starts, lengths):
        u = _left(padded, starts, lengths, width).view("<u8")
        codes = np.full(len(starts), -1, dtype=np.int8)
        for i, word in enumerate(words):
            eq = u[:, 0] == word[0]
            for k in range(1, len(word)):
                eq &= u[:, k] == word[k]
            codes[eq] = i
        return (codes >= 0) & (lengths <= longest), codes
    return check


def _bulk_text(cap):
    def check(padded, starts, lengths):
        ok = (lengths >= 1) & (lengths <= cap)
        w = _width(lengths, cap)
        return ok, _left(padded, starts, lengths, w).view(f"S{w}").ravel()
    return check


def _bulk_check(column):
    kind = column.kind
    if kind == schemas.ENUM:
        return _bulk_enum(column.values)
    return {schemas.INT: _bulk_number(_int, money=False),
            schemas.MONEY: _bulk_number(parse_cents, money=True),
            schemas.TIMESTAMP: _bulk_datetime(19), schemas.DATE: _bulk_datetime(10),
            schemas.ID: _bulk_text(ID_WIDTH), schemas.TEXT: _bulk_text(TEXT_WIDTH)}[kind]


def _to_python(column, values):
    """Bulk values as parse() returns them: str, int (cents for money)."""
    if column.kind == schemas.ENUM:
        return np.array(column.values, dtype=object)[values].tolist()
    if column.kind in (schemas.INT, schemas.MONEY):
        return values.tolist()
    return decode(values).tolist()


def decode(values):
    """A fixed-width bytes array of UTF-8 text (what the bulk path gives) -> str array."""
    try:
        return values.astype(str)  # ASCII, the common case
    except UnicodeDecodeError:
        return np.char.decode(values, "utf-8")


def _valid_utf8(buf):
    try:
        buf.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_chunks(path, size=CHUNK_BYTES):
    """The file's bytes in pieces of about `size`, each ending after a newline (but the last)."""
    with open(path, "rb") as f:
        rest = b""
        while True:
            block = f.read(size)
            if not block:
                break
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest += block
                continue
            yield rest + block[:cut]
            rest = block[cut:]
        if rest:
            yield rest


class Chunk:
    """The rows of one chunk of a file.

    ``columns``: one numpy array per column read, for the rows checked in bulk
    (enum: index into the column's values, int8; int and money: int64, money
    in cents; id, text, timestamp, date: fixed-width bytes, UTF-8: see ``decode``).
    ``rows``: the other valid rows, as parse() returns them.
    ``size``: how many rows ``columns`` holds.
    """

    __slots__ = ("columns", "rows", "size", "_fast_lines", "_slow_lines")

    def __init__(self, columns, size, rows, fast_lines, slow_lines):
        self.columns, self.size, self.rows = columns, size, rows
        self._fast_lines, self._slow_lines = fast_lines, slow_lines


def group_sums(keys, values, size):
    """Exact integer sums of `values` per key 0..size-1: an int64 array while any total
    could fit it, else an object array of Python ints (the same for an object array of
    values). np.bincount adds in float64, exact while every partial sum stays below
    2**53; past that bound np.add.at adds in int64, and past 2**63 in Python ints."""
    if values.dtype != object:
        bound = int(np.abs(values).max()) * len(values) if len(values) else 0
        if bound < 2**53:
            return np.bincount(keys, weights=values, minlength=size).astype(np.int64)
        if bound < 2**63:
            sums = np.zeros(size, dtype=np.int64)
            np.add.at(sums, keys, values)
            return sums
    sums = np.zeros(size, dtype=object)
    np.add.at(sums, keys, values.astype(object))
    return sums


def bucket_of(key, buckets):
    """A stable bucket 0..buckets-1 of a str key, the same in every process
    (unlike hash()): sum of its UTF-8 bytes times 31**j mod 2**32, mod `buckets`."""
    return sum(b * pow(31, j, 2**32) for j, b in enumerate(key.encode())) % buckets


def buckets_of(values, buckets):
    """bucket_of() of each value of a fixed-width bytes array, vectorised."""
    width = values.dtype.itemsize
    if width == 0 or not len(values):
        return np.zeros(len(values), dtype=np.int64)
    m = values.view(np.uint8).reshape(len(values), width)
    total = np.zeros(len(values), dtype=np.uint64)
    for j in range(width):  # a column at a time: no (rows x width) uint64 matrix
        total += m[:, j] * np.uint64(pow(31, j, 2**32))
    return (total % np.uint64(buckets)).astype(np.int64)


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
        self.columns = [dataset.column(name) for name in columns]
        self._column_names = columns
        for name, column in zip(columns, self.columns):
            make, _ = _CONVERTERS[column.kind]
            self.checks.append((dataset.index(name), make(column), _reason(column)))
        self._bulk_checks = None
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
                return self._split_quoted(text)
        elif b'"' in line:
            return self._split_quoted(line.decode("ascii"))
        return line.split(b",")

    @staticmethod
    def _split_quoted(text):
        try:
            return [f.encode() for f in next(csv.reader([text]))]
        except csv.Error:  # e.g. a bare CR inside the line: no column count can be told
            return "wrong_column_count"

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

    def parse_chunk(self, buf):
        """Parse a piece of a file made of whole lines (see ``read_chunks``) -> Chunk."""
        a = np.frombuffer(buf, dtype=np.uint8)
        padded = np.frombuffer(bytes(PAD) + buf + bytes(PAD), dtype=np.uint8)
        ends = np.flatnonzero(a == _NL)             # each line's newline
        if len(a) and a[-1] != _NL:
            ends = np.append(ends, len(a))          # a last line with none
        starts = np.empty_like(ends)
        starts[:1] = 0
        starts[1:] = ends[:-1] + 1
        # one CR before the newline is line ending, as parse()'s rstrip takes it
        cr_end = (ends > starts) & (padded[PAD - 1 + ends] == _CR)
        content_end = ends - cr_end
        lengths = content_end - starts
        candidate = lengths > 0
        # plain lines only: no quote, NUL or other CR, and valid UTF-8 (checked
        # for the whole chunk: if it fails, no line with a byte >= 0x80 is plain)
        ascii = buf.isascii()
        utf8 = ascii or _valid_utf8(buf)
        if not utf8 or b'"' in buf or b"\0" in buf:
            odd = (a == _QUOTE) | (a == 0) | (a == _CR)
            if not utf8:
                odd |= a >= 0x80
        elif b"\r" in buf:
            odd = a == _CR
        else:
            odd = None
        if odd is not None:
            odd[ends[cr_end] - 1] = False
            candidate[np.searchsorted(ends, np.flatnonzero(odd))] = False
        if not ascii:  # parse() drops a BOM at the start of a line
            candidate[padded[PAD + starts] == UTF8_BOM[0]] = False
        commas = np.flatnonzero(a == _COMMA)
        first = np.searchsorted(commas, starts)     # each line's first comma
        after = np.append(first[1:], len(commas))   # the next line's (none is in a newline)
        candidate &= after - first == self.width - 1
        # the header (a line like any other by its shape): its first 8 bytes, then in full
        maybe = np.flatnonzero(candidate & (lengths == len(self.header)))
        head = np.frombuffer(self.header[:8].ljust(8, b"\0"), dtype="<u8")[0]
        maybe = maybe[_left(padded, starts[maybe] + PAD, lengths[maybe], 8).view("<u8")[:, 0]
                      == head]
        for i in maybe.tolist():
            if buf[starts[i]:content_end[i]] == self.header:
                candidate[i] = False
        idx = np.flatnonzero(candidate)
        first = first[idx]
        ok = np.ones(len(idx), dtype=bool)
        values = []
        last = self.width - 1
        if self._bulk_checks is None:  # made on first use: they import numpy
            self._bulk_checks = [(self.dataset.index(name), _bulk_check(column))
                                 for name, column in zip(self._column_names, self.columns)]
        for index, check in self._bulk_checks:
            begin = starts[idx] if index == 0 else commas[first + index - 1] + 1
            end = content_end[idx] if index == last else commas[first + index]
            field_ok, field_values = check(padded, begin + PAD, end - begin)
            ok &= field_ok
            values.append(field_values)
        fast = idx[ok]
        columns = [v[ok] for v in values]
        self.valid += len(fast)
        slow = np.ones(len(ends), dtype=bool)
        slow[fast] = False
        rows, slow_lines = [], []
        parse = self.parse
        for i in np.flatnonzero(slow).tolist():
            row = parse(buf[starts[i]:ends[i]])
            if row is not None:
                rows.append(row)
                slow_lines.append(i)
        return Chunk(columns, len(fast), rows, fast, slow_lines)

    def parse_file_columns(self, path):
        """Yield a Chunk per piece of the file at `path`; every line is counted.

        A file under BULK_MIN_BYTES is parsed line by line (its Chunks have no
        bulk rows): that is quicker than importing numpy for it.
        """
        if os.path.getsize(path) < BULK_MIN_BYTES:
            parse = self.parse
            with open(path, "rb") as f:
                rows = [r for r in map(parse, f) if r is not None]
            yield Chunk([], 0, rows, None, None)
            return
        for buf in read_chunks(path):
            yield self.parse_chunk(buf)

    def chunk_rows(self, chunk):
        """The chunk's valid rows as parse() returns them (sequences), in file order."""
        if not chunk.size:
            return iter(chunk.rows)
        if self.checks:
            fast = zip(*(_to_python(column, values)
                         for column, values in zip(self.columns, chunk.columns)))
        else:
            fast = ([] for _ in range(chunk.size))
        if not chunk.rows:
            return fast
        return self._merge(fast, chunk)

    @staticmethod
    def _merge(fast, chunk):
        before = np.searchsorted(chunk._fast_lines, chunk._slow_lines).tolist()
        taken = 0
        for row, n in zip(chunk.rows, before):
            for _ in range(n - taken):
                yield next(fast)
            taken = n
            yield row
        yield from fast

    def parse_file(self, path):
        """Yield the typed values of every valid row of the file at `path`, in file order."""
        for chunk in self.parse_file_columns(path):
            yield from self.chunk_rows(chunk)


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of proleptic Gregorian dates; ints or int64 arrays."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
