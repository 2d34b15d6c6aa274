"""Runner faults (issue 15): an output root that is a file, read-only, whose _runs is
read-only, a disk that fills up, a TMPDIR that is small or full.

Each case: a clear one-line error and a documented exit code (ecom-run --help), nothing
published that is not whole (no _SUCCESS without its run record), nothing the user had
lost, and a re-run after the fault gives the clean run's exact outputs."""

import glob
import os
import re
import shutil

import pytest

from ecomsuite import pipeline
from ecomsuite.registry import job_classes
from tests.core.mr_failing import MRFailing
from tests.faults import faultkit
from tests.faults.conftest import ecom_run
from tests.helpers import all_files

EXIT_JOB_FAILED, EXIT_OUTPUT_ROOT = 1, 3   # ecom-run --help's exit codes


def rerun_gives_the_clean_answer(data, out, clean, runner="inline", env=None):
    r = faultkit.run(ecom_run(data, out, runner=runner), env=env)
    assert r.returncode == 0, r.stderr
    assert faultkit.outputs(out) == clean


def test_exit_codes_are_documented():
    r = faultkit.run(faultkit.cli("ecomsuite.pipeline", "--help"))
    assert r.returncode == 0
    assert "exit codes:" in r.stdout
    for code in ("0", "1", "2", "3"):
        assert f"\n  {code}  " in r.stdout
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    assert "| 3 |" in readme and "ecom-run" in readme


def test_an_output_root_that_is_a_file(faults_data, clean_outputs, tmp_path):
    out = tmp_path / "out"
    out.write_bytes(b"the user's file\n")
    r = faultkit.run(ecom_run(faults_data, out))
    (line,) = faultkit.assert_clear_error(r, {EXIT_OUTPUT_ROOT})
    assert f"output root {out} is a file" in line and "no job was run" in line
    assert out.read_bytes() == b"the user's file\n"     # nothing lost
    out.unlink()
    rerun_gives_the_clean_answer(faults_data, out, clean_outputs)


def test_a_read_only_output_root(faults_data, clean_outputs, tmp_path):
    out = tmp_path / "out"
    rerun_gives_the_clean_answer(faults_data, out, clean_outputs)   # what the user had
    before = all_files(out)
    r = faultkit.run_read_only([out], ecom_run(faults_data, out))
    (line,) = faultkit.assert_clear_error(r, {EXIT_OUTPUT_ROOT})
    assert "cannot write to output root" in line and "Read-only file system" in line
    assert "read-only mount?" in line
    assert all_files(out) == before
    rerun_gives_the_clean_answer(faults_data, out, clean_outputs)
    faultkit.assert_whole(out)


def test_a_read_only_runs_folder(faults_data, clean_outputs, tmp_path):
    """The case that once published an output with _SUCCESS and no run record."""
    out = tmp_path / "out"
    (out / "_runs").mkdir(parents=True)
    r = faultkit.run_read_only([out / "_runs"], ecom_run(faults_data, out))
    (line,) = faultkit.assert_clear_error(r, {EXIT_OUTPUT_ROOT})
    assert f"cannot write to output root {out / '_runs'}" in line
    assert not glob.glob(f"{out}/*/*/_SUCCESS")     # nothing published without its record
    faultkit.assert_whole(out)
    rerun_gives_the_clean_answer(faults_data, out, clean_outputs)


def test_a_full_disk_before_the_run(faults_data, clean_outputs, tmp_path):
    out = tmp_path / "out"
    with faultkit.tmpfs(out, "1m"):
        filler = faultkit.fill(out)
        r = faultkit.run(ecom_run(faults_data, out))
        (line,) = faultkit.assert_clear_error(r, {EXIT_OUTPUT_ROOT})
        assert "No space left on device" in line and "free some space there" in line
        assert not glob.glob(f"{out}/*/*/_SUCCESS")
        os.remove(filler)
        rerun_gives_the_clean_answer(faults_data, out, clean_outputs)


def test_a_disk_that_fills_during_the_run(faults_data, clean_outputs, tmp_path):
    """Room for the up-front check (8 KiB), not for every output and record: whatever job meets
    the full disk, no output is published without its record, and the jobs done before
    keep their outputs."""
    out = tmp_path / "out"
    with faultkit.tmpfs(out, "1m"):
        filler = faultkit.fill(out, leave=12 * 1024)
        r = faultkit.run(ecom_run(faults_data, out))
        faultkit.assert_clear_error(r, {EXIT_JOB_FAILED, EXIT_OUTPUT_ROOT})
        assert "No space left on device" in r.stderr
        published = faultkit.outputs(out)          # each with its succeeded record
        assert len(published) < 3
        for job, rows in published.items():
            assert rows == clean_outputs[job]
        os.remove(filler)
        rerun_gives_the_clean_answer(faults_data, out, clean_outputs)


