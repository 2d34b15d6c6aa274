"""The realistic mode (``--realistic``): files that look like a real shop's export.

The generator's own files are tidy: no quoted field, nearly all ASCII, every
record valid, one line ending. A real export is not, and the speed of a
reader depends on it (a record holding a quote leaves any bulk path). In this
mode the same coherent data is written through a filter, per part file, that:

- renames some catalog products to names with commas and doubled quotes
  (``"Gaming Laptop 15.6"", RTX 4060"``): every order of those products has a
  quoted product name (about a fifth of the orders), and some others non-ASCII ones;
- gives some customers non-ASCII names and cities (from lists per region) and a
  last name with a comma (``"García, Jr."``);
- adds a column the suite does not read, ``address``, to the customers; some
  addresses hold a line break inside their quotes (a record over two lines);
- writes some files with CRLF line endings (RFC 4180's own);
- turns a share of the records (``--malformed-share``, default 1%) into the faults
  real exports hold, one fault per record, each with the ingest's reason for it:
  a bad number (``bad_number``), an amount or count beyond range
  (``out_of_range``), a date that is no calendar day or in another format
  (``bad_timestamp``/``bad_date``), a record cut short (``wrong_column_count``),
  an empty required field (``missing_<column>``), a status or device the suite
  does not know (``unknown_<column>``), and, as the last record of some files, a
  quote never closed (``unterminated_quote``);
- (with ``--days``) lands some days as one large file and others as many parts.

It is seeded like the rest: the same seed and options give the same bytes (each
part file draws from its own stream, numbered by dataset and part). Records keep
their count (a fault replaces a record, it adds none), so the manifest's and the
day commits' row counts stay the records in the files. The default mode's bytes
do not change: nothing of this runs without ``--realistic``.

What was injected is counted per dataset and reason (``injected``), and put in
the snapshot's ``_manifest.json`` under ``realistic``; the ingest's quarantine
must hold exactly these.
"""

import csv
import io
import json
from collections import Counter

import numpy as np

from datagen import randomness
from ecomsuite import schemas

DEFAULT_MALFORMED_SHARE = 0.01
REALISTIC = 10            # randomness stream number (never renumber)
DAY_LAYOUT = 11           # stream for a day's number of parts
CRLF_SHARE = 0.25         # files written with CRLF line endings
UNTERMINATED_SHARE = 0.3  # files whose last record opens a quote it never closes
NON_ASCII_SHARE = 0.12    # customers given a name and city from the lists below
MULTILINE_ADDRESS_SHARE = 0.05
COMMA_NAME_SHARE = 0.02
ONE_FILE_DAY_SHARE = 0.5  # --days: days landed as one large file; the others in 3-8 parts
MANY_PARTS = (3, 8)
EXTRA_COLUMN = "address"  # a column real customer exports have and the suite ignores

# Catalog products whose exported name needs quotes (commas, quotes, non-ASCII).
PRODUCT_NAMES = {
    "Gaming Laptop": 'Gaming Laptop 15.6", RTX 4060',
    "Budget Phone": 'Budget Phone, 64 GB ("Lite")',
    "Ergonomic Mouse": 'Ergonomic Mouse, 2.4 GHz "Silent"',
    "Wireless Headphones": "Wireless Headphones – Noise-Cancelling",   # non-ASCII, no quote
    "Mechanical Keyboard": "Mechanical Keyboard ISO-DE (Ä/Ö/Ü)",
}

