"""The canonical form read back into the jobs' numpy convention equals DuckDB's reading of
the same Parquet files; a partition with no valid row still has a (empty) part."""

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from ecomsuite import canonical, ingest, layout
from ecomsuite.schemas import CLICKSTREAM, CUSTOMERS, ORDERS
from tests.ingest.support import DAY, csv_bytes, land

ORDERS_LINES = [
    "ORD00001,CUST00001,LAPTOP001,Gaming Laptop,3,1299.99,3899.97,2025-06-01 00:00:00,COMPLETED,US-EAST",
    'ORD00002,CUST00002,BAG001,"Bag, ""big"" one",1,0.05,0.05,2024-02-29 23:59:59,RETURNED,LATAM',
    "ORD00003,CUST00003,PHONE001,Téléphone,1,999999999999.99,999999999999.99,1999-12-31 12:30:05,PENDING,EU-WEST",
]


def test_read_columns_equals_duckdb(tmp_path):
    land(tmp_path, {"orders": [("a.csv", csv_bytes("orders", ORDERS_LINES))],
                    "customers": [("a.csv", csv_bytes("customers", [
                        "CUST00001,Zoë,Ng,z@example.com,Paris,EU-WEST,2020-02-29,10.10,SILVER"]))]})
    ingest.ingest(str(tmp_path), "inline")
    data = layout.DataLayout(str(tmp_path))
    [orders] = data.canonical_parts("orders", [DAY])
    ids, name, qty, cents, stamp, status, region = canonical.read_columns(
        orders, ORDERS, ("order_id", "product_name", "quantity", "total_amount", "order_date",
                         "status", "region"))
    want = duckdb.sql(f"""SELECT order_id, product_name, quantity,
        CAST(total_amount * 100 AS BIGINT), strftime(order_date, '%Y-%m-%d %H:%M:%S'), status, region
        FROM read_parquet('{orders}')""").fetchall()
    got = list(zip(ids.tolist(), name.tolist(), qty.tolist(), cents.tolist(), stamp.tolist(),
                   status.tolist(), region.tolist()))
    assert [(a.decode(), b.decode(), c, d, e.decode(), ORDERS.column("status").values[f],
             ORDERS.column("region").values[g]) for a, b, c, d, e, f, g in got] == want
    assert status.dtype == np.int8 and cents.dtype == np.int64
    [customers] = data.canonical_parts("customers", [DAY])
    signup, first = canonical.read_columns(customers, CUSTOMERS, ("signup_date", "first_name"))
    assert signup.tolist() == [b"2020-02-29"] and first.tolist() == ["Zoë".encode()]


def test_a_partition_without_valid_rows_has_an_empty_part(tmp_path):
    land(tmp_path, {"clickstream": [("a.csv", csv_bytes("clickstream", ["bad,row"]))]})
    [m] = [m for m in ingest.ingest(str(tmp_path), "inline")[0] if m.dataset == "clickstream"]
    assert (m.valid, m.rejected) == (0, 1)
    [part] = layout.DataLayout(str(tmp_path)).canonical_parts("clickstream", [DAY])
    columns = canonical.read_columns(part, CLICKSTREAM, ("session_id", "timestamp", "action",
                                                         "product_id"), coded=("product_id",))
    assert [len(c) for c in columns] == [0, 0, 0, 0]
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{part}')").fetchall() == [(0,)]


def test_format_and_parse_seconds_round_trip():
    stamps = np.array([b"1970-01-01 00:00:00", b"2000-02-29 23:59:59", b"2099-12-31 00:00:01",
                       b"1900-03-01 12:00:00"])
    seconds = canonical.parse_seconds(stamps)
    assert seconds[0] == 0 and seconds[1] == 951868799
    assert canonical.format_seconds(seconds).tolist() == stamps.tolist()


