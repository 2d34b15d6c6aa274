"""ecom-report's command line: help, defaults, one-line errors, what it cannot draw."""

import os
import shutil
import subprocess
import sys

from tests.report.conftest import REPO


def cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "ecomsuite.viz.report", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def test_help_names_every_option_and_chart():
    r = cli("--help")
    assert r.returncode == 0
    for text in ("--output", "--data", "--to", "--quiet", "offline", "data quality",
                 "Exit codes"):
        assert text in r.stdout, text


def test_the_console_script_is_installed():
    exe = os.path.join(os.path.dirname(sys.executable), "ecom-report")
    r = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "ecom-report" in r.stdout


def one_line_error(r):
    assert r.returncode == 2, r
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ecom-report: "), r.stderr
    return lines[0]


def test_a_missing_output_folder_is_one_line(tmp_path):
    line = one_line_error(cli("--output", tmp_path / "nope", "--to", tmp_path / "r"))
    assert "no output folder" in line and "make demo" in line
    assert not (tmp_path / "r").exists()


def test_an_empty_output_folder_is_one_line(tmp_path):
    (tmp_path / "out").mkdir()
    line = one_line_error(cli("--output", tmp_path / "out", "--to", tmp_path / "r"))
    assert "no job outputs" in line


def test_a_report_folder_that_cannot_be_written_is_one_line(world, tmp_path):
    (tmp_path / "file").write_text("x")
    line = one_line_error(cli("--output", world[1], "--data", world[0],
                              "--to", tmp_path / "file" / "r"))
    assert "cannot write the report" in line


def test_what_cannot_be_drawn_is_listed_not_fatal(world, tmp_path):
    """Only two jobs' outputs and no data root: those charts, and the rest named as missing."""
    out = tmp_path / "out"
    for name in ("sales_by_region", "customer_tiers", "_runs"):
        shutil.copytree(os.path.join(world[1], name), out / name)
    r = cli("--output", out, "--data", "", "--to", tmp_path / "r")
    assert r.returncode == 0, r.stderr
    assert "no data for funnel" in r.stdout and "no data for data quality" in r.stdout
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert 'id="notes"' in page and "funnel: nothing to draw" in page
    assert sorted(os.listdir(tmp_path / "r")) == sorted(
        ["index.html", "sales-by-region.png", "customer-tiers.png", "job-history.png"])


def test_a_garbled_output_row_is_a_note_not_a_traceback(world, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(world[1], out)
    run = sorted(p for p in (out / "funnel").iterdir() if not p.name.startswith("_"))[-1]
    part = sorted(run.glob("part-*"))[0]
    part.write_text('"mobile"\t{"sessions": 3}\n', encoding="utf-8")  # fields missing
    r = cli("--output", out, "--data", world[0], "--to", tmp_path / "r")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "funnel: could not be drawn" in page
