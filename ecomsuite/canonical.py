"""The canonical form: every valid row of a dataset, typed, in Parquet files.

The ingest stage (``ecomsuite.ingest``) writes it once; jobs and DuckDB read it.
One schema per dataset, from ``ecomsuite.schemas``:

    id, text, enum  -> string (enums dictionary-encoded)
    int             -> int64
    money           -> decimal(18, 2)  (exact; read as integer cents)
    timestamp       -> timestamp (no time zone; Parquet stores it in milliseconds)
    date            -> date32

Why Parquet (measured, docs/ingest.md): the typical job's read of its columns
into numpy is several times faster from Parquet than from a quote-free CSV
through the numpy bulk parser, and DuckDB reads it directly
(``read_parquet('data/canonical/orders/*/*/part-*.parquet')``).

Jobs read columns with :func:`iter_columns`, a row group at a time (:func:`read_columns`:
a whole part), as numpy arrays in the one convention the jobs use: enum -> int8 index into the column's values, int and
money -> int64 (money in cents), id and text -> fixed-width bytes (UTF-8),
timestamp -> fixed-width bytes ``YYYY-MM-DD HH:MM:SS`` (S19) (or, asked for, int64
seconds since the epoch), date -> S10; a text column asked for ``coded`` -> :class:`Coded`
(codes into the distinct values). Enum and coded columns are read dictionary-encoded:
their few distinct values are mapped once per chunk, not each row's text.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ecomsuite import layout, schemas
from ecomsuite.rows import days_from_civil

# Arrow's buffers from the C library's allocator, which gives a batch's memory back when
# it is freed: with Arrow's own pool (jemalloc or mimalloc) a task reading many batches
# kept about 40 MB more at its peak, and was no faster (docs/bench.md, "Memory on YARN").
pa.set_memory_pool(pa.system_memory_pool())

MONEY_TYPE = pa.decimal128(18, 2)
ARROW_TYPES = {
    schemas.ID: pa.string(), schemas.TEXT: pa.string(), schemas.ENUM: pa.string(),
    schemas.INT: pa.int64(), schemas.MONEY: MONEY_TYPE,
    schemas.TIMESTAMP: pa.timestamp("s"), schemas.DATE: pa.date32(),
}
# Parquet writer settings: fixed, so the same rows give the same bytes.
COMPRESSION = "zstd"
ROW_GROUP_ROWS = 256 * 1024
# Rows a bucketed job's map task reads at a time (iter_columns): one row group, so a
# task's batch is the same size at every scale.
BATCH_ROWS = ROW_GROUP_ROWS
PART_SUFFIX = ".parquet"


def arrow_schema(dataset):
    return pa.schema([(c.name, ARROW_TYPES[c.kind]) for c in dataset.columns])


def write_table(table, sink):
    """Write one canonical part (a path or a binary file object)."""
    enums = [c.name for c in _dataset_of(table).columns if c.kind == schemas.ENUM]
    pq.write_table(table, sink, compression=COMPRESSION, row_group_size=ROW_GROUP_ROWS,
                   use_dictionary=enums, write_statistics=True, store_schema=True)


def _dataset_of(table):
    names = tuple(table.schema.names)
    for d in schemas.DATASETS.values():
        if d.names == names:
            return d
    raise ValueError(f"not a canonical table: columns {names}")


# --- reading -------------------------------------------------------------------------

class Coded:
    """A text column read as codes (``coded=`` of read_columns and iter_columns): `codes`
    (int64, each row's index into `values`) and `values` (fixed-width bytes: the
    dictionary of each chunk read, one after the other, so a value may appear more than
    once). A job that groups by a column of few distinct values (product ids) takes its
    distinct values from `values` instead of sorting every row's text."""

    __slots__ = ("codes", "values")

    def __init__(self, codes, values):
        self.codes, self.values = codes, values

    def __len__(self):
        return len(self.codes)

    def decoded(self):
        """The rows' values, as read_columns gives a text column (fixed-width bytes)."""
        return self.values[self.codes]


def read_columns(path, dataset, columns, seconds=False, coded=()):
    """numpy arrays of `columns` of one canonical part, or of every part a bundle lists
    (``ecomsuite.layout.write_bundle``: the inline and local runners give a map task a
    bundle, not a task per part); see the module's conventions. With `seconds`,
    timestamp columns come as int64 seconds since the epoch (what Parquet stores), for
    a job that computes with times rather than text."""
    table = pq.read_table(part_paths(path), columns=list(columns),
                          use_threads=False, read_dictionary=_dictionaries(dataset, columns, coded))
    return _arrays(table, dataset, columns, seconds, coded)


def _dictionaries(dataset, columns, coded=()):
    """The columns read dictionary-encoded: the enums (Parquet stores them so; to_numpy
    maps the few dictionary values, not every row's text) and the `coded` ones."""
    return [name for name in columns
            if dataset.column(name).kind == schemas.ENUM or name in coded]


