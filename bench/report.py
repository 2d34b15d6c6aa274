"""The benchmark's markdown report (bench/results/latest.md), from its JSON result."""


def _row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header, rows):
    return "\n".join([_row(header), _row(["---"] * len(header))] + [_row(r) for r in rows])


def _mib(x):
    return f"{x:.0f}"


def _rate(x):
    if x is None:
        return "-"
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f} k"


def job_table(result):
    rows = []
    for r in result["results"]:
        if "error" in r:
            rows.append([r["job"], "-", r["runner"], f"S{r['scale']:g}", "error", "-", "-", "-",
                         "-", "-", "-", "no"])
            continue
        rows.append([
            r["job"], r["steps"], r["runner"], f"S{r['scale']:g}", f"{r['median_s']:.3f}",
            f"{r['duckdb_median_s']:.3f}",
            f"**{r['ratio_median']:.2f}x** ({r['ratio_min']:.2f}-{r['ratio_max']:.2f})",
            _rate(r["rows_per_s"]), _mib(r["peak_rss_mib"]), _mib(r["duckdb_peak_rss_mib"]),
            f"{r['load1_mean']:.1f}",
            f"yes ({r['output_rows']})" if r["outputs_equal"] else "**NO**"])
    return _table(["job", "steps", "runner", "scale", "median s", "DuckDB s",
                   "ratio (min-max)", "rows/s", "peak RSS MiB", "DuckDB RSS MiB", "load",
                   "= DuckDB (rows)"], rows)


def crossover_table(result):
    rows = []
    for job, c in result["crossover"].items():
        scale = c.get("crossover_scale")
        rows.append([job, ", ".join(f"{k} {v:+.2f} s" for k, v in c["local_minus_inline_s"].items()),
                     ", ".join(f"{k} {v:.2f}x" for k, v in c["local_over_inline"].items()),
                     (f"S{scale:g}" if scale is not None else "-") + (f" ({c['note']})"
                                                                       if "note" in c else "")])
    return _table(["job", "local - inline (paired median)", "local / inline",
                   "local overtakes inline at"], rows)


def generator_section(gen):
    if not gen:
        return "Not timed (`--gen-scales ''`)."
    rows = []
    for scale, s in gen["summary"].items():
        per = s.get("dataset_rows_per_s")
        per_text = ", ".join(f"{d} {_rate(v)}" for d, v in per.items()) if per else "-"
        rows.append([scale, f"{sum(s['rows'].values()):,}", f"{s['median_s']:.2f}",
                     _rate(s["rows_per_s"]), per_text, _mib(s["peak_rss_mib"])])
    text = _table(["scale", "rows", "median s", "rows/s overall", "rows/s per dataset",
                   "peak RSS MiB"], rows)
    text += ("\n\nPer dataset: that dataset alone (`--orders/--customers/--clicks` at the "
             "scale's count, the others at their minimum), whole process, so the fixed start-up "
             "(~0.3 s: Faker pools, imports) weighs on the small ones; up to S10.")
    return text


def exporter_section(exp):
    if not exp:
        return "Not timed (`--no-exporter`)."
    head = (f"Pipeline (inline, S{exp['scale']:g}) wrote every job's output in "
            f"{exp['pipeline_inline_s']:.1f} s.")
    if exp.get("status") == "measured":
        return (head + f" Scrape of `/metrics` ({exp['series']} series, {exp['bytes']:,} bytes) "
                f"over {exp['scrapes']} scrapes: median **{exp['median_ms']} ms**, "
                f"p95 {exp['p95_ms']} ms, max {exp['max_ms']} ms.")
    return head + f" Exporter: {exp.get('status')}. {exp.get('note', '')}"