def run_in_process(monkeypatch, tmp, argv, classes=None):
    """pipeline.main in this process with TMPDIR = `tmp` (mrjob's and the tasks')."""
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(pipeline.tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(pipeline, "job_classes", (lambda: classes) if classes else job_classes)
    return pipeline.main(argv)


def test_a_failed_job_leaves_no_temporary_files(faults_data, clean_outputs, tmp_path,
                                                monkeypatch, capsys):
    """mrjob kept a failed run's temporary folder: on a small TMPDIR every later job then
    failed for lack of space. Now it goes (the task log is kept beside the run record)."""
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    with faultkit.tmpfs(tmp, "2m"):
        for _ in range(4):
            code = run_in_process(monkeypatch, tmp, [
                "--runner", "local", "--data", str(faults_data), "--output", str(out),
                "--quiet"], {"failing": MRFailing})
            assert code == EXIT_JOB_FAILED
            assert os.listdir(tmp) == []
        err = capsys.readouterr().err
        assert "Traceback" not in err.splitlines()[-1]
        record = pipeline.layout.OutputLayout(str(out)).read_records("failing")[0][-1]
        log = record.error.split("full task log: ", 1)[1].splitlines()[0]
        assert log == pipeline.layout.OutputLayout(str(out)).task_log_path(
            "failing", record.run_id) and "deliberate failure" in open(log).read()
        code = run_in_process(monkeypatch, tmp, [
            "--runner", "local", "--data", str(faults_data), "--output", str(out),
            "--jobs", "sales_by_region", "--quiet"])
        assert code == 0
        assert faultkit.outputs(out)["sales_by_region"] == clean_outputs["sales_by_region"]


def test_a_small_tmpdir(faults_data, clean_outputs, tmp_path):
    """mrjob's tasks copy their input into TMPDIR: too small a one is one line per job
    saying what to do, and nothing is left in it."""
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    with faultkit.tmpfs(tmp, "64k"):
        r = faultkit.run(ecom_run(faults_data, out, runner="local"), env={"TMPDIR": str(tmp)})
        # which jobs' tasks outgrow 64 KiB depends on the size of their canonical input:
        # every line is one job's one-line failure, and at least one job failed
        faultkit.assert_clear_error(r, {EXIT_JOB_FAILED})
        lines = r.stderr.strip().splitlines()
        assert lines, r.stderr
        for line in lines:
            assert re.match(r"ecom-run: \w+ failed: a task ran out of space \(No space left on "
                            rf"device\) in the temporary folder {re.escape(str(tmp))}", line), line
            assert "set TMPDIR to a bigger disk" in line
        failed = [line.split()[1] for line in lines]
        for job in failed:  # a failed job published nothing; what did publish is whole
            assert not glob.glob(f"{out}/{job}/*/_SUCCESS"), job
        faultkit.assert_whole(out)
        assert os.listdir(tmp) == []          # nothing left behind
    rerun_gives_the_clean_answer(faults_data, out, clean_outputs, runner="local")


def test_a_full_tmpdir_is_passed_over(faults_data, clean_outputs, tmp_path):
    """Python's tempfile skips a TMPDIR it cannot write a byte to (for /tmp): the run
    gives the exact answer and writes nothing there."""
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    with faultkit.tmpfs(tmp, "1m"):
        filler = faultkit.fill(tmp)
        rerun_gives_the_clean_answer(faults_data, out, clean_outputs, runner="local",
                                     env={"TMPDIR": str(tmp)})
        assert os.listdir(tmp) == [os.path.basename(filler)]


def test_a_small_tmpdir_with_landed_days(tmp_path):
    """The bundles of landed days go to TMPDIR too: too small a TMPDIR is a one-line
    failure per job, and the bundles are removed."""
    data, out, tmp = tmp_path / "data", tmp_path / "out", tmp_path / "tmp"
    r = faultkit.run(faultkit.cli("datagen", "--days", "6", "--scale", "0.2", "--out", data,
                                  "--quiet"))
    assert r.returncode == 0, r.stderr
    with faultkit.tmpfs(tmp, "64k"):
        r = faultkit.run(ecom_run(data, out, runner="local", jobs="sales_by_region"),
                         env={"TMPDIR": str(tmp)})
        (line,) = faultkit.assert_clear_error(r, {EXIT_JOB_FAILED})
        # the ingest (which runs first) or the job: one line saying what to do
        assert "No space left on device" in line and "TMPDIR" in line, line
        assert os.listdir(tmp) == []
    shutil.rmtree(out)


@pytest.mark.parametrize("point", ["publish:before-rename", "publish:before-success",
                                   "publish:record-written"])
def test_a_kill_while_publishing(faults_data, clean_outputs, tmp_path, point):
    """SIGKILL at each listed point of publishing: the previous output stays current, no
    output is taken without its record, and a plain re-run gives the exact answer."""
    out = tmp_path / "out"
    rerun_gives_the_clean_answer(faults_data, out, clean_outputs)
    before = faultkit.outputs(out)
    r = faultkit.run(ecom_run(faults_data, out, jobs="sales_by_region"), kill_at=point)
    assert r.returncode == -9, r.stderr
    assert faultkit.outputs(out) == before          # each published output has its record
    rerun_gives_the_clean_answer(faults_data, out, clean_outputs)


def test_a_record_that_cannot_be_written_leaves_the_output_unpublished(
        faults_data, clean_outputs, tmp_path):
    """One job's record folder read-only (the up-front check of _runs passes): its output,
    computed and renamed into place, gets no _SUCCESS; it is set aside, exit 3."""
    out = tmp_path / "out"
    (out / "_runs" / "sales_by_region").mkdir(parents=True)
    r = faultkit.run_read_only([out / "_runs" / "sales_by_region"],
                               ecom_run(faults_data, out, jobs="sales_by_region"))
    (line,) = faultkit.assert_clear_error(r, {EXIT_OUTPUT_ROOT})
    assert line.startswith("ecom-run: cannot write a run record: sales_by_region: ")
    assert "Read-only file system" in line and "nothing of this run was published" in line
    assert not glob.glob(f"{out}/sales_by_region/*/_SUCCESS")
    assert [os.path.basename(p)[:8] for p in glob.glob(f"{out}/sales_by_region/*")] == \
        ["_failed-"]
    faultkit.assert_whole(out)
    rerun_gives_the_clean_answer(faults_data, out, clean_outputs)
