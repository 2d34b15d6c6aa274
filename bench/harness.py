"""Time every job of the suite against the same analysis in DuckDB, on the same files.

    python -m bench --scales 1,10 --runs 5            # what `make bench` runs

For each scale the harness generates (or reuses) seeded data with the suite's
generator, then for each job and runner runs the mrjob job and its DuckDB
reference (reference/sql.py) as whole processes, one warm-up pair and then
``--runs`` timed pairs, alternating which of the two goes first. Each pair
gives a ratio (mrjob time / DuckDB time), so load from other users of the
machine hits both sides of a ratio alike; the load average is recorded with
every pair. Every output (warm-up included) is compared with DuckDB's.

It also times the data generator (rows/s, peak RSS at growing scales), the
exporter's scrape latency when the exporter exists, and jobs on the local
YARN cluster when one answers (never starting one). Results go to
bench/results/latest.json and bench/results/latest.md.

Peak RSS is the largest single process of the measured process tree (what
``wait4`` reports), in MiB.
"""

import argparse
import datetime as dt
import glob
import hashlib
import importlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from bench import report
from reference.sql import reference_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
DATA_ROOT = os.path.join(ROOT, "bench", "data")
RESULTS_DIR = os.path.join(ROOT, "bench", "results")
MEASURE = os.path.join(ROOT, "bench", "measure.py")
MRJOB_CONF = os.path.join(ROOT, "mrjob.conf")
DOCS = os.path.join(ROOT, "docs", "bench.md")
README = os.path.join(ROOT, "README.md")
DOCS_BEGIN, DOCS_END = "<!-- bench results: begin -->", "<!-- bench results: end -->"
CLUSTER_INFO_URL = "http://127.0.0.1:8088/ws/v1/cluster/info"
DEFAULT_SEED = 42
DEFAULT_PARTS = 2
CORE_ORDER = ("sales_by_region", "customer_tiers", "device_conversions")

# Measured commands run with the environment the pipeline gives job processes
# (ecomsuite.config.JOB_ENV: mrjob imports distutils, and setuptools' shim of
# it pulls in pkg_resources, 0.2 s per process). It is set for the DuckDB
# process too, so both sides run in the same environment.
from ecomsuite import layout  # noqa: E402
from ecomsuite.config import JOB_ENV  # noqa: E402
from ecomsuite.pipeline import DEFAULT_HADOOP_PARALLEL  # noqa: E402


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def scale_name(scale):
    return f"s{scale:g}"


def measured_env():
    env = dict(os.environ)
    env.update(JOB_ENV)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


# --- running and measuring one process --------------------------------------

class Measured:
    def __init__(self, wall, maxrss_kib, returncode, stdout_path, stderr_path):
        self.wall = wall
        self.maxrss_mib = maxrss_kib / 1024
        self.returncode = returncode
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path

    def stderr_tail(self, n=15):
        with open(self.stderr_path, errors="replace") as f:
            return "".join(f.readlines()[-n:])


SETTLE_S = 0.0     # --settle: the longest wait for a quiet machine before a round
LOAD_LIMIT = 1.0   # --max-load


def round_load():
    """The 1-minute load average recorded before a round. With --settle S, first wait
    (up to S seconds, looking every second) for it to fall below --max-load, so that a
    round starts on a machine the previous round (or anything else) no longer loads.
    Returns the load seen last."""
    load = os.getloadavg()[0]
    deadline = time.monotonic() + SETTLE_S
    # as recorded (to 2 decimals): 0.996 is recorded as 1.0, which reaches the limit
    while round(load, 2) >= LOAD_LIMIT and time.monotonic() < deadline:
        time.sleep(1)
        load = os.getloadavg()[0]
    return load


def run_measured(cmd, out_dir, name, timeout=1800, env=None):
    """Run `cmd` whole (through bench/measure.py); its wall time and peak RSS."""
    os.makedirs(out_dir, exist_ok=True)
    stdout_path = os.path.join(out_dir, f"{name}.out")
    stderr_path = os.path.join(out_dir, f"{name}.err")
    result_path = os.path.join(out_dir, f"{name}.json")
    subprocess.run([PY, "-I", MEASURE, result_path, stdout_path, stderr_path, str(timeout),
                    "--", *cmd], env=env or measured_env(), cwd=ROOT, check=True)
    with open(result_path) as f:
        r = json.load(f)
    os.remove(result_path)
    return Measured(r["wall_s"], r["maxrss_kib"], r["returncode"], stdout_path, stderr_path)


# --- the jobs ---------------------------------------------------------------

class JobInfo:
    def __init__(self, cls, script):
        self.cls = cls
        self.name = cls.NAME
        self.script = script
        self.datasets = tuple(cls.input_datasets())
        self.steps = len(cls(args=[]).steps())

    @property
    def multi_step(self):
        return self.steps > 1


def discover_jobs():
    """Every job in jobs/mr_*.py (core jobs first); (jobs, {file: import error})."""
    from ecomsuite.jobbase import CSVJob
    jobs, broken = {}, {}
    for path in sorted(glob.glob(os.path.join(ROOT, "jobs", "mr_*.py"))):
        module_name = "jobs." + os.path.basename(path)[:-3]
        try:
            module = importlib.import_module(module_name)
        except Exception as e:  # a job being written right now
            broken[os.path.relpath(path, ROOT)] = f"{type(e).__name__}: {e}"
            continue
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, CSVJob) and value is not CSVJob
                    and value.__module__ == module_name and value.NAME):
                jobs[value.NAME] = JobInfo(value, os.path.relpath(path, ROOT))
    ordered = [n for n in CORE_ORDER if n in jobs] + sorted(n for n in jobs if n not in CORE_ORDER)
    return [jobs[n] for n in ordered], broken


def sized_args(job_cls, rows):
    """What ecom-run tells a bucketed job (its input's rows, which size its reduce keys;
    a job on HDFS paths cannot count them from the Parquet footers itself)."""
    return ["--input-rows", str(rows)] if rows is not None and job_cls.FEWEST_BUCKETS else []


def job_command(job, runner, files, rows=None):
    """The measured command: the job's script, as the pipeline would run it (a bucketed
    job is told its input's rows, which size its reduce keys, as ecom-run does)."""
    sized = sized_args(job.cls, rows)
    if runner == "hadoop":  # the cluster's settings (streaming jar, py_files, cmdenv)
        return [PY, job.script, "-r", "hadoop", "--conf-path", MRJOB_CONF, *sized, *files]
    from ecomsuite.pipeline import runner_args
    return [PY, job.script, *runner_args(runner), *sized, *files]


