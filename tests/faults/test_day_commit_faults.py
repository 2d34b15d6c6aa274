"""The day commit under faults a hostile user would try beyond kills (issue 12's commit,
issue 15's suite): a disk that fills while a day lands, a read-only landing zone, and
ecom-land of a file that vanishes or cannot be read midway. Each leaves the previous days
whole (every commit and every file it names, byte for byte) and a re-run succeeds."""

import os
import subprocess

import pytest

from ecomsuite import land, layout
from tests.faults import faultkit
from tests.layout.landing import committed

SEED_ARGS = ("--scale", "0.02", "--seed", "11", "--quiet")
FIRST = "2025-06-01"


def datagen(data, *args):
    return faultkit.cli("datagen", "--out", data, *SEED_ARGS, *args)


def state(data):
    """{day: (commit, {dataset: [file bytes]})} of every landed day."""
    target = layout.DataLayout(str(data))
    out = {}
    for day in target.days():
        commit, files = committed(data, day)
        out[day.isoformat()] = (commit, files)
    return out


def land_days(data, days, start=FIRST):
    r = faultkit.run(datagen(data, "--days", str(days), "--start-date", start))
    assert r.returncode == 0, r.stderr
    return state(data)


@pytest.fixture(scope="module")
def three_clean_days(tmp_path_factory):
    """The same world landed without faults: 3 days, what a re-run must give."""
    data = tmp_path_factory.mktemp("clean-days")
    return {day: files for day, (_, files) in land_days(data, 3).items()}


def files_only(s):
    return {day: files for day, (_, files) in s.items()}


def test_a_disk_that_fills_while_a_day_lands(tmp_path, three_clean_days):
    disk = tmp_path / "disk"
    with faultkit.tmpfs(disk, "4m"):
        data = disk / "data"
        before = land_days(data, 2)
        filler = faultkit.fill(disk, leave=16 * 1024)   # a day takes about 30 KiB here
        r = faultkit.run(datagen(data, "--days", "1", "--start-date", "next",
                                 "--no-space-check"))
        (line,) = faultkit.assert_clear_error(r, {1})
        assert "No space left on device" in line and "was not committed" in line
        assert state(data) == before                       # the previous days whole
        os.remove(filler)
        r = faultkit.run(datagen(data, "--days", "1", "--start-date", "next"))
        assert r.returncode == 0, r.stderr
        assert files_only(state(data)) == three_clean_days  # the exact day
        leftovers = [n for ds in ("orders", "customers", "clickstream")
                     for n in os.listdir(data / "landing" / ds / "dt=2025-06-03")
                     if n not in {f.split("/")[0] for f in
                                  (x["path"] for x in state(data)["2025-06-03"][0]
                                   .datasets[ds])}]
        assert leftovers == []


def test_a_full_disk_under_ecom_land(tmp_path):
    disk = tmp_path / "disk"
    big = tmp_path / "export.csv"
    with open(big, "wb") as f:
        f.write(b"order_id,customer_id,product_id,product_name,quantity,price,total_amount,"
                b"order_date,status,region\n")
        f.write(b"ORD00001,CUST00001,LAPTOP001,Gaming Laptop,1,1.00,1.00,2025-06-01 10:00:00,"
                b"COMPLETED,US-EAST\n" * 40_000)       # 4 MB
    with faultkit.tmpfs(disk, "3m"):
        data = disk / "data"
        before = land_days(data, 1)
        r = faultkit.run(faultkit.cli("ecomsuite.land", "--data", data, "--dataset", "orders",
                                      "--day", FIRST, "--quiet", big))
        (line,) = faultkit.assert_clear_error(r, {1})
        assert "No space left on device" in line and "nothing was committed" in line
        assert state(data) == before
        versions = os.listdir(data / "landing" / "orders" / f"dt={FIRST}")
        assert len(versions) == 1                           # the failed copy removed
    with faultkit.tmpfs(disk, "16m"):                       # a bigger disk: it lands
        data = disk / "data"
        land_days(data, 1)
        r = faultkit.run(faultkit.cli("ecomsuite.land", "--data", data, "--dataset", "orders",
                                      "--day", FIRST, "--quiet", big))
        assert r.returncode == 0, r.stderr
        commit, files = committed(data, FIRST)
        assert files["orders"] == [big.read_bytes()]


