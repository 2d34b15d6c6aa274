"""The jobs' array helpers (ecomsuite.jobbase) against plain Python on random inputs:
integer keys of text ids, the sorts by (group, key), the split into reduce keys."""

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomsuite.jobbase import ID_DIGITS, bucket_rows, group_order, id_keys, id_names, pair_order

SETTINGS = settings(max_examples=200, deadline=None)

# ids near the shape PREFIX<digits>: the prefix or part of it, digits, a letter, non-ASCII
PREFIX = "CUST"
id_text = st.lists(st.sampled_from(["CUST", "CU", "0", "1", "7", "9", "x", "é", "-", " ", "顧"]),
                   min_size=1, max_size=24).map("".join)


@SETTINGS
@given(st.lists(id_text, min_size=1, max_size=60))
def test_id_keys_name_every_id_back_and_tell_ids_apart(ids):
    keys, names = id_keys(np.array([i.encode() for i in ids]), PREFIX)
    assert id_names(keys, names, PREFIX) == ids
    shaped = [re.fullmatch(rf"{PREFIX}[0-9]{{1,{ID_DIGITS}}}", i) is not None for i in ids]
    assert [k >= 0 for k in keys.tolist()] == shaped
    # equal ids, equal keys; distinct ids, distinct keys
    assert len(set(keys.tolist())) == len(set(ids))
    assert all((a == b) == (ka == kb) for a, ka in zip(ids, keys.tolist())
               for b, kb in zip(ids, keys.tolist()))


def test_id_keys_of_the_widest_numbers_and_embedded_nul():
    ids = ["CUST" + "9" * 15, "CUST" + "9" * 16, "CUST1\x002", "CUST", "CUST0", "CUST00"]
    keys, names = id_keys(np.array([i.encode() for i in ids]), PREFIX)
    assert keys.tolist()[:1] == [(10**15 - 1) * 16 + 15]
    assert keys.tolist()[4:] == [1, 2]       # "CUST0" and "CUST00": number 0, 1 and 2 digits
    assert id_names(keys, names, PREFIX) == ids


ints = st.integers(min_value=-2**62, max_value=2**62)
small = st.integers(min_value=-5, max_value=5)


@SETTINGS
@given(st.lists(st.tuples(st.one_of(small, ints), st.one_of(small, ints)), max_size=80))
def test_pair_order_is_a_stable_sort_by_both(pairs):
    major = np.array([p[0] for p in pairs], dtype=np.int64)
    minor = np.array([p[1] for p in pairs], dtype=np.int64)
    assert pair_order(major, minor).tolist() == np.lexsort((minor, major)).tolist()


@SETTINGS
@given(st.lists(st.tuples(small, small), max_size=80), st.booleans())
def test_group_order_is_a_stable_sort_by_group_then_key(pairs, presorted):
    if presorted:  # groups already in order (a file's sessions): the argsort is skipped
        pairs = sorted(pairs, key=lambda p: p[0])
    groups = np.array([p[0] for p in pairs], dtype=np.int64)
    key = np.array([p[1] for p in pairs], dtype=np.int64)
    assert group_order(groups, key).tolist() == np.lexsort((key, groups)).tolist()
    text = np.array([str(k + 5).encode() for k in key.tolist()], dtype="S2")  # bytes keys
    assert group_order(groups, text).tolist() == np.lexsort((text, groups)).tolist()


@SETTINGS
@given(st.sampled_from([1, 3, 256, 257, 70_000]), st.lists(st.integers(0, 2**31), max_size=80))
def test_bucket_rows_lists_each_buckets_rows_in_order(count, draws):
    buckets = np.array([d % count for d in draws], dtype=np.int64)
    got = [(b, rows.tolist()) for b, rows in bucket_rows(buckets, count)]
    want = [(b, [i for i, x in enumerate(buckets.tolist()) if x == b])
            for b in sorted(set(buckets.tolist()))]
    assert got == want
