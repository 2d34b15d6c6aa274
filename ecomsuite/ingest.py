"""Validate once: landed CSV files -> the canonical form, a quarantine and a manifest per partition.

    ecom-ingest --data data [--runner local] [--days 2025-06-01..2025-06-30] [--datasets orders]

One mrjob job (``jobs/mr_ingest.py``) reads every landed file of every selected
partition (dataset, day) in one run, on any runner, each map task a few work items
(:func:`work_items`, grouped into tasks of about ``--split-bytes`` by :func:`bundle`):
a file read whole, or one range of whole records of a large plain or bz2 file (found
by a pre-pass, :func:`scan_for_splits`, which splits only between records, around a
line break inside quotes too; gzip files are read whole). Each task parses its files
or ranges (:class:`FileParser`) and writes tagged lines through the job's ordinary
output (Hadoop's commit protocol on YARN: a retried or speculative attempt's lines
are never committed twice):

    {"kind": "part", ...,  "data": <base64 of one canonical Parquet part>}
    {"kind": "reject", ..., "line": n, "reason": r, "record": <the record verbatim>}
    {"kind": "file", ..., "range": k, "ranges": n, counts, csv_sha256, extra_columns, refused}

(``csv_sha256``: the checksum of the file's CSV bytes after decompression, the same
on every runner, from the task of a whole file or the pre-pass of a split one; a
split file's counts are its ranges' summed; the landed file's size and compression
come from the day's commit.)

The driver (:func:`ingest`) splits them after the job: per partition it writes the
parts, the quarantine (``rejected.jsonl``) and an :class:`ecomsuite.layout.IngestManifest`,
and publishes the partition atomically through ``ecomsuite.layout`` (quarantine
version first, then the canonical version, whose ``_SUCCESS`` is the commit).

What a file may hold (RFC 4180 in full):
- a header naming the columns, in any order (a file whose header lacks a column
  is refused, naming it; extra columns are ignored and reported); the header
  repeated later (concatenated files) and blank lines are counted apart; a file
  whose first line names no column at all and has the schema's width has no
  header (the later parts of a split export): its columns are in the schema's
  order, and the manifest says ``headerless``;
- quoted fields with separators, doubled quotes and line breaks inside;
- LF, CRLF or CR line endings, a UTF-8 BOM, gzip or bz2 compression.

Every other record is rejected under one reason (the first check it fails, in
the schema's column order): ``invalid_utf8``, ``unterminated_quote`` (a quote
never closed: one record holding all the text it swallowed), ``bad_quoting``,
``wrong_column_count``, ``missing_<column>``, ``unknown_<column>``,
``bad_number``, ``out_of_range`` (an int or amount of more than 15 digits:
beyond what the jobs sum exactly), ``bad_timestamp``, ``bad_date`` (not the
format, or not a calendar day). ``records = valid + rejected``, always.
"""

import argparse
import base64
import bz2
import contextlib
import csv
import datetime
import functools
import gzip
import hashlib
import io
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections import Counter

import numpy as np
import pyarrow as pa

from ecomsuite import canonical, layout, rows, schemas

csv.field_size_limit(1 << 30)

PART_ROWS = 256 * 1024            # rows per canonical part at most
SPLIT_BYTES = 128 << 20           # a plain file larger than this splits into ranges this size
BLOCK_BYTES = 8 << 20             # decompressed bytes parsed at a time
MAX_NUMBER = 10**15 - 1           # the largest int, or amount in cents, taken
UTF8_BOM = b"\xef\xbb\xbf"
PAD = 64
_NL, _CR, _QUOTE, _COMMA = 10, 13, 34, 44
_LINE = re.compile(rb"([^\r\n]*)(?:\r\n|\r|\n)")   # a line and its end (no quoted line ends)
EXIT_REFUSED = 1
UP_TO_DATE = "up to date"   # why a partition is skipped

log = logging.getLogger(__name__)


# --- reading one landed file ----------------------------------------------------------

class Hashed:
    """A stream that hashes (sha256) and counts what is read through it."""

    def __init__(self, stream):
        self.stream, self.sha256, self.bytes = stream, hashlib.sha256(), 0

    def read(self, n):
        block = self.stream.read(n)
        self.sha256.update(block)
        self.bytes += len(block)
        return block


@functools.lru_cache(maxsize=4096)
def is_calendar_day(text):
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


class Refused(Exception):
    """A file that cannot be read as its dataset at all (a column missing from its header)."""