def test_enum_and_coded_columns_from_dictionaries_that_differ_by_part_and_row_group(
        tmp_path):
    """Enum columns, and text columns asked for `coded`, are read dictionary-encoded and
    mapped through each chunk's own dictionary: parts whose dictionaries hold other
    values in another order, several row groups, and a part written without a
    dictionary all give DuckDB's values, through read_columns and iter_columns, a part
    or a bundle."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    statuses, regions = ORDERS.column("status").values, ORDERS.column("region").values
    schema = canonical.arrow_schema(ORDERS)

    def table(n, status_pick, region_pick, product_pick):
        rows = {c.name: [] for c in ORDERS.columns}
        for i in range(n):
            for name, value in (("order_id", f"ORD{i:05d}"), ("customer_id", "CUST1"),
                                ("product_id", product_pick(i)), ("product_name", "p"),
                                ("quantity", 1),
                                ("price", 1), ("total_amount", 1), ("order_date", i),
                                ("status", status_pick(i)), ("region", region_pick(i))):
                rows[name].append(value)
        return pa.table({c.name: pa.array(rows[c.name], type=schema.field(c.name).type)
                         for c in ORDERS.columns})

    a = tmp_path / "a.parquet"   # dictionary pages, the last statuses first, 3 row groups
    pq.write_table(table(700, lambda i: statuses[-1 - i % 2], lambda i: regions[i % 3],
                         lambda i: f"P{(i * 7) % 11}"), a,
                   row_group_size=300, use_dictionary=["status", "region"])
    b = tmp_path / "b.parquet"   # plain encoding: no dictionary in the file
    pq.write_table(table(50, lambda i: statuses[i % len(statuses)], lambda i: regions[-1],
                         lambda i: f"Pé{i % 3}"), b, use_dictionary=False)
    bundle = layout.write_bundle([str(a), str(b)], str(tmp_path / "bundle"))
    want = duckdb.sql(f"SELECT status, region FROM read_parquet(['{a}', '{b}'])").fetchall()

    def values(status, region):
        return [(statuses[s], regions[r]) for s, r in zip(status.tolist(), region.tolist())]

    cols = ("status", "region")
    assert values(*canonical.read_columns(bundle, ORDERS, cols)) == want
    assert values(*canonical.read_columns(str(a), ORDERS, cols)) == want[:700]
    batches = list(canonical.iter_columns(bundle, ORDERS, cols, batch_rows=300))
    assert [len(s) for s, _ in batches] == [300, 300, 100, 50]
    assert all(s.dtype == np.int8 and r.dtype == np.int8 for s, r in batches)
    assert sum((values(s, r) for s, r in batches), []) == want

    products = [p.encode() for (p,) in duckdb.sql(
        f"SELECT product_id FROM read_parquet(['{a}', '{b}'])").fetchall()]
    (coded,) = canonical.read_columns(bundle, ORDERS, ("product_id",), coded=("product_id",))
    assert isinstance(coded, canonical.Coded) and len(coded) == len(products) == 750
    assert coded.decoded().tolist() == products
    assert len(set(coded.values.tolist())) == 11 + 3      # distinct: P0..P10, Pé0..Pé2
    batches = list(canonical.iter_columns(bundle, ORDERS, ("product_id", "status"),
                                          batch_rows=300, coded=("product_id",)))
    assert sum((c.decoded().tolist() for c, _ in batches), []) == products
    assert sum((values(st, np.zeros(len(st), np.int8))
                for _, st in batches), []) == [(s, regions[0]) for s, _ in want]


@pytest.mark.parametrize("texts", [
    ["S0000001", "S0000002", "S0000003", "S0000004"],     # one length: the buffer as it is
    ["a", "bcd", "", "éü", "xy"],                          # lengths differ: padded
    ["same", "size", "here"],
    ["日本語x", "CUST1", "é", "CUST123456"],               # longest in bytes, not in letters
    ["", "", ""],
])
def test_fixed_width_is_each_value_as_bytes(texts):
    array = pa.array(texts, pa.string())
    want = [t.encode("utf-8") for t in texts]
    assert canonical.fixed_width(array).tolist() == want
    # a slice (an offset into the buffers), and a dictionary-encoded array
    assert canonical.fixed_width(array.slice(1, 2)).tolist() == want[1:3]
    assert canonical.fixed_width(array.dictionary_encode()).tolist() == want
    width = max(1, max(len(w) for w in want))
    assert canonical.fixed_width(array).dtype == np.dtype(f"S{width}")


def test_fixed_width_gathers_when_arrow_pads_to_letters_not_bytes(monkeypatch):
    """If Arrow's padding left values of other lengths (counting letters, as utf8_rpad
    does), the values are gathered from the unpadded buffers, not cut from the padded."""
    monkeypatch.setattr(canonical.pc, "ascii_rpad", canonical.pc.utf8_rpad)
    texts = ["éü", "a", "日本語x"]
    assert canonical.fixed_width(pa.array(texts, pa.string())).tolist() == \
        [t.encode("utf-8") for t in texts]


def test_fixed_width_of_a_column_with_nulls_gives_empty_bytes_for_them():
    array = pa.array(["ab", None, "c", "éüx"], pa.string())
    assert canonical.fixed_width(array).tolist() == [b"ab", b"", b"c", "éüx".encode()]


def test_epoch_days_and_civil_numbers_name_the_calendar_day():
    """What daily_revenue and customer_segments group and keep by: each second's day,
    as Python's calendar has it (leap days, the turn of centuries, before 1970)."""
    import datetime as dt

    from ecomsuite.jobbase import civil_numbers, epoch_days
    epoch = dt.datetime(1970, 1, 1)
    stamps = [dt.datetime(1900, 3, 1, 12), dt.datetime(1969, 12, 31, 23, 59, 59),
              dt.datetime(1970, 1, 1), dt.datetime(2000, 2, 29, 23, 59, 59),
              dt.datetime(2024, 12, 31, 0, 0, 1), dt.datetime(2100, 3, 1)]
    seconds = np.array([int((s - epoch).total_seconds()) for s in stamps], dtype=np.int64)
    assert civil_numbers(epoch_days(seconds)).tolist() == \
        [int(s.strftime("%Y%m%d")) for s in stamps]