NAMES = {  # per region: (first names, last names, cities)
    "US-EAST": (["José", "Zoë", "Ngọc"], ["Muñoz", "O'Brien", "Nguyễn"],
                ["San José", "Coeur d’Alene", "Cañon City"]),
    "US-WEST": (["Renée", "Björn", "Aarón"], ["Peña", "Søndergaard", "Kim (김)"],
                ["San José", "La Cañada Flintridge", "Española"]),
    "EU-WEST": (["Amélie", "Seán", "Íñigo"], ["Lefèvre", "Ó Súilleabháin", "Núñez"],
                ["Saint-Étienne", "A Coruña", "'s-Hertogenbosch", "Besançon"]),
    "EU-CENTRAL": (["Łukasz", "Jürgen", "Dvořák"], ["Wróbel", "Müller", "Nováková"],
                   ["München", "Kraków", "Zürich", "Łódź", "Plzeň"]),
    "ASIA-PACIFIC": (["Hōne", "Arjun", "陽翔"], ["Tūhoe", "Ramanujan", "佐藤"],
                     ["Ōtautahi", "Bengaluru (ಬೆಂಗಳೂರು)", "東京"]),
    "LATAM": (["João", "Sebastián", "María José"], ["Gonçalves", "Pérez", "Añez"],
              ["São Paulo", "Bogotá", "Mazatlán", "Florianópolis"]),
}
assert set(NAMES) == set(schemas.REGIONS)
STREETS = ["Main St", "Rue de la Paix", "Hauptstraße", "Calle Mayor", "Rua Augusta",
           "High Street", "ul. Długa"]

# Faults: (name, reason template, datasets it applies to). The reason is what the
# ingest records for it; "{column}" is the column the fault is put in.
BAD_NUMBERS = ["N/A", "-3", "1.2.3", "12a", "1,5"]
BAD_TIMESTAMPS = ["2025-02-30 10:00:00", "30/06/2025 10:00", "2025-06-31 12:00:00",
                  "2025-06-01T10:00:00Z"]
BAD_DATES = ["2025-02-30", "06/30/2025", "2025-13-01"]
FAULT_COLUMNS = {  # dataset -> fault -> column
    "orders": {"bad_number": "quantity", "out_of_range": "total_amount",
               "bad_timestamp": "order_date", "wrong_column_count": None,
               "missing": "customer_id", "unknown": "status"},
    "customers": {"bad_number": "lifetime_value", "out_of_range": "lifetime_value",
                  "bad_date": "signup_date", "wrong_column_count": None,
                  "missing": "email", "unknown": "tier"},
    "clickstream": {"bad_number": "duration_seconds", "out_of_range": "duration_seconds",
                    "bad_timestamp": "timestamp", "wrong_column_count": None,
                    "missing": "session_id", "unknown": "device"},
}
UNKNOWN_VALUES = {"status": "DELIVERED", "tier": "DIAMOND", "device": "smart_tv"}


def fault_reason(fault, column):
    if fault == "missing":
        return f"missing_{column}"
    if fault == "unknown":
        return f"unknown_{column}"
    return fault


def escape(text):
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def split_line(line):
    """The fields of one generated record (str), RFC 4180."""
    if '"' not in line:
        return line.split(",")
    return next(csv.reader(io.StringIO(line, newline="")))


def join_fields(fields):
    return ",".join(escape(f) for f in fields)


def day_parts(seed, epoch_day):
    """--days --realistic: how many part files a day's datasets land in (1, or 3-8)."""
    rng = randomness.stream(seed, DAY_LAYOUT, epoch_day)
    if rng.random() < ONE_FILE_DAY_SHARE:
        return 1
    return int(rng.integers(MANY_PARTS[0], MANY_PARTS[1] + 1))


class Realism:
    """The filter's settings and what it injected (``injected``: {dataset: {reason: n}})."""

    def __init__(self, seed, malformed_share=DEFAULT_MALFORMED_SHARE, injected=None):
        if not 0 <= malformed_share <= 1:
            raise ValueError(f"--malformed-share must be within 0..1, not {malformed_share}")
        self.seed, self.malformed_share = seed, malformed_share
        self.injected = {} if injected is None else injected  # may be shared by several days
        self.records = Counter()
        self.crlf_files = []
        self.files = 0

    def open(self, inner, dataset, part_index, filename, on_close=None):
        """A file object writing `dataset`'s part through the filter into `inner`."""
        names = list(schemas.DATASETS)
        rng = randomness.stream(self.seed, REALISTIC, names.index(dataset) * 100_000 + part_index)
        return RealisticPart(self, inner, dataset, filename, rng, on_close)

    def summary(self):
        return {"malformed_share": self.malformed_share,
                "records": dict(self.records),
                "injected": {d: dict(sorted(c.items())) for d, c in self.injected.items()},
                "injected_total": sum(sum(c.values()) for c in self.injected.values()),
                "crlf_files": sorted(self.crlf_files),
                "extra_columns": {"customers": [EXTRA_COLUMN]},
                "product_names": PRODUCT_NAMES}