class FileParser:
    """Parses one landed file of `dataset`: typed Arrow tables of its valid rows, and
    every other record counted and kept (``rejects``: (line, reason, bytes))."""

    def __init__(self, dataset, block_bytes=BLOCK_BYTES):
        self.dataset = dataset
        self.block_bytes = block_bytes
        self.schema = canonical.arrow_schema(dataset)
        self.records = self.valid = self.header_lines = self.blank_lines = 0
        self.rejected = Counter()
        self.rejects = []
        self.extra_columns = []
        self.header = None        # the header's field names
        self.headerless = False   # no header line: the schema's order
        self.header_bytes = None
        self.positions = None     # schema column -> field index
        self.width = None
        self.converters = [(rows._CONVERTERS[c.kind][0](c), rows._reason(c), c)
                           for c in dataset.columns]

    # records ------------------------------------------------------------------------
    def use_header(self, raw):
        """Take `raw` (the file's first record, found by the pre-pass) as the header of a
        range that does not hold it: the header is counted by the range that does."""
        counted = self.header_lines
        self._header(raw)
        self.header_lines = counted

    def tables(self, stream, first_line=1, at_start=True):
        """Yield a typed Arrow table per block of the stream (a whole file, or a range of
        whole records starting on line `first_line`; `at_start`: at the file's first byte,
        where a BOM may be); raise Refused for a bad header."""
        line = first_line
        rest = b""
        first = at_start
        eof = False
        want = self.block_bytes
        while not eof:
            block = stream.read(want)
            eof = not block
            buf = rest + block
            if first:
                first = False
                if buf.startswith(UTF8_BOM):
                    buf = buf[3:]
            if not buf:
                break
            starts, ends, lines, cut, open_quote = split_records(buf, line, final=eof)
            if cut == 0 and not eof:   # one record longer than the block: read more
                rest, want = buf, want * 2
                continue
            want = self.block_bytes
            table = self._records(buf, starts, ends, lines)
            if open_quote:  # a quote never closed: the rest of the file is one record
                self._reject(line + _count_terminators(buf[:cut]), "unterminated_quote",
                             buf[cut:])
            line += _count_terminators(buf[:cut])
            rest = buf[cut:] if not eof else b""
            if table is not None and table.num_rows:
                yield table

    def _reject(self, line, reason, raw):
        self.records += 1
        self.rejected[reason] += 1
        self.rejects.append((line, reason, raw))

    def _header(self, raw):
        """Take the first line as the header; True if it is one. A first line that names no
        column at all, in a file of the schema's width, is data: the file has no header
        and its columns are in the schema's order (``headerless``; a later part of a
        split export)."""
        fields = parse_fields(raw)
        if isinstance(fields, str):
            raise Refused(f"its first line is not a readable header ({fields})")
        names = [f.decode("utf-8").strip() for f in fields]
        if not set(names) & set(self.dataset.names) and len(names) == len(self.dataset.names):
            self.headerless = True
            names = list(self.dataset.names)
            raw = self.dataset.header.encode()
        missing = [c for c in self.dataset.names if c not in names]
        if missing:
            raise Refused(f"its header has no column {', '.join(missing)} (a {self.dataset.name} "
                          f"file needs {', '.join(self.dataset.names)}; its first line: "
                          f"{raw[:200].decode('utf-8', 'replace')!r})")
        twice = sorted({c for c in self.dataset.names if names.count(c) > 1})
        if twice:
            raise Refused(f"its header names column {', '.join(twice)} twice")
        self.header, self.header_bytes = names, raw
        self.extra_columns = [n for n in names if n not in self.dataset.names]
        self.positions = [names.index(c) for c in self.dataset.names]
        self.width = len(names)
        if self.headerless:
            return False
        self.header_lines += 1
        return True

    def _records(self, buf, starts, ends, lines):
        """The typed table of one block's records; counts and rejects the others."""
        lengths = ends - starts
        blank = lengths == 0
        self.blank_lines += int(blank.sum())
        data = np.flatnonzero(~blank)
        if self.header is None:
            if not len(data):
                return None
            h = int(data[0])
            if self._header(buf[starts[h]:ends[h]]):
                data = data[1:]
        if not len(data):
            return None
        a = np.frombuffer(buf, dtype=np.uint8)
        padded = np.frombuffer(bytes(PAD) + buf + bytes(PAD), dtype=np.uint8)
        s, e = starts[data], ends[data]
        n = len(data)
        # repeated headers (concatenated files): counted apart
        hb = self.header_bytes
        maybe = np.flatnonzero((e - s == len(hb)) & (a[s] == hb[0]))
        is_header = np.zeros(n, dtype=bool)
        for i in maybe.tolist():
            if buf[s[i]:e[i]] == hb:
                is_header[i] = True
        # plain records: no quote, valid UTF-8, the header's number of commas
        fast = ~is_header
        quotes = np.flatnonzero(a == _QUOTE)
        if len(quotes):
            fast &= np.searchsorted(quotes, e) == np.searchsorted(quotes, s)
        if not buf.isascii():
            try:
                buf.decode("utf-8")
            except UnicodeDecodeError:
                high = np.flatnonzero(a >= 0x80)
                fast &= np.searchsorted(high, e) == np.searchsorted(high, s)
        commas = np.flatnonzero(a == _COMMA)
        first = np.searchsorted(commas, s)
        fast &= np.searchsorted(commas, e) - first == self.width - 1
        idx = np.flatnonzero(fast)
        fs, fe, ffirst = s[idx], e[idx], first[idx]
        ok = np.ones(len(idx), dtype=bool)
        values = []
        last = self.width - 1
        for (_, _, column), pos in zip(self.converters, self.positions):
            begin = fs if pos == 0 else commas[ffirst + pos - 1] + 1
            end = fe if pos == last else commas[ffirst + pos]
            field_ok, field_values = self._bulk(column, padded, begin, end - begin)
            ok &= field_ok
            values.append((begin, end - begin, field_values))
        good = idx[ok]
        fast_values = [(b[ok], ln[ok], v[ok] if v is not None else None) for b, ln, v in values]
        # every other record: one by one, the reference rules
        slow_rows, slow_at = [], []
        taken = np.zeros(n, dtype=bool)
        taken[good] = True
        taken |= is_header
        self.header_lines += int(is_header.sum())
        for i in np.flatnonzero(~taken).tolist():
            raw = buf[s[i]:e[i]]
            row = self.check(raw)
            if row is None:
                self.header_lines += 1
            elif isinstance(row, str):
                self._reject(int(lines[data[i]]), row, raw)
            else:
                self.records += 1
                self.valid += 1
                slow_rows.append(row)
                slow_at.append(i)
        self.records += len(good)
        self.valid += len(good)
        return self._table(padded, fast_values, len(good), slow_rows,
                           np.concatenate([good, np.array(slow_at, dtype=np.int64)]))

    def _bulk(self, column, padded, begin, lengths):
        """(ok, values) of one column's fields of the plain records, never accepting what
        check() rejects (a field it cannot judge in bulk is not ok: check() decides)."""
        kind = column.kind
        if kind in (schemas.ID, schemas.TEXT):
            return lengths >= 1, None
        ok, values = rows._bulk_check(column)(padded, begin + PAD, lengths)
        if kind in (schemas.TIMESTAMP, schemas.DATE) and len(values):
            late = np.flatnonzero(ok & (values.view(np.uint8).reshape(len(values), -1)[:, 8]
                                        >= ord("2")))
            if len(late):
                days = values[late].astype("S10")
                bad = [d for d in np.unique(days).tolist() if not is_calendar_day(d.decode())]
                if bad:
                    ok[late[np.isin(days, bad)]] = False
        return ok, values

    def check(self, raw):
        """The typed values of one record (bytes), the reason it is rejected (str), or
        None for the header repeated (quoted, or after a BOM)."""
        raw = raw.removeprefix(UTF8_BOM)
        if b'"' in raw or not raw.isascii():
            fields = parse_fields(raw)
            if isinstance(fields, str):
                return fields
        else:
            fields = raw.split(b",")
        if len(fields) != self.width:
            return "wrong_column_count"
        if fields[0].strip().decode("utf-8", "replace") == self.header[0] and \
                [f.strip().decode("utf-8", "replace") for f in fields] == self.header:
            return None
        out = []
        for (convert, reason, column), pos in zip(self.converters, self.positions):
            value = convert(fields[pos])
            if value is None:
                return reason
            if column.kind in (schemas.INT, schemas.MONEY) and value > MAX_NUMBER:
                return "out_of_range"
            if column.kind in (schemas.TIMESTAMP, schemas.DATE) and not is_calendar_day(value[:10]):
                return reason
            out.append(value)
        return out

    def _table(self, padded, fast_values, n_fast, slow_rows, at):
        arrays = []
        columns = list(zip(*slow_rows)) if slow_rows else [()] * len(self.dataset.columns)
        order = np.argsort(at, kind="stable") if len(slow_rows) and n_fast else None
        for (begin, lengths, values), column, slow in zip(fast_values, self.dataset.columns,
                                                          columns):
            fast = _arrow_fast(column, padded, begin, lengths, values)
            if slow:
                both = pa.concat_arrays([fast, _arrow_slow(column, slow)])
                fast = both.take(pa.array(order)) if order is not None else both
            arrays.append(fast)
        return pa.Table.from_arrays(arrays, schema=self.schema)


