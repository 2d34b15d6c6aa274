"""A large plain file is read by many map tasks, one per range of whole records: split at
any size, it gives exactly the rows, quarantine and counts it gives unsplit.

The split size is tiny here (tens of bytes), so almost every record straddles a range's
offset somewhere; only gzip files are read whole (a line break inside quotes is split
around, never inside)."""

import bz2
import gzip
import io
import posixpath

import pytest

from ecomsuite import ingest, layout
from tests.ingest import reference
from tests.ingest.support import ORDER, canonical_rows, csv_bytes, land, manifest, quarantine

GOOD = [ORDER.format(n=i, amount=f"{i}.{i % 100:02d}", status=s)
        for i, s in zip(range(1, 41), ["COMPLETED", "PENDING", "SHIPPED", "CANCELLED"] * 10)]
QUOTED = ['ORD00100,CUST00001,LAPTOP001,"Laptop, ""Gaming"" edition",2,1.50,3.00,'
          '2025-06-01 10:00:00,COMPLETED,LATAM',
          'ORD00101,CUST00001,LAPTOP001,"Caf\u00e9 \u00e0 Paris",1,1.00,1.00,'
          '2025-06-01 10:00:00,COMPLETED,EU-WEST']
BAD = ["ORD00200,CUST00001,LAPTOP001,x,1,1O.00,1.00,2025-06-01 10:00:00,COMPLETED,US-EAST",
       "ORD00201,short",
       "ORD00202,CUST00001,LAPTOP001,x,1,1.00,1.00,2025-02-30 10:00:00,COMPLETED,US-EAST",
       'ORD00203,"x"y,LAPTOP001,x,1,1.00,1.00,2025-06-01 10:00:00,COMPLETED,US-EAST']
# good, quoted and bad records, blank lines and the header repeated, interleaved
MIXED = GOOD[:10] + [QUOTED[0], BAD[0], ""] + GOOD[10:20] + [BAD[1], QUOTED[1]] + \
    [layout.schemas.ORDERS.header] + GOOD[20:30] + ["", BAD[2], BAD[3]] + GOOD[30:]


def files():
    """{name: bytes}: every line ending, a BOM, no header, no final line end, an
    unterminated quote on the last line, bz2, gzip, and a line break inside quotes."""
    lf = csv_bytes("orders", MIXED)
    return {
        "lf.csv": lf,
        "crlf.csv": csv_bytes("orders", MIXED, newline=b"\r\n"),
        "cr.csv": csv_bytes("orders", MIXED, newline=b"\r"),
        "bom.csv": b"\xef\xbb\xbf" + csv_bytes("orders", MIXED, newline=b"\r\n"),
        "mixed-endings.csv": b"".join(line + nl for line, nl in zip(
            lf.split(b"\n")[:-1], [b"\n", b"\r\n", b"\r"] * len(MIXED))),
        "headerless.csv": b"".join(g.encode() + b"\n" for g in GOOD),
        "no-final-newline.csv": lf.rstrip(b"\n"),
        "open-quote-at-end.csv": lf + b'ORD00300,CUST00001,"never closed,1',
        "blank-lines-first.csv": b"\n\r\n" + lf,
        "packed.csv.bz2": bz2.compress(lf),
        "packed.csv.gz": gzip.compress(lf, mtime=0),
        "multiline.csv": csv_bytes("orders", GOOD[:5] + [
            'ORD00400,CUST00001,LAPTOP001,"two\nlines",1,1.00,1.00,2025-06-01 10:00:00,'
            'COMPLETED,LATAM'] + GOOD[5:]),
    }


