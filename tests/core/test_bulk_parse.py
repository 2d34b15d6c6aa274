"""The bulk (numpy) path of RowParser gives exactly what the per-line path gives.

Speed work must never change an answer: for any bytes, parsing a file with
``parse_file`` / ``parse_file_columns`` yields the same rows, in the same
order, and the same counts by reason as calling ``parse`` on each line.
"""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomsuite import rows as rows_mod
from ecomsuite.rows import RowParser
from ecomsuite.schemas import CLICKSTREAM, CUSTOMERS, ORDERS

# Every column of every dataset is read by some parser below, so every
# kind's bulk check is compared with its per-line converter.
PARSERS = [
    (ORDERS, ("total_amount", "status", "region")),
    (ORDERS, ORDERS.names),
    (CUSTOMERS, CUSTOMERS.names),
    (CLICKSTREAM, CLICKSTREAM.names),
    (CLICKSTREAM, ("session_id",)),
    (ORDERS, ()),
]

GOOD = {
    "orders": "ORD00001,CUST00001,LAPTOP001,Gaming Laptop,1,1299.99,1299.99,2025-01-15 14:23:45,COMPLETED,US-EAST",
    "customers": "CUST00001,John,Smith,john@example.com,New York,US-EAST,2023-05-12,1500.00,SILVER",
    "clickstream": "2025-02-01 10:15:00,SESSION00001,CUST00456,VIEW,product,LAPTOP001,mobile,45",
}

# Field values that sit on the edges of each check.
TRICKY = [
    "", "0", "00", "7", "12.5", "12.50", "12.505", ".5", "5.", "1.2.3", "-1", "+1", "1e3", " 1",
    "1 ", "999999999999999", "9999999999999999", "12;5", "1O", "٣", "COMPLETED", "completed",
    "US-EAST", "US-EASTX", "LATAM", "PURCHASE", "mobile", "tablet ", "SILVER", "DIAMOND",
    "2025-01-15 14:23:45", "2025-13-15 14:23:45", "2025-01-32 14:23:45", "2025-01-00 00:00:00",
    "1899-01-01 00:00:00", "2025-01-15 24:00:00", "2025-01-15 23:60:00", "2025-01-15 23:59:59",
    "2025-01-15T14:23:45", "2025-01-15 14:23:45 ", "2025-01-15", "2025-02-30", "2025-1-5",
    "x" * 31, "x" * 32, "x" * 33, "y" * 64, "y" * 65, "a\tb", "Zoë", "a\x00", "\x00",
    '"quoted"', '"a,b"', 'say "hi"', "\r", "ORD1", "S1", "10.001", "0.5",
    "1234567.89", "00012.30", "1.", "12.3.",
]


def corrupt(line, rnd):
    fields = line.split(",")
    choice = rnd.randrange(8)
    if choice == 0:
        fields[rnd.randrange(len(fields))] = rnd.choice(TRICKY)
    elif choice == 1:
        fields.insert(rnd.randrange(len(fields)), rnd.choice(TRICKY))
    elif choice == 2:
        del fields[rnd.randrange(len(fields))]
    elif choice == 3:
        return line.encode() + b"\r"
    elif choice == 4:
        return line.encode()[:rnd.randrange(len(line))] + b"\xff" + line.encode()[1:]
    elif choice == 5:
        return b""
    elif choice == 6:
        return ("\ufeff" + line).encode()
    return ",".join(fields).encode("utf-8")


def counts(p):
    return (p.valid, p.headers, p.blank, dict(p.malformed))


@pytest.fixture(autouse=True)
def bulk_for_any_size(monkeypatch):
    """These files are small: take the bulk path for them all the same."""
    monkeypatch.setattr(rows_mod, "BULK_MIN_BYTES", 0)


