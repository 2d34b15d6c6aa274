"""The command line: help, output on and off a terminal, refusals and errors, the HDFS hook."""

import io
import os
import subprocess
import sys
import types

import pytest

from datagen import cli
from datagen.sinks import LocalSink
from ecomsuite import schemas
from tests.helpers import all_files, load_json, read_dataset

TINY = ["--orders", "500", "--customers", "50", "--clicks", "800"]


def run(*args):
    """`python -m datagen ...` in a subprocess (stdout and stderr are pipes, not a TTY)."""
    return subprocess.run([sys.executable, "-m", "datagen", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_help():
    r = run("--help")
    assert r.returncode == 0 and r.stderr == ""
    for option in ("--out", "--seed", "--scale", "--orders", "--customers", "--clicks",
                   "--end-date", "--parts", "--overwrite", "--anomaly", "--fraud-actors",
                   "--quiet", "--datasets"):
        assert option in r.stdout
    assert "_SUCCESS" in r.stdout and "_manifest.json" in r.stdout


def test_console_script():
    script = os.path.join(os.path.dirname(sys.executable), "ecom-datagen")
    assert os.path.exists(script), f"{script}: install the suite (make setup) to get its scripts"
    r = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "ecom-datagen" in r.stdout


def test_not_a_tty_prints_only_a_summary(tmp_path):
    r = run("--out", tmp_path, *TINY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "\r" not in r.stderr
    rows = load_json(tmp_path, "_manifest.json")["rows"]
    assert lines[0].startswith(f"wrote {rows['orders']:,} orders, {rows['customers']:,} customers, "
                               f"{rows['clickstream']:,} clickstream events")
    assert str(tmp_path) in lines[0]


def test_quiet_prints_nothing(tmp_path):
    r = run("--out", tmp_path, "--quiet", *TINY)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal(tmp_path, monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["--out", str(tmp_path), *TINY]) == 0
    text = terminal.getvalue()
    for dataset in schemas.DATASETS:
        assert f"\r{dataset}" in text
    assert "rows/s" in text and "/ 500 rows" in text
    assert text.rstrip().splitlines()[-1].startswith("wrote ")


def test_refuses_to_overwrite(tmp_path):
    assert run("--out", tmp_path, "--quiet", *TINY).returncode == 0
    before = all_files(tmp_path)
    r = run("--out", tmp_path, "--seed", "5", *TINY)
    assert r.returncode == 2
    assert "--overwrite" in r.stderr and "exists" in r.stderr
    assert all_files(tmp_path) == before


def test_refuses_if_any_dataset_exists(tmp_path):
    (tmp_path / "clickstream").mkdir()
    r = run("--out", tmp_path, *TINY)
    assert r.returncode == 2 and "clickstream" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["clickstream"]  # nothing else was written


def test_overwrite_replaces(tmp_path):
    assert run("--out", tmp_path, "--quiet", *TINY).returncode == 0
    before = all_files(tmp_path)
    r = run("--out", tmp_path, "--quiet", "--overwrite", "--seed", "5", *TINY)
    assert r.returncode == 0, r.stderr
    after = all_files(tmp_path)
    assert after.keys() == before.keys() and after != before
    assert load_json(tmp_path, "_manifest.json")["seed"] == 5
    assert [e for e in os.listdir(tmp_path) if e.startswith(".")] == []


@pytest.mark.parametrize("args, message", [
    (["--anomaly", "2025-01-01:3"], "outside the order window"),
    (["--anomaly", "2025-06-10"], "YYYY-MM-DD:FACTOR"),
    (["--anomaly", "2025-06-10:x"], "YYYY-MM-DD:FACTOR"),
    (["--anomaly", "2025-06-10:2", "--anomaly", "2025-06-10:3"], "given twice"),
    (["--end-date", "June"], "not a date"),
    (["--scale", "0"], "--scale: must be a number above 0"),
    (["--seed", "-3"], "--seed must be >= 0"),
    (["--parts", "0"], "must be >= 1"),
    (["--orders", "-1"], "must be >= 0"),
    (["--customers", "0"], "need customers"),
    (["--datasets", "orders,sales"], "choose from"),
    (["--fraud-actors", "2", "--orders", "40"], "too few orders"),
])
def test_usage_errors(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as e:
        cli.main(["--out", str(tmp_path / "out"), *TINY, *args])
    assert e.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_hdfs_out_without_the_hdfs_sink(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "datagen.hdfs_sink", None)  # as if the module were absent
    with pytest.raises(SystemExit) as e:
        cli.main(["--out", "hdfs://namenode:9870/data/raw", *TINY])
    assert e.value.code == 2
    assert "hdfs_sink" in capsys.readouterr().err


def test_hdfs_out_uses_the_hdfs_sink(tmp_path, monkeypatch):
    made = []

    class HdfsSink(LocalSink):
        def __init__(self, url, overwrite=False):
            made.append((url, overwrite))
            super().__init__(tmp_path, overwrite=overwrite)

    module = types.ModuleType("datagen.hdfs_sink")
    module.HdfsSink = HdfsSink
    monkeypatch.setitem(sys.modules, "datagen.hdfs_sink", module)
    assert cli.main(["--out", "hdfs://nn:9870/raw", "--overwrite", "--quiet", *TINY]) == 0
    assert made == [("hdfs://nn:9870/raw", True)]
    assert len(read_dataset(str(tmp_path), "orders")) == 500
