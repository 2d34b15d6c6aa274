"""The benchmark harness end to end at a tiny scale: it runs, checks outputs, writes its files.

Timings here mean nothing (the machine is shared); only the harness's
plumbing is checked. The targets live in the benchmark (`make bench`).
"""

import json
import subprocess
import sys

import pytest

from bench import harness, report


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("bench")
    results = tmp_path / "results"
    r = subprocess.run(
        [sys.executable, "-m", "bench", "--scales", "0.02,0.03", "--runs", "1", "--warmup", "0",
         "--runners", "inline,local", "--jobs", "sales_by_region,device_conversions",
         "--gen-scales", "0.02", "--gen-runs", "1", "--no-hadoop", "--no-exporter",
         "--ingest-runs", "1", "--e2e-days", "2", "--e2e-scale", "0.02", "--e2e-runs", "1",
         "--spark-python", str(tmp_path / "no-spark" / "python"),
         "--data-root", str(tmp_path / "data"), "--results", str(results), "--name", "smoke"],
        capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return tmp_path, results, json.loads((results / "smoke.json").read_text())


def test_bench_runs_at_a_tiny_scale(smoke):
    tmp_path, results, result = smoke
    runs = {(x["job"], x["runner"], x["scale"]): x for x in result["results"]}
    assert set(runs) == {(j, r, s) for j in ("sales_by_region", "device_conversions")
                         for r in ("inline", "local") for s in (0.02, 0.03)}
    for run in runs.values():
        assert run["outputs_equal"], run["output_diff"]
        assert run["median_s"] > 0 and run["duckdb_median_s"] > 0
        assert run["peak_rss_mib"] > 10
        assert run["rows"] > 0 and run["output_rows"] > 0
    assert runs[("device_conversions", "inline", 0.02)]["steps"] == 2
    assert result["config"]["realistic"] is True
    assert result["generator"]["summary"]["S0.02"]["rows_per_s"] > 0
    # realistic data: 1,000 orders generated, the ingest's valid rows are what the jobs read
    assert 950 <= result["datasets"]["S0.02"]["orders"] < 1000
    assert any(t["target"] == "every output equals DuckDB's" and t["met"]
               for t in result["targets"])
    table = (results / "smoke.md").read_text()
    assert "| sales_by_region | 1 | inline | S0.02 |" in table
    assert not (results / "tmp").exists()
    # the README's summary: one row per job, its ratio to DuckDB, the date and machine
    summary = report.readme_summary(result)
    assert f"Measured {result['finished_at'][:16].replace('T', ' ')} UTC" in summary
    ratio = runs[("device_conversions", "inline", 0.03)]["ratio_median"]
    assert "| device_conversions | 2 | " in summary and f"**{ratio:.2f}x**" in summary
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{harness.DOCS_BEGIN}\nold\n{harness.DOCS_END}\n\n## next\n")
    harness.update_docs(str(readme), summary)
    text = readme.read_text()
    assert "old" not in text and summary in text and text.endswith("## next\n")


def test_ingest_end_to_end_memory_and_spark_figures(smoke):
    _, results, result = smoke
    assert [r["scale"] for r in result["ingest"]] == [0.02, 0.03]
    for r in result["ingest"]:
        assert r["realistic"] and r["records"] > r["rejected"] > 0
        assert r["ingest_median_s"] > 0 and r["duckdb_median_s"] > 0 and r["load1_max"] >= 0
    e2e = result["e2e"]
    assert e2e["days"] == 2 and e2e["outputs_equal"], e2e["diffs"]
    assert set(e2e["equal"]) == {"sales_by_region", "device_conversions"}
    # ecom-run's default picks inline for inputs this small; each job's time from its record
    assert {j: r["runner"] for j, r in e2e["last_round_jobs"].items()} == \
        {"sales_by_region": "inline", "device_conversions": "inline"}
    assert all(0 < r["seconds"] < e2e["rounds"][-1]["ours_s"]
               for r in e2e["last_round_jobs"].values())
    assert result["memory"]["device_conversions"]["from"] == "S0.02"
    assert result["memory"]["device_conversions"]["to"] == "S0.03"
    assert result["spark"]["results"] == [] and "no Spark virtualenv" in result["spark"]["status"]
    names = [t["target"] for t in result["targets"]]
    assert any(n.startswith("ingest at S0.03 <= 2.0x") for n in names)
    assert any(n.startswith("end to end (2 days, S0.02) <= 2.0x") for n in names)
    assert any("local peak RSS S0.03 within 1.5x of S0.02" in n for n in names)
    table = (results / "smoke.md").read_text()
    for heading in ("## Ingest", "## End to end", "## Memory", "## Spark"):
        assert heading in table
    assert "no Spark virtualenv" in table
    assert "The last round's jobs (their run records): " in table
    assert result["load_max"] >= max(p["load1"] for r in result["results"] for p in r["pairs"])


def test_readme_summary_shows_inline_at_s10_beside_the_largest_scale(smoke):
    """issue 18's inline target is at S10 and its local one at S100: a run over both shows
    both in the README's table."""
    _, _, result = smoke
    relabel = {0.02: 10, 0.03: 100}
    runs = [dict(r, scale=relabel[r["scale"]]) for r in result["results"]]
    summary = report.readme_summary(dict(result, results=runs))
    assert "| job | steps | inline runner S10 vs DuckDB | inline runner S100 vs DuckDB | " \
           "local runner S100 vs DuckDB |" in summary
    want = {(r["runner"], r["scale"]): r for r in runs if r["job"] == "device_conversions"}
    row = next(line for line in summary.splitlines() if line.startswith("| device_conversions"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    for i, key in enumerate([("inline", 10), ("inline", 100), ("local", 100)], start=2):
        r = want[key]
        assert cells[i] == f"{r['median_s']:.2f} s = **{r['ratio_median']:.2f}x**"
    assert "S10, S100, median of" in summary
    # a run at S10 alone has no second inline column
    only = report.readme_summary(dict(result, results=[r for r in runs if r["scale"] == 10]))
    assert "inline runner S10 vs DuckDB | local runner S10 vs DuckDB |" in only


def test_readme_summary_only_from_a_quiet_run(smoke, tmp_path):
    _, _, result = smoke
    docs, readme = tmp_path / "bench.md", tmp_path / "README.md"
    for path in (docs, readme):
        path.write_text(f"# x\n\n{harness.DOCS_BEGIN}\nold\n{harness.DOCS_END}\n")
    loaded = dict(result, load_max=1.7, provisional=True)
    assert harness.publish_docs(loaded, str(docs), str(readme), 1.0) is False
    assert "old" in readme.read_text()
    assert "**Provisional**" in docs.read_text() and "1.70" in docs.read_text()
    quiet = dict(result, load_max=0.4, provisional=False)
    assert harness.publish_docs(quiet, str(docs), str(readme), 1.0) is True
    assert "old" not in readme.read_text() and "Provisional" not in docs.read_text()