def hadoop_env():
    """The environment of a Hadoop client (ECOM_ROOT, JAVA_HOME, HADOOP_CONF_DIR, PATH)."""
    from ecomsuite.hadoop import daemons
    return daemons.client_env(base=measured_env())


def duck_command(job, files_by_dataset):
    specs = [f"{d}={','.join(files)}" for d, files in files_by_dataset.items()]
    return [PY, "-m", "bench.duck_run", job.name, *specs]


def _norm_key(key):
    return json.dumps(key, sort_keys=True)


def parse_job_output(path):
    """mrjob JSON protocol output (key TAB value) -> {normalised key: value}."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                key, _, value = line.rstrip("\n").partition("\t")
                rows[_norm_key(json.loads(key))] = json.loads(value)
    return rows


def parse_duck_output(path):
    with open(path, encoding="utf-8") as f:
        return {_norm_key(k): v for k, v in json.load(f)}


def diff_outputs(got, want, limit=3):
    """'' when equal, else a short description of the first differences."""
    if got == want:
        return ""
    lines = []
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            lines.append(f"{key}: mrjob={got.get(key)} duckdb={want.get(key)}")
            if len(lines) == limit:
                break
    return "; ".join(lines)


# --- data -------------------------------------------------------------------

def datagen_revision():
    """The generator's last commit, and a digest of its uncommitted changes if any."""
    r = subprocess.run(["git", "log", "-1", "--format=%H", "--", "datagen"], cwd=ROOT,
                       capture_output=True, text=True)
    diff = subprocess.run(["git", "diff", "HEAD", "--", "datagen", "ecomsuite/schemas.py"],
                          cwd=ROOT, capture_output=True)
    rev = r.stdout.strip() or "uncommitted"
    if diff.stdout:
        rev += "+" + hashlib.sha1(diff.stdout).hexdigest()[:12]
    return rev


FRAUD_ACTORS = 3  # injected bot sessions, order bursts and outliers: fraud_signals' output


def datagen_command(out, scale, seed, parts, realistic=False):
    return [PY, "-m", "datagen", "--out", out, "--scale", f"{scale:g}", "--seed", str(seed),
            "--parts", str(parts), "--fraud-actors", str(FRAUD_ACTORS), "--quiet",
            *(["--realistic"] if realistic else [])]


def dataset_complete(directory, datasets=("orders", "customers", "clickstream")):
    try:
        layout.DataLayout(directory).input_files(datasets)
    except layout.LayoutError:
        return False
    return True


def count_rows(files):
    """Data rows of CSV part files: non-blank lines, less the header lines."""
    from ecomsuite.schemas import DATASETS
    headers = {d.header.encode() for d in DATASETS.values()}
    rows = 0
    for path in files:
        with open(path, "rb") as f:
            first = f.readline()
            rows += bool(first.strip()) and first.rstrip(b"\r\n").removeprefix(
                b"\xef\xbb\xbf") not in headers
            last = first
            while block := f.read(1 << 24):
                rows += block.count(b"\n")
                last = block
            if last is not first and not last.endswith(b"\n"):
                rows += 1  # a last line with no newline
    return rows


def part_files(directory, dataset):
    return sorted(layout.DataLayout(directory).input_files([dataset])[0])


class Data:
    """Seeded data at one scale, generated once and reused while the generator is unchanged."""

    def __init__(self, scale, seed, parts, root=DATA_ROOT, realistic=True):
        self.scale, self.seed, self.parts, self.realistic = scale, seed, parts, realistic
        self.dir = os.path.join(root, f"{scale_name(scale)}-seed{seed}-parts{parts}"
                                      f"{'-realistic' if realistic else ''}")
        self.stamp_path = os.path.join(self.dir, "bench-stamp.json")
        self._bundles = {}

    def stamp(self):
        return {"scale": self.scale, "seed": self.seed, "parts": self.parts,
                "realistic": self.realistic,
                "fraud_actors": FRAUD_ACTORS, "datagen_revision": datagen_revision()}

    def is_current(self):
        if not dataset_complete(self.dir) or not os.path.exists(self.stamp_path):
            return False
        with open(self.stamp_path) as f:
            return json.load(f) == self.stamp()

    def adopt(self, generated_dir):
        """Take a freshly generated folder as this scale's data."""
        shutil.rmtree(self.dir, ignore_errors=True)
        os.replace(generated_dir, self.dir)
        with open(self.stamp_path, "w") as f:
            json.dump(self.stamp(), f)

    def ensure(self, work_dir):
        if self.is_current():
            log(f"reusing data at {os.path.relpath(self.dir, ROOT)}")
            return
        log(f"generating data at scale {self.scale:g} ...")
        tmp = self.dir + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        m = run_measured(datagen_command(tmp, self.scale, self.seed, self.parts,
                                         self.realistic), work_dir,
                         f"datagen-{scale_name(self.scale)}")
        if m.returncode != 0:
            raise SystemExit(f"the data generator failed:\n{m.stderr_tail()}")
        self.adopt(tmp)

    def files(self, datasets):
        return {d: part_files(self.dir, d) for d in datasets}

    def valid_rows(self, dataset):
        """Rows of the dataset's canonical form (the ingest's valid rows)."""
        self.canonical_files([dataset])
        return layout.DataLayout(self.dir).ingest_manifest(dataset, None).valid

    def bundled(self, dataset, work_dir):
        """The dataset's canonical parts as ecom-run gives the inline and local runners
        (ecomsuite.pipeline.bundle_parts), written once per benchmark run in work_dir."""
        from ecomsuite.pipeline import bundle_parts
        directory = os.path.join(work_dir, "bundles", os.path.basename(self.dir), dataset)
        if directory not in self._bundles:
            shutil.rmtree(directory, ignore_errors=True)
            os.makedirs(directory)
            self._bundles[directory] = bundle_parts(self.canonical_files([dataset])[dataset],
                                                    directory)
        return self._bundles[directory]

    def canonical_files(self, datasets):
        """The canonical parts of the datasets (ingested once, inline, when missing)."""
        from ecomsuite import ingest
        ingest.ingest(self.dir, "inline")  # up-to-date datasets are skipped
        data = layout.DataLayout(self.dir)
        return {d: data.canonical_parts(d, [None]) for d in datasets}


# --- paired timing ----------------------------------------------------------

