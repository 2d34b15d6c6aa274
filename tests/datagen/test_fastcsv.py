"""The byte-matrix CSV formatter agrees with plain Python formatting and the csv module."""

import csv
import datetime as dt
import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen.fastcsv import (
    ConcatField,
    ConstField,
    DateField,
    IntField,
    MoneyField,
    TextField,
    TimestampField,
    format_rows,
    text_table,
)

EPOCH = dt.datetime(1970, 1, 1)
ints = st.lists(st.integers(0, 10**15), min_size=1, max_size=50)
texts = st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"),
                         min_size=1, max_size=12), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(ints, st.integers(1, 8), st.sampled_from([b"", b"ORD"]))
def test_int_field(values, min_digits, prefix):
    out = format_rows(len(values), [IntField(np.array(values), min_digits, prefix)])
    assert out.decode() == "".join(f"{prefix.decode()}{v:0{min_digits}d}\n" for v in values)


@settings(max_examples=60, deadline=None)
@given(ints)
def test_money_field(values):
    out = format_rows(len(values), [MoneyField(np.array(values))])
    assert out.decode() == "".join(f"{v // 100}.{v % 100:02d}\n" for v in values)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4_102_444_799), min_size=1, max_size=50))
def test_timestamp_and_date_fields(seconds):
    s = np.array(seconds)
    out = format_rows(len(s), [TimestampField(s), DateField(s // 86_400)])
    expected = ""
    for v in seconds:
        t = EPOCH + dt.timedelta(seconds=v)
        expected += f"{t:%Y-%m-%d %H:%M:%S},{t.date().isoformat()}\n"
    assert out.decode() == expected


@settings(max_examples=60, deadline=None)
@given(texts, st.data())
def test_text_fields_round_trip_through_the_csv_module(values, data):
    index = data.draw(st.lists(st.integers(0, len(values) - 1), min_size=1, max_size=20))
    fields = [TextField(text_table(values), np.array(index)), IntField(np.array(index))]
    out = format_rows(len(index), fields).decode()
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows == [[values[i], str(i)] for i in index]
    for line, i in zip(out.split("\n"), index):  # quoted only when needed (not splitlines: \f is data)
        assert line.startswith('"') == any(c in values[i] for c in ',"')


def test_concat_field_writes_one_field():
    names = text_table(["ann", "bo"], escape=False)
    field = ConcatField(TextField(names, np.array([1, 0])), ConstField(b"."),
                        IntField(np.array([7, 12345])), ConstField(b"@example.com"))
    assert format_rows(2, [field, IntField(np.array([1, 2]))]) == (
        b"bo.7@example.com,1\nann.12345@example.com,2\n")