def ingest_all(root, split_bytes, runner="inline", names=None):
    content = {k: v for k, v in files().items() if names is None or k in names}
    land(root, {"orders": sorted(content.items())})
    counters = []
    published, refused, _ = ingest.ingest(str(root), runner, split_bytes=split_bytes,
                                          counters=counters, part_rows=16)
    assert refused == [] and len(published) == 3
    content = manifest(root, "orders").content()
    content.pop("parts")   # a split file has more, smaller parts: the rows are compared
    content.pop("landing_commit")     # each landing is its own commit, in its own folder
    for source in content["sources"]:
        source["path"] = posixpath.basename(source["path"])
    rejected = quarantine(root, "orders")
    for r in rejected:
        r["source"] = posixpath.basename(r["source"])
    return canonical_rows(root, "orders"), rejected, content, counters


def tasks(counters):
    """(map tasks that read a range of a file, map tasks that read a file whole)."""
    groups = {g.strip(): c for g, c in counters[0].items()}
    return groups["ingest"].get("ranges", 0), groups["ingest"].get("files", 0)


@pytest.fixture(scope="module")
def unsplit(tmp_path_factory):
    return ingest_all(tmp_path_factory.mktemp("unsplit"), ingest.SPLIT_BYTES)


def test_unsplit_matches_the_reference(unsplit, tmp_path):
    rows, rejected, content, counters = unsplit
    assert tasks(counters) == (0, len(files()) + 2)   # every file whole (+ 2 other datasets)
    assert content["records"] == content["valid"] + content["rejected"]
    want = []
    for name, data in sorted(files().items()):
        if name == "open-quote-at-end.csv":
            data = data.rsplit(b"\n", 1)[0]             # the rest is one rejected record
        elif name == "headerless.csv":
            data = csv_bytes("orders", GOOD)
        path = tmp_path / name
        path.write_bytes(data)
        got, _, _ = reference.read(str(path), "orders")
        want.extend(r for r in got if r[0] != "ORD00203")   # the reference reads '"x"y' as 'xy'
    assert sorted(rows, key=repr) == sorted(want, key=repr)
    assert {r["reason"] for r in rejected} == {"bad_number", "wrong_column_count",
                                              "bad_timestamp", "bad_quoting",
                                              "unterminated_quote"}


@pytest.mark.parametrize("split_bytes", [1, 100, 997])
def test_split_at_any_size_gives_exactly_the_unsplit_answer(unsplit, tmp_path, split_bytes):
    rows, rejected, content, counters = ingest_all(tmp_path, split_bytes)
    assert rows == unsplit[0]           # the same rows, in the same order
    assert rejected == unsplit[1]       # the same quarantine: records, reasons, lines
    assert content == unsplit[2]        # the same counts and checksums per file
    ranges, whole = tasks(counters)
    assert ranges >= 2 * 11             # the 10 plain files (multi-line too) and the bz2 one
    assert whole >= 1                   # are split, not the gzip one


def test_a_bz2_file_of_many_blocks_splits_at_its_blocks(tmp_path):
    """Level 1: a block per 100 kB; ranges of 50 kB start inside blocks and across them."""
    lines = [ORDER.format(n=i, amount=f"{i % 900}.{i % 100:02d}", status="PENDING")
             for i in range(6000)] + BAD
    packed = bz2.compress(csv_bytes("orders", lines, newline=b"\r\n"), 1)
    blocks = ingest._Bz2Blocks(packed)
    assert len(blocks.bits) >= 5 and len(packed) > 20_000   # the size that decides: packed
    got = {}
    for split in (ingest.SPLIT_BYTES, 20_000):
        root = tmp_path / str(split)
        land(root, {"orders": [("big.csv.bz2", packed)]})
        counters = []
        ingest.ingest(str(root), "inline", split_bytes=split, counters=counters)
        m = manifest(root, "orders").content()
        m.pop("parts")
        m.pop("landing_commit")
        m["sources"][0].pop("path")
        got[split] = (canonical_rows(root, "orders"),
                      [(q["line"], q["reason"], q["record"]) for q in quarantine(root, "orders")],
                      m, tasks(counters))
    assert got[20_000][:3] == got[ingest.SPLIT_BYTES][:3]
    # ranges of 20 kB of CSV: about 29 of them, 5-6 in each block
    assert got[ingest.SPLIT_BYTES][3] == (0, 3) and got[20_000][3] == (29, 2)
    assert len(got[20_000][0]) == 6000 and len(got[20_000][1]) == len(BAD)