def test_a_read_only_landing_zone(tmp_path, three_clean_days):
    data = tmp_path / "data"
    before = land_days(data, 2)
    export = tmp_path / "orders.csv"
    export.write_bytes(b"".join(before[FIRST][1]["orders"]))
    for cmd, words in (
            (datagen(data, "--days", "1", "--start-date", "next"), "cannot land into"),
            (faultkit.cli("ecomsuite.land", "--data", data, "--dataset", "orders", "--day",
                          FIRST, "--quiet", export), "nothing was committed")):
        r = faultkit.run_read_only([data / "landing"], cmd)
        (line,) = faultkit.assert_clear_error(r, {1, 2})
        assert "Read-only file system" in line and words in line, line
        assert state(data) == before
    r = faultkit.run(datagen(data, "--days", "1", "--start-date", "next"))
    assert r.returncode == 0, r.stderr
    assert files_only(state(data)) == three_clean_days


def test_ecom_land_of_a_file_that_vanishes_midway(tmp_path, monkeypatch, capsys):
    """Two files for a day; the second is removed after ecom-land checked it, while the
    first is being copied: nothing is committed, the day keeps its previous files."""
    data = tmp_path / "data"
    before = land_days(data, 1)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(b"".join(before[FIRST][1]["orders"]))
    second.write_bytes(first.read_bytes())
    copy = layout.LocalStore.copy_into

    def copy_and_lose_the_second(self, src_store, src, dst, chunk=1 << 20):
        copy(self, src_store, src, dst, chunk)
        if src == str(first):
            os.remove(second)      # gone between the check and its copy

    monkeypatch.setattr(layout.LocalStore, "copy_into", copy_and_lose_the_second)
    code = land.main(["--data", str(data), "--dataset", "orders", "--day", FIRST, "--quiet",
                      str(first), str(second)])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "No such file or directory" in err and str(second) in err
    assert "nothing was committed" in err and "Traceback" not in err
    assert state(data) == before
    monkeypatch.undo()
    second.write_bytes(first.read_bytes())
    assert land.main(["--data", str(data), "--dataset", "orders", "--day", FIRST, "--quiet",
                      str(first), str(second)]) == 0
    commit, files = committed(data, FIRST)
    assert files["orders"] == [first.read_bytes(), second.read_bytes()]
    assert files["customers"] == before[FIRST][1]["customers"]


NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
          "--inh-caps=-dac_override,-dac_read_search"]


def test_ecom_land_of_a_file_it_may_not_read(tmp_path):
    """Root reads every file; run ecom-land as root without the capabilities that let it
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): the second file, another user's and private,
    is unreadable midway. Nothing is committed; with them, the same command lands both."""
    data = tmp_path / "data"
    before = land_days(data, 1)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(b"".join(before[FIRST][1]["orders"]))
    second.write_bytes(first.read_bytes())
    os.chown(second, 65534, 65534)       # nobody's
    os.chmod(second, 0o600)
    cmd = faultkit.cli("ecomsuite.land", "--data", data, "--dataset", "orders", "--day",
                       FIRST, "--quiet", first, second)
    r = faultkit.run([*NO_DAC, *cmd])
    (line,) = faultkit.assert_clear_error(r, {1})
    assert "Permission denied" in line and str(second) in line and "nothing was committed" in line
    assert state(data) == before
    versions = os.listdir(data / "landing" / "orders" / f"dt={FIRST}")
    assert len(versions) == 1
    r = faultkit.run(cmd)
    assert r.returncode == 0, r.stderr
    assert committed(data, FIRST)[1]["orders"] == [first.read_bytes(), second.read_bytes()]


def test_without_dac_capabilities_root_cannot_read_it(tmp_path):
    """The case above means something only if that process really cannot read the file."""
    secret = tmp_path / "secret"
    secret.write_text("x")
    os.chown(secret, 65534, 65534)
    os.chmod(secret, 0o600)
    r = subprocess.run([*NO_DAC, "cat", str(secret)], capture_output=True, text=True)
    assert r.returncode != 0 and "Permission denied" in r.stderr
