"""Generator faults (issue 15): impossible scales, and a run that cannot fit its disk."""

import os

import pytest

from tests.faults import faultkit
from tests.helpers import all_files


def datagen(*args):
    return faultkit.cli("datagen", *args)


@pytest.mark.parametrize("scale", ["inf", "-inf", "nan", "-1", "0", "1e30", "20000", "ten"])
@pytest.mark.parametrize("days", [False, True])
def test_an_impossible_scale_is_refused_in_one_line(tmp_path, scale, days):
    out = tmp_path / "out"
    r = faultkit.run(datagen(f"--scale={scale}", "--out", out, "--quiet",
                             *(["--days", "2"] if days else [])), timeout=60)
    faultkit.assert_clear_error(r, {2})
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ecom-datagen: error: argument --scale: ") and repr(scale) in last
    assert "at most 10,000" in last or "not a number" in last
    assert not out.exists()       # nothing written


def test_a_run_that_does_not_fit_the_disk_is_refused_before_it_starts(tmp_path):
    out = tmp_path / "disk"
    with faultkit.tmpfs(out, "1m"):
        for args in ([], ["--days", "3"]):
            r = faultkit.run(datagen("--out", out / "data", "--quiet", *args), timeout=120)
            (line,) = faultkit.assert_clear_error(r, {2})
            assert "this run needs" in line and "MB" in line and "1.0 MB free" in line
            assert "pass --no-space-check to write anyway" in line
            assert not (out / "data").exists()     # refused before writing anything


def test_no_space_check_writes_anyway_and_a_full_disk_leaves_nothing_half_written(tmp_path):
    disk = tmp_path / "disk"
    with faultkit.tmpfs(disk, "2m"):
        out = disk / "data"
        r = faultkit.run(datagen("--out", out, "--quiet", "--scale", "0.02"), timeout=120)
        assert r.returncode == 0, r.stderr
        before = all_files(out)
        r = faultkit.run(datagen("--out", out, "--quiet", "--overwrite", "--seed", "9",
                                 "--no-space-check"), timeout=120)
        (line,) = faultkit.assert_clear_error(r, {1})
        assert "No space left on device" in line
        assert all_files(out) == before   # the previous snapshot whole
        assert not [n for n in os.listdir(out) if n.startswith(".")]
    # the same run with room: the data the manifest describes
    r = faultkit.run(datagen("--out", tmp_path / "roomy", "--quiet", "--seed", "9",
                             "--scale", "0.05"), timeout=120)
    assert r.returncode == 0, r.stderr


def test_a_long_run_says_what_it_will_take_first(tmp_path):
    disk = tmp_path / "disk"
    with faultkit.tmpfs(disk, "1m"):
        r = faultkit.run(datagen("--out", disk / "x", "--scale", "0.05", "--orders",
                                 "5000000"), timeout=120)
        faultkit.assert_clear_error(r, {2})
    first, last = r.stderr.strip().splitlines()
    assert first == (f"ecom-datagen: writing about 5,010,250 rows, 500.8 MB, 5 s at 1 M "
                     f"rows/s to {disk / 'x'}")
    assert last.startswith("ecom-datagen: this run needs 500.8 MB (about 5,010,250 rows)")