def hadoop_section(h):
    if h.get("cluster") == "not running":
        return ("The local YARN cluster did not answer at 127.0.0.1:8088, so the hadoop runner "
                "was not timed (the benchmark never starts one).")
    if "error" in h or "jobs" not in h:
        return f"YARN answered, but: {h.get('error', 'no result')}"
    rows = [[job, v.get("steps", "-"), v.get("median_s", "-"), v.get("inline_median_s", "-"),
             v.get("overhead_s", v.get("error", "-")),
             {True: "yes", False: "**no**", None: "not read back"}[v.get("outputs_equal")]]
            for job, v in h["jobs"].items()]
    return (f"`ecom-run --runner hadoop` over S{h['scale']:g} data put in HDFS "
            f"({h['put_s']} s to put): whole pipeline **{h['pipeline_s']} s** "
            f"({'ok' if h['pipeline_ok'] else 'FAILED'}; {len(h['pipeline_runs'])} run(s)). "
            "Per job, submit to finish from its run record; overhead = that minus the job's "
            "inline median at the same scale.\n\n"
            + _table(["job", "steps", "YARN s", "inline s", "overhead s", "= DuckDB"], rows))


def ingest_section(result):
    rows = [[f"S{r['scale']:g}", r.get("runner", "inline"), f"{r['records']:,}",
             f"{r['rejected']:,}",
             f"{r['ingest_median_s']:.2f}", f"{r['duckdb_median_s']:.2f}",
             f"**{r['ratio_median']:.2f}x** ({r['ratio_min']:.2f}-{r['ratio_max']:.2f})",
             _rate(r["records_per_s"]), _mib(r["peak_rss_mib"]), _mib(r["duckdb_peak_rss_mib"]),
             f"{r['load1_mean']:.1f} (max {r['load1_max']:.1f})"]
            for r in result.get("ingest") or []]
    if not rows:
        return "Not timed (`--ingest-runs 0`)."
    return ("`ecom-ingest --force` on the runner it picks (inline when the landed bytes "
            "make one map task of 128 MiB, else the local runner: a process per core) "
            "(typed validation of the landed CSV into "
            "canonical Parquet, the quarantine and manifests) against DuckDB doing the same "
            "read (columns by header name), the same rules, the Parquet and quarantine writes "
            "(`python -m bench.ingest --duckdb`), paired rounds, whole processes.\n\n"
            + _table(["scale", "runner", "records", "rejected", "ingest s", "DuckDB s",
                      "ratio (min-max)",
                      "records/s", "peak RSS MiB", "DuckDB RSS MiB", "load"], rows))


def e2e_section(result):
    e = result.get("e2e")
    if not e:
        return "Not timed (`--e2e-days 0`)."
    if "error" in e:
        return f"Failed: {e['error'][-500:]}"
    rows = [[i, r["ours_s"], r["duckdb_s"], f"{r['ratio']:.2f}x", _mib(r["ours_rss_mib"]),
             _mib(r["duckdb_rss_mib"]), r["load1"]] for i, r in enumerate(e["rounds"])]
    equal = ", ".join(f"{j} {'yes' if ok else '**NO**'}" for j, ok in e["equal"].items())
    return (f"{e['days']} landed days in the realistic mode (S{e['scale']:g} over the period; "
            f"generation excluded): `ecom-run --runner {e.get('runner', 'inline')}` (the "
            "ingest of every day on the runner it picks, then "
            "every job) against one DuckDB process answering the same questions from the raw "
            "CSVs (the same validation and writes as the ingest's, then every job's reference "
            f"query): median **{e['ratio_median']:.2f}x** ({e['ours_median_s']:.1f} s vs "
            f"{e['duckdb_median_s']:.1f} s). Outputs equal to DuckDB's: {equal}.\n\n"
            + _table(["round", "ecom-run s", "DuckDB s", "ratio", "peak RSS MiB",
                      "DuckDB RSS MiB", "load"], rows) + e2e_breakdown(e))


def e2e_breakdown(e):
    """The last round's jobs: the runner each ran on and its time (its run record)."""
    jobs = e.get("last_round_jobs")
    if not jobs:
        return ""
    spent = sum(j["seconds"] for j in jobs.values())
    last = e["rounds"][-1]["ours_s"]
    return ("\n\nThe last round's jobs (their run records): "
            + ", ".join(f"{name} {j['seconds']:.2f} s ({j['runner']})"
                        for name, j in jobs.items())
            + f"; {spent:.1f} s in all, so the ingest and ecom-run's own work took "
              f"{last - spent:.1f} s of its {last:.1f} s.")