def _arrays(table, dataset, columns, seconds, coded=()):
    return [coded_column(table.column(name)) if name in coded else
            to_numpy(table.column(name), dataset.column(name), seconds) for name in columns]


def coded_column(chunked):
    """A string column read dictionary-encoded -> Coded (its chunks' dictionaries, one
    after the other, and each row's index into them)."""
    values, codes, offset = [], [], 0
    for chunk in chunked.chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary_encode()
        values.append(fixed_width(chunk.dictionary))
        codes.append(chunk.indices.to_numpy(zero_copy_only=False).astype(np.int64) + offset)
        offset += len(chunk.dictionary)
    return Coded(_concat(codes, np.int64), _concat(values, None))


def iter_columns(path, dataset, columns, seconds=False, batch_rows=None, coded=()):
    """read_columns of one part or bundle in batches of whole row groups, at most
    `batch_rows` rows each (default BATCH_ROWS; a row group larger than that is a batch
    of its own): a map task's memory is bounded by the batch, not by its input."""
    batch_rows = batch_rows or BATCH_ROWS
    for part in part_paths(path):
        with layout.local_part(part) as local, \
                pq.ParquetFile(local, read_dictionary=_dictionaries(dataset, columns, coded)) as f:
            batches, rows = [[]], 0
            for i in range(f.metadata.num_row_groups):
                n = f.metadata.row_group(i).num_rows
                if not n:
                    continue
                if batches[-1] and rows + n > batch_rows:
                    batches.append([])
                    rows = 0
                batches[-1].append(i)
                rows += n
            for groups in filter(None, batches):
                yield _read_groups(f, groups, dataset, columns, seconds, coded)


def _read_groups(f, groups, dataset, columns, seconds, coded):
    table = f.read_row_groups(groups, columns=list(columns), use_threads=False)
    return _arrays(table, dataset, columns, seconds, coded)


def count_rows(paths):
    """Rows of the canonical parts and bundles `paths` from their Parquet footers, local or
    in HDFS (over WebHDFS, the footers only), or None when one is neither (a directory, a
    raw file: the map task says so) or cannot be read."""
    total = 0
    try:
        for path in paths:
            for part in part_paths(path):
                with layout.store_for(part).open_seekable(part) as f:
                    total += pq.ParquetFile(f).metadata.num_rows
    except (OSError, ValueError, layout.LayoutError, pa.ArrowException):
        return None
    return total


def part_paths(path):
    """[path] for a canonical part, else the parts the bundle `path` lists
    (layout.write_bundle); either may be local or in HDFS."""
    with layout.store_for(path).open_seekable(path) as f:
        head = f.read(4)
        if head == b"PAR1":
            return [path]
        lines = (head + f.read()).decode("utf-8").splitlines()
    if not lines or lines[0] != layout.BUNDLE_MAGIC:
        raise ValueError(f"{path}: neither a canonical Parquet part nor a bundle of parts")
    return lines[1:]


def to_numpy(chunked, column, seconds=False):
    kind = column.kind
    if kind == schemas.ENUM:
        values = pa.array(column.values, pa.string())
        return _concat([_enum_codes(c, values) for c in chunked.chunks], np.int8).astype(np.int8)
    if kind == schemas.INT:
        return _concat([c.to_numpy(zero_copy_only=False) for c in chunked.chunks], np.int64)
    if kind == schemas.MONEY:
        return _concat([_decimal_cents(c) for c in chunked.chunks], np.int64)
    if kind == schemas.TIMESTAMP:
        # Parquet keeps seconds as milliseconds: back to seconds first
        stamps = _concat([c.cast(pa.timestamp("s")).cast(pa.int64()).to_numpy(zero_copy_only=False)
                          for c in chunked.chunks], np.int64)
        return stamps if seconds else format_seconds(stamps)
    if kind == schemas.DATE:
        days = _concat([c.cast(pa.int32()).to_numpy(zero_copy_only=False)
                        for c in chunked.chunks], np.int64)
        return format_seconds(days * 86400).astype("S10")
    return _concat([fixed_width(c) for c in chunked.chunks], None)


def _enum_codes(chunk, values):
    """An enum column's chunk -> each row's index in `values`. A dictionary-encoded chunk
    (how the canonical parts are read) maps its dictionary once and takes the codes by
    its indices: no text per row."""
    if pa.types.is_dictionary(chunk.type):
        codes = pc.index_in(chunk.dictionary, value_set=values).to_numpy(zero_copy_only=False)
        return codes[chunk.indices.to_numpy(zero_copy_only=False)]
    return pc.index_in(chunk, value_set=values).to_numpy(zero_copy_only=False)


def _concat(parts, dtype):
    if not parts:
        return np.zeros(0, dtype=dtype or "S1")
    if dtype is None:  # fixed-width bytes of different widths
        width = max(p.dtype.itemsize for p in parts)
        parts = [p.astype(f"S{width}") for p in parts]
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _decimal_cents(array):
    """decimal128(18, 2) -> int64 cents: the low 8 bytes of each 16-byte value."""
    buf = array.buffers()[1]
    words = np.frombuffer(buf, dtype="<i8")[2 * array.offset:2 * (array.offset + len(array))]
    return words[::2].copy()


