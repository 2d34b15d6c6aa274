"""Landing hand-written files and reading the canonical form back, for the ingest tests."""

import datetime
import json

import pyarrow.parquet as pq

from ecomsuite import layout
from ecomsuite.schemas import DATASETS

DAY = datetime.date(2025, 6, 1)
ORDER = ("ORD{n:05d},CUST00001,LAPTOP001,Gaming Laptop,1,{amount},{amount},"
         "2025-06-01 14:23:45,{status},US-EAST")
CUSTOMER = "CUST00001,John,Smith,john@example.com,New York,US-EAST,2023-05-12,100.00,BRONZE"
CLICK = "2025-06-01 10:15:00,SESSION00001,CUST00001,VIEW,product,LAPTOP001,mobile,45"
SIMPLE = {"orders": ORDER.format(n=1, amount="1.00", status="COMPLETED"),
          "customers": CUSTOMER, "clickstream": CLICK}


def csv_bytes(dataset, lines, newline=b"\n", header=None):
    header = DATASETS[dataset].header if header is None else header
    out = [header.encode()] + [x.encode() if isinstance(x, str) else x for x in lines]
    return b"".join(x + newline for x in out)


def land(root, files, day=DAY):
    """Land {dataset: [(filename, bytes)]} for one day; datasets not given get one simple row."""
    data = layout.DataLayout(str(root))
    w = data.begin_day(day)
    for name in DATASETS:
        for filename, content in files.get(name) or [("a.csv", csv_bytes(name, [SIMPLE[name]]))]:
            with w.open(name, filename) as f:
                f.write(content)
    w.commit()
    return data


def canonical_rows(root, dataset, day=DAY):
    data = layout.DataLayout(str(root))
    rows = []
    for path in data.canonical_parts(dataset, [day]):
        table = pq.read_table(path)
        rows.extend(tuple(r.values()) for r in table.to_pylist())
    return rows


def manifest(root, dataset, day=DAY):
    return layout.DataLayout(str(root)).ingest_manifest(dataset, day)


def quarantine(root, dataset, day=DAY):
    m = manifest(root, dataset, day)
    with open(m.run["quarantine"], encoding="utf-8") as f:
        return [json.loads(line) for line in f]


GOODISH = [ORDER.format(n=i, amount=f"{i}.25", status="COMPLETED") for i in range(1, 6)] + [
    'ORD00009,CUST00001,LAPTOP001,"quoted, ""with""\nnewline",1,2.00,2.00,2025-06-01 10:00:00,'
    'PENDING,LATAM']
HOSTILE = ["ORD00010,CUST00001,LAPTOP001,x,1,1O.00,1.00,2025-06-01 10:00:00,COMPLETED,US-EAST",
           "ORD00011,short", 'ORD00012,"never closed,1']


def hostile_day(root):
    """One landed day (local or hdfs://) whose orders hold good, quoted and bad records in a
    CR-ended file, a gzip file and a file with its header reordered."""
    import gzip
    names = list(reversed(DATASETS["orders"].names))
    reordered = [",".join(reversed(GOODISH[0].split(",")))]
    return land(root, {"orders": [
        ("a.csv", csv_bytes("orders", GOODISH[1:3], newline=b"\r")),
        ("b.csv.gz", gzip.compress(csv_bytes("orders", GOODISH[3:] + HOSTILE), mtime=0)),
        ("c.csv", csv_bytes("orders", reordered, header=",".join(names)))]})