def test_split_on_the_local_runner(tmp_path):
    names = {"cr.csv", "bom.csv", "multiline.csv"}
    want = ingest_all(tmp_path / "whole", ingest.SPLIT_BYTES, names=names)
    rows, rejected, content, counters = ingest_all(tmp_path / "split", 2000, "local", names)
    assert (rows, rejected, content) == want[:3]
    ranges, whole = tasks(counters)
    assert ranges >= 3 * 2 and whole == 2   # the three split, the 2 other datasets whole


def test_ranges_start_at_record_starts_with_their_line_numbers():
    data = files()["mixed-endings.csv"]
    lines = io.BytesIO(data).read().replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    starts, at = {}, 0
    for number, line in enumerate(lines, 1):
        starts[at] = number
        at += len(line)
        at += 2 if data[at:at + 2] == b"\r\n" else 1
    for split in (1, 5, 64, 300):
        for block in (1, 2, 7, 4096):   # a CR at a block's end, its LF in the next block
            scan = ingest.scan_for_splits(io.BytesIO(data), split, block_bytes=block)
            assert scan.whole is None and scan.bytes == len(data)
            assert scan.header == layout.schemas.ORDERS.header.encode()
            assert scan.ranges[0] == (0, 1) and len(scan.ranges) > 1
            for (start, line), (after, _) in zip(scan.ranges, scan.ranges[1:] + [(len(data), 0)]):
                assert starts[start] == line and after > start
                assert after - start >= split or after == len(data)


def test_a_line_break_inside_quotes_is_no_place_to_split():
    """Records built by hand (their starts and first lines known), some holding LF, CRLF
    or CR inside quotes, one quote never closed at the end: every range starts at a
    record's start with that record's line number, never inside quotes or after the
    open quote, and ranges follow the quoted records too."""
    records = []
    for i, row in enumerate(GOOD):
        if i % 3 == 0:
            nl = ["\n", "\r\n", "\r"][i % 9 // 3]
            row = row.replace(",1,", f',"two{nl}lines",', 1) if ",1," in row else \
                row.replace("LAPTOP001,", f'"LAP{nl}TOP",', 1)
        records.append(row.encode())
    records.append(b'ORD00300,CUST00001,"never closed,1\nORD00301,x\nORD00302,y')
    header = layout.schemas.ORDERS.header.encode()
    data, starts, line = header + b"\n", {}, 2
    for record in records:
        starts[len(data)] = line
        data += record + b"\n"
        line += record.count(b"\n") + record.count(b"\r") - record.count(b"\r\n") + 1
    quoted = {s for s, r in zip(starts, records) if b'"' in r}
    open_quote = max(starts)
    for split in (1, 50, 333):
        for block in (3, 64, 4096):
            scan = ingest.scan_for_splits(io.BytesIO(data), split, block)
            assert scan.whole is None and scan.header == header
            assert scan.ranges[0] == (0, 1)
            later = scan.ranges[1:]
            assert later and all(starts.get(s) == n and s <= open_quote for s, n in later)
            if split == 1:    # every record starts a range, up to the one never closed
                assert [s for s, _ in later] == sorted(starts)
            assert any(s > min(quoted) for s, _ in later)


def test_ecom_ingest_split_bytes_option(tmp_path, capsys):
    land(tmp_path, {"orders": [("lf.csv", files()["lf.csv"])]})
    assert ingest.main(["--data", str(tmp_path), "--split-bytes", "400"]) == 0
    err = capsys.readouterr().err
    assert "lf.csv: 0.0 MB in" in err and "ranges" in err
    assert manifest(tmp_path, "orders").valid == len(GOOD) + 2
    assert canonical_rows(tmp_path, "orders")[0][0] == "ORD00001"
