"""The Parquet export: every valid row round-trips, partitions match dates, writes are atomic."""

import datetime
import glob
import json
import os
import shutil
from decimal import Decimal

import duckdb
import pyarrow.parquet as pq
import pytest

from ecomsuite import parquet_export, pipeline
from ecomsuite.schemas import DATASETS
from tests.helpers import append_lines, copy_dataset, dataset_files, read_csv_rows, write_lines

TYPED = {"int": int, "money": Decimal,
         "timestamp": lambda v: datetime.datetime.strptime(v, "%Y-%m-%d %H:%M:%S"),
         "date": datetime.date.fromisoformat}


def typed(row, dataset):
    """A CSV row (dict of strings) as the export types it."""
    return tuple(TYPED.get(c.kind, str)(row[c.name]) for c in DATASETS[dataset].columns)


def exported(dest, dataset):
    """Every exported row (DuckDB, hive partitions), and the partition of each."""
    con = duckdb.connect()
    names = ", ".join(DATASETS[dataset].names)
    pattern = "**/*.parquet" if dataset != "customers" else "*.parquet"
    extra = ", year, month, day" if dataset != "customers" else ""
    return con.execute(f"SELECT {names}{extra} FROM read_parquet('{dest}/{dataset}/{pattern}', "
                       "hive_partitioning = true, hive_types_autocast = false)").fetchall()


@pytest.fixture(scope="module")
def export(generated_data, tmp_path_factory):
    """The generated data with malformed rows added, exported once for the module."""
    root = copy_dataset(generated_data, tmp_path_factory.mktemp("raw"), *DATASETS)
    for name in DATASETS:
        open(os.path.join(root, name, "_SUCCESS"), "wb").close()
    orders = dataset_files(root, "orders")
    append_lines(orders[1], [
        "ORD99990,CUST00001,LAPTOP001,Gaming Laptop,1,1.00,1.00,2025-02-30 10:00:00,COMPLETED,LATAM",
        "ORD99991,CUST00001,LAPTOP001,Gaming Laptop,x,1.00,1.00,2025-06-01 10:00:00,COMPLETED,LATAM",
        "ORD99992,CUST00001,LAPTOP001,Gaming Laptop,1,1.00,1.00,2025-06-01 10:00:00,LOST,LATAM",
        "ORD99993,CUST00001,LAPTOP001,Gaming Laptop,1,1.00,2025-06-01 10:00:00,COMPLETED,LATAM",
        b"ORD99994,CUST00001,LAPTOP001,Caf\xe9,1,1.00,1.00,2025-06-01 10:00:00,COMPLETED,LATAM",
        "ORD99995,,LAPTOP001,Gaming Laptop,1,1.00,1.00,2025-06-01 10:00:00,COMPLETED,LATAM",
        'ORD99996,CUST00001,LAPTOP001,"Laptop, ""Gaming""",1,12345678901.00,1.00,'
        "2025-06-01 10:00:00,COMPLETED,LATAM",
        # valid rows with a quoted comma, and the header again
        'ORD99997,CUST00001,LAPTOP001,"Laptop, ""Gaming""",2,0.5,1,2025-06-01 23:59:59,SHIPPED,LATAM',
        DATASETS["orders"].header,
    ])
    dest = tmp_path_factory.mktemp("parquet") / "pq"
    store = pipeline.LocalStore(str(root), "unused")
    manifests = {name: parquet_export.export_dataset(store, str(dest), DATASETS[name],
                                                     block_bytes=64 * 1024)
                 for name in DATASETS}
    return root, dest, manifests


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_valid_row_round_trips(export, dataset):
    root, dest, manifests = export
    rows = read_csv_rows(dataset_files(root, dataset), dataset)
    valid = [typed(r, dataset) for r in rows if not r.get("order_id", "").startswith("ORD9999")
             or r["order_id"] == "ORD99997"]
    got = exported(dest, dataset)
    width = len(DATASETS[dataset].columns)
    assert sorted(r[:width] for r in got) == sorted(valid)
    assert manifests[dataset]["exported_rows"] == len(valid)
    assert os.path.exists(dest / dataset / "_SUCCESS")


def test_malformed_rows_are_counted_by_reason(export):
    _, dest, manifests = export
    assert manifests["orders"]["malformed_rows"] == {
        "bad_timestamp": 1, "bad_number": 2, "unknown_status": 1, "wrong_column_count": 1,
        "invalid_utf8": 1, "missing_customer_id": 1}
    assert manifests["orders"]["header_rows"] == 3
    on_disk = json.loads((dest / "orders" / "_manifest.json").read_text())
    assert on_disk["malformed_rows"] == manifests["orders"]["malformed_rows"]
    assert manifests["customers"]["malformed_total"] == 0


@pytest.mark.parametrize("dataset, column", [("orders", "order_date"), ("clickstream", "timestamp")])
def test_partitions_match_the_dates(export, dataset, column):
    _, dest, _ = export
    i = DATASETS[dataset].index(column)
    for row in exported(dest, dataset):
        stamp, (year, month, day) = row[i], row[-3:]
        assert (year, month, day) == (f"{stamp:%Y}", f"{stamp:%m}", f"{stamp:%d}")
    for path in glob.glob(f"{dest}/{dataset}/*/*/*/*.parquet"):
        year, month, day = (p.split("=")[1] for p in path.split(os.sep)[-4:-1])
        dates = {f"{v:%Y-%m-%d}" for v in pq.read_table(path).column(column).to_pylist()}
        assert dates == {f"{year}-{month}-{day}"}