def check_same(tmp_path, dataset, columns, data):
    """parse() per line (the reference) vs the bulk path, rows and counts."""
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    want_parser = RowParser(dataset, columns)
    want = []
    with open(path, "rb") as f:
        for line in f:
            r = want_parser.parse(line)
            if r is not None:
                want.append(r)
    got_parser = RowParser(dataset, columns)
    got = [list(r) for r in got_parser.parse_file(str(path))]
    assert got == want
    assert counts(got_parser) == counts(want_parser)
    col_parser = RowParser(dataset, columns)
    n = sum(c.size + len(c.rows) for c in col_parser.parse_file_columns(str(path)))
    assert n == len(want)
    assert counts(col_parser) == counts(want_parser)


def make_file(dataset, seed, n=60, header=True, crlf=False):
    rnd = random.Random(seed)
    good = GOOD[dataset.name]
    lines = [dataset.header.encode()] if header else []
    for _ in range(n):
        lines.append(good.encode() if rnd.random() < 0.5 else corrupt(good, rnd))
        if rnd.random() < 0.05:
            lines.append(dataset.header.encode())
    end = b"\r\n" if crlf else b"\n"
    data = end.join(lines) + (end if rnd.random() < 0.7 else b"")
    return data


@pytest.mark.parametrize("dataset, columns", PARSERS, ids=lambda x: getattr(x, "name", None))
@pytest.mark.parametrize("seed", range(12))
def test_bulk_equals_per_line_on_corrupted_rows(tmp_path, dataset, columns, seed):
    check_same(tmp_path, dataset, columns, make_file(dataset, seed, crlf=seed % 4 == 3))


@pytest.mark.parametrize("dataset, columns", PARSERS, ids=lambda x: getattr(x, "name", None))
def test_every_tricky_value_in_every_column(tmp_path, dataset, columns):
    """Each edge value in each column, among good rows (so the bulk path sees it)."""
    good = GOOD[dataset.name]
    lines = [good.encode()]
    for i in range(len(dataset.columns)):
        for value in TRICKY:
            fields = good.split(",")
            fields[i] = value
            lines += [",".join(fields).encode("utf-8", "surrogatepass"), good.encode()]
    check_same(tmp_path, dataset, columns, b"\n".join(lines) + b"\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=6)), min_size=7,
                       max_size=11))
def test_bulk_equals_per_line_on_random_fields(tmp_path, fields):
    for dataset, columns in PARSERS:
        line = ",".join(fields).encode("utf-8", "surrogatepass")
        check_same(tmp_path, dataset, columns, line + b"\n" + GOOD[dataset.name].encode() + b"\n" + line)


def test_small_chunks_cut_only_at_newlines(tmp_path, monkeypatch):
    monkeypatch.setattr(rows_mod, "CHUNK_BYTES", 37)
    monkeypatch.setattr(rows_mod.read_chunks, "__defaults__", (37,))
    for seed in range(5):
        for dataset, columns in PARSERS:
            check_same(tmp_path, dataset, columns, make_file(dataset, seed, n=40))


def test_bulk_path_takes_the_common_line(tmp_path):
    """The speed is real: plain generated rows go through the bulk checks."""
    path = tmp_path / "o.csv"
    path.write_bytes((ORDERS.header + "\n" + (GOOD["orders"] + "\n") * 100).encode())
    parser = RowParser(ORDERS, ORDERS.names)
    chunks = list(parser.parse_file_columns(str(path)))
    assert sum(c.size for c in chunks) == 100
    assert sum(len(c.rows) for c in chunks) == 0
    assert parser.headers == 1


