"""The generator's realistic mode (--realistic): files like a real export, read by the ingest.

Each test reads what the generator wrote with an independent reader (Python's csv
module) and with the ingest stage, and checks: records = valid + rejected = what the
files hold; the rejected share is the configured one (within a binomial tolerance);
the quarantine's reasons are exactly the injected faults; the same seed gives the
same bytes; the messy parts (quotes, commas, non-ASCII, line breaks inside quotes,
CRLF, one file beside many) are really there.
"""

import csv
import glob
import io
import json
import math
import os
from collections import Counter

import pytest

from datagen import cli, realistic
from ecomsuite import ingest, layout, schemas
from tests.helpers import all_files

ARGS = ["--orders", "6000", "--customers", "600", "--clicks", "12000", "--seed", "7",
        "--parts", "3"]
SHARE = 0.04


def generate(out, *args):
    assert cli.main(["--out", str(out), "--quiet", *map(str, args)]) == 0
    return str(out)


@pytest.fixture(scope="module")
def realistic_snapshot(tmp_path_factory):
    root = generate(tmp_path_factory.mktemp("realistic"), *ARGS, "--realistic",
                    "--malformed-share", SHARE)
    ingest.ingest(root, "inline")
    return root


def records_of(path):
    """Records of a CSV file by Python's csv module (RFC 4180; an unterminated quote
    swallows the rest of the file as one record), the header apart."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def quarantine_reasons(root, dataset, day=None):
    found = Counter()
    pattern = os.path.join(layout.DataLayout(root).quarantine_dir(dataset, day), "*",
                           "rejected.jsonl")
    for path in glob.glob(pattern):
        with open(path, encoding="utf-8") as f:
            for line in f:
                found[json.loads(line)["reason"]] += 1
    return found


def within_binomial(count, n, p, sigmas=5):
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 2


def test_valid_plus_rejected_is_read_and_reasons_are_the_injected_faults(realistic_snapshot):
    root = realistic_snapshot
    with open(os.path.join(root, "_manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    truth = manifest["realistic"]
    data = layout.DataLayout(root)
    total = rejected_total = 0
    for name in schemas.DATASETS:
        files = sorted(glob.glob(os.path.join(root, name, "part-*.csv")))
        read = 0
        for path in files:
            header, rows = records_of(path)
            assert header[:len(schemas.DATASETS[name].names)] == list(schemas.DATASETS[name].names)
            read += len(rows)
        m = data.ingest_manifest(name, None)
        assert read == manifest["rows"][name] == truth["records"][name]
        assert m.records == read
        assert m.valid + m.rejected == m.records
        assert dict(m.rejected_by_reason) == truth["injected"][name]
        assert quarantine_reasons(root, name) == Counter(truth["injected"][name])
        total += read
        rejected_total += m.rejected
    assert truth["injected_total"] == rejected_total
    assert within_binomial(rejected_total, total, SHARE), (rejected_total, total)
    # every kind of fault is there (unterminated quotes: at most one per file)
    reasons = Counter()
    for counts in truth["injected"].values():
        reasons.update(counts)
    for reason in ("bad_number", "out_of_range", "bad_timestamp", "bad_date",
                   "wrong_column_count", "missing_customer_id", "unknown_status",
                   "unknown_device"):
        assert reasons[reason] > 0, reason
    assert reasons["unterminated_quote"] <= len(schemas.DATASETS) * 3


def test_the_messy_parts_are_there(realistic_snapshot):
    root = realistic_snapshot
    orders = b"".join(open(p, "rb").read() for p in sorted(glob.glob(f"{root}/orders/part-*")))
    customers = b"".join(open(p, "rb").read()
                         for p in sorted(glob.glob(f"{root}/customers/part-*")))
    lines = orders.count(b"\n")
    quoted = sum(1 for line in orders.splitlines() if b'"' in line)
    assert 0.1 < quoted / lines < 0.35               # about a fifth: quoted product names
    assert b'"Budget Phone, 64 GB (""Lite"")"' in orders    # a comma and doubled quotes
    assert not customers.isascii()
    assert any(city.encode() in customers for cities in realistic.NAMES.values()
               for city in cities[2] if not city.isascii())
    # an address over two lines, inside quotes: csv reads it as one record
    text = customers.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert any("\n" in field for row in rows for field in row)
    assert rows[0][-1] == realistic.EXTRA_COLUMN
    manifest = json.load(open(os.path.join(root, "_manifest.json"), encoding="utf-8"))
    for name in manifest["realistic"]["crlf_files"]:
        with open(os.path.join(root, name), "rb") as f:
            assert f.readline().endswith(b"\r\n")


def test_same_seed_same_bytes_and_the_share_is_a_knob(tmp_path):
    a = generate(tmp_path / "a", *ARGS, "--realistic")
    b = generate(tmp_path / "b", *ARGS, "--realistic", "--jobs", "1")
    fa, fb = all_files(a), all_files(b)
    for files in (fa, fb):
        files.pop("_manifest.json")
    assert fa == fb
    none = generate(tmp_path / "none", *ARGS, "--realistic", "--malformed-share", "0")
    m = json.load(open(os.path.join(none, "_manifest.json"), encoding="utf-8"))
    assert m["realistic"]["injected_total"] == 0
    default = json.load(open(os.path.join(a, "_manifest.json"), encoding="utf-8"))
    assert default["realistic"]["malformed_share"] == realistic.DEFAULT_MALFORMED_SHARE


def test_malformed_share_needs_realistic_and_a_share(tmp_path, capsys):
    for bad in (["--malformed-share", "0.1"], ["--realistic", "--malformed-share", "2"],
                ["--realistic", "--malformed-share", "x"]):
        with pytest.raises(SystemExit) as e:
            cli.main(["--out", str(tmp_path / "x"), "--quiet", *bad])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert "malformed-share" in err and "Traceback" not in err


def test_realistic_days_one_file_beside_many_and_the_quarantine_matches(tmp_path):
    root = str(tmp_path / "days")
    assert cli.main(["--out", root, "--quiet", "--days", "6", "--orders", "900",
                     "--customers", "300", "--clicks", "2400", "--seed", "5", "--realistic",
                     "--malformed-share", "0.03"]) == 0
    data = layout.DataLayout(root)
    truth = realistic.read_ground_truth(data)
    assert sorted(truth) == [d.isoformat() for d in data.days()]
    parts = {day: len(data.day_files("orders", day)) for day in data.days()}
    assert 1 in parts.values() and any(n >= realistic.MANY_PARTS[0] for n in parts.values())
    ingest.ingest(root, "inline")
    records = rejected = 0
    for day in data.days():
        for name in schemas.DATASETS:
            m = data.ingest_manifest(name, day)
            assert m.valid + m.rejected == m.records
            assert m.records == truth[day.isoformat()]["records"].get(name, 0)
            assert dict(m.rejected_by_reason) == truth[day.isoformat()]["injected"].get(name, {})
            assert quarantine_reasons(root, name, day) == Counter(m.rejected_by_reason)
            records += m.records
            rejected += m.rejected
    assert within_binomial(rejected, records, 0.03), (rejected, records)
