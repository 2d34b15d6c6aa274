"""The benchmark harness end to end at a tiny scale: it runs, checks outputs, writes its files.

Timings here mean nothing (the machine is shared); only the harness's
plumbing is checked. The targets live in the benchmark (`make bench`).
"""

import json
import subprocess
import sys

from bench import harness, report


def test_bench_runs_at_a_tiny_scale(tmp_path):
    results = tmp_path / "results"
    r = subprocess.run(
        [sys.executable, "-m", "bench", "--scales", "0.02", "--runs", "1", "--warmup", "0",
         "--runners", "inline", "--jobs", "sales_by_region,device_conversions",
         "--gen-scales", "0.02", "--gen-runs", "1", "--no-hadoop", "--no-exporter",
         "--data-root", str(tmp_path / "data"), "--results", str(results), "--name", "smoke"],
        capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    result = json.loads((results / "smoke.json").read_text())
    runs = {(x["job"], x["runner"]): x for x in result["results"]}
    assert set(runs) == {("sales_by_region", "inline"), ("device_conversions", "inline")}
    for run in runs.values():
        assert run["outputs_equal"], run["output_diff"]
        assert run["median_s"] > 0 and run["duckdb_median_s"] > 0
        assert run["peak_rss_mib"] > 10
        assert run["rows"] > 0 and run["output_rows"] > 0
    assert runs[("device_conversions", "inline")]["steps"] == 2
    assert result["generator"]["summary"]["S0.02"]["rows_per_s"] > 0
    assert result["datasets"]["S0.02"]["orders"] == 1000
    assert any(t["target"] == "every output equals DuckDB's" and t["met"]
               for t in result["targets"])
    table = (results / "smoke.md").read_text()
    assert "| sales_by_region | 1 | inline | S0.02 |" in table
    assert not (results / "tmp").exists()
    # the README's summary: one row per job, its ratio to DuckDB, the date and machine
    summary = report.readme_summary(result)
    assert f"Measured {result['finished_at'][:16].replace('T', ' ')} UTC" in summary
    ratio = runs[("device_conversions", "inline")]["ratio_median"]
    assert "| device_conversions | 2 | " in summary and f"**{ratio:.2f}x**" in summary
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{harness.DOCS_BEGIN}\nold\n{harness.DOCS_END}\n\n## next\n")
    harness.update_docs(str(readme), summary)
    text = readme.read_text()
    assert "old" not in text and summary in text and text.endswith("## next\n")