@pytest.mark.parametrize("dataset, columns", PARSERS, ids=lambda x: getattr(x, "name", None))
def test_utf8_lines_bom_and_invalid_bytes(tmp_path, dataset, columns):
    """Valid UTF-8 lines go through the bulk path (a chunk that decodes), a BOM at a line's
    start and invalid UTF-8 anywhere in the chunk send lines back to parse()."""
    good = GOOD[dataset.name]
    utf8 = [",".join("Zoë-" + f if i in (1, 2, 3) else f for i, f in enumerate(good.split(",")))]
    utf8 += [",".join("é" * 40 if i == 1 else f for i, f in enumerate(good.split(",")))]
    lines = [(line).encode() for line in [good, *utf8, "\ufeff" + good, "\ufeff" + dataset.header]]
    check_same(tmp_path, dataset, columns, b"\n".join(lines) + b"\n")
    check_same(tmp_path, dataset, columns, b"\n".join(lines + [b"\xff" + lines[0]]) + b"\n")


def test_a_small_file_is_parsed_line_by_line(tmp_path, monkeypatch):
    monkeypatch.setattr(rows_mod, "BULK_MIN_BYTES", 1 << 20)
    path = tmp_path / "o.csv"
    path.write_bytes((ORDERS.header + "\n" + (GOOD["orders"] + "\n") * 10 + "x\n").encode())
    parser = RowParser(ORDERS, ("total_amount", "status", "region"))
    chunks = list(parser.parse_file_columns(str(path)))
    assert [(c.size, len(c.rows)) for c in chunks] == [(0, 10)]
    assert list(parser.chunk_rows(chunks[0])) == [[129999, "COMPLETED", "US-EAST"]] * 10
    assert (parser.valid, parser.headers, dict(parser.malformed)) == (
        10, 1, {"wrong_column_count": 1})


def test_group_sums_stay_exact_past_float_precision():
    import numpy as np
    keys = np.array([0, 1, 0, 2, 0])
    small = np.array([1, 2, 3, 4, 5], dtype=np.int64)
    assert rows_mod.group_sums(keys, small, 3).tolist() == [9, 2, 4]
    big = np.array([2**62, 7, 2**62 - 1, 1, 3], dtype=np.int64)  # float64 would round these
    assert rows_mod.group_sums(keys, big, 3).tolist() == [2**63 + 2, 7, 1]
    assert rows_mod.group_sums(np.array([], dtype=np.intp), np.array([], dtype=np.int64), 2) \
        .tolist() == [0, 0]


def test_buckets_agree_between_bulk_bytes_and_python_str():
    import numpy as np
    ids = ["SESSION00001", "S1", "x" * 31, "a,b", ""]
    arr = np.array([i.encode() for i in ids], dtype="S32")
    assert rows_mod.buckets_of(arr, 7).tolist() == [rows_mod.bucket_of(i, 7) for i in ids]


@pytest.mark.parametrize("money", [True, False])
def test_number_checks_agree_with_the_per_line_converters(money):
    """Both bulk number paths (by distinct value, and digit arithmetic) against parse_cents/_int,
    on every short numeric edge value."""
    import numpy as np
    values = [b"", b"0", b"00", b"7", b"12.5", b"12.50", b"12.505", b".5", b"5.", b"1.2.3", b"-1",
              b"+1", b"1e3", b" 1", b"1 ", b"99999999", b"9999.99", b"0.01", b"1O", b"12;5",
              b"00012.30", b"1.", b"12345678", b"1234567.", b"\xd9\xa3"]
    buf = b"".join(v + b"," for v in values)
    padded = np.frombuffer(bytes(rows_mod.PAD) + buf + bytes(rows_mod.PAD), dtype=np.uint8)
    starts, at = [], rows_mod.PAD
    for v in values:
        starts.append(at)
        at += len(v) + 1
    starts = np.array(starts, dtype=np.int64)
    lengths = np.array([len(v) for v in values], dtype=np.int64)
    convert = rows_mod.parse_cents if money else rows_mod._int
    want = [convert(v) for v in values]
    by_value = rows_mod._number_by_value(padded, starts, lengths, convert)
    arithmetic = rows_mod._number(padded, starts, lengths, money)
    for ok, got in (by_value, arithmetic):
        assert [int(g) if o else None for o, g in zip(ok.tolist(), got.tolist())] == want