_RENAMES = [((f",{old},").encode(), (f",{escape(new)},").encode())
            for old, new in PRODUCT_NAMES.items()]


class RealisticPart:
    """One part file through the filter. The generator writes whole lines (the header
    first); the last line is held back until close, where it may lose its closing quote."""

    def __init__(self, realism, inner, dataset, filename, rng, on_close):
        self.realism, self.inner, self.dataset, self.rng = realism, inner, dataset, rng
        self.filename = filename
        self.on_close = on_close
        self.crlf = bool(rng.random() < CRLF_SHARE)
        # (drawn in any case: the share does not shift the other draws)
        self.unterminated = bool(rng.random() < UNTERMINATED_SHARE) and \
            realism.malformed_share > 0
        self.header_done = False
        self.pending = None     # the last data line seen, not yet written
        self.records = 0
        self.injected = realism.injected.setdefault(dataset, Counter())
        self.schema = schemas.DATASETS[dataset]
        faults = FAULT_COLUMNS[dataset]
        self.faults = list(faults)
        self.fault_columns = faults
        self.closed = False

    # the file protocol the writers use ---------------------------------------------
    def write(self, data):
        if not self.header_done:
            header, nl, data = data.partition(b"\n")
            if self.dataset == "customers":
                header += b"," + EXTRA_COLUMN.encode()
            self._out(header + nl)
            self.header_done = True
            if not data:
                return
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        if self.pending is not None:
            lines.insert(0, self.pending)
        if not lines:
            return
        self.pending = lines.pop()
        if lines:
            self._out(self._transform(lines))

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            if self.pending is not None:
                last = self._transform([self.pending], faults=not self.unterminated)
                if self.unterminated:
                    last = self._unterminate(last)
                self._out(last, final=True)
                self.pending = None
            self.realism.records[self.dataset] += self.records
            self.realism.files += 1
            if self.crlf:
                self.realism.crlf_files.append(f"{self.dataset}/{self.filename}")
            if self.on_close:
                self.on_close(self)
        finally:
            self.inner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:
            self.closed = True
            self.inner.close()
        return False

    # ----------------------------------------------------------------------------------
    def _out(self, data, final=False):
        if self.crlf:
            data = data.replace(b"\n", b"\r\n")
        self.inner.write(data)

    def _transform(self, lines, faults=True):
        """Bytes of these records (each ending with a newline) after the filter."""
        n = len(lines)
        self.records += n
        if self.dataset == "customers":
            lines = self._customers(lines)
        share = self.realism.malformed_share if faults else 0.0
        bad = np.flatnonzero(self.rng.random(n) < share).tolist()
        kinds = self.rng.integers(0, len(self.faults), len(bad)).tolist()
        picks = self.rng.integers(0, 1 << 30, len(bad)).tolist()
        for i, k, pick in zip(bad, kinds, picks):
            lines[i] = self._fault(lines[i], self.faults[k], pick)
        data = b"\n".join(lines) + b"\n"
        if self.dataset == "orders":
            for old, new in _RENAMES:
                data = data.replace(old, new)
        return data

    def _fault(self, line, fault, pick):
        fields = split_line(line.decode("utf-8"))
        column = self.fault_columns[fault]
        if fault == "wrong_column_count":
            fields = fields[:-1 - pick % 2]
        else:
            at = self.schema.index(column)
            if fault == "bad_number":
                fields[at] = BAD_NUMBERS[pick % len(BAD_NUMBERS)]
            elif fault == "out_of_range":
                fields[at] = "9" * 16 if self.schema.column(column).kind == schemas.INT \
                    else "99999999999999.99"
            elif fault == "bad_timestamp":
                fields[at] = BAD_TIMESTAMPS[pick % len(BAD_TIMESTAMPS)]
            elif fault == "bad_date":
                fields[at] = BAD_DATES[pick % len(BAD_DATES)]
            elif fault == "missing":
                fields[at] = ""
            elif fault == "unknown":
                fields[at] = UNKNOWN_VALUES[column]
        self.injected[fault_reason(fault, column)] += 1
        return join_fields(fields).encode("utf-8")

    def _unterminate(self, data):
        """The record (one, with its newline) with a quote opened in a text field and never
        closed: it swallows the rest of the file, which is nothing."""
        fields = split_line(data.decode("utf-8").rstrip("\n"))
        at = self.schema.index({"orders": "product_name", "customers": "city",
                                "clickstream": "page"}[self.dataset])
        out = [escape(f) for f in fields]
        out[at] = '"' + fields[at].replace('"', '""')   # no closing quote
        self.injected["unterminated_quote"] += 1
        return (",".join(out) + "\n").encode("utf-8")

    def _customers(self, lines):
        """Non-ASCII names and cities, a comma in some last names, and the address column."""
        rng, n = self.rng, len(lines)
        u = rng.random((4, n))
        picks = rng.integers(0, 1 << 30, (3, n))
        region_at = self.schema.index("region")
        out = []
        for i, line in enumerate(lines):
            text = line.decode("utf-8")
            if u[0, i] < NON_ASCII_SHARE or u[1, i] < COMMA_NAME_SHARE:
                fields = split_line(text)
                firsts, lasts, cities = NAMES.get(fields[region_at], NAMES["US-EAST"])
                if u[0, i] < NON_ASCII_SHARE:
                    fields[1] = firsts[picks[0, i] % len(firsts)]
                    fields[2] = lasts[picks[1, i] % len(lasts)]
                    fields[4] = cities[picks[2, i] % len(cities)]
                if u[1, i] < COMMA_NAME_SHARE:
                    fields[2] = fields[2] + ", Jr."
                text = join_fields(fields)
            number = 1 + int(picks[0, i] % 998)
            street = STREETS[int(picks[1, i]) % len(STREETS)]
            if u[2, i] < MULTILINE_ADDRESS_SHARE:
                address = f"{number} {street}\nApt {1 + int(picks[2, i] % 40)}"
            else:
                address = f"{number} {street}"
            out.append((text + "," + escape(address)).encode("utf-8"))
        return out