def parse_fields(raw):
    """One record's fields (bytes, UTF-8), RFC 4180; or the reason it cannot be split."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    if '"' not in text:
        return [f.encode() for f in text.split(",")]
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        fields = next(reader)
        if next(reader, None) is not None:
            return "bad_quoting"
    except (csv.Error, StopIteration):
        return "bad_quoting"
    return [f.encode() for f in fields]


def split_records(buf, first_line, final):
    """Record boundaries of a block: a record ends at a line end (LF, CRLF or CR) outside
    quotes. Returns (starts, content ends, start lines, cut, open_quote): the records
    wholly inside buf[:cut]; with `final`, the text after `cut` is an unterminated quote
    (open_quote) or nothing."""
    a = np.frombuffer(buf, dtype=np.uint8)
    n = len(a)
    lf = np.flatnonzero(a == _NL)
    cr = np.flatnonzero(a == _CR)
    nxt = np.minimum(cr + 1, n - 1)
    lone = (a[nxt] != _NL) | (cr + 1 >= n)
    if not final:
        lone &= cr + 1 < n            # a CR at the block's end may be a CRLF's first half
    terms = np.sort(np.concatenate([lf, cr[lone]]))
    quotes = np.flatnonzero(a == _QUOTE)
    even = (np.searchsorted(quotes, terms) & 1) == 0
    ends_at = terms[even]
    if final:
        tail = ends_at[-1] + 1 if len(ends_at) else 0
        if tail < n and (len(quotes) - np.searchsorted(quotes, tail)) % 2 == 0:
            ends_at = np.append(ends_at, n)  # a last record without a line end
    cut = int(ends_at[-1]) + 1 if len(ends_at) else 0
    cut = min(cut, n)
    starts = np.empty(len(ends_at), dtype=np.int64)
    starts[:1] = 0
    starts[1:] = ends_at[:-1] + 1
    content = ends_at.copy()
    crlf = (content < n) & (content > starts)
    crlf[crlf] = (a[content[crlf]] == _NL) & (a[content[crlf] - 1] == _CR)
    content -= crlf
    lines = first_line + np.searchsorted(terms, starts)
    open_quote = final and cut < n
    return starts, content, lines, cut, open_quote


def _count_terminators(buf):
    return buf.count(b"\n") + buf.count(b"\r") - buf.count(b"\r\n")


# --- Arrow arrays of the canonical schema ----------------------------------------------

def _strings(padded, begin, lengths):
    n = len(begin)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    idx = np.repeat(begin + PAD - offsets[:-1], lengths) + np.arange(total)
    data = padded[idx]
    if total < 2**31:
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int32)),
                                           pa.py_buffer(data))
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data)).cast(
        pa.string())


def money_array(cents):
    """int64 cents -> decimal(18, 2), built from the 16-byte values directly."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.zeros((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    return pa.Array.from_buffers(canonical.MONEY_TYPE, len(cents), [None, pa.py_buffer(words)])


