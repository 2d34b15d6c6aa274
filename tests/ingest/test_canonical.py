"""The canonical form read back into the jobs' numpy convention equals DuckDB's reading of
the same Parquet files; a partition with no valid row still has a (empty) part."""

import duckdb
import numpy as np

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
    columns = canonical.read_columns(part, CLICKSTREAM, ("session_id", "timestamp", "action"))
    assert [len(c) for c in columns] == [0, 0, 0]
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{part}')").fetchall() == [(0,)]


def test_format_and_parse_seconds_round_trip():
    stamps = np.array([b"1970-01-01 00:00:00", b"2000-02-29 23:59:59", b"2099-12-31 00:00:01",
                       b"1900-03-01 12:00:00"])
    seconds = canonical.parse_seconds(stamps)
    assert seconds[0] == 0 and seconds[1] == 951868799
    assert canonical.format_seconds(seconds).tolist() == stamps.tolist()