def test_typed_columns(export):
    _, dest, _ = export
    schema = pq.read_schema(glob.glob(f"{dest}/orders/*/*/*/*.parquet")[0])
    assert str(schema.field("total_amount").type) == "decimal128(12, 2)"
    assert str(schema.field("order_date").type) == "timestamp[ms]"  # Parquet has no seconds unit
    assert str(schema.field("quantity").type) == "int64"
    schema = pq.read_schema(glob.glob(f"{dest}/customers/*.parquet")[0])
    assert str(schema.field("signup_date").type) == "date32[day]"


def test_failure_midway_leaves_no_partial_dataset(export, tmp_path, monkeypatch):
    root, dest, _ = export
    target = tmp_path / "pq"
    store = pipeline.LocalStore(str(root), "unused")
    original = parquet_export.CSVConverter.batches

    def failing(self, path):
        yield from original(self, path)
        raise OSError("disk full")
    monkeypatch.setattr(parquet_export.CSVConverter, "batches", failing)
    with pytest.raises(OSError, match="disk full"):
        parquet_export.export_dataset(store, str(target), DATASETS["orders"])
    assert not (target / "orders").exists() and not glob.glob(f"{target}/_tmp-*")

    # with a previous export in place, a failed one leaves it as it was
    shutil.copytree(dest / "orders", target / "orders")
    before = sorted(glob.glob(f"{target}/orders/**", recursive=True))
    with pytest.raises(OSError, match="disk full"):
        parquet_export.export_dataset(store, str(target), DATASETS["orders"])
    assert sorted(glob.glob(f"{target}/orders/**", recursive=True)) == before
    assert os.listdir(target) == ["orders"]   # the failed version was removed whole


def test_too_many_malformed_rows_publishes_nothing(tmp_path):
    raw = tmp_path / "raw"
    write_lines(str(raw / "customers" / "part-00000.csv"),
                ["CUST1,A,B,e,X,LATAM,2024-01-01,1.00,GOLD", "CUST2,A,B,e,X,LATAM,2024-13-01,1,GOLD"],
                header_of="customers")
    open(raw / "customers" / "_SUCCESS", "wb").close()
    status = parquet_export.main(["--data", str(raw), "--output", str(tmp_path / "none"),
                                  "--dest", str(tmp_path / "pq"), "--datasets", "customers",
                                  "--quiet"])
    assert status == 3
    assert not (tmp_path / "pq" / "customers").exists()
    assert parquet_export.main(["--data", str(raw), "--dest", str(tmp_path / "pq"),
                                "--datasets", "orders", "--quiet"]) == 1  # missing


def test_job_outputs_and_command_line(generated_data, tmp_path, capsys):
    """The runner's latest complete outputs become jobs/<job>/part-0.parquet."""
    out = tmp_path / "out"
    jobs = "top_products,funnel,sales_by_region"
    assert pipeline.main(["--runner", "inline", "--data", str(generated_data), "--output",
                          str(out), "--jobs", jobs, "--quiet"]) == 0
    (out / "funnel" / "99999999T000000Z-dead").mkdir()  # newer but incomplete: skipped
    dest = tmp_path / "pq"
    assert parquet_export.main(["--data", str(generated_data), "--output", str(out),
                                "--dest", str(dest), "--datasets", "customers"]) == 0
    printed = capsys.readouterr().out
    assert "funnel: 4 rows of run" in printed
    con = duckdb.connect()
    top = con.execute(f"SELECT region, ranking, rank, product_id, revenue FROM "
                      f"read_parquet('{dest}/jobs/top_products/*.parquet') "
                      "WHERE region = 'all' AND ranking = 'revenue' ORDER BY rank").fetchall()
    assert [r[2] for r in top] == [1, 2, 3, 4, 5]
    funnel = dict(con.execute(f"SELECT device, reached_view FROM "
                              f"read_parquet('{dest}/jobs/funnel/*.parquet')").fetchall())
    assert set(funnel) == {"mobile", "desktop", "tablet", "all"}
    sales = con.execute(f"SELECT count(*) FROM read_parquet('{dest}/jobs/sales_by_region/*.parquet')"
                        " WHERE key IS NOT NULL").fetchone()
    assert sales == (6,)
    manifest = json.loads((dest / "jobs" / "funnel" / "_manifest.json").read_text())
    assert manifest["run_id"] != "99999999T000000Z-dead"


def test_job_output_table_names_and_types():
    table = parquet_export.job_output_table
    assert table([], ("rule", "entity_id")).column_names == ["rule", "entity_id"]
    rows = table(['["a",1]\t{"x":1,"y":[{"v":1}]}', '["b",2]\t{"x":2.5,"y":[]}'])
    assert rows.column_names == ["key_0", "key_1", "x", "y"]
    assert rows.column("x").to_pylist() == [1.0, 2.5]
    mixed = table(['"a"\t{"z":1}', '"b"\t{"z":"text"}'], ("segment", "tier", "intent"))
    assert mixed.column_names == ["key", "z"]  # KEY_FIELDS that do not fit the key are unused
    assert mixed.column("z").to_pylist() == ["1", '"text"']  # kept as JSON text