def summarize_pairs(pairs, rows):
    timed = [p for p in pairs if not p["warmup"]]
    mr = [p["mrjob_s"] for p in timed]
    duck = [p["duckdb_s"] for p in timed]
    ratios = [p["ratio"] for p in timed]
    med = statistics.median(mr)
    return {
        "runs": len(timed),
        "median_s": round(med, 3),
        "min_s": round(min(mr), 3),
        "duckdb_median_s": round(statistics.median(duck), 3),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3),
        "rows": rows,
        "rows_per_s": round(rows / med) if med else None,
        "peak_rss_mib": round(max(p["mrjob_rss_mib"] for p in pairs), 1),
        "duckdb_peak_rss_mib": round(max(p["duckdb_rss_mib"] for p in pairs), 1),
        "load1_mean": round(statistics.mean(p["load1"] for p in timed), 2),
        "load1_max": round(max(p["load1"] for p in timed), 2),
        "outputs_equal": all(p["output_equal"] for p in pairs),
        "output_rows": pairs[-1]["output_rows"],
        "output_diff": next((p["diff"] for p in pairs if p["diff"]), ""),
    }


def time_job(job, runners, data, runs, warmup, work_dir):
    """Warm-up and timed rounds of one job at one scale: in each round the job on every
    runner and its DuckDB reference, in a rotating order, so each runner's time is
    paired with DuckDB's (and the local runner's with inline's) under the same load.
    Returns one result per runner."""
    canonical = data.canonical_files(job.datasets)  # what the jobs read (ecom-ingest's)
    files = [f for d in job.datasets for f in canonical[d]]
    # the inline and local runners read bundles of the parts, as ecom-run gives them
    bundled = [b for d in job.datasets for b in data.bundled(d, work_dir)]
    rows = sum(data.valid_rows(d) for d in job.datasets)
    commands = {runner: job_command(job, runner, files if runner == "hadoop" else bundled, rows)
                for runner in runners}
    commands["duckdb"] = duck_command(job, canonical)  # DuckDB on the same canonical files
    sides = [*runners, "duckdb"]
    pairs = {runner: [] for runner in runners}
    for i in range(warmup + runs):
        load1 = round_load()
        order = sides[i % len(sides):] + sides[:i % len(sides)]
        measured = {}
        for side in order:
            m = run_measured(commands[side], work_dir,
                             f"{job.name}-{side}-{scale_name(data.scale)}-{i}")
            if m.returncode != 0:
                raise RuntimeError(f"{side} failed for {job.name} (S{data.scale:g}), "
                                   f"exit {m.returncode}:\n{m.stderr_tail()}")
            measured[side] = m
        duck = measured["duckdb"]
        want = parse_duck_output(duck.stdout_path)
        for runner in runners:
            m = measured[runner]
            got = parse_job_output(m.stdout_path)
            diff = diff_outputs(got, want)
            pairs[runner].append({
                "warmup": i < warmup, "order": order, "load1": round(load1, 2),
                "mrjob_s": round(m.wall, 4), "duckdb_s": round(duck.wall, 4),
                "ratio": round(m.wall / duck.wall, 4),
                "mrjob_rss_mib": round(m.maxrss_mib, 1),
                "duckdb_rss_mib": round(duck.maxrss_mib, 1),
                "output_equal": not diff, "diff": diff, "output_rows": len(got),
            })
        for m in measured.values():
            os.remove(m.stdout_path)
            os.remove(m.stderr_path)
    results = []
    for runner in runners:
        result = {"job": job.name, "steps": job.steps, "runner": runner, "scale": data.scale,
                  "parts": data.parts, "pairs": pairs[runner]}
        result.update(summarize_pairs(pairs[runner], rows))
        if runner == "local" and "inline" in runners:
            timed = [(p, q) for p, q in zip(pairs["local"], pairs["inline"]) if not p["warmup"]]
            result["vs_inline_median"] = round(statistics.median(
                p["mrjob_s"] / q["mrjob_s"] for p, q in timed), 3)
            result["minus_inline_median_s"] = round(statistics.median(
                p["mrjob_s"] - q["mrjob_s"] for p, q in timed), 3)
        log(f"  {job.name:<22} {runner:<7} S{data.scale:<4g} {result['median_s']:7.3f} s  "
            f"duckdb {result['duckdb_median_s']:6.3f} s  ratio {result['ratio_median']:5.2f}x  "
            f"rss {result['peak_rss_mib']:6.1f} MiB  load {result['load1_mean']:.2f}  "
            + (f"local/inline {result['vs_inline_median']:.2f}  "
               if "vs_inline_median" in result else "")
            + ("ok" if result["outputs_equal"] else "DIFFERENT: " + result["output_diff"]))
        results.append(result)
    return results


def crossovers(results, scales):
    """Per job: the scale at which the local runner overtakes inline.

    Each round times both runners under the same load; the median of the
    paired differences (local - inline) at the smallest and at the largest
    scale gives a line (the difference of two start-up + per-row cost lines),
    and the crossover is where it reaches zero.
    """
    out = {}
    by = {(r["job"], r["runner"], r["scale"]): r for r in results}
    lo, hi = min(scales), max(scales)
    for job in sorted({r["job"] for r in results}):
        local = {s: by[(job, "local", s)] for s in scales if (job, "local", s) in by
                 and "minus_inline_median_s" in by[(job, "local", s)]}
        if not local:
            continue
        entry = {"local_minus_inline_s": {f"S{s:g}": r["minus_inline_median_s"]
                                          for s, r in sorted(local.items())},
                 "local_over_inline": {f"S{s:g}": r["vs_inline_median"]
                                       for s, r in sorted(local.items())}}
        entry["crossover_scale"] = None
        if lo in local and hi in local and lo != hi:
            d_lo, d_hi = local[lo]["minus_inline_median_s"], local[hi]["minus_inline_median_s"]
            if d_lo <= 0:
                entry["crossover_scale"] = lo
                entry["note"] = f"local is already faster at S{lo:g}"
            elif d_hi >= d_lo:
                entry["note"] = "never at these scales: the gap does not shrink"
            else:
                entry["crossover_scale"] = round(lo + d_lo * (hi - lo) / (d_lo - d_hi), 1)
        out[job] = entry
    return out


# --- Spark ------------------------------------------------------------------

SPARK_PY = os.path.join(ROOT, ".venvs", "spark", "bin", "python")  # made by `make bench-spark`
SPARK_RUN = os.path.join(ROOT, "bench", "spark_run.py")
SPARK_JOBS = ("sales_by_region", "customer_tiers", "device_conversions")