def fixed_width(array):
    """A string array -> numpy fixed-width bytes (S<longest>), without Python objects."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    n = len(array)
    if n == 0:
        return np.zeros(0, dtype="S1")
    offsets, data = _string_buffers(array)
    lengths = np.diff(offsets)
    width = max(1, int(lengths.max()))
    uniform = int(lengths.min()) == width
    if not uniform and not array.null_count:
        # Arrow pads every string with NULs up to the longest (ascii_rpad counts bytes,
        # so UTF-8 text pads as well): numpy's padding, and the buffer is the matrix.
        # Used only if every padded value is `width` bytes; else the gather below.
        padded_offsets, padded_data = _string_buffers(pc.ascii_rpad(array, width, padding="\0"))
        if (np.diff(padded_offsets) == width).all():
            offsets, data, uniform = padded_offsets, padded_data, True
    if uniform:
        start = int(offsets[0])
        return data[start:start + n * width].copy().view(f"S{width}")
    starts = offsets[:-1].astype(np.int64)
    lengths = lengths.astype(np.int64)
    padded = np.concatenate([data, np.zeros(width, dtype=np.uint8)])
    m = np.lib.stride_tricks.sliding_window_view(padded, width)[starts]
    m = m * (np.arange(width) < lengths[:, None])
    return np.ascontiguousarray(m, dtype=np.uint8).view(f"S{width}").ravel()


def _string_buffers(array):
    """A string array's offsets (int32, one more than its rows) and data bytes."""
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset:array.offset + n + 1]
    data = array.buffers()[2]
    return offsets, (np.frombuffer(data, dtype=np.uint8) if data is not None
                     else np.zeros(0, np.uint8))


def civil_from_days(days):
    """Days since 1970-01-01 -> (year, month, day) int64 arrays (H. Hinnant's algorithm)."""
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + np.where(mp < 10, 3, -9)
    return y + (m <= 2), m, d


def format_seconds(seconds):
    """int64 seconds since the epoch -> S19 ``YYYY-MM-DD HH:MM:SS`` (vectorised)."""
    n = len(seconds)
    if not n:
        return np.zeros(0, dtype="S19")
    days, rest = np.divmod(seconds, 86400)
    # the calendar once per distinct day
    low = int(days.min())
    span = np.arange(low, int(days.max()) + 1, dtype=np.int64)
    y, mo, d = civil_from_days(span)
    table = np.empty((len(span), 10), dtype=np.uint8)
    for i, (value, div) in enumerate(((y, 1000), (y, 100), (y, 10), (y, 1))):
        table[:, i] = value // div % 10 + 48
    table[:, 4] = ord("-")
    table[:, 5], table[:, 6] = mo // 10 + 48, mo % 10 + 48
    table[:, 7] = ord("-")
    table[:, 8], table[:, 9] = d // 10 + 48, d % 10 + 48
    out = np.empty((n, 19), dtype=np.uint8)
    out[:, :10] = table[days - low]
    h, rest = np.divmod(rest, 3600)
    mi, s = np.divmod(rest, 60)
    out[:, 10] = ord(" ")
    out[:, 11], out[:, 12] = h // 10 + 48, h % 10 + 48
    out[:, 13] = ord(":")
    out[:, 14], out[:, 15] = mi // 10 + 48, mi % 10 + 48
    out[:, 16] = ord(":")
    out[:, 17], out[:, 18] = s // 10 + 48, s % 10 + 48
    return out.view("S19").ravel()


def parse_seconds(stamps):
    """S19 ``YYYY-MM-DD HH:MM:SS`` (already checked) -> int64 seconds since the epoch."""
    n = len(stamps)
    if not n:
        return np.zeros(0, dtype=np.int64)
    d = stamps.view(np.uint8).reshape(n, -1).astype(np.int64) - 48
    y = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    mo = d[:, 5] * 10 + d[:, 6]
    day = d[:, 8] * 10 + d[:, 9]
    days = days_from_civil(y, mo, day)
    if stamps.dtype.itemsize < 19:
        return days * 86400
    return days * 86400 + (d[:, 11] * 10 + d[:, 12]) * 3600 + (d[:, 14] * 10 + d[:, 15]) * 60 \
        + d[:, 17] * 10 + d[:, 18]


def dataset_of_part(path):
    """The Dataset whose canonical schema a Parquet part (or a bundle's first) has, or None."""
    paths = part_paths(path)
    if not paths:
        return None
    with layout.store_for(paths[0]).open_seekable(paths[0]) as f:   # the footer only
        names = tuple(pq.read_schema(f).names)
    for d in schemas.DATASETS.values():
        if d.names == names:
            return d
    return None