def memory_section(result):
    mem = result.get("memory") or {}
    if not mem:
        return "Needs two scales with the local runner."
    rows = [[job, f"{g['from']} {g['from_mib']:.0f}", f"{g['to']} {g['to_mib']:.0f}",
             f"**{g['ratio']:.2f}x**"] for job, g in mem.items()]
    return ("The local runner's peak RSS (the largest process of the job's tree: a task or the "
            "driver), at the two largest scales timed. The inline runner sorts the "
            "intermediate records in Python memory: its peak grows with them (see the jobs "
            "table).\n\n" + _table(["job", "peak RSS MiB (smaller)", "peak RSS MiB (larger)",
                                      "ratio"], rows))


def spark_section(result):
    sp = result.get("spark") or {}
    if not sp.get("results"):
        return f"Not timed: {sp.get('status', 'not asked')}."
    rows = [[r["job"], f"S{r['scale']:g}", f"{r['median_s']:.2f}", f"{r['duckdb_median_s']:.2f}",
             f"**{r['ratio_median']:.1f}x** ({r['ratio_min']:.1f}-{r['ratio_max']:.1f})",
             _mib(r["peak_rss_mib"]), f"{r['load1_mean']:.1f}",
             "yes" if r["outputs_equal"] else "**NO**"] for r in sp["results"]]
    return ("The core jobs in Spark (pyspark, `local[2]`, 2 GB driver; `bench/spark_run.py` in "
            "its own virtualenv) over the same canonical Parquet files, whole process (JVM "
            "and session start-up included), paired with DuckDB.\n\n"
            + _table(["job", "scale", "Spark s", "DuckDB s", "ratio (min-max)", "peak RSS MiB",
                      "load", "= DuckDB"], rows))


REALISTIC_NOTE = ("the generator's realistic mode (`--realistic`: quoted product names with "
                  "commas, non-ASCII names and cities, multi-line addresses, CRLF files, 1% "
                  "malformed records; the jobs read the ingest's canonical form of it), ")


def load_note(result):
    if result.get("provisional"):
        return (f"**Provisional**: the machine's 1-minute load average reached "
                f"{result['load_max']:.2f} during this run (shared with other work), so "
                "these figures are not a quiet machine's and the README's summary was not "
                "rewritten from them.")
    if "load_max" in result:
        return f"Load average stayed below 1 (max {result['load_max']:.2f})."
    return ""


