"""The Parquet export of job outputs: latest complete runs, typed tables, atomic folders.
(The datasets' typed Parquet is the canonical form: tests/ingest.)"""

import json

import duckdb

from ecomsuite import parquet_export, pipeline


def test_job_outputs_and_command_line(generated_data, tmp_path, capsys):
    """The runner's latest complete outputs become jobs/<job>/part-0.parquet."""
    out = tmp_path / "out"
    jobs = "top_products,funnel,sales_by_region"
    assert pipeline.main(["--runner", "inline", "--data", str(generated_data), "--output",
                          str(out), "--jobs", jobs, "--quiet"]) == 0
    (out / "funnel" / "99999999T000000Z-dead").mkdir()  # newer but incomplete: skipped
    dest = tmp_path / "pq"
    assert parquet_export.main(["--output", str(out), "--dest", str(dest)]) == 0
    printed = capsys.readouterr().out
    assert "funnel: 4 rows of run" in printed
    con = duckdb.connect()
    top = con.execute(f"SELECT region, ranking, rank, product_id, revenue FROM "
                      f"read_parquet('{dest}/jobs/top_products/*.parquet') "
                      "WHERE region = 'all' AND ranking = 'revenue' ORDER BY rank").fetchall()
    assert [r[2] for r in top] == [1, 2, 3, 4, 5]
    funnel = dict(con.execute(f"SELECT device, reached_view FROM "
                              f"read_parquet('{dest}/jobs/funnel/*.parquet')").fetchall())
    assert set(funnel) == {"mobile", "desktop", "tablet", "all"}
    sales = con.execute(f"SELECT count(*) FROM read_parquet('{dest}/jobs/sales_by_region/*.parquet')"
                        " WHERE key IS NOT NULL").fetchone()
    assert sales == (6,)
    manifest = json.loads((dest / "jobs" / "funnel" / "_manifest.json").read_text())
    assert manifest["run_id"] != "99999999T000000Z-dead"


def test_job_output_table_names_and_types():
    table = parquet_export.job_output_table
    assert table([], ("rule", "entity_id")).column_names == ["rule", "entity_id"]
    rows = table(['["a",1]\t{"x":1,"y":[{"v":1}]}', '["b",2]\t{"x":2.5,"y":[]}'])
    assert rows.column_names == ["key_0", "key_1", "x", "y"]
    assert rows.column("x").to_pylist() == [1.0, 2.5]
    mixed = table(['"a"\t{"z":1}', '"b"\t{"z":"text"}'], ("segment", "tier", "intent"))
    assert mixed.column_names == ["key", "z"]  # KEY_FIELDS that do not fit the key are unused
    assert mixed.column("z").to_pylist() == ["1", '"text"']  # kept as JSON text
