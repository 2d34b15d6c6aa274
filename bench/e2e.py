"""End to end: landed days in, every job's answer out, against DuckDB from the raw CSVs.

    python -m bench.e2e [--days 30] [--scale 10] [--runs 3]   (`make bench` runs it too)

The data is N days landed by the generator's realistic mode (``--days N --realistic``:
some days one large file, others 3-8 parts; quoted fields, non-ASCII, CRLF, 1% faults),
generation excluded. Each round times, whole process and side by side:

- ``ecom-run`` on its default runner (auto: each job inline or on the local runner by
  the rows it reads; ``--runner`` to time another): the ingest of every landed day
  (canonical Parquet, quarantine, manifests; on the runner it picks), then every job over
  the period (run records, outputs published);
- ``python -m bench.e2e --duckdb DATA DEST``: DuckDB doing the same from the raw CSVs in
  one process: the same typed read, validation, Parquet and quarantine writes as the
  ingest's (bench.ingest.duckdb_ingest), then every job's reference query
  (reference/sql.py) over what it wrote.

Before each round the previous round's canonical data, quarantine and outputs are
removed (outside the timing), so both sides do all the work. Every job's output of the
last round is compared with DuckDB's answer.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import harness  # noqa: E402
from ecomsuite import layout  # noqa: E402
from ecomsuite.pipeline import DEFAULT_RUNNER as RUNNER  # noqa: E402  (what users run)

DEFAULT_DAYS = 30


class LandedDays:
    """N realistic landed days at one scale, generated once and reused (like harness.Data)."""

    def __init__(self, days, scale, seed, root=harness.DATA_ROOT):
        self.days, self.scale, self.seed = days, scale, seed
        self.dir = os.path.join(root, f"days{days}-{harness.scale_name(scale)}-seed{seed}"
                                      "-realistic")
        self.stamp_path = os.path.join(self.dir, "bench-stamp.json")

    def stamp(self):
        return {"days": self.days, "scale": self.scale, "seed": self.seed,
                "datagen_revision": harness.datagen_revision()}

    def is_current(self):
        if not os.path.exists(self.stamp_path):
            return False
        with open(self.stamp_path) as f:
            return json.load(f) == self.stamp()

    def ensure(self, work_dir):
        if self.is_current():
            harness.log(f"reusing landed days at {os.path.relpath(self.dir, harness.ROOT)}")
            return
        harness.log(f"landing {self.days} realistic days at scale {self.scale:g} ...")
        tmp = self.dir + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        m = harness.run_measured(
            [harness.PY, "-m", "datagen", "--out", tmp, "--days", str(self.days), "--scale",
             f"{self.scale:g}", "--seed", str(self.seed), "--realistic", "--quiet"],
            work_dir, f"datagen-days-{harness.scale_name(self.scale)}")
        if m.returncode != 0:
            raise SystemExit(f"the data generator failed:\n{m.stderr_tail()}")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.replace(tmp, self.dir)
        with open(self.stamp_path, "w") as f:
            json.dump(self.stamp(), f)

    def reset(self):
        """Remove what a round made (the canonical form and quarantine)."""
        for name in (layout.CANONICAL, layout.QUARANTINE):
            shutil.rmtree(os.path.join(self.dir, name), ignore_errors=True)


def duckdb_e2e(data_root, dest, job_names):
    """{job: [[key, value], ...]} answered by DuckDB from the landed CSVs (one process)."""
    from bench.ingest import duckdb_ingest
    from reference.sql import reference_for
    parquet = duckdb_ingest(data_root, dest)
    files = {d: [p] for d, p in parquet.items()}
    return {job: [[k, v] for k, v in reference_for(job)(files).items()] for job in job_names}


def job_outputs(output_dir):
    """{job: {normalised key: value}} of the published outputs under an ecom-run output."""
    out = layout.OutputLayout(output_dir)
    answers = {}
    for job in out.jobs():
        records = [r for r in out.read_records(job)[0] if r["status"] == "succeeded"]
        if not records:
            continue
        rows = {}
        for part in out.part_files(records[-1]["output_dir"]):
            rows.update(harness.parse_job_output(part))
        answers[job] = rows
    return answers


def job_breakdown(output_dir):
    """{job: {"runner", "seconds"}} of the succeeded runs under an ecom-run output: where
    the end to end's time went, job by job (the rest is the ingest and ecom-run's own)."""
    out = layout.OutputLayout(output_dir)
    spent = {}
    for job in out.jobs():
        for r in out.read_records(job)[0]:
            if r["status"] == "succeeded":
                spent[job] = {"runner": r["runner"], "seconds": round(r["duration_seconds"], 2)}
    return spent


def time_e2e(landed, jobs, runs, work_dir, warmup=0, runner=RUNNER):
    """Paired rounds of ecom-run (ingest + every job, on `runner`) and DuckDB's whole answer."""
    names = [j.name for j in jobs]
    output = os.path.join(work_dir, "e2e-output")
    ours_cmd = [os.path.join(os.path.dirname(harness.PY), "ecom-run"), "--runner", runner,
                "--quiet", "--data", landed.dir, "--output", output, "--jobs", ",".join(names)]
    rounds, equal, diffs = [], {}, {}
    for i in range(warmup + runs):
        dest = os.path.join(work_dir, f"e2e-duck-{i}")
        os.makedirs(dest, exist_ok=True)
        landed.reset()
        shutil.rmtree(output, ignore_errors=True)
        load = harness.round_load()
        sides = ["ours", "duckdb"] if i % 2 == 0 else ["duckdb", "ours"]
        measured = {}
        for side in sides:
            cmd = ours_cmd if side == "ours" else [
                harness.PY, "-m", "bench.e2e", "--duckdb", landed.dir, dest, ",".join(names)]
            m = harness.run_measured(cmd, work_dir, f"e2e-{side}-{i}", timeout=3600)
            if m.returncode != 0:
                raise RuntimeError(f"end to end: {side} failed, exit {m.returncode}:\n"
                                   f"{m.stderr_tail()}")
            measured[side] = m
        if i == warmup + runs - 1:  # the last round's answers, job by job
            got = job_outputs(output)
            breakdown = job_breakdown(output)
            with open(measured["duckdb"].stdout_path, encoding="utf-8") as f:
                want = {job: {harness._norm_key(k): v for k, v in pairs}
                        for job, pairs in json.load(f).items()}
            for job in names:
                diff = harness.diff_outputs(got.get(job, {}), want.get(job, {}))
                equal[job] = not diff
                if diff:
                    diffs[job] = diff
        shutil.rmtree(dest, ignore_errors=True)
        ours, duck = measured["ours"], measured["duckdb"]
        rounds.append({"warmup": i < warmup, "ours_s": round(ours.wall, 2),
                       "duckdb_s": round(duck.wall, 2), "ratio": round(ours.wall / duck.wall, 3),
                       "ours_rss_mib": round(ours.maxrss_mib, 1),
                       "duckdb_rss_mib": round(duck.maxrss_mib, 1), "load1": round(load, 2)})
        harness.log(f"  end to end round {i}: ecom-run {ours.wall:.1f} s, DuckDB "
                    f"{duck.wall:.1f} s  load {load:.2f}")
    landed.reset()
    shutil.rmtree(output, ignore_errors=True)
    timed = [r for r in rounds if not r["warmup"]]
    return {"days": landed.days, "scale": landed.scale, "jobs": names, "runner": runner,
            "rounds": rounds, "last_round_jobs": breakdown,
            "ours_median_s": statistics.median(r["ours_s"] for r in timed),
            "duckdb_median_s": statistics.median(r["duckdb_s"] for r in timed),
            "ratio_median": round(statistics.median(r["ratio"] for r in timed), 3),
            "ratio_min": min(r["ratio"] for r in timed),
            "ratio_max": max(r["ratio"] for r in timed),
            "load1_mean": round(statistics.mean(r["load1"] for r in timed), 2),
            "load1_max": max(r["load1"] for r in timed),
            "outputs_equal": all(equal.values()) and len(equal) == len(names),
            "equal": equal, "diffs": diffs}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=DEFAULT_DAYS)
    p.add_argument("--scale", type=float, default=10,
                   help="the whole period's size (scale 1: 50,000 orders over the days)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=harness.DEFAULT_SEED)
    p.add_argument("--runner", default=RUNNER,
                   help="ecom-run's --runner (default: its default, %(default)s)")
    p.add_argument("--duckdb", nargs=3, metavar=("DATA", "DEST", "JOBS"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.duckdb:
        data, dest, names = args.duckdb
        json.dump(duckdb_e2e(data, dest, names.split(",")), sys.stdout)
        return 0
    jobs, _ = harness.discover_jobs()
    from reference.sql import reference_for
    jobs = [j for j in jobs if reference_for(j.name) is not None]
    landed = LandedDays(args.days, args.scale, args.seed)
    work = os.path.join(harness.RESULTS_DIR, "tmp-e2e")
    os.makedirs(work, exist_ok=True)
    try:
        landed.ensure(work)
        result = time_e2e(landed, jobs, args.runs, work, runner=args.runner)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["measured_at"] = time.time()
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}, indent=1))
    return 0 if result["outputs_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