GROUND_TRUTH = "_realistic.json"  # --days: what each landed day's files hold, by day


def record_day(target, date, summary):
    """Keep what a landed day's files hold (``landing/_realistic.json``, by day; a day
    landed again replaces its entry). Written after the day's commit: a kill between
    the two leaves the day without its entry, never an entry for files not landed."""
    store = target.store
    path = store.join(target.landing(), GROUND_TRUTH)
    days = json.loads(store.read_bytes(path)) if store.exists(path) else {}
    days[date.isoformat()] = summary
    temp = path + ".tmp"
    store.write_bytes(temp, (json.dumps(dict(sorted(days.items())), indent=1,
                                        ensure_ascii=False) + "\n").encode())
    store.delete(path)
    store.rename(temp, path)


def read_ground_truth(target):
    """{day: summary} of the realistic days landed in `target` (a layout.DataLayout)."""
    path = target.store.join(target.landing(), GROUND_TRUTH)
    return json.loads(target.store.read_bytes(path)) if target.store.exists(path) else {}


class RealisticSink:
    """A generator sink (datagen.sinks protocol) writing every part through a Realism."""

    def __init__(self, sink, realism):
        self.sink, self.realism = sink, realism
        self._parts = Counter()

    def open_part(self, dataset, filename):
        index = self._parts[dataset]
        self._parts[dataset] += 1
        return self.realism.open(self.sink.open_part(dataset, filename), dataset, index,
                                 filename)

    def __getattr__(self, name):  # begin, commit, abort, write_json, ...
        return getattr(self.sink, name)
