"""The core jobs' bulk (numpy) aggregation path, forced on small files, equals DuckDB.

Files under ecomsuite.rows.BULK_MIN_BYTES (4 MiB) are parsed line by line, so the
test data of tests/core takes that path; here every file takes the bulk path.
"""

import pytest

from ecomsuite import rows
from jobs.mr_customer_tiers import MRCustomerTiers
from jobs.mr_device_conversions import MRDeviceConversions
from jobs.mr_sales_by_region import MRSalesByRegion
from reference import core as reference
from tests.helpers import merged_counters, part_files, run_inline, write_lines

CORE = [
    (MRSalesByRegion, "orders", reference.sales_by_region),
    (MRCustomerTiers, "customers", reference.customer_tiers),
    (MRDeviceConversions, "clickstream", reference.device_conversions),
]


@pytest.fixture(autouse=True)
def bulk_for_any_size(monkeypatch):
    monkeypatch.setattr(rows, "BULK_MIN_BYTES", 0)


@pytest.mark.parametrize("job_cls, dataset, expected", CORE, ids=lambda x: getattr(x, "NAME", None))
def test_bulk_path_equals_duckdb(generated_data, job_cls, dataset, expected):
    files = part_files(generated_data, dataset)
    got, counters = run_inline(job_cls, files)
    assert got == expected(files)
    assert merged_counters(counters)["rows"]["header"] == len(files)


@pytest.mark.parametrize("job_cls, dataset, expected", CORE, ids=lambda x: getattr(x, "NAME", None))
def test_bulk_and_per_line_rows_mixed(generated_data, tmp_path, job_cls, dataset, expected):
    """Good rows, bad rows and quoted/UTF-8-invalid rows in one file: the bulk rows and the
    rows parsed one by one add up to the same answer and the same counts."""
    src = part_files(generated_data, dataset)[0]
    with open(src, "rb") as f:
        lines = f.read().splitlines()
    mixed = []
    for i, line in enumerate(lines[1:]):
        if i % 97 == 0:
            fields = line.split(b",")
            mixed.append(b",".join(b'"' + v + b'"' for v in fields))  # quoted: per line
        elif i % 89 == 0:
            mixed.append(line + b",extra")                          # wrong_column_count
        elif i % 83 == 0:
            mixed.append(line.replace(b",", b",\xff", 1))            # invalid_utf8
        else:
            mixed.append(line)
    bad = write_lines(str(tmp_path / "mixed.csv"), mixed, header_of=dataset)
    clean = write_lines(str(tmp_path / "clean.csv"),
                        [m for m in mixed if b"extra" not in m and b"\xff" not in m],
                        header_of=dataset)
    got, counters = run_inline(job_cls, [bad])
    assert got == expected([clean])
    malformed = merged_counters(counters)["malformed"]
    assert malformed == {"wrong_column_count": sum(b"extra" in m for m in mixed),
                         "invalid_utf8": sum(b"\xff" in m for m in mixed)}
