"""What every reference shares: DuckDB views over the CSV files, cent rounding half up,
and a plain CSV reader (Python's csv module)."""

import csv
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from ecomsuite.schemas import DATASETS

CENT = Decimal("0.01")


def connect(files_by_dataset):
    """A DuckDB connection with a view per dataset over its CSV files (or its canonical
    Parquet parts, cast back to text), every column VARCHAR (the SQL casts what it uses).
    Shared by every reference (core, further analytics) and by the benchmark's queries
    (reference.sql)."""
    con = duckdb.connect()
    for dataset, files in files_by_dataset.items():
        columns = {name: "VARCHAR" for name in DATASETS[dataset].names}
        file_list = "[" + ", ".join(f"'{f}'" for f in files) + "]"
        if files and all(str(f).endswith(".parquet") for f in files):
            # the canonical form (typed Parquet): the same VARCHAR view of its values
            text = ", ".join(f"CAST({n} AS VARCHAR) AS {n}" for n in columns)
            con.execute(f"CREATE VIEW {dataset} AS SELECT {text} FROM read_parquet({file_list})")
            continue
        con.execute(f"CREATE VIEW {dataset} AS SELECT * FROM read_csv({file_list}, "
                    f"header=true, columns={columns!r}, quote='\"', escape='\"')")
    return con


def round_cents(value):
    """An exact amount -> a float rounded half up to cents."""
    return float(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def avg_cents(total, n):
    """total / n rounded half up to cents, as a float."""
    return float((Decimal(total) / n).quantize(CENT, rounding=ROUND_HALF_UP))




def read_csv_rows(files, dataset):
    """Every data row of CSV files as dicts (Python's csv module; headers skipped by content)."""
    header = list(DATASETS[dataset].names)
    rows = []
    for path in files:
        with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
            for fields in csv.reader(f):
                if fields and fields != header:
                    rows.append(dict(zip(header, fields)))
    return rows