def markdown(result, heading_level=1):
    """The whole report; `heading_level` 3 nests it under a document's own headings."""
    m = result["machine"]
    cfg = result["config"]
    parts = [
        f"Benchmark results of {result['finished_at'][:16].replace('T', ' ')} UTC"
        if heading_level > 1 else
        f"# Benchmark results ({result['finished_at'][:16].replace('T', ' ')} UTC)",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}, "
        f"mrjob {m['mrjob']}, DuckDB {m['duckdb']}, ujson {m['ujson']}. Revision "
        f"`{result['git_revision']}`. Load average at start "
        f"{result['load_at_start'][0]:.2f}, at end {result['load_at_end'][0]:.2f} (shared "
        "machine). Run in "
        f"{result['duration_s'] / 60:.1f} min.",
        f"Each cell: median of {cfg['runs']} timed rounds after {cfg['warmup']} warm-up, whole "
        "process (`python jobs/mr_X.py -r RUNNER BUNDLES` vs `python -m bench.duck_run X "
        "FILES`: the runners read the canonical parts in bundles, as `ecom-run` gives them, "
        "and a bucketed job is told its input's rows); "
        "each round runs the job on every runner and DuckDB once, in a rotating order; "
        f"ratio = median of the per-round ratios mrjob/DuckDB (min-max). "
        f"Data: {REALISTIC_NOTE if cfg.get('realistic') else ''}"
        f"seed {cfg['seed']}, {cfg['parts']} part files per dataset, "
        f"{cfg.get('fraud_actors', 0)} injected fraud actors; environment "
        f"{cfg['env']}. Peak RSS: largest process of the tree.",
        load_note(result),
        "## Jobs", job_table(result),
        "## Ingest", ingest_section(result),
        "## End to end", e2e_section(result),
        "## Memory: peak RSS by scale", memory_section(result),
        "## Spark", spark_section(result),
        "## Where the local runner overtakes inline",
        "Both runners are timed in the same rounds; the median paired difference at "
        "each scale, fitted as a line (start-up + per-row cost difference), gives the scale "
        "where it reaches zero.",
        crossover_table(result),
        "## YARN", hadoop_section(result["hadoop"]),
        "## Data generator", generator_section(result["generator"]),
        "## Exporter", exporter_section(result["exporter"]),
        "## Targets",
        _table(["target", "measured", "met"],
               [[t["target"], t["measured"], "yes" if t["met"] else "**no**"]
                for t in result["targets"]]),
    ]
    if result["jobs_not_timed"]:
        parts += ["## Not timed", "\n".join(f"- {k}: {v}"
                                            for k, v in result["jobs_not_timed"].items())]
    if heading_level > 1:
        parts = [p.replace("## ", "#" * heading_level + " ", 1) if p.startswith("## ") else p
                 for p in parts]
    return "\n\n".join(parts) + "\n"


def readme_summary(result):
    """The short table the README shows: per job, its ratios to DuckDB on each runner at
    the largest scale, and on the inline runner at S10 too (where issue 18's inline
    target is) when S10 is not the largest; then the targets that are not per job. The
    full report is in docs/bench.md."""
    m = result["machine"]
    scales = sorted({r["scale"] for r in result["results"] if "error" not in r})
    if not scales:
        return "No job was timed."
    top = scales[-1]
    by = {(r["job"], r["runner"], r["scale"]): r for r in result["results"]
          if "error" not in r}
    runners = [x for x in ("inline", "local") if any(k[1:] == (x, top) for k in by)]
    columns = [(x, top) for x in runners]
    if top != 10 and any(k[1:] == ("inline", 10) for k in by):
        columns.insert(0, ("inline", 10))
    rows = []
    for job in sorted({k[0] for k in by if k[2] == top}):
        cells = [job, next(v["steps"] for k, v in by.items() if k[0] == job)]
        for runner, scale in columns:
            r = by.get((job, runner, scale))
            cells.append(f"{r['median_s']:.2f} s = **{r['ratio_median']:.2f}x**" if r else "-")
        crossing = result["crossover"].get(job, {}).get("crossover_scale")
        cells.append(f"S{crossing:g}" if crossing is not None else "-")
        cells.append("yes" if all(v["outputs_equal"] for k, v in by.items() if k[0] == job)
                     else "**NO**")
        rows.append(cells)
    when = result["finished_at"][:16].replace("T", " ")
    shown = ", ".join(f"S{s:g}" for s in sorted({s for _, s in columns}))
    head = (f"Measured {when} UTC on {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB), "
            f"Python {m['python']}, mrjob {m['mrjob']}, DuckDB {m['duckdb']}; revision "
            f"`{result['git_revision']}`. {shown}, median of {result['config']['runs']} "
            "rounds, whole process; ratio = job time / DuckDB's on the same files. "
            f"Load average at most {result.get('load_max', 0):.2f}.")
    table = _table(["job", "steps", *(f"{r} runner S{s:g} vs DuckDB" for r, s in columns),
                    "local overtakes inline at", "= DuckDB"], rows)
    per_job = (": inline at", ": local faster than inline", ": local at S100")
    others = [t for t in result["targets"] if not any(x in t["target"] for x in per_job)]
    extra = "\n".join(f"- {t['target']}: {t['measured']} ({'met' if t['met'] else 'not met'})"
                       for t in others)
    return f"{head}\n\n{table}\n\n{extra}\n" if extra else f"{head}\n\n{table}\n"
