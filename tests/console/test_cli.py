"""ecom-run's printing end to end (inline runner, a generated dataset): the tables fit
80 and 200 columns and name each job's files, --json is one document equal to the run
records, --quiet prints nothing on success, and the exit codes stay as documented."""

import glob
import json
import os
import pty
import subprocess
import sys

import pytest

from ecomsuite import pipeline
from tests.core.mr_failing import MRFailing

JOBS = "sales_by_region,funnel,daily_revenue,customer_segments"


def ecom_run(cwd, data, *args, columns=80):
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "ecomsuite.pipeline", "--runner", "inline",
                           "--data", str(data), "--output", "out", "--jobs", JOBS, *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def records_on_disk(out):
    return {os.path.basename(os.path.dirname(p)): json.load(open(p))
            for p in sorted(glob.glob(f"{out}/_runs/*/*.json"))}


@pytest.mark.parametrize("columns", [80, 200])
def test_tables_fit_the_terminal_and_name_the_files(generated_data, tmp_path, columns):
    r = ecom_run(tmp_path, generated_data, columns=columns)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    records = records_on_disk(tmp_path / "out")
    assert sorted(records) == sorted(JOBS.split(","))
    for job, record in records.items():
        assert f"== {job} (inline, " in r.stdout
        pointer = f"all rows: {record['output_dir']}/part-*"    # whole, on one line
        assert any(line == pointer or line.endswith("; " + pointer) for line in lines)
    # daily_revenue is long: cut, and saying so
    assert f"of {records['daily_revenue']['output_rows']:,} rows" in r.stdout
    # the closing summary: a line per job with its rows, and where outputs are
    days = sorted(records["funnel"]["input_days"])
    over = f" over {len(days)} day(s) {days[0]}..{days[-1]}" if days else ""
    summary = r.stdout[r.stdout.index(f"== 4 job(s){over}: 4 succeeded, 0 failed"):]
    for job, record in records.items():
        (line,) = [ln for ln in summary.splitlines() if ln.startswith(job + " ")]
        assert line.split()[1:4] == ["ok", f"{record['output_rows']:,}",
                                     f"{record['input_rows']:,}"]
        assert (record["output_dir"] in line) == (columns == 200)
    assert "outputs: out/<job>/<run_id>/part-*" in r.stdout
    # not a terminal: a plain line per job start and end on stderr, none on stdout
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("[")] == [
        f"[{i}/4] {job}{what}" for i, job in enumerate(JOBS.split(","), 1)
        for what in (" on the inline runner ...",
                     f": succeeded in {records[job]['duration_seconds']:.1f} s")]
    assert "[1/4]" not in r.stdout


def test_json_is_one_document_equal_to_the_run_records(generated_data, tmp_path):
    r = ecom_run(tmp_path, generated_data, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)          # the whole of stdout is one document
    assert r.stderr == ""               # no progress off a terminal under --json
    assert (doc["command"], doc["exit_code"], doc["status"]) == ("ecom-run", 0, "succeeded")
    assert (doc["runner"], doc["data"], doc["output"]) == ("inline", str(generated_data), "out")
    on_disk = records_on_disk(tmp_path / "out")
    assert {j["job"]: j for j in doc["jobs"]} == on_disk
    assert [j["job"] for j in doc["jobs"]] == JOBS.split(",")


def test_quiet_prints_nothing_on_success(generated_data, tmp_path):
    r = ecom_run(tmp_path, generated_data, "--quiet")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert len(records_on_disk(tmp_path / "out")) == 4


def test_json_and_quiet_on_a_failed_job(generated_data, tmp_path, capsys, monkeypatch):
    """Exit 1 as before; --json still one document, the failure on stderr; --quiet only
    the failure."""
    monkeypatch.setattr(pipeline, "job_classes", lambda: {"failing": MRFailing})
    for mode in ("--json", "--quiet"):
        out = tmp_path / mode.strip("-")
        assert pipeline.main(["--runner", "inline", "--data", str(generated_data),
                              "--output", str(out), mode]) == pipeline.EXIT_JOB_FAILED
        printed = capsys.readouterr()
        (record,) = records_on_disk(out).values()
        assert record["status"] == "failed"
        assert f"ecom-run: failing failed: {record['error'].splitlines()[0]}" in printed.err
        if mode == "--json":
            doc = json.loads(printed.out)
            assert (doc["exit_code"], doc["status"]) == (1, "failed")
            assert doc["jobs"] == [record]
        else:
            assert printed.out == ""


def test_json_when_the_output_root_is_a_file(generated_data, tmp_path, capsys):
    out = tmp_path / "out"
    out.write_text("the user's file\n")
    assert pipeline.main(["--runner", "inline", "--data", str(generated_data), "--output",
                          str(out), "--jobs", "sales_by_region", "--json"]) == 3
    printed = capsys.readouterr()
    doc = json.loads(printed.out)
    assert (doc["exit_code"], doc["jobs"]) == (3, [])
    assert doc["error"] in printed.err and "no job was run" in doc["error"]
    assert out.read_text() == "the user's file\n"


def test_unknown_job_with_json_still_exits_1_with_one_document(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        pipeline.main(["--jobs", "nope", "--output", str(tmp_path), "--json"])
    assert "unknown job(s) nope" in str(e.value)
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 1 and "unknown job(s) nope" in doc["error"]


def test_live_progress_on_a_terminal_never_reaches_the_json(generated_data, tmp_path):
    """stderr a real pseudo-terminal, stdout a pipe: the live display is drawn on the
    terminal, and stdout holds the one JSON document and nothing else."""
    main_fd, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecomsuite.pipeline", "--runner", "inline", "--data",
         str(generated_data), "--output", "out", "--jobs", "sales_by_region,funnel", "--json"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=terminal, text=True)
    os.close(terminal)
    drawn = b""
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:    # the terminal closed: the process has ended
            break
        if not chunk:
            break
        drawn += chunk
    stdout = proc.stdout.read()
    assert proc.wait(timeout=600) == 0
    os.close(main_fd)
    doc = json.loads(stdout)
    assert [j["job"] for j in doc["jobs"]] == ["sales_by_region", "funnel"]
    text = drawn.decode("utf-8", "replace")
    assert "\x1b[" in text                                  # drawn in place
    assert "[1/2] sales_by_region" in text and "[2/2] funnel" in text
    assert "step 2/2" in text                               # the funnel's second step
    assert f"{doc['jobs'][1]['output_rows']} rows out" in text
