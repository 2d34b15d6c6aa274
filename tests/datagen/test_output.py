"""Layout on disk, row counts, the manifest and determinism."""

import datetime as dt
import os

import pytest

import datagen
from ecomsuite import schemas
from tests.datagen.conftest import SCALE, SEED, generate
from tests.helpers import all_files, data_bytes, load_json, part_files, read_dataset

TINY = ("--scale", "0.05")  # 2,500 orders, 250 customers, 10,000 clicks


def scaled(dataset, scale):
    return round(schemas.DEFAULT_ROWS[dataset] * scale)


def test_layout(clean_data):
    entries = sorted(os.listdir(clean_data))
    assert entries == sorted(["_injected.json", "_manifest.json", *schemas.DATASETS])
    for dataset in schemas.DATASETS:
        directory = os.path.join(clean_data, dataset)
        names = sorted(os.listdir(directory))
        assert names == ["_SUCCESS", "part-00000.csv", "part-00001.csv", "part-00002.csv"]
        assert os.path.getsize(os.path.join(directory, "_SUCCESS")) == 0
        # _SUCCESS is written after the data.
        success = os.stat(os.path.join(directory, "_SUCCESS")).st_mtime_ns
        assert all(os.stat(p).st_mtime_ns <= success for p in part_files(clean_data, dataset))
        header = (schemas.DATASETS[dataset].header + "\n").encode()
        for path in part_files(clean_data, dataset):
            with open(path, "rb") as f:
                assert f.readline() == header


def test_row_counts_follow_the_scale(clean_data):
    for dataset in schemas.DATASETS:
        assert len(read_dataset(clean_data, dataset)) == scaled(dataset, float(SCALE))


def test_parts_are_balanced(clean_data):
    for dataset in schemas.DATASETS:
        sizes = []
        for path in part_files(clean_data, dataset):
            with open(path, "rb") as f:
                sizes.append(sum(1 for _ in f) - 1)
        assert max(sizes) - min(sizes) <= 1, (dataset, sizes)


def test_manifest(clean_data):
    m = load_json(clean_data, "_manifest.json")
    assert m["seed"] == int(SEED)
    assert m["scale"] == float(SCALE)
    assert m["parts"] == 3
    assert m["end_date"] == schemas.DEFAULT_END_DATE
    assert m["generator_version"] == datagen.__version__
    assert m["rows"] == {d: len(read_dataset(clean_data, d)) for d in schemas.DATASETS}
    for dataset in schemas.DATASETS:
        assert m["files"][dataset] == [os.path.basename(p) for p in part_files(clean_data, dataset)]
    assert m["options"]["fraud_actors"] == 0 and m["options"]["anomalies"] == []
    end = dt.date.fromisoformat(m["end_date"])
    first_order_day = end - dt.timedelta(days=schemas.DEFAULT_ORDER_DAYS - 1)
    assert m["windows"]["orders"] == {"first": first_order_day.isoformat(), "last": m["end_date"]}


def test_clean_ground_truth_is_empty(clean_data):
    assert load_json(clean_data, "_injected.json") == {
        "anomaly_days": [], "bot_sessions": [], "burst_customers": [], "outlier_orders": []}


def test_per_dataset_counts_override_the_scale(tmp_path):
    out = generate(tmp_path, "--scale", "3", "--orders", "1234", "--customers", "77",
                   "--clicks", "999", "--parts", "2")
    counts = {d: len(read_dataset(out, d)) for d in schemas.DATASETS}
    assert counts == {"orders": 1234, "customers": 77, "clickstream": 999}
    assert load_json(out, "_manifest.json")["rows"] == counts


def test_fractional_scale(tmp_path):
    out = generate(tmp_path, "--scale", "0.0123", "--parts", "1")
    for dataset in schemas.DATASETS:
        assert len(read_dataset(out, dataset)) == scaled(dataset, 0.0123)


def test_more_parts_than_rows(tmp_path):
    out = generate(tmp_path, "--orders", "3", "--customers", "2", "--clicks", "5", "--parts", "4")
    for dataset in schemas.DATASETS:
        assert len(part_files(out, dataset)) == 4
    assert len(read_dataset(out, "orders")) == 3


def test_same_seed_same_bytes(tmp_path):
    a = all_files(generate(tmp_path / "a", *TINY, "--seed", "7"))
    b = all_files(generate(tmp_path / "b", *TINY, "--seed", "7"))
    assert a.keys() == b.keys() and a == b


def test_other_seed_other_bytes(tmp_path):
    a = generate(tmp_path / "a", *TINY, "--seed", "7")
    b = generate(tmp_path / "b", *TINY, "--seed", "8")
    for dataset in schemas.DATASETS:
        assert data_bytes(a, dataset) != data_bytes(b, dataset)


def test_rows_do_not_depend_on_the_number_of_parts(tmp_path):
    # More rows than one chunk, so that chunks and parts cut at different places.
    args = ("--orders", "70000", "--customers", "300", "--clicks", "70000")
    one = generate(tmp_path / "one", *args, "--parts", "1")
    three = generate(tmp_path / "three", *args, "--parts", "3")
    for dataset in schemas.DATASETS:
        assert data_bytes(one, dataset) == data_bytes(three, dataset)
        assert len(part_files(three, dataset)) == 3


def test_datasets_option_writes_the_same_rows(tmp_path, clean_data):
    out = generate(tmp_path, "--scale", SCALE, "--seed", SEED, "--parts", "3",
                   "--datasets", "orders,clickstream")
    assert sorted(d for d in os.listdir(out) if not d.startswith("_")) == ["clickstream", "orders"]
    for dataset in ("orders", "clickstream"):
        assert data_bytes(out, dataset) == data_bytes(clean_data, dataset)


@pytest.mark.parametrize("end", ["2024-02-29", "today"])
def test_end_date(tmp_path, end):
    out = generate(tmp_path, "--scale", "0.02", "--end-date", end)
    last = dt.date.today() if end == "today" else dt.date.fromisoformat(end)
    assert load_json(out, "_manifest.json")["end_date"] == last.isoformat()
    order_days = {r["order_date"][:10] for r in read_dataset(out, "orders")}
    click_days = {r["timestamp"][:10] for r in read_dataset(out, "clickstream")}
    assert max(order_days) == max(click_days) == last.isoformat()
    first = last - dt.timedelta(days=schemas.DEFAULT_ORDER_DAYS - 1)
    assert min(order_days) == first.isoformat()
    assert min(click_days) == (last - dt.timedelta(days=schemas.DEFAULT_CLICK_DAYS - 1)).isoformat()


def test_output_does_not_depend_on_the_number_of_jobs(tmp_path):
    args = ("--orders", "40000", "--customers", "40000", "--clicks", "50000")  # several chunks each
    one = all_files(generate(tmp_path / "one", *args, "--jobs", "1"))
    two = all_files(generate(tmp_path / "two", *args, "--jobs", "2"))
    assert one == two
