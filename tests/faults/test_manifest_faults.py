"""Generator faults (issue 15): the manifest of a snapshot and the commit of a landed day
agree with the files they describe, by construction (rows counted as written)."""

import csv
import glob
import json
import os

import pytest

from ecomsuite import layout
from tests.faults import faultkit


def datagen(*args):
    return faultkit.cli("datagen", *args)


def rows_in(path):
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1      # the header


@pytest.mark.parametrize("args", [
    ["--scale", "0.05", "--parts", "3"],
    ["--scale", "0.05", "--anomaly", "2025-06-10:3.0", "--fraud-actors", "2"],
    ["--scale", "0.03", "--parts", "1", "--datasets", "orders,customers"],
])
def test_the_snapshot_manifest_counts_the_rows_in_the_files(tmp_path, args):
    out = tmp_path / "raw"
    r = faultkit.run(datagen("--out", out, "--quiet", *args), timeout=120)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "_manifest.json").read_text())
    on_disk = {name: sum(rows_in(p) for p in glob.glob(f"{out}/{name}/part-*"))
               for name in manifest["datasets"]}
    assert manifest["rows"] == on_disk and all(on_disk.values())
    for name, files in manifest["files"].items():
        assert sorted(files) == sorted(os.path.basename(p)
                                       for p in glob.glob(f"{out}/{name}/part-*"))


@pytest.mark.parametrize("mode", ["days", "follow"])
def test_a_days_commit_counts_the_rows_in_its_files(tmp_path, mode):
    data = tmp_path / "data"
    args = ["--days", "2", "--parts", "2"] if mode == "days" else \
        ["--days", "1", "--follow", "--interval", "0", "--ticks", "3"]
    r = faultkit.run(datagen("--out", data, "--quiet", "--scale", "0.05", *args), timeout=120)
    assert r.returncode == 0, r.stderr
    target = layout.DataLayout(str(data))
    seen = 0
    for day in target.days():
        commit = target.latest_commit(day)
        for dataset in commit.datasets:
            for landed in commit.files(dataset):
                path = target.landed_path(dataset, day, landed.path)
                assert landed.rows == rows_in(path), (day, dataset, landed)
                assert landed.bytes == os.path.getsize(path)
                seen += 1
    assert seen >= 6


def test_a_kill_before_the_manifest_leaves_none_rather_than_a_wrong_one(tmp_path):
    """A snapshot replaced by another (other seed and scale) and killed once its datasets
    are in place: the old manifest must not describe the new data; a re-run writes it."""
    out = tmp_path / "raw"
    r = faultkit.run(datagen("--out", out, "--quiet", "--scale", "0.02"), timeout=120)
    assert r.returncode == 0, r.stderr
    again = datagen("--out", out, "--quiet", "--scale", "0.03", "--seed", "5", "--overwrite")
    r = faultkit.run(again, kill_at="datagen:before-manifest", timeout=120)
    assert r.returncode == -9, r.stderr
    counts = {name: sum(rows_in(p) for p in glob.glob(f"{out}/{name}/part-*"))
              for name in ("orders", "customers", "clickstream")}
    assert counts["orders"] == 1500          # the new data is in place
    for name in ("_manifest.json", "_injected.json"):
        assert not (out / name).exists(), f"{name} of the previous run describes new data"
    r = faultkit.run(again, timeout=120)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["rows"] == counts and manifest["seed"] == 5
