"""The sink protocol and all-or-nothing writes: failures leave the previous data intact."""

import os
import signal
import subprocess
import sys
import time

import pytest

from datagen import cli, writer
from datagen.sinks import SUCCESS, DatasetExists, LocalSink
from tests.helpers import all_files, read_dataset

TINY = ["--orders", "500", "--customers", "50", "--clicks", "800", "--quiet"]


def hidden(root):
    return [e for e in os.listdir(root) if e.startswith(".")]


def test_local_sink_protocol(tmp_path):
    sink = LocalSink(tmp_path / "out")
    sink.begin("orders")
    assert not (tmp_path / "out" / "orders").exists()
    with sink.open_part("orders", "part-00000.csv") as f:
        f.write(b"a\n")
    assert hidden(tmp_path / "out")  # written where readers do not look
    sink.commit("orders")
    assert sorted(os.listdir(tmp_path / "out" / "orders")) == ["_SUCCESS", "part-00000.csv"]
    assert hidden(tmp_path / "out") == []
    with pytest.raises(DatasetExists, match="--overwrite"):
        LocalSink(tmp_path / "out").begin("orders")


def test_abort_keeps_the_previous_dataset(tmp_path):
    old = LocalSink(tmp_path)
    old.begin("orders")
    with old.open_part("orders", "part-00000.csv") as f:
        f.write(b"old\n")
    old.commit("orders")
    new = LocalSink(tmp_path, overwrite=True)
    new.begin("orders")
    with new.open_part("orders", "part-00000.csv") as f:
        f.write(b"new, half")
    new.abort("orders")
    new.abort("orders")  # twice is fine
    assert (tmp_path / "orders" / "part-00000.csv").read_bytes() == b"old\n"
    assert hidden(tmp_path) == []


def test_overwrite_commit_replaces_the_whole_directory(tmp_path):
    for content, parts in ((b"old\n", 3), (b"new\n", 1)):
        sink = LocalSink(tmp_path, overwrite=True)
        sink.begin("orders")
        for p in range(parts):
            with sink.open_part("orders", f"part-{p:05d}.csv") as f:
                f.write(content)
        sink.commit("orders")
    assert sorted(os.listdir(tmp_path / "orders")) == [SUCCESS, "part-00000.csv"]
    assert hidden(tmp_path) == []


def test_leftovers_of_a_killed_run_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".orders.tmp-{dead}"
    stale.mkdir()
    (stale / "part-00000.csv").write_bytes(b"x")
    LocalSink(tmp_path).begin("orders")
    assert not stale.exists()


def failing_after(chunks_ok):
    real = writer.make_chunk
    calls = []

    def make_chunk(plan, dataset, k):
        calls.append(dataset)
        if len(calls) > chunks_ok:
            raise RuntimeError("disk on fire")
        return real(plan, dataset, k)
    return make_chunk


@pytest.mark.parametrize("chunks_ok", [0, 2])
def test_failed_run_leaves_previous_data_intact(tmp_path, monkeypatch, chunks_ok):
    assert cli.main(["--out", str(tmp_path), *TINY]) == 0
    before = all_files(tmp_path)
    monkeypatch.setattr(writer, "make_chunk", failing_after(chunks_ok))
    with pytest.raises(RuntimeError, match="disk on fire"):
        cli.main(["--out", str(tmp_path), "--overwrite", "--seed", "9", *TINY])
    assert all_files(tmp_path) == before
    assert hidden(tmp_path) == []


def test_failed_first_run_leaves_no_dataset(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "make_chunk", failing_after(2))  # customers, orders done
    with pytest.raises(RuntimeError):
        cli.main(["--out", str(tmp_path), *TINY])
    assert os.listdir(tmp_path) == []


def test_interrupted_run_exits_130_and_cleans_up(tmp_path, monkeypatch, capsys):
    def interrupt(plan, dataset, k):
        raise KeyboardInterrupt
    monkeypatch.setattr(writer, "make_chunk", interrupt)
    assert cli.main(["--out", str(tmp_path), *TINY]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


# The generator in a child process that stops while it writes: when it opens its second
# part file (the first is written, into a hidden temporary directory), it says so with
# a file and waits there to be terminated.
PAUSED_GENERATOR = """
import sys, time
from datagen import cli
from datagen.sinks import LocalSink

ready, argv = sys.argv[1], sys.argv[2:]
real_open_part = LocalSink.open_part
opened = []

def open_part(self, dataset, filename):
    opened.append(filename)
    if len(opened) == 2:
        open(ready, "w").close()
        time.sleep(300)  # SIGTERM ends it
    return real_open_part(self, dataset, filename)

LocalSink.open_part = open_part
sys.exit(cli.main(argv))
"""


def test_sigterm_mid_write_leaves_nothing_behind(tmp_path):
    """A real process, terminated while it writes its temporary directories."""
    out, ready = tmp_path / "out", tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", PAUSED_GENERATOR, str(ready),
                             "--out", str(out), *TINY], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ready.exists(), f"the generator did not reach its second part file: {proc.poll()}"
    assert hidden(out), "the first part should be in a hidden temporary directory"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert os.listdir(out) == []


def test_data_written_through_a_failing_sink_is_not_committed(tmp_path):
    class BrokenSink(LocalSink):
        def open_part(self, dataset, filename):
            if dataset == "clickstream" and filename.endswith("1.csv"):
                raise OSError("no space left on device")
            return super().open_part(dataset, filename)

    from datagen.plan import Options, Plan
    plan = Plan.build(Options(orders=500, customers=50, clicks=800))
    with pytest.raises(OSError):
        cli.generate(plan, BrokenSink(tmp_path), cli.Progress(sys.stderr, enabled=False))
    assert os.listdir(tmp_path) == []
    cli.generate(plan, LocalSink(tmp_path), cli.Progress(sys.stderr, enabled=False))
    assert len(read_dataset(str(tmp_path), "clickstream")) == 800


def test_write_error_exits_1_with_a_message(tmp_path, monkeypatch, capsys):
    def full(self, dataset, filename):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(LocalSink, "open_part", full)
    assert cli.main(["--out", str(tmp_path), *TINY]) == 1
    err = capsys.readouterr().err
    assert "cannot write to" in err and "No space left" in err
    assert os.listdir(tmp_path) == []