def spark_status(python):
    """None when pyspark and a JDK can run here, else why not (one line)."""
    if not python or not os.path.exists(python):
        return (f"no Spark virtualenv at {os.path.relpath(python or SPARK_PY, ROOT)} "
                "(`make bench-spark` makes it: pip install pyspark into its own venv)")
    if not shutil.which("java"):
        return "no java on PATH: pyspark needs a JDK (17 or 21)"
    r = subprocess.run([python, "-c", "import pyspark; print(pyspark.__version__)"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"pyspark does not import: {r.stderr.strip().splitlines()[-1:]}"
    return None


def time_spark(jobs, data, runs, warmup, work_dir, python):
    """The core jobs in Spark (local[2]) against DuckDB on the same canonical files,
    paired rounds, outputs compared with DuckDB's."""
    out = []
    for job in [j for j in jobs if j.name in SPARK_JOBS]:
        canonical = data.canonical_files(job.datasets)
        specs = [f"{d}={','.join(files)}" for d, files in canonical.items()]
        commands = {"spark": [python, SPARK_RUN, job.name, *specs],
                    "duckdb": duck_command(job, canonical)}
        pairs = []
        for i in range(warmup + runs):
            load1 = round_load()
            measured = {}
            for side in (["spark", "duckdb"] if i % 2 == 0 else ["duckdb", "spark"]):
                m = run_measured(commands[side], work_dir, f"spark-{job.name}-{side}-{i}",
                                 timeout=900)
                if m.returncode != 0:
                    raise RuntimeError(f"{side} failed for {job.name} (Spark round), exit "
                                       f"{m.returncode}:\n{m.stderr_tail()}")
                measured[side] = m
            got = parse_duck_output(measured["spark"].stdout_path)
            diff = diff_outputs(got, parse_duck_output(measured["duckdb"].stdout_path))
            spark, duck = measured["spark"], measured["duckdb"]
            pairs.append({"warmup": i < warmup, "order": [], "load1": round(load1, 2),
                          "mrjob_s": round(spark.wall, 3), "duckdb_s": round(duck.wall, 3),
                          "ratio": round(spark.wall / duck.wall, 3),
                          "mrjob_rss_mib": round(spark.maxrss_mib, 1),
                          "duckdb_rss_mib": round(duck.maxrss_mib, 1),
                          "output_equal": not diff, "diff": diff, "output_rows": len(got)})
        result = {"job": job.name, "steps": job.steps, "runner": "spark local[2]",
                  "scale": data.scale, "parts": data.parts, "pairs": pairs}
        result.update(summarize_pairs(pairs, sum(data.valid_rows(d) for d in job.datasets)))
        log(f"  {job.name:<22} spark   S{data.scale:<4g} {result['median_s']:7.3f} s  duckdb "
            f"{result['duckdb_median_s']:6.3f} s  ratio {result['ratio_median']:5.2f}x  "
            f"load {result['load1_mean']:.2f}  "
            + ("ok" if result["outputs_equal"] else "DIFFERENT: " + result["output_diff"]))
        out.append(result)
    return out


# --- YARN -------------------------------------------------------------------

def cluster_up():
    try:
        with urllib.request.urlopen(CLUSTER_INFO_URL, timeout=3) as r:
            return json.load(r).get("clusterInfo", {}).get("state", "unknown")
    except Exception:
        return None


HDFS_ROOT = "hdfs:///bench"  # the benchmark's own corner of the cluster's HDFS
# The whole pipeline on this single-node YARN at S1 stays under this. Why this
# number: the compute is ~4 s in all (the inline medians); what costs is YARN's and
# mrjob's client's fixed work per job, measured alone at 25-28 s for a one-step job
# and 40-47 s for a two-step one (no py_files upload): 237 s for the eight jobs one
# at a time. ecom-run runs two at a time (160 s measured, docs/hadoop.md), so the
# budget is what one at a time costs: two at a time must never be slower than that,
# which leaves ~50% for a busy shared machine.
YARN_PIPELINE_BUDGET_S = 240


def hadoop_fs(env, *args):
    return subprocess.run(["hadoop", "fs", *args], env=env, capture_output=True, text=True)


def time_hadoop(jobs, data, inline_results, runs, work_dir, parallel=None):
    """The whole pipeline on YARN at one scale (`ecom-run --runner hadoop`, data put in
    HDFS first), each job's submit-to-finish time from its run record, its overhead
    (that time minus the job's inline median), and its output checked against DuckDB.
    With runs > 1 the pipeline runs that many times (medians)."""
    inline = {r["job"]: r for r in inline_results
              if r["runner"] == "inline" and r["scale"] == data.scale}
    env = hadoop_env()
    raw = f"{HDFS_ROOT}/{os.path.basename(data.dir)}"
    output = f"{HDFS_ROOT}/output"
    out = {"scale": data.scale, "hdfs_data": raw, "jobs": {}, "pipeline_runs": [],
           "parallel": parallel or DEFAULT_HADOOP_PARALLEL}
    start = time.perf_counter()
    hadoop_fs(env, "-mkdir", "-p", HDFS_ROOT)
    hadoop_fs(env, "-rm", "-r", "-f", "-skipTrash", raw)
    put = hadoop_fs(env, "-put", data.dir, raw)
    out["put_s"] = round(time.perf_counter() - start, 1)
    if put.returncode != 0:
        out["error"] = f"hadoop fs -put failed: {put.stderr[-1500:]}"
        log(f"  {out['error']}")
        return out
    durations = {}
    for i in range(runs):
        hadoop_fs(env, "-rm", "-r", "-f", "-skipTrash", output)
        m = run_measured([os.path.join(os.path.dirname(PY), "ecom-run"), "--runner", "hadoop",
                          "--data", raw, "--output", output,
                          "--jobs", ",".join(j.name for j in jobs),
                          *(["--parallel", str(parallel)] if parallel else [])],
                         work_dir, f"pipeline-hadoop-{i}", env=env, timeout=900)
        out["pipeline_runs"].append({"wall_s": round(m.wall, 1), "ok": m.returncode == 0})
        log(f"  pipeline on YARN, S{data.scale:g}: {m.wall:.1f} s "
            f"({'ok' if m.returncode == 0 else 'FAILED: ' + m.stderr_tail(3)})")
        # Per job, from its run record (submit to finish, as ecom-run measured it); the
        # outputs the records name are read back from HDFS and checked.
        local_copy = os.path.join(work_dir, f"yarn-output-{i}")
        shutil.rmtree(local_copy, ignore_errors=True)
        hadoop_fs(env, "-copyToLocal", output, local_copy)
        copied = layout.OutputLayout(local_copy)
        for record in (r for job in copied.jobs() for r in copied.read_records(job)[0]):
            entry = durations.setdefault(record["job"], {"durations": [], "equal": []})
            entry["durations"].append(record["duration_seconds"])
            if record["status"] == "succeeded":
                job = next(j for j in jobs if j.name == record["job"])
                entry["equal"].append(yarn_output_equal(job, data, local_copy, record, work_dir))
            else:
                entry["error"] = (record.get("error") or "")[-500:]
    hadoop_fs(env, "-rm", "-r", "-f", "-skipTrash", output)
    walls = [r["wall_s"] for r in out["pipeline_runs"]]
    out["pipeline_s"] = statistics.median(walls)
    out["pipeline_ok"] = all(r["ok"] for r in out["pipeline_runs"])
    for job in jobs:
        entry = durations.get(job.name)
        if not entry:
            out["jobs"][job.name] = {"error": "no run record"}
            continue
        med = statistics.median(entry["durations"])
        base = inline.get(job.name, {}).get("median_s")
        out["jobs"][job.name] = {
            "steps": job.steps, "runs": len(entry["durations"]), "median_s": round(med, 1),
            "inline_median_s": base,
            "overhead_s": round(med - base, 1) if base is not None else None,
            # None: no output could be read back from HDFS to check
            "outputs_equal": all(entry["equal"]) if entry["equal"] else None,
            **({"error": entry["error"]} if "error" in entry else {})}
        log(f"  {job.name:<22} hadoop  S{data.scale:g} {out['jobs'][job.name]}")
    return out


def yarn_output_equal(job, data, local_copy, record, work_dir):
    """The job's output, copied back from HDFS, against its DuckDB reference."""
    copied = layout.OutputLayout(local_copy)
    run_dir = copied.versions(job.name).final(record["run_id"])
    got = {}
    for part in copied.part_files(run_dir):
        got.update(parse_job_output(part))
    m = run_measured(duck_command(job, data.canonical_files(job.datasets)), work_dir,
                     f"{job.name}-ref")
    return m.returncode == 0 and not diff_outputs(got, parse_duck_output(m.stdout_path))


# --- the generator ----------------------------------------------------------

# --orders/--customers/--clicks override the scale's counts: one dataset at a time is
# the others at their minimum (the generator wants one customer for orders and clicks).
DATASET_FLAGS = {"orders": "--orders", "customers": "--customers", "clickstream": "--clicks"}
MINIMUM_ROWS = {"orders": 0, "customers": 1, "clickstream": 0}
PER_DATASET_MAX_SCALE = 10  # above, only the overall run (time)


def one_dataset_command(out, dataset, rows, seed, parts):
    cmd = [PY, "-m", "datagen", "--out", out, "--seed", str(seed), "--parts", str(parts),
           "--quiet"]
    for d, flag in DATASET_FLAGS.items():
        cmd += [flag, str(rows if d == dataset else MINIMUM_ROWS[d])]
    return cmd


def time_generator(scales, runs_by_scale, seed, parts, datas, work_dir, data_root=DATA_ROOT):
    """Whole-process generator runs: rows/s overall and per dataset (that dataset alone,
    up to S10), peak RSS."""
    out = {"runs": []}
    for scale in scales:
        tmp = os.path.join(data_root, f"gen-{scale_name(scale)}.tmp")
        for i in range(runs_by_scale(scale)):
            shutil.rmtree(tmp, ignore_errors=True)
            load1 = round_load()
            m = run_measured(datagen_command(tmp, scale, seed, parts), work_dir,
                             f"gen-{scale_name(scale)}-{i}")
            if m.returncode != 0:
                raise SystemExit(f"the data generator failed:\n{m.stderr_tail()}")
            rows = {d: count_rows(part_files(tmp, d)) for d in DATASET_FLAGS}
            run = {"scale": scale, "wall_s": round(m.wall, 3), "peak_rss_mib": round(
                m.maxrss_mib, 1), "rows": rows, "rows_per_s": round(sum(rows.values()) / m.wall),
                "load1": round(load1, 2)}
            out["runs"].append(run)
            log(f"  generator S{scale:g}: {m.wall:.2f} s, {run['rows_per_s']:,} rows/s, "
                f"peak {run['peak_rss_mib']:.0f} MiB")
        data = datas.get(scale)
        if data is not None and not data.realistic and not data.is_current() \
                and dataset_complete(tmp):
            data.adopt(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        if scale <= PER_DATASET_MAX_SCALE:
            for i in range(runs_by_scale(scale)):
                for d, n in rows.items():
                    shutil.rmtree(tmp, ignore_errors=True)
                    md = run_measured(one_dataset_command(tmp, d, n, seed, parts), work_dir,
                                      f"gen-{scale_name(scale)}-{i}-{d}")
                    if md.returncode == 0:
                        out["runs"][-1 - i].setdefault("dataset_rows_per_s", {})[d] = \
                            round(n / md.wall)
            shutil.rmtree(tmp, ignore_errors=True)
    summary = {}
    for scale in scales:
        runs = [r for r in out["runs"] if r["scale"] == scale]
        s = {"median_s": round(statistics.median(r["wall_s"] for r in runs), 3),
             "rows": runs[0]["rows"],
             "rows_per_s": round(statistics.median(r["rows_per_s"] for r in runs)),
             "peak_rss_mib": round(max(r["peak_rss_mib"] for r in runs), 1),
             "dataset_rows_per_s": None}
        per = [r["dataset_rows_per_s"] for r in runs if "dataset_rows_per_s" in r]
        if per:
            s["dataset_rows_per_s"] = {d: round(statistics.median(p[d] for p in per if d in p))
                                       for d in DATASET_FLAGS if any(d in p for p in per)}
        summary[f"S{scale:g}"] = s
    out["summary"] = summary
    out["per_dataset_timing"] = True
    return out


# --- the exporter -----------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exporter_command(output_dir, data_dir, port):
    """How to start the exporter; None while it does not exist (the hook to fill in)."""
    exe = os.path.join(os.path.dirname(PY), "ecom-exporter")
    if not os.path.exists(exe):
        return None
    return [exe, "--web.listen-address", f"127.0.0.1:{port}", "--outputs", output_dir]


def time_exporter(data, jobs, scrapes, work_dir):
    """Scrape latency of the exporter with every job's output present on local disk."""
    output_dir = os.path.join(work_dir, "pipeline-out")
    shutil.rmtree(output_dir, ignore_errors=True)
    m = run_measured([os.path.join(os.path.dirname(PY), "ecom-run"), "--runner", "inline",
                      "--quiet", "--data", data.dir, "--output", output_dir,
                      "--jobs", ",".join(j.name for j in jobs)], work_dir, "pipeline-inline")
    out = {"pipeline_inline_s": round(m.wall, 2), "pipeline_ok": m.returncode == 0,
           "scale": data.scale}
    port = free_port()
    cmd = exporter_command(output_dir, data.dir, port)
    if cmd is None:
        out["status"] = "absent"
        out["note"] = ("no ecom-exporter entry point yet: fill in bench.harness."
                       "exporter_command() when the exporter lands")
        return out
    err_path = os.path.join(work_dir, "exporter.err")
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT,
                                env=measured_env(), start_new_session=True)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    body = r.read()
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out["status"] = "failed to start"
                    with open(err_path, errors="replace") as f:
                        out["stderr"] = f.read()[-2000:]
                    return out
                time.sleep(0.1)
        latencies = []
        for _ in range(scrapes):
            start = time.perf_counter()
            with urllib.request.urlopen(url, timeout=10) as r:
                body = r.read()
            latencies.append(time.perf_counter() - start)
        latencies.sort()
        out.update(status="measured", scrapes=scrapes, bytes=len(body),
                   series=sum(1 for line in body.splitlines() if line and not line.startswith(b"#")),
                   median_ms=round(1000 * statistics.median(latencies), 2),
                   p95_ms=round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 2),
                   max_ms=round(1000 * latencies[-1], 2))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    log(f"  exporter: {out}")
    return out


# --- targets ----------------------------------------------------------------

INLINE_S10_LIMIT = 2.5   # every job on canonical data, inline runner, S10 (issue 18)
LOCAL_S100_LIMIT = 1.5   # every job on canonical data, local runner, S100
INGEST_LIMIT = 2.0       # ecom-ingest vs DuckDB's same read, validation and write
E2E_LIMIT = 2.0          # ingest of the landed days + every job vs DuckDB from raw CSVs
RSS_GROWTH_LIMIT = 1.5   # a task's peak RSS at the larger scale over the smaller one


def memory_growth(results, scales):
    """Per job: the local runner's peak RSS (largest task or driver process) at the two
    largest scales timed, and their ratio."""
    if len(scales) < 2:
        return {}
    lo, hi = sorted(scales)[-2:]
    by = {(r["job"], r["runner"], r["scale"]): r for r in results}
    out = {}
    for job in sorted({r["job"] for r in results}):
        a, b = by.get((job, "local", lo)), by.get((job, "local", hi))
        if a and b:
            out[job] = {"from": f"S{lo:g}", "to": f"S{hi:g}", "from_mib": a["peak_rss_mib"],
                        "to_mib": b["peak_rss_mib"],
                        "ratio": round(b["peak_rss_mib"] / a["peak_rss_mib"], 2)}
    return out


def check_targets(results, jobs, generator, exporter, scales, hadoop=None, ingest=None,
                  e2e=None):
    """The issue's targets, each with what was measured and whether it is met."""
    targets = []
    by = {(r["job"], r["runner"], r["scale"]): r for r in results}
    top = max(scales)
    for r in ingest or ():
        targets.append({"target": f"ingest at S{r['scale']:g} <= {INGEST_LIMIT}x DuckDB's same "
                                  "read, validation and write",
                        "measured": f"{r['ratio_median']:.2f}x", "met":
                        r["ratio_median"] <= INGEST_LIMIT})
    for job in [j.name for j in jobs]:
        r = by.get((job, "inline", 10))
        if r:
            targets.append({"target": f"{job}: inline at S10 <= {INLINE_S10_LIMIT}x DuckDB",
                            "measured": f"{r['ratio_median']:.2f}x",
                            "met": r["ratio_median"] <= INLINE_S10_LIMIT})
        r = by.get((job, "local", 100))
        if r:
            targets.append({"target": f"{job}: local at S100 <= {LOCAL_S100_LIMIT}x DuckDB",
                            "measured": f"{r['ratio_median']:.2f}x",
                            "met": r["ratio_median"] <= LOCAL_S100_LIMIT})
    for job, g in memory_growth(results, scales).items():
        targets.append({"target": f"{job}: local peak RSS {g['to']} within "
                                  f"{RSS_GROWTH_LIMIT}x of {g['from']}",
                        "measured": f"{g['from_mib']:.0f} -> {g['to_mib']:.0f} MiB "
                                    f"({g['ratio']:.2f}x)",
                        "met": g["ratio"] <= RSS_GROWTH_LIMIT})
    if e2e:
        targets.append({"target": f"end to end ({e2e['days']} days, S{e2e['scale']:g}) <= "
                                  f"{E2E_LIMIT}x DuckDB from the raw CSVs",
                        "measured": f"{e2e['ratio_median']:.2f}x ({e2e['ours_median_s']:.1f} s "
                                    f"vs {e2e['duckdb_median_s']:.1f} s)",
                        "met": e2e["ratio_median"] <= E2E_LIMIT and e2e["outputs_equal"]})
    for job in ("device_conversions", "funnel"):
        i, loc = by.get((job, "inline", top)), by.get((job, "local", top))
        if i and loc:
            targets.append({"target": f"{job}: local faster than inline at S{top:g}",
                            "measured": f"local {loc['median_s']:.2f} s vs inline "
                                        f"{i['median_s']:.2f} s",
                            "met": loc["median_s"] < i["median_s"]})
    if generator:
        s10 = generator["summary"].get("S10")
        if s10:
            targets.append({"target": "generator >= 1,000,000 rows/s at S10",
                            "measured": f"{s10['rows_per_s']:,} rows/s",
                            "met": s10["rows_per_s"] >= 1_000_000})
        s100 = generator["summary"].get("S100")
        if s10 and s100:
            growth = s100["peak_rss_mib"] / s10["peak_rss_mib"] - 1
            targets.append({"target": "generator peak RSS within 10% between S10 and S100",
                            "measured": f"{s10['peak_rss_mib']:.0f} -> "
                                        f"{s100['peak_rss_mib']:.0f} MiB ({growth:+.1%})",
                            "met": abs(growth) <= 0.10})
    if exporter and exporter.get("status") == "measured":
        targets.append({"target": "exporter scrape < 100 ms with every output present",
                        "measured": f"median {exporter['median_ms']} ms, "
                                    f"p95 {exporter['p95_ms']} ms",
                        "met": exporter["p95_ms"] < 100})
    if hadoop and hadoop.get("pipeline_runs"):
        targets.append({"target": f"whole pipeline on YARN at S{hadoop['scale']:g} "
                                  f"< {YARN_PIPELINE_BUDGET_S} s",
                        "measured": f"{hadoop['pipeline_s']} s"
                                    f"{'' if hadoop['pipeline_ok'] else ' (a job FAILED)'}",
                        "met": hadoop["pipeline_ok"]
                        and hadoop["pipeline_s"] < YARN_PIPELINE_BUDGET_S})
    equal = all(r["outputs_equal"] for r in results)
    targets.append({"target": "every output equals DuckDB's", "measured":
                    f"{sum(r['outputs_equal'] for r in results)}/{len(results)} job runs equal",
                    "met": equal})
    return targets


# --- main -------------------------------------------------------------------

def max_load(result):
    """The highest 1-minute load average recorded during a run (start, every round, end)."""
    loads = [result["load_at_start"][0], result["load_at_end"][0]]
    for r in result.get("results", []):
        loads += [p["load1"] for p in r.get("pairs", [])]
    for r in result.get("ingest") or []:
        loads += [x["load1"] for x in r["rounds"]]
    e2e = result.get("e2e") or {}
    loads += [x["load1"] for x in e2e.get("rounds", [])]
    for r in (result.get("spark") or {}).get("results", []):
        loads += [p["load1"] for p in r["pairs"]]
    return round(max(loads), 2)


def publish_docs(result, docs, readme, limit):
    """Put the report into `docs` (marked provisional when the load reached `limit`) and
    the summary into `readme`, only from a run whose load stayed below `limit`. Returns
    whether the README was rewritten."""
    update_docs(docs, report.markdown(result, heading_level=3))
    log(f"updated the results in {os.path.relpath(docs, ROOT)}")
    if result["load_max"] >= limit:
        log(f"README summary NOT updated: the load average reached {result['load_max']:.2f} "
            f"during the run (it is rewritten only from a run whose load stayed below "
            f"{limit:g}); the figures in {os.path.basename(docs)} are marked provisional")
        return False
    update_docs(readme, report.readme_summary(result))
    log(f"updated the summary in {os.path.relpath(readme, ROOT)}")
    return True


def update_docs(path, tables):
    """Replace what lies between the result markers of a document (docs/bench.md,
    README.md) with `tables`."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    head, _, rest = text.partition(DOCS_BEGIN)
    _, _, tail = rest.partition(DOCS_END)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{head}{DOCS_BEGIN}\n\n{tables}\n{DOCS_END}{tail}")


def machine_info():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except (OSError, ValueError):
        mem_kib = 0
    import duckdb
    import mrjob
    try:
        import ujson
        ujson_version = ujson.__version__
    except ImportError:
        ujson_version = None
    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(),
            "memory_gib": round(mem_kib / 2**20, 1), "python": platform.python_version(),
            "mrjob": mrjob.__version__, "duckdb": duckdb.__version__, "ujson": ujson_version,
            "kernel": platform.release()}


def git_revision():
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                       text=True)
    return r.stdout.strip()


def parse_scales(text):
    return [float(s) for s in text.split(",") if s.strip()]


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--scales", default="1,10", help="data scales (default: %(default)s)")
    p.add_argument("--runs", type=int, default=5, help="timed pairs per job, runner and scale "
                   "(default: %(default)s)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up pairs (default: %(default)s)")
    p.add_argument("--jobs", help="comma-separated job names (default: every job in jobs/)")
    p.add_argument("--runners", default="inline,local",
                   help="mrjob runners to time (default: %(default)s; hadoop is added "
                        "when the local YARN cluster answers)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--parts", type=int, default=DEFAULT_PARTS,
                   help="part files per dataset (one map task each; default: %(default)s)")
    p.add_argument("--gen-scales", default="1,10,100",
                   help="scales at which to time the generator; empty to skip "
                        "(default: %(default)s)")
    p.add_argument("--gen-runs", type=int, default=2,
                   help="generator runs per scale up to S10 (one above; default: %(default)s)")
    p.add_argument("--hadoop-runs", type=int, default=1,
                   help="runs of the whole pipeline on YARN (default: 1)")
    p.add_argument("--hadoop-parallel", type=int,
                   help="jobs ecom-run runs at once on YARN (default: ecom-run's)")
    p.add_argument("--no-hadoop", action="store_true", help="skip YARN even if it is up")
    p.add_argument("--exporter-scrapes", type=int, default=50)
    p.add_argument("--no-exporter", action="store_true")
    p.add_argument("--clean-data", action="store_true",
                   help="time on the generator's tidy data instead of its realistic mode "
                        "(the headline numbers come from the realistic mode)")
    p.add_argument("--ingest-runs", type=int, default=3,
                   help="timed rounds of the ingest vs DuckDB per scale; 0 to skip "
                        "(default: %(default)s)")
    p.add_argument("--e2e-days", type=int, default=30,
                   help="end to end: landed days (realistic) ingested then every job, vs "
                        "DuckDB from the raw CSVs; 0 to skip (default: %(default)s)")
    p.add_argument("--e2e-scale", type=float,
                   help="end to end: the period's scale (default: the largest of --scales)")
    p.add_argument("--e2e-runs", type=int, default=3, help="(default: %(default)s)")
    p.add_argument("--spark-python", default=SPARK_PY,
                   help="the Spark virtualenv's python (default: .venvs/spark, made by "
                        "`make bench-spark`); the core jobs are timed in Spark when it works")
    p.add_argument("--spark-scales", default="10",
                   help="scales at which to time Spark (of --scales; default: %(default)s)")
    p.add_argument("--spark-runs", type=int, default=3, help="(default: %(default)s)")
    p.add_argument("--spark-warmup", type=int, default=1, help="(default: %(default)s)")
    p.add_argument("--max-load", type=float, default=1.0,
                   help="the README's summary is rewritten only from a run whose 1-minute "
                        "load average stayed below this (default: %(default)s)")
    p.add_argument("--settle", type=float, default=0, metavar="SECONDS",
                   help="before each round, wait up to SECONDS for the 1-minute load to "
                        "fall below --max-load (default: %(default)s, no wait)")
    p.add_argument("--data-root", default=DATA_ROOT)
    p.add_argument("--results", default=RESULTS_DIR, help="where latest.json/.md go")
    p.add_argument("--name", default="latest", help="result file name (default: latest)")
    p.add_argument("--update-docs", action="store_true",
                   help="also put the result tables into docs/bench.md (what `make bench` does)")
    return p.parse_args(argv)


def main(argv=None):
    global SETTLE_S, LOAD_LIMIT
    args = parse_args(argv)
    SETTLE_S, LOAD_LIMIT = args.settle, args.max_load
    started = time.time()
    scales = parse_scales(args.scales)
    jobs, broken = discover_jobs()
    if args.jobs:
        wanted = args.jobs.split(",")
        unknown = set(wanted) - {j.name for j in jobs}
        if unknown:
            raise SystemExit(f"unknown job(s): {', '.join(sorted(unknown))}")
        jobs = [j for j in jobs if j.name in wanted]
    no_reference = [j.name for j in jobs if reference_for(j.name) is None]
    timed_jobs = [j for j in jobs if reference_for(j.name) is not None]
    for name in no_reference:
        log(f"no DuckDB reference for {name} in reference/sql.py: not timed")
    for path, error in broken.items():
        log(f"{path} does not import ({error}): not timed")
    work_dir = os.path.join(args.results, "tmp")
    os.makedirs(work_dir, exist_ok=True)
    datas = {s: Data(s, args.seed, args.parts, args.data_root, realistic=not args.clean_data)
             for s in scales}

    result = {"started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "git_revision": git_revision(), "machine": machine_info(),
              "load_at_start": (round_load(), *os.getloadavg()[1:]),
              "config": {"scales": scales, "runs": args.runs, "warmup": args.warmup,
                         "seed": args.seed, "parts": args.parts, "env": JOB_ENV,
                         "fraud_actors": FRAUD_ACTORS, "realistic": not args.clean_data,
                         "runners": args.runners.split(",")},
              "jobs_not_timed": {**{n: "no DuckDB reference" for n in no_reference}, **broken}}

    gen_scales = parse_scales(args.gen_scales)
    generator = None
    if gen_scales:
        log("timing the data generator ...")
        generator = time_generator(
            gen_scales, lambda s: args.gen_runs if s <= 10 else 1, args.seed, args.parts,
            datas, work_dir, args.data_root)
    result["generator"] = generator

    results = []
    for scale in scales:
        data = datas[scale]
        data.ensure(work_dir)
        result.setdefault("datasets", {})[f"S{scale:g}"] = {
            d: data.valid_rows(d) for d in ("orders", "customers", "clickstream")}
        log(f"timing jobs at S{scale:g} ...")
        runners = args.runners.split(",")
        for job in timed_jobs:
            try:
                results += time_job(job, runners, data, args.runs, args.warmup, work_dir)
            except RuntimeError as e:
                log(str(e))
                results += [{"job": job.name, "runner": runner, "scale": scale,
                             "error": str(e)[-2000:], "outputs_equal": False}
                            for runner in runners]
    ok_results = [r for r in results if "error" not in r]
    result["results"] = results
    result["crossover"] = crossovers(ok_results, scales)
    result["memory"] = memory_growth(ok_results, scales)

    from bench import e2e as bench_e2e
    from bench import ingest as bench_ingest
    result["ingest"] = []
    if args.ingest_runs:
        for scale in scales:
            log(f"timing the ingest against DuckDB at S{scale:g} ...")
            try:
                result["ingest"].append(bench_ingest.time_ingest(datas[scale], args.ingest_runs,
                                                                 work_dir))
            except RuntimeError as e:
                log(str(e))
    result["e2e"] = None
    if args.e2e_days:
        landed = bench_e2e.LandedDays(args.e2e_days, args.e2e_scale or max(scales), args.seed,
                                      args.data_root)
        landed.ensure(work_dir)
        log(f"end to end: {args.e2e_days} landed days at S{landed.scale:g} ...")
        try:
            result["e2e"] = bench_e2e.time_e2e(landed, timed_jobs, args.e2e_runs, work_dir)
        except RuntimeError as e:
            log(str(e))
            result["e2e"] = {"error": str(e)[-2000:]}
    why_not = spark_status(args.spark_python)
    result["spark"] = {"status": why_not or "measured", "results": []}
    if why_not:
        log(f"Spark not timed: {why_not}")
    else:
        for scale in [s for s in parse_scales(args.spark_scales) if s in datas]:
            log(f"timing the core jobs in Spark (local[2]) at S{scale:g} ...")
            try:
                result["spark"]["results"] += time_spark(timed_jobs, datas[scale],
                                                         args.spark_runs, args.spark_warmup,
                                                         work_dir,
                                                         args.spark_python)
            except RuntimeError as e:
                log(str(e))
                result["spark"]["status"] = str(e)[-1000:]

    state = None if args.no_hadoop else cluster_up()
    result["hadoop"] = {"cluster": state or "not running"}
    if state:
        log(f"YARN answers ({state}): timing jobs on it at S{min(scales):g} ...")
        result["hadoop"].update(time_hadoop(timed_jobs, datas[min(scales)], ok_results,
                                            args.hadoop_runs, work_dir, args.hadoop_parallel))
    else:
        log("no YARN cluster at 127.0.0.1:8088: hadoop runner not timed")

    exporter = None
    if not args.no_exporter:
        log("timing the exporter ...")
        exporter = time_exporter(datas[min(scales)], [j for j in jobs], args.exporter_scrapes,
                                 work_dir)
    result["exporter"] = exporter
    e2e_ok = result["e2e"] if result["e2e"] and "error" not in result["e2e"] else None
    result["targets"] = check_targets(ok_results, timed_jobs, generator, exporter, scales,
                                      result["hadoop"], result["ingest"], e2e_ok)
    result["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    result["duration_s"] = round(time.time() - started, 1)
    result["load_at_end"] = (round_load(), *os.getloadavg()[1:])
    result["load_max"] = max_load(result)
    result["provisional"] = result["load_max"] >= args.max_load

    os.makedirs(args.results, exist_ok=True)
    json_path = os.path.join(args.results, f"{args.name}.json")
    with open(json_path, "w") as f:
        json.dump(result, f, indent=1)
    md_path = os.path.join(args.results, f"{args.name}.md")
    with open(md_path, "w") as f:
        f.write(report.markdown(result))
    shutil.rmtree(work_dir, ignore_errors=True)
    log(f"wrote {os.path.relpath(json_path, ROOT)} and {os.path.relpath(md_path, ROOT)} "
        f"in {result['duration_s']:.0f} s")
    if args.update_docs:
        publish_docs(result, DOCS, README, args.max_load)
    failed = [r for r in results if not r.get("outputs_equal")]
    return 1 if failed else 0
