"""Job inputs for the tests: CSV files validated by the ingest stage's own parser
(ecomsuite.ingest.FileParser, in process) into canonical Parquet parts, as
``ecom-ingest`` would, and the counts it made (what ``ecom-run`` reports for a job)."""

import atexit
import io
import os
import shutil
import tempfile

import pyarrow as pa

from ecomsuite import canonical, ingest
from ecomsuite.schemas import DATASETS

_DIR = None


def _scratch():
    global _DIR
    if _DIR is None:
        _DIR = tempfile.mkdtemp(prefix="ecom-test-canonical-")
        atexit.register(shutil.rmtree, _DIR, True)
    return _DIR


def dataset_of(path):
    """(Dataset, whether the file lacks a header): by folder (<data>/<dataset>/part-*), else
    by the first line: a dataset's header, or (a file written without one) a dataset's
    number of columns. (None, False) if nothing fits."""
    with ingest.open_landed(str(path)) as f:
        head = f.read(1 << 16).removeprefix(ingest.UTF8_BOM)
    first = next((line for line in head.splitlines() if line.strip()), None)
    names = [n.strip().strip('"') for n in first.decode("utf-8", "replace").split(",")] \
        if first is not None else []
    folder = os.path.basename(os.path.dirname(str(path)))
    candidates = [DATASETS[folder]] if folder in DATASETS else list(DATASETS.values())
    for d in candidates:
        if set(d.names) <= set(names):
            return d, False
    for d in candidates:
        if len(names) == len(d.names) or folder in DATASETS:
            return d, True
    return None, False


def to_canonical(paths):
    """(canonical part paths, {"rows": {...}, "malformed": {...}} counted by the ingest).
    A file without a header gets its dataset's (not counted); an empty file is skipped."""
    parts, rows, malformed = [], {"valid": 0, "header": 0, "blank": 0}, {}
    for i, path in enumerate(map(str, paths)):
        dataset, headless = dataset_of(path)
        if dataset is None:
            if os.path.getsize(path):
                raise ValueError(f"{path}: no dataset's header or width")
            continue
        parser = ingest.FileParser(dataset)
        with ingest.open_landed(path) as f:
            data = f.read()
        if headless:
            data = dataset.header.encode() + b"\n" + data
        tables = list(parser.tables(io.BytesIO(data)))
        table = pa.concat_tables(tables) if tables else canonical.arrow_schema(dataset).empty_table()
        target = os.path.join(_scratch(), f"{len(os.listdir(_scratch())):06d}-{i}.parquet")
        canonical.write_table(table, target)
        parts.append(target)
        rows["valid"] += parser.valid
        rows["header"] += parser.header_lines - headless
        rows["blank"] += parser.blank_lines
        for reason, n in parser.rejected.items():
            malformed[reason] = malformed.get(reason, 0) + n
    counters = {"rows": {k: v for k, v in rows.items() if v or k == "valid"}}
    if malformed:
        counters["malformed"] = malformed
    return parts, counters