def _arrow_fast(column, padded, begin, lengths, values):
    kind = column.kind
    if kind in (schemas.ID, schemas.TEXT):
        return _strings(padded, begin, lengths)
    if kind == schemas.ENUM:
        return pa.array(column.values, pa.string()).take(pa.array(values))
    if kind == schemas.INT:
        return pa.array(values, pa.int64())
    if kind == schemas.MONEY:
        return money_array(values)
    if kind == schemas.TIMESTAMP:
        return pa.array(canonical.parse_seconds(values), pa.timestamp("s"))
    return pa.array((canonical.parse_seconds(values) // 86400).astype(np.int32), pa.date32())


def _arrow_slow(column, values):
    kind = column.kind
    if kind in (schemas.ID, schemas.TEXT, schemas.ENUM):
        return pa.array(values, pa.string())
    if kind == schemas.INT:
        return pa.array(values, pa.int64())
    if kind == schemas.MONEY:
        return money_array(values)
    stamps = np.array([v.encode() for v in values])
    if kind == schemas.TIMESTAMP:
        return pa.array(canonical.parse_seconds(stamps), pa.timestamp("s"))
    return pa.array((canonical.parse_seconds(stamps) // 86400).astype(np.int32), pa.date32())


# --- one map task: a work item (a landed file, or a range of its records) -> tagged lines

class _Limited:
    """The first `n` bytes of a stream."""

    def __init__(self, stream, n):
        self.stream, self.left = stream, n

    def read(self, n):
        block = self.stream.read(min(n, self.left)) if self.left > 0 else b""
        self.left -= len(block)
        return block


class _Ended(io.RawIOBase):
    """A raw stream that reads as ended once closed: WebHDFS's response closes itself at its
    last byte, and gzip reads on to look for another member."""

    def __init__(self, raw):
        self.raw = raw

    def readable(self):
        return True

    def readinto(self, b):
        if self.raw.closed:
            return 0
        data = self.raw.read(len(b))
        b[:len(data)] = data
        return len(data)


def _buffered(raw):
    return raw if hasattr(raw, "peek") else io.BufferedReader(_Ended(raw), 1 << 20)


def _decompressed(raw):
    """A binary stream of `raw`'s CSV bytes, decompressed by its content (gzip, bz2 or plain)."""
    raw = _buffered(raw)
    magic = raw.peek(3)[:3]
    if magic[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if magic == b"BZh":
        return bz2.BZ2File(raw, "rb")
    return raw


def open_landed(path):
    """A binary stream of a local landed file's CSV bytes, decompressed by its content (gzip,
    bz2 or plain), whatever its name."""
    return _decompressed(open(path, "rb"))


@contextlib.contextmanager
def open_item(item):
    """The CSV bytes of a work item: the whole landed file (decompressed), or the bytes
    ``[start, end)`` of a plain one. Local paths are read directly; ``hdfs://`` URIs through
    WebHDFS, asking the NameNode for the range only (no copy of the file first)."""
    uri, start, end, bz2_spec = item["uri"], item["start"], item["end"], item.get("bz2")
    length = None if end is None else end - start
    offset, size = (start, length) if bz2_spec is None else (bz2_spec["bit"] // 8, None)
    with contextlib.ExitStack() as stack:
        if layout.is_hdfs(uri):
            from ecomsuite.hadoop import webhdfs
            client = webhdfs.client(url=item.get("webhdfs"), uri=uri)
            raw = _buffered(stack.enter_context(client.read(webhdfs.hdfs_path(uri),
                                                            offset=offset, length=size)))
        else:
            raw = stack.enter_context(open(uri, "rb"))
            raw.seek(offset)
        if item["ranges"] == 1:
            yield stack.enter_context(_decompressed(raw))
        else:
            stream = raw if bz2_spec is None else _Bz2Range(raw, bz2_spec)
            yield _Limited(stream, length) if length is not None else stream


def ingest_item(item, part_rows=PART_ROWS):
    """The tagged output lines (str) of one work item (see the module's docstring)."""
    dataset, k = item["dataset"], item["range"]
    tag = {"dataset": dataset, "day": item["day"], "source": item["source"], "range": k}
    parser = FileParser(schemas.DATASETS[dataset])
    refused = None
    seq = 0
    pending, pending_rows = [], 0
    hashed = None

    def part(tables):
        nonlocal seq
        table = pa.concat_tables(tables)
        sink = pa.BufferOutputStream()
        canonical.write_table(table, sink)
        data = sink.getvalue().to_pybytes()
        line = json.dumps({"kind": "part", **tag, "seq": seq, "rows": table.num_rows,
                           "data": base64.b64encode(data).decode("ascii")})
        seq += 1
        return line

    try:
        if item.get("header") is not None:
            parser.use_header(base64.b64decode(item["header"]))
        with open_item(item) as stream:
            hashed = Hashed(stream)
            for table in parser.tables(hashed, item["first_line"], at_start=item["start"] == 0):
                pending.append(table)
                pending_rows += table.num_rows
                while pending_rows >= part_rows:
                    whole = pa.concat_tables(pending)
                    yield part([whole.slice(0, part_rows)])
                    rest = whole.slice(part_rows)
                    pending, pending_rows = ([rest] if rest.num_rows else []), rest.num_rows
    except Refused as e:
        refused = str(e)
    except (OSError, EOFError) as e:  # a truncated or corrupt gzip/bz2 file
        refused = f"cannot be read or decompressed ({e})"
    if refused is None:
        if pending_rows:
            yield part(pending)
        for line, reason, raw in parser.rejects:
            yield json.dumps({"kind": "reject", **tag, "line": line, "reason": reason,
                              "record": raw.decode("utf-8", "surrogateescape")})
    yield json.dumps({
        "kind": "file", **tag, "ranges": item["ranges"],
        "csv_bytes": hashed.bytes if hashed else 0,
        "csv_sha256": hashed.sha256.hexdigest() if hashed else None,
        "records": parser.records, "valid": parser.valid,
        "rejected": dict(sorted(parser.rejected.items())), "header_lines": parser.header_lines,
        "blank_lines": parser.blank_lines, "extra_columns": parser.extra_columns,
        "headerless": parser.headerless, "parts": seq, "refused": refused})


# --- bz2 by blocks ------------------------------------------------------------------------
# A bz2 stream is "BZh<level>", then blocks, each starting with a 48-bit magic and its
# 32-bit CRC, at any bit position; then a 48-bit end magic, the CRC of the stream (each
# block's CRC folded in: rotate left 1, xor) and padding to a byte. A range starting at
# block b is decompressed from a stream made of that header, the bits from block b to the
# end magic, and an end with the CRC of blocks b.. (what Hadoop's splittable bzip2 codec
# reads, without the JVM). One stream per file only: a file of several is read whole.

BZ2_BLOCK_MAGIC = 0x314159265359
BZ2_END_MAGIC = 0x177245385090


def _bit_finds(data, magic):
    """Every bit offset of the 48-bit `magic` in `data` (bytes), in order."""
    found = []
    for shift in range(8):
        window = (magic << (8 - shift)).to_bytes(7, "big")     # the magic at bit `shift`
        inner = window[1:6] if shift else window[:6]
        at = data.find(inner)
        while at >= 0:
            first = at - 1 if shift else at
            if first >= 0 and first + 7 <= len(data) + (0 if shift else 1):
                bits = int.from_bytes(data[first:first + 7].ljust(7, b"\0"), "big")
                if (bits >> (8 - shift)) & ((1 << 48) - 1) == magic:
                    found.append(first * 8 + shift)
            at = data.find(inner, at + 1)
    return sorted(found)


def _bits_at(data, bit, n):
    first = bit // 8
    last = (bit + n + 7) // 8
    value = int.from_bytes(data[first:last], "big")
    return (value >> (last * 8 - bit - n)) & ((1 << n) - 1)


def _fold_crcs(crcs):
    combined = 0
    for crc in crcs:
        combined = (((combined << 1) | (combined >> 31)) & 0xFFFFFFFF) ^ crc
    return combined


class _Bz2Blocks:
    """The blocks of a one-stream bz2 file: bit offsets, decompressed starts and CRCs."""

    def __init__(self, data):
        if data[:3] != b"BZh" or not b"1" <= data[3:4] <= b"9":
            raise ValueError("not a bz2 stream")
        self.level = data[3:4]
        self.bits = _bit_finds(data, BZ2_BLOCK_MAGIC)
        ends = [e for e in _bit_finds(data, BZ2_END_MAGIC) if (e + 80 + 7) // 8 == len(data)]
        if not ends or not self.bits or self.bits[0] != 32:
            raise ValueError("not one bz2 stream")
        self.end = ends[-1]
        self.bits = [b for b in self.bits if b < self.end]
        self.crcs = [_bits_at(data, b + 48, 32) for b in self.bits]
        if _fold_crcs(self.crcs) != _bits_at(data, self.end + 48, 32):
            raise ValueError("several bz2 streams, or a block magic inside a block")
        self.starts = []   # decompressed offset of each block, filled by decompress()

    def decompress(self, data):
        """Yield the decompressed bytes block by block, noting where each block starts."""
        d = bz2.BZ2Decompressor()
        total = 0
        cuts = [(b + 7) // 8 for b in self.bits[1:]] + [len(data)]
        fed = 0
        for cut in cuts:
            self.starts.append(total)
            out = d.decompress(data[fed:cut])
            fed = cut
            while not d.eof and (more := d.decompress(b"")):   # what it held back
                out += more
            total += len(out)
            yield out
        if not d.eof:
            raise ValueError("a bz2 stream that does not end")

    def item(self, start):
        """How a task reads from decompressed offset `start`: the block holding it."""
        b = max(i for i, s in enumerate(self.starts) if s <= start)
        return {"level": self.level.decode(), "bit": self.bits[b], "bits": self.end - self.bits[b],
                "crc": _fold_crcs(self.crcs[b:]), "skip": start - self.starts[b]}


class _Bz2Range:
    """A readable stream of the decompressed bytes of a bz2 range (see _Bz2Blocks.item),
    from the compressed bytes `raw` (positioned at the byte holding the range's first bit)."""

    def __init__(self, raw, spec):
        self.raw, self.spec = raw, spec
        self.skip_bits, self.left_bits = spec["bit"] % 8, spec["bits"]
        self.carry = np.zeros(0, dtype=np.uint8)
        self.d = bz2.BZ2Decompressor()
        self.out = self.d.decompress(b"BZh" + spec["level"].encode())
        self.skip = spec["skip"]
        self.done = False

    def _more(self):
        if self.left_bits <= 0:
            tail = np.concatenate([self.carry, _bits_array(BZ2_END_MAGIC, 48),
                                   _bits_array(self.spec["crc"], 32)])
            self.done = True
            return np.packbits(tail).tobytes()
        chunk = self.raw.read(1 << 20)
        if not chunk:
            raise EOFError("the bz2 file ends before its end magic")
        bits = np.unpackbits(np.frombuffer(chunk, dtype=np.uint8))
        bits = bits[self.skip_bits:self.skip_bits + self.left_bits]
        self.skip_bits = 0
        self.left_bits -= len(bits)
        bits = np.concatenate([self.carry, bits])
        whole = len(bits) // 8 * 8
        self.carry = bits[whole:]
        return np.packbits(bits[:whole]).tobytes()

    def read(self, n):
        while len(self.out) < n + self.skip and not self.d.eof:
            more = self.d.decompress(b"" if self.done else self._more())
            if self.done and not more:
                break
            self.out += more
        if self.skip:
            dropped = min(self.skip, len(self.out))
            self.out, self.skip = self.out[dropped:], self.skip - dropped
        block, self.out = self.out[:n], self.out[n:]
        return block


def _bits_array(value, n):
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


class _Chunks:
    """A readable stream over an iterator of byte strings."""

    def __init__(self, chunks):
        self.chunks, self.buf = iter(chunks), b""

    def read(self, n):
        while len(self.buf) < n:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buf += chunk
        block, self.buf = self.buf[:n], self.buf[n:]
        return block


# --- the pre-pass: which files split, and where ----------------------------------------

class Scan:
    """What the pre-pass learnt of a plain landed file: the record-aligned ranges it splits
    into (``[(start, first_line)]``), its first record (the header), its size and SHA-256;
    ``whole`` (with its reason) when it must be read by one task."""

    def __init__(self):
        self.ranges, self.header, self.whole = [(0, 1)], None, None
        self.bytes, self.sha256 = 0, hashlib.sha256()


def scan_for_splits(stream, split_bytes, block_bytes=BLOCK_BYTES):
    """Read a plain file once and find where it splits. A range starts at the first record
    start at or after its offset (the record straddling the offset belongs to the range
    before, whose task reads to its end: LineRecordReader's rule), so no record is lost or
    cut. A line end ends a record when the quotes before it, from the file's start, are
    even (the parser's own rule, :func:`split_records`): a line break inside quotes is no
    place to split, and after a quote never closed there is none."""
    scan = Scan()
    offset = lines = 0        # bytes before `buf`, line ends before it
    odd = False               # inside quotes at `buf`'s start
    target = split_bytes      # the next range starts at the first record start >= target
    carry = head = b""
    while True:
        block = stream.read(block_bytes)
        scan.sha256.update(block)
        scan.bytes += len(block)
        buf = carry + block
        eof = not block
        if not eof and buf.endswith(b"\r"):  # a CR whose LF may come next
            buf, carry = buf[:-1], buf[-1:]
        else:
            carry = b""
        if not buf:
            if eof:
                break
            continue
        a = np.frombuffer(buf, dtype=np.uint8)
        quotes = np.flatnonzero(a == _QUOTE)
        lf = np.flatnonzero(a == _NL)
        cr = np.flatnonzero(a == _CR)
        lone = cr[(cr + 1 >= len(a)) | (a[np.minimum(cr + 1, len(a) - 1)] != _NL)]
        ends = np.sort(np.concatenate([lf, lone]))      # the last byte of each line end
        # the line ends that end a record: an even number of quotes before them
        record_ends = np.flatnonzero((np.searchsorted(quotes, ends) & 1) == odd)
        if scan.header is None:  # the first record that is not blank: the header (or data)
            head += buf
            for record in _LINE.finditer(head, 3 if head.startswith(UTF8_BOM) else 0):
                if record.group(1):
                    scan.header = record.group(1)
                    break
        starts = offset + ends[record_ends] + 1          # record starts after each record end
        while True:
            i = int(np.searchsorted(starts, target))
            if i == len(starts):
                break
            scan.ranges.append((int(starts[i]), lines + int(record_ends[i]) + 2))
            target = int(starts[i]) + split_bytes
        odd = bool((len(quotes) & 1) ^ odd)
        lines += len(ends)
        offset += len(buf)
        if eof:
            break
    if scan.ranges[-1][0] >= scan.bytes:                 # a start after the last line end
        scan.ranges.pop()
    if scan.header is None and len(scan.ranges) > 1:
        scan.whole = "only blank lines before its last"
    return scan


# --- the driver: plan, run the job, split and publish ----------------------------------

class IngestError(Exception):
    """A problem the user can fix (nothing landed, a bad day, a runner that failed)."""


def day_key(day):
    """How a partition's day is spelled in the job's lines and manifests."""
    return day.isoformat() if day is not None else layout.SNAPSHOT_PARTITION


class Partition:
    """One (dataset, day) to ingest: a landing day's files, or (day None) a snapshot's.

    ``identity``: what the input was (the day's commit, or the snapshot's files with
    their sizes and times); a partition whose manifest has the same is up to date."""

    def __init__(self, dataset, day, files, sources, sizes, identity):
        self.dataset, self.day, self.files = dataset, day, files
        self.sources, self.sizes, self.identity = sources, sizes, identity
        self.scans = {}   # source -> the pre-pass's Scan of a file split into ranges

    def ranges(self, source):
        scan = self.scans.get(source)
        return len(scan.ranges) if scan else 1

    @classmethod
    def of_day(cls, data, dataset, day, commit):
        landed = commit.files(dataset)
        return cls(dataset, day, data.day_files(dataset, day, commit), [f.path for f in landed],
                   {f.path: f.bytes for f in landed}, {"seq": commit.seq, "run_id": commit.run_id})

    @classmethod
    def of_snapshot(cls, data, dataset, how_to_make=""):
        entries = data.snapshot_files(dataset, how_to_make)
        return cls(dataset, None, [data.store.join(data.snapshot_dir(dataset), n) for n, _ in entries],
                   [n for n, _ in entries], {n: e.size for n, e in entries},
                   {"snapshot": [[n, e.size, e.mtime] for n, e in entries]})

    @property
    def name(self):
        return f"{self.dataset}/{layout.partition_name(self.day)}"


def plan(data, days=None, datasets=None, force=False, how_to_make=""):
    """([Partition] to ingest, [(name, why skipped)]). A snapshot dataset that is missing or
    incomplete is skipped, saying why (and `how_to_make` it)."""
    datasets = list(datasets or schemas.DATASETS)
    if not data.has_landing():  # a snapshot root: one partition per dataset
        todo, skipped = [], []
        for name in datasets:
            try:
                part = Partition.of_snapshot(data, name, how_to_make)
            except layout.LayoutError as e:
                skipped.append((f"{name}/{layout.SNAPSHOT_PARTITION}", str(e)))
                continue
            manifest = None if force else data.ingest_manifest(name, None)
            if manifest and manifest.landing_commit == part.identity:
                skipped.append((part.name, UP_TO_DATE))
            else:
                todo.append(part)
        return todo, skipped
    good, skipped_days = data.complete_days(days)
    if days is None and not good:
        raise IngestError(f"{data.landing()} has no complete day to ingest: land some with "
                          "`make generate-data` or `ecom-land`")
    todo, skipped = [], [(layout.day_name(d), why) for d, why in skipped_days]
    for day, commit in good:
        for name in datasets:
            part = Partition.of_day(data, name, day, commit)
            if not force:
                manifest = data.ingest_manifest(name, day)
                if manifest and manifest.landing_commit == part.identity:
                    skipped.append((part.name, UP_TO_DATE))
                    continue
            todo.append(part)
    return todo, skipped


def work_items(data, partitions, split_bytes, say=lambda text: None):
    """The job's work items, in order: per landed file, the whole file, or (a plain or bz2
    file larger than `split_bytes`, split by the pre-pass between records)
    one item per range of whole records (for bz2: of about `split_bytes` decompressed
    bytes, from the block holding its start). Records each split file's Scan in its
    Partition."""
    items = []
    url = None
    if layout.is_hdfs(data.root):
        from ecomsuite.hadoop import webhdfs
        url = webhdfs.namenode_web_url(data.root)
    for p in partitions:
        for path, source in zip(p.files, p.sources):
            uri = path if layout.is_hdfs(path) else os.path.abspath(path)
            base = {"uri": uri, "dataset": p.dataset, "day": day_key(p.day), "source": source,
                    "webhdfs": url}
            whole = {**base, "range": 0, "ranges": 1, "start": 0, "end": None,
                     "first_line": 1, "header": None, "bytes": p.sizes[source]}
            if p.sizes[source] <= split_bytes:
                items.append(whole)
                continue
            started = time.time()
            with data.store.open_read(path) as raw:
                stream = _buffered(raw)
                magic = stream.peek(3)[:3]
                blocks = scan = None
                if magic[:2] == b"\x1f\x8b":
                    why = "gzip cannot split"
                elif magic == b"BZh":
                    compressed = stream.read()
                    try:
                        blocks = _Bz2Blocks(compressed)
                        scan = scan_for_splits(_Chunks(blocks.decompress(compressed)),
                                               split_bytes)
                        why = scan.whole
                    except (ValueError, OSError, EOFError) as e:
                        why = f"bz2 read whole: {e}"
                    del compressed
                else:
                    scan = scan_for_splits(stream, split_bytes)
                    why = scan.whole
            if why:
                say(f"  {p.dataset}/{day_key(p.day)}/{source}: read whole ({why})")
                items.append(whole)
                continue
            p.scans[source] = scan
            n = len(scan.ranges)
            header = base64.b64encode(scan.header).decode("ascii")
            for k, (start, line) in enumerate(scan.ranges):
                end = scan.ranges[k + 1][0] if k + 1 < n else None
                items.append({**base, "range": k, "ranges": n, "start": start, "end": end,
                              "first_line": line, "header": header if k else None,
                              "bz2": blocks.item(start) if blocks else None,
                              "bytes": (scan.bytes if end is None else end) - start})
            say(f"  {p.dataset}/{day_key(p.day)}/{source}: {scan.bytes / 1e6:,.1f} MB in {n} "
                f"ranges (pre-pass {time.time() - started:.1f} s)")
    return items


def bundle(items, split_bytes, cores=None):
    """The work items grouped into map tasks, each a list of items in their order
    (ecomsuite.layout's task_groups of their bytes): many small landed files cost a few
    tasks, not one each, and the tasks are about equal for the cores."""
    groups = layout.task_groups([item["bytes"] for item in items], split_bytes, cores)
    return [[items[i] for i in group] for group in groups]


def write_items(tasks, folder):
    """One small JSON file per map task (its work items, a list; the job's inputs, in
    order); their paths."""
    paths = []
    for i, task in enumerate(tasks):
        path = os.path.join(folder, f"items-{i:06d}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(task, f)
        paths.append(path)
    return paths


def choose_runner(data_root, tasks):
    """The runner for `runner=None`: hadoop for HDFS; for a local folder the local runner
    (a process per core) when there is more than one map task, else inline (one
    process, no start-up per task)."""
    if layout.is_hdfs(data_root):
        return "hadoop"
    return "local" if len(tasks) > 1 else "inline"


def run_job(inputs, runner, part_rows, extra_args=(), job_class=None, counters=None):
    """Run the ingest job (jobs/mr_ingest.py, or `job_class`) over `inputs`; yield its output
    lines (str); `counters` (a list) gets the runner's counters per step."""
    from ecomsuite import pipeline
    if job_class is None:
        from jobs.mr_ingest import MRIngest as job_class
    if runner == "hadoop":
        pipeline.prepare_hadoop_runner()
    job = job_class(args=[*pipeline.runner_args(runner), "--part-rows", str(part_rows),
                          *extra_args, *inputs])
    with job.make_runner() as mr_runner:
        mr_runner.run()
        for _, line in job.parse_output(mr_runner.cat_output()):
            yield line
        if counters is not None:
            counters.extend(mr_runner.counters())


def quarantine_line(record):
    """One quarantine record as JSON text; a record that is not UTF-8 keeps its bytes as
    \\udcXX escapes (Python: ``record.encode("utf-8", "surrogateescape")``)."""
    text = json.dumps(record, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(record)
    return text


class _PartitionWriter:
    """Collects one partition's job output and publishes it."""

    def __init__(self, data, partition, version):
        self.data, self.p, self.version = data, partition, version
        self.store = data.store
        self.canonical = data.canonical_versions(partition.dataset, partition.day)
        self.temp = self.canonical.temp(version)
        self.parts = []       # dicts, with their (source index, range, seq)
        self.rejects = []     # (source index, line, json line)
        self.files = {}       # source -> {range: its file record}
        self.index = {s: i for i, s in enumerate(partition.sources)}

    def add(self, record):
        kind = record["kind"]
        source = record["source"]
        if source not in self.index:
            raise IngestError(f"{self.p.name}: the job read {source}, which the day's commit "
                              "does not name")
        i = self.index[source]
        k = record.get("range", 0)
        if kind == "part":
            data = base64.b64decode(record["data"])
            # a split file's parts are numbered in file order once every range is in
            name = layout.canonical_part_name(i, record["seq"]) \
                if self.p.ranges(source) == 1 else f"_range-{i:05d}-{k:05d}-{record['seq']:05d}"
            self.store.makedirs(self.temp)
            path = self.store.join(self.temp, name)
            self.store.delete(path)
            self.store.write_bytes(path, data)
            self.parts.append({"name": name, "rows": record["rows"], "bytes": len(data),
                               "sha256": hashlib.sha256(data).hexdigest(),
                               "at": (i, k, record["seq"])})
        elif kind == "reject":
            self.rejects.append((i, record["line"], quarantine_line(
                {"source": source, "line": record["line"], "reason": record["reason"],
                 "record": record["record"]})))
        else:
            ranges = self.files.setdefault(source, {})
            if k in ranges:
                raise IngestError(f"{self.p.name}: {source} (range {k}) was reported twice")
            ranges[k] = record

    def file(self, source):
        """The file record of `source`, its ranges' records summed; None if one is missing."""
        ranges = self.files.get(source, {})
        n = self.p.ranges(source)
        if sorted(ranges) != list(range(n)):
            return None
        if n == 1:
            return ranges[0]
        got = [ranges[k] for k in range(n)]
        scan = self.p.scans[source]
        rejected = Counter()
        for f in got:
            rejected.update(f["rejected"])
        return {"csv_bytes": scan.bytes, "csv_sha256": scan.sha256.hexdigest(),
                "rejected": dict(sorted(rejected.items())),
                **{key: sum(f[key] for f in got) for key in
                   ("records", "valid", "header_lines", "blank_lines")},
                "extra_columns": next((f["extra_columns"] for f in got if f["extra_columns"]), []),
                "headerless": any(f["headerless"] for f in got),
                "refused": next((f["refused"] for f in got if f["refused"]), None)}

    def refused(self):
        files = {s: self.file(s) for s in self.files}
        return [(s, f["refused"]) for s, f in sorted(files.items()) if f and f.get("refused")]

    def manifest(self, runner, run_id):
        files = {s: self.file(s) for s in self.p.sources}
        missing = [s for s, f in files.items() if f is None]
        if missing:
            raise IngestError(f"{self.p.name}: no result for {', '.join(missing)}")
        rejected = Counter()
        sources = []
        for s in self.p.sources:
            f = files[s]
            rejected.update(f["rejected"])
            n_rejected = sum(f["rejected"].values())
            if f["valid"] + n_rejected != f["records"]:
                raise IngestError(f"{self.p.name}: {s}: valid + rejected != records")
            sources.append({k: f[k] for k in ("csv_bytes", "csv_sha256", "records", "valid",
                                              "header_lines", "blank_lines", "extra_columns",
                                              "headerless")}
                           | {"path": s, "bytes": self.p.sizes[s], "rejected": n_rejected,
                              "compression": layout.compression_of(s)})
        parts = sorted(self.parts, key=lambda p: p["name"])
        valid = sum(f["valid"] for f in files.values())
        if sum(p["rows"] for p in parts) != valid:
            raise IngestError(f"{self.p.name}: the parts hold {sum(p['rows'] for p in parts)} "
                              f"rows, the files {valid} valid ones")
        return layout.IngestManifest(
            dataset=self.p.dataset, day=day_key(self.p.day), landing_commit=self.p.identity,
            records=sum(f["records"] for f in files.values()), valid=valid,
            rejected=sum(rejected.values()), rejected_by_reason=dict(sorted(rejected.items())),
            header_lines=sum(f["header_lines"] for f in files.values()),
            blank_lines=sum(f["blank_lines"] for f in files.values()),
            sources=sources, parts=[{k: v for k, v in p.items() if k != "at"} for p in parts],
            run={"run_id": run_id, "runner": runner, "ingested_at": time.time(),
                 "version": self.version})

    def name_parts(self):
        """Give a split file's parts their names, in file order (range, then part)."""
        seen = Counter()
        for part in sorted(self.parts, key=lambda p: p["at"]):
            i = part["at"][0]
            name = layout.canonical_part_name(i, seen[i])
            seen[i] += 1
            if part["name"] != name:
                self.store.rename(self.store.join(self.temp, part["name"]),
                                  self.store.join(self.temp, name))
                part["name"] = name

    def publish(self, runner, run_id):
        """Quarantine version, then the canonical version (the commit). Returns the manifest."""
        if not self.parts:  # no valid row: one empty part, so readers still find the schema
            sink = pa.BufferOutputStream()
            canonical.write_table(canonical.arrow_schema(
                schemas.DATASETS[self.p.dataset]).empty_table(), sink)
            self.add({"kind": "part", "source": self.p.sources[0], "seq": 0, "rows": 0,
                      "data": base64.b64encode(sink.getvalue().to_pybytes())})
        self.name_parts()
        manifest = self.manifest(runner, run_id)
        quarantine = self.data.quarantine_versions(self.p.dataset, self.p.day)
        qtemp = quarantine.temp(self.version)
        self.store.makedirs(qtemp)
        lines = [text for _, _, text in sorted(self.rejects)]
        self.store.write_bytes(self.data.quarantine_path(qtemp),
                               "".join(t + "\n" for t in lines).encode("utf-8"))
        qfinal = quarantine.publish(qtemp, self.version)
        manifest.run["quarantine"] = self.data.quarantine_path(qfinal)
        self.store.makedirs(self.temp)
        final = self.canonical.publish(self.temp, self.version, manifest.to_json())
        self.canonical.prune(keep=2)
        quarantine.prune(keep=2)
        manifest.run["canonical"] = final
        return manifest

    def discard(self):
        self.store.delete(self.temp, recursive=True)


def ingest(data_root, runner=None, days=None, datasets=None, force=False,
           part_rows=PART_ROWS, progress=None, extra_args=(), how_to_make="", job_class=None,
           counters=None, split_bytes=SPLIT_BYTES):
    """Ingest the selected partitions in one job run. Returns (published manifests,
    [(partition, reason)] refused, [(partition, why)] skipped). A plain file larger than
    `split_bytes` is read by one map task per range of about that size (:func:`work_items`),
    and the items are grouped into tasks of about that size (:func:`bundle`). `runner`
    None: :func:`choose_runner`."""
    say = progress or (lambda text: None)
    data = layout.DataLayout(data_root)
    todo, skipped = plan(data, days, datasets, force, how_to_make)
    if not todo:
        return [], [], skipped
    inputs = [p for part in todo for p in part.files]
    size = sum(n for part in todo for n in part.sizes.values())
    say(f"ingesting {len(todo)} partition(s), {len(inputs)} landed file(s), "
        f"{size / 1e6:,.1f} MB ...")
    run_id = layout.new_id()
    writers = {(p.dataset, day_key(p.day)): _PartitionWriter(data, p, run_id) for p in todo}
    started = time.time()
    published, refused = [], []
    try:
        items = work_items(data, todo, split_bytes, say)
        tasks = bundle(items, split_bytes)
        runner = runner or choose_runner(data_root, tasks)
        say(f"  {len(items)} work item(s) in {len(tasks)} map task(s), on the {runner} runner")
        seen = 0
        with tempfile.TemporaryDirectory(prefix="ecom-ingest-items-") as folder:
            for line in run_job(write_items(tasks, folder), runner, part_rows, extra_args,
                                job_class, counters):
                record = json.loads(line)
                writers[(record["dataset"], record["day"])].add(record)
                if record["kind"] == "file":
                    seen += 1
                    say(f"  [{seen}/{len(items)}] {record['dataset']}/{record['day']}/"
                        f"{record['source']}"
                        + (f" (range {record['range'] + 1}/{record['ranges']})"
                           if record["ranges"] > 1 else "")
                        + f": {record['records']:,} records, {record['valid']:,} valid"
                        + (f"; REFUSED: {record['refused']}" if record["refused"] else ""))
        for key in sorted(writers):
            w = writers[key]
            problems = w.refused()
            if problems:
                w.discard()
                for source, why in problems:
                    refused.append((w.p.name, f"{source}: {why}"))
                continue
            published.append(w.publish(runner, run_id))
    except BaseException:
        for w in writers.values():
            w.discard()
        raise
    say(f"ingested in {time.time() - started:.1f} s")
    return published, refused, skipped


# --- command line ---------------------------------------------------------------------

def _days(text):
    first, sep, last = text.partition("..")
    try:
        a = layout.as_date(first)
        b = layout.as_date(last) if sep else a
    except layout.LayoutError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if b < a:
        raise argparse.ArgumentTypeError(f"{text}: the range ends before it starts")
    return [a + datetime.timedelta(i) for i in range((b - a).days + 1)]


def parse_args(argv):
    from ecomsuite import config
    parser = argparse.ArgumentParser(
        prog="ecom-ingest",
        description="Validate landed CSV files once: write each (dataset, day) partition's "
                    "valid rows as typed Parquet (<data>/canonical/), every rejected record "
                    "with its reason, file and line (<data>/quarantine/), and a manifest "
                    "(records = valid + rejected), published whole. One job run covers "
                    "every partition; partitions already ingested from the same landing "
                    "commit are skipped.")
    parser.add_argument("--data", default=layout.DEFAULT_DATA_ROOT,
                        help="data root holding landing/ (default: %(default)s; an "
                             "hdfs:/// URI with --runner hadoop)")
    parser.add_argument("--runner", choices=config.RUNNERS,
                        help="mrjob runner (default: hadoop for HDFS; for a local folder the "
                             "local runner, a process per core, when the landed bytes need "
                             "more than one map task of --split-bytes, else inline, one "
                             "process)")
    parser.add_argument("--days", type=_days, metavar="DAY[..DAY]",
                        help="only these landed days, e.g. 2025-06-01..2025-06-30 "
                             "(default: every complete day)")
    parser.add_argument("--datasets", default=",".join(schemas.DATASETS),
                        help="comma-separated datasets (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="ingest again partitions that are up to date")
    parser.add_argument("--part-rows", type=int, default=PART_ROWS,
                        help="rows per canonical Parquet part at most (default: %(default)s)")
    parser.add_argument("--split-bytes", type=int, default=SPLIT_BYTES, metavar="N",
                        help="a plain (or bz2) file larger than this is read by one map task "
                             "per range of about N bytes (split between records); gzip files "
                             "are read whole; small files are grouped into map tasks of about "
                             "N bytes (default: %(default)s, 128 MiB)")
    parser.add_argument("--quiet", action="store_true", help="print only problems")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document on stdout (the published partitions' "
                             "manifests, what was refused or skipped, the exit code) and "
                             "nothing else there")
    parser.add_argument("--verbose", action="store_true", help="show mrjob's own log")
    args = parser.parse_args(argv)
    args.datasets = args.datasets.split(",")
    unknown = [d for d in args.datasets if d not in schemas.DATASETS]
    if unknown:
        parser.error(f"unknown dataset(s) {', '.join(unknown)}; known: "
                     f"{', '.join(schemas.DATASETS)}")
    if args.part_rows < 1:
        parser.error("--part-rows must be at least 1")
    if args.split_bytes < 1:
        parser.error("--split-bytes must be at least 1")
    if args.runner is not None and layout.is_hdfs(args.data) != (args.runner == "hadoop"):
        parser.error(f"--data {args.data}: the hadoop runner reads HDFS (hdfs:///...), the "
                     "others local folders")
    return args


def summary(data_root, published, refused, skipped):
    data = layout.DataLayout(data_root)
    lines = []
    reasons = Counter()
    records = valid = 0
    for m in published:
        records += m.records
        valid += m.valid
        reasons.update(m.rejected_by_reason)
    if published:
        lines.append(f"{len(published)} partition(s) published: {records:,} records, "
                     f"{valid:,} valid, {records - valid:,} rejected")
        lines.append(f"  canonical data: {data.store.describe(data.store.join(data.root, layout.CANONICAL))}")
        lines.append(f"  quarantine:     {data.store.describe(data.store.join(data.root, layout.QUARANTINE))}"
                     f" holds {records - valid:,} rejected record(s) ({layout.QUARANTINE_FILE} "
                     "per partition: source, line, reason, the record verbatim)")
        if reasons:
            lines.append("  rejected by reason: " + ", ".join(
                f"{r}={n:,}" for r, n in sorted(reasons.items())))
        extra = sorted({(m.dataset, c) for m in published for s in m.sources
                        for c in s["extra_columns"]})
        if extra:
            lines.append("  extra columns ignored: " + ", ".join(f"{d}.{c}" for d, c in extra))
    up_to_date = [name for name, why in skipped if why == UP_TO_DATE]
    if up_to_date:
        lines.append(f"{len(up_to_date)} partition(s) already up to date (--force ingests them "
                     "again)")
    for name, why in skipped:
        if why != UP_TO_DATE:
            lines.append(f"skipped {name}: {why}")
    for name, why in refused:
        lines.append(f"REFUSED {name}: {why}; the partition is not published: fix or land the "
                     "file again")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(format="%(name)s: %(message)s")
    logging.getLogger("mrjob").setLevel(logging.INFO if args.verbose else logging.ERROR)
    from ecomsuite.console import Output
    out = Output(quiet=args.quiet, as_json=args.json, verbose=args.verbose, watch_mrjob=False)

    def document(code, published=(), refused=(), skipped=(), error=None):
        ran = {m.run["runner"] for m in published}
        out.document({"command": "ecom-ingest", "data": args.data,
                      "runner": ran.pop() if len(ran) == 1 else args.runner,
                      "exit_code": code, "error": error,
                      "published": [json.loads(m.to_json()) for m in published],
                      "refused": [{"partition": n, "why": w} for n, w in refused],
                      "skipped": [{"partition": n, "why": w} for n, w in skipped]})
        return code
    try:
        with out:   # on a terminal, a live bar over the files read; elsewhere a line each
            published, refused, skipped = ingest(
                args.data, args.runner, args.days, args.datasets, args.force, args.part_rows,
                out.say, split_bytes=args.split_bytes)
    except (IngestError, layout.LayoutError) as e:
        print(f"ecom-ingest: {e}", file=sys.stderr)
        return document(1, error=str(e))
    except Exception as e:  # the job failed: mrjob said why above
        from mrjob.step import StepFailedException
        if isinstance(e, StepFailedException):
            print(f"ecom-ingest: the ingest job failed: {e}", file=sys.stderr)
            return document(1, error=f"the ingest job failed: {e}")
        raise
    text = summary(args.data, published, refused, skipped)
    nothing = not published and not refused and skipped and \
        all(why != UP_TO_DATE for _, why in skipped)
    if text and not args.json and (not args.quiet or refused or nothing):
        print(text)
    elif text and args.json and (refused or nothing):
        print(text, file=sys.stderr)   # what went wrong, for a person reading the log
    if nothing:
        print(f"ecom-ingest: nothing to ingest in {args.data} (see above)", file=sys.stderr)
    code = 1 if nothing else EXIT_REFUSED if refused else 0
    return document(code, published, refused, skipped)


if __name__ == "__main__":
    sys.exit(main())
