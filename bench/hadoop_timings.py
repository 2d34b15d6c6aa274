"""Measure the suite's jobs on the local Hadoop cluster at scale, on 1 and on N workers.

    .venv/bin/python -m bench.hadoop_timings [--scale 10] [--workers 1,3] [--jobs a,b]
        [--update-docs]                               # what `make bench-hadoop` runs
    .venv/bin/python -m bench.hadoop_timings --startup [--scale 1] [--fresh-jars]

For each worker count the benchmark starts a fresh cluster of that shape (`cluster
clean`, then `up --workers N`), puts the scale's canonical parts (bench/data, the
same files `make bench` uses) into HDFS, a dataset of many parts in bundles of about
pipeline.HADOOP_TASK_BYTES as `ecom-run` gives them, and runs every chosen job on YARN
as a user runs it (`python jobs/mr_X.py -r hadoop --conf-path mrjob.conf hdfs:///...`), once
with uber mode off and once on (`mapreduce.job.ubertask.enable`, in a rotating
order so both meet the same load), then the examples jar's wordcount over the bytes
the first job reads (a Java MapReduce job: the floor). For every job it reads from
the ResourceManager and the JobHistory server: map and reduce tasks per step,
whether YARN ran it uberized, the node of each task attempt and application master
(containers per NodeManager), the application's submit-to-finish time and the sum
of its tasks' times; it checks every output against the inline runner's on the same
files, and records the 1-minute load average before and after each run. The cluster
is stopped at the end.

--memory-scales 10,100 (`make bench-hadoop-memory`): every job on YARN (one worker, uber
off) at each scale, and every task attempt's peak physical memory as YARN measured it
(the JobHistory server's per-task counters MAP_ and REDUCE_PHYSICAL_MEMORY_BYTES_MAX:
the container's process tree, the task's JVM and the streaming Python beside it); the
peak of each kind of task (map or reduce, per step) at the largest scale against the same
task's at the smallest (issue 18's bound: S100 within 1.5x of S10), each output checked
against the inline runner's on the same files.

--startup: the older measurement of docs/hadoop.md's "Timings" (jar download, cold
and warm start, data load, every job on the inline, local and hadoop runners).

DESTRUCTIVE: it runs `cluster clean`, which removes HDFS's data. It refuses to run
while a cluster of this checkout is up. On this shared 2-core machine, run it under
the Hadoop lock: `flock /tmp/ecom-hadoop.lock make bench-hadoop`.
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types
import urllib.error
import urllib.request

from ecomsuite import layout, pipeline
from ecomsuite.hadoop import conf, daemons, deps, health, webhdfs
from ecomsuite.hadoop.paths import ROOT, Layout
from ecomsuite.registry import job_classes

RAW = "hdfs:///ecommerce/raw"
PROCESSED = "hdfs:///tmp/timings/processed"
HDFS_BENCH = "/bench-scale"
DOCS = os.path.join(ROOT, "docs", "bench.md")
DOCS_BEGIN, DOCS_END = "<!-- hadoop scale: begin -->", "<!-- hadoop scale: end -->"
RESULTS = os.path.join(ROOT, "bench", "results", "hadoop-scale.json")
MEMORY_MARKERS = ("<!-- hadoop memory: begin -->", "<!-- hadoop memory: end -->")
MEMORY_RESULTS = os.path.join(ROOT, "bench", "results", "hadoop-memory.json")
MEMORY_BOUND = 1.5     # issue 18: every task's peak at S100 within 1.5x of its S10 peak
PEAK_COUNTERS = {"MAP_PHYSICAL_MEMORY_BYTES_MAX": "map",
                 "REDUCE_PHYSICAL_MEMORY_BYTES_MAX": "reduce"}
DEFAULT_JOBS = "sales_by_region,device_conversions"
APP_ID = re.compile(r"application_\d+_\d+")


def log(msg):
    print(f"[bench-hadoop {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load1():
    return round(os.getloadavg()[0], 2)


# --- the REST APIs ----------------------------------------------------------------

def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def history(urls, path, tries=60):
    """A JobHistory server resource; the job reaches it a moment after it finished."""
    for _ in range(tries):
        try:
            return get(urls["historyserver"] + "/ws/v1/history/mapreduce" + path)
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        time.sleep(1)
    raise RuntimeError(f"the JobHistory server never knew {path}")


def node_of(http_address):
    """'127.0.0.3:8142' -> 'worker-2' (the worker listening there)."""
    host = http_address.split(":")[0]
    last = host.rsplit(".", 1)[-1]
    return f"worker-{int(last) - 1}" if last.isdigit() else host


def as_list(value):
    """The JobHistory server's JSON gives a one-element list as the element itself."""
    return value if isinstance(value, list) else [] if value is None else [value]


def job_facts(urls, app_id, job_id):
    """What YARN and the JobHistory server say of one step (an application)."""
    app = get(f"{urls['resourcemanager']}/ws/v1/cluster/apps/{app_id}")["app"]
    job = history(urls, f"/jobs/{job_id}")["job"]
    containers = {}
    for attempt in as_list(history(urls, f"/jobs/{job_id}/jobattempts")["jobAttempts"]
                           ["jobAttempt"]):
        node = node_of(attempt["nodeHttpAddress"])
        containers[node] = containers.get(node, 0) + 1        # the application master
    tasks = as_list((history(urls, f"/jobs/{job_id}/tasks")["tasks"] or {}).get("task"))
    task_ms = 0
    peaks = {"map": 0, "reduce": 0}
    for task in tasks:
        task_ms += task["elapsedTime"]
        for kind, value in task_peaks(history(urls, f"/jobs/{job_id}/tasks/{task['id']}"
                                                    "/counters")).items():
            peaks[kind] = max(peaks[kind], value)
        attempts = history(urls, f"/jobs/{job_id}/tasks/{task['id']}/attempts")
        for attempt in as_list((attempts["taskAttempts"] or {}).get("taskAttempt")):
            if not job["uberized"]:     # uberized tasks run inside the AM's container
                node = node_of(attempt["nodeHttpAddress"])
                containers[node] = containers.get(node, 0) + 1
    return {"app_id": app_id, "job_id": job_id, "state": job["state"],
            "uberized": job["uberized"], "maps": job["mapsTotal"],
            "reduces": job["reducesTotal"], "app_s": app["elapsedTime"] / 1000,
            "tasks_s": task_ms / 1000, "containers": containers,
            "peak_mib": {k: round(v / 2**20, 1) for k, v in peaks.items() if v}}


def task_peaks(counters):
    """{"map"|"reduce": bytes} of one task's JobHistory counters: the peak physical memory
    of its container's process tree (TaskCounter's *_PHYSICAL_MEMORY_BYTES_MAX)."""
    peaks = {}
    for group in as_list((counters.get("jobTaskCounters") or {}).get("taskCounterGroup")):
        for counter in as_list(group.get("counter")):
            kind = PEAK_COUNTERS.get(counter.get("name"))
            if kind:
                peaks[kind] = max(peaks.get(kind, 0), int(counter["value"]))
    return peaks


# --- running ------------------------------------------------------------------------

def canonical_lines(text):
    return sorted(json.dumps([json.loads(k), json.loads(v)], sort_keys=True)
                  for k, _, v in (line.partition("\t") for line in text.splitlines() if line))


def run(cmd, env, timeout=1800):
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    return time.perf_counter() - started, done


def uber_args(values, on):
    """-D switches for uber mode. On, the tasks run inside the AM's JVM, which then needs
    the tasks' PATH (streaming starts python3 from it) in its environment too."""
    if not on:
        return ["-D", "mapreduce.job.ubertask.enable=false"]
    return ["-D", "mapreduce.job.ubertask.enable=true",
            "-D", f"yarn.app.mapreduce.am.env=HADOOP_MAPRED_HOME={values['hadoop_home']},"
                  f"PATH={values['task_path']}"]


def measure(label, cmd, env, urls, expected=None):
    before = load1()
    wall, done = run(cmd, env)
    after = load1()
    out = {"label": label, "wall_s": round(wall, 1), "load_before": before,
           "load_after": after, "ok": done.returncode == 0}
    if done.returncode:
        out["error"] = done.stderr[-2000:]
        log(f"  {label}: FAILED ({wall:.1f} s)\n{out['error']}")
        return out
    if expected is not None:
        out["equal"] = canonical_lines(done.stdout) == expected
    apps = list(dict.fromkeys(APP_ID.findall(done.stderr)))
    try:
        out["steps"] = [job_facts(urls, a, "job_" + a.removeprefix("application_"))
                        for a in apps]
    except (OSError, RuntimeError, KeyError, ValueError, TypeError) as e:   # keep the other runs
        out.update(ok=False, error=f"reading the REST APIs: {type(e).__name__}: {e}")
        log(f"  {label}: {wall:.1f} s, but {out['error']}")
        return out
    log(f"  {label}: {wall:.1f} s, load {before}->{after}, "
        + "; ".join(f"{s['maps']}m/{s['reduces']}r{' uber' if s['uberized'] else ''} "
                    f"{s['containers']}" for s in out["steps"])
        + ("" if out.get("equal", True) else "  OUTPUT DIFFERS"))
    return out


def put_files(env, files, data_dir, root=HDFS_BENCH):
    """The local canonical parts into HDFS under `root`, same relative paths (one
    `hadoop fs -put` per directory: each is a JVM)."""
    by_dir = {}
    for path in files:
        target = f"{root}/{os.path.relpath(os.path.dirname(path), data_dir)}"
        by_dir.setdefault(target, []).append(path)
    subprocess.run(["hadoop", "fs", "-mkdir", "-p", *by_dir], env=env, check=True)
    for target, paths in by_dir.items():
        subprocess.run(["hadoop", "fs", "-put", "-f", *paths, target + "/"], env=env,
                       check=True, capture_output=True)
    return [f"hdfs://{root}/{os.path.relpath(p, data_dir)}" for p in files]


def put_inputs(env, files, data_dir, root=HDFS_BENCH):
    """{job: its inputs in HDFS} for {job: local parts}: each part put once, though
    several jobs read the same dataset; a dataset of more than pipeline.BUNDLES parts in
    bundles, as ecom-run gives it to YARN (pipeline.bundle_hdfs_parts)."""
    parts = list(dict.fromkeys(p for paths in files.values() for p in paths))
    remote = dict(zip(parts, put_files(env, parts, data_dir, root)))
    store, directory = layout.store_for(f"hdfs://{root}"), f"hdfs://{root}/_bundles"
    bundles = {}

    def inputs(paths):
        by_dataset = {}    # <data_dir>/canonical/<dataset>/...
        for path in paths:
            by_dataset.setdefault(os.path.relpath(path, data_dir).split(os.sep)[1],
                                  []).append(path)
        out = []
        for group in by_dataset.values():
            if len(group) <= pipeline.BUNDLES:
                out += [remote[p] for p in group]
                continue
            if tuple(group) not in bundles:
                store.makedirs(directory)
                bundles[tuple(group)] = pipeline.bundle_hdfs_parts(
                    store, [remote[p] for p in group], [os.path.getsize(p) for p in group],
                    directory, sum(map(len, bundles.values())))
            out += bundles[tuple(group)]
        return out
    return {job: inputs(paths) for job, paths in files.items()}


@contextlib.contextmanager
def fresh_cluster(lay, workers):
    """A cluster of `workers` started from nothing (HDFS's data removed), stopped at the
    end; yields what a client needs: the site values, the web UIs' URLs, the clients'
    environment and the seconds the start took."""
    log(f"cluster: clean, then up with {workers} worker(s)")
    daemons.clean(lay, quiet=True)
    started = time.perf_counter()
    daemons.up(lay, workers=workers, overrides={}, quiet=True)
    try:
        values = conf.cluster_values(lay, workers)
        env = daemons.client_env(lay)
        env["SETUPTOOLS_USE_DISTUTILS"] = "stdlib"
        yield types.SimpleNamespace(values=values, urls=health.web_urls(values), env=env,
                                    start_s=round(time.perf_counter() - started, 1))
    finally:
        daemons.down(lay, quiet=True)


def yarn_command(lay, values, job, uber, args):
    """A job run on YARN as a user runs it (`python jobs/mr_X.py -r hadoop ...`)."""
    script = os.path.relpath(sys.modules[job_classes()[job].__module__].__file__, ROOT)
    return [sys.executable, script, "-r", "hadoop", "--conf-path", lay.mrjob_conf,
            *uber_args(values, uber), *args]


# A task samples its container's memory for the *_PHYSICAL_MEMORY_BYTES_MAX counters at
# each progress report, every 3 s by default: that missed the streaming Python's peak in
# most tasks (funnel's S10 map task: 277 MiB sampled every 3 s, 467 MiB every 250 ms).
# The memory measurement reports every 250 ms.
MEMORY_SAMPLE_ARGS = ("-D", "mapreduce.task.progress-report.interval=250")


def one_cluster(lay, workers, jobs, files, data_dir, expected, examples_jar, sized):
    with fresh_cluster(lay, workers) as c:
        values, urls, env = c.values, c.urls, c.env
        result = {"workers": workers, "start_s": c.start_s, "runs": []}
        remote = put_inputs(env, {job: files[job] for job in jobs}, data_dir)
        for i, job in enumerate(jobs):
            for uber in ((False, True) if i % 2 == 0 else (True, False)):
                cmd = yarn_command(lay, values, job, uber, [*sized[job], *remote[job]])
                r = measure(f"{job} uber {'on' if uber else 'off'}", cmd, env, urls,
                            expected[job])
                r.update(job=job, uber=uber)
                result["runs"].append(r)
        first = jobs[0]
        for uber in (False, True):
            out = f"{HDFS_BENCH}/wordcount-{int(uber)}"
            subprocess.run(["hadoop", "fs", "-rm", "-r", "-f", "-skipTrash", out], env=env,
                           capture_output=True)
            cmd = ["hadoop", "jar", examples_jar, "wordcount", *uber_args(values, uber),
                   *remote[first], out]
            r = measure(f"wordcount over {first}'s input, uber {'on' if uber else 'off'}",
                        cmd, env, urls)
            r.update(job="wordcount (examples jar)", uber=uber)
            result["runs"].append(r)
    return result


def inline_reference(jobs, files):
    """{job: (canonical output lines, inline wall seconds)} on the local files."""
    from ecomsuite.pipeline import runner_args
    script = {cls.NAME: sys.modules[cls.__module__].__file__
              for cls in job_classes().values()}
    out = {}
    env = dict(os.environ, SETUPTOOLS_USE_DISTUTILS="stdlib")
    for job in jobs:
        wall, done = run([sys.executable, script[job], *runner_args("inline"), *files[job]],
                         env)
        if done.returncode:
            raise SystemExit(f"{job} failed inline:\n{done.stderr[-2000:]}")
        out[job] = (canonical_lines(done.stdout), round(wall, 2))
    return out


# --- the report ---------------------------------------------------------------------

def fmt_containers(steps):
    total = {}
    for s in steps:
        for node, n in s["containers"].items():
            total[node] = total.get(node, 0) + n
    return ", ".join(f"{n.replace('worker-', 'w')}: {c}" for n, c in sorted(total.items()))


def markdown(results):
    lines = [f"Measured {results['when']} (revision `{results['revision']}`), scale "
             f"S{results['scale']}, seed 42, {results['cores']} cores shared with other "
             "work: the load average (1 min) is given beside every figure. Each row is one "
             "run; uber off and on of a job ran back to back, in alternating order.", "",
             "| workers | job | uber | wall s | YARN s (submit to finish) | tasks s (sum) | "
             "inline s | overhead s | maps/reduces per step | uberized | containers per "
             "NodeManager (AM included) | = inline | load before/after |",
             "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- "
             "| --- |"]
    for cluster in results["clusters"]:
        for r in cluster["runs"]:
            inline = results["inline"].get(r["job"], [None, None])[1]
            if not r["ok"]:
                lines.append(f"| {cluster['workers']} | {r['job']} | "
                             f"{'on' if r['uber'] else 'off'} | {r['wall_s']} | FAILED | | | | "
                             f"| | | | {r['load_before']}/{r['load_after']} |")
                continue
            steps = r["steps"]
            app = sum(s["app_s"] for s in steps)
            lines.append(
                f"| {cluster['workers']} | {r['job']} | {'on' if r['uber'] else 'off'} | "
                f"{r['wall_s']} | {app:.1f} | {sum(s['tasks_s'] for s in steps):.1f} | "
                f"{inline if inline is not None else '-'} | "
                f"{app - inline if inline is not None else app:.1f} | "
                f"{' + '.join(str(s['maps']) + '/' + str(s['reduces']) for s in steps)} | "
                f"{'yes' if all(s['uberized'] for s in steps) else 'no'} | "
                f"{fmt_containers(steps)} | "
                f"{'-' if 'equal' not in r else 'yes' if r['equal'] else '**no**'} | "
                f"{r['load_before']}/{r['load_after']} |")
    lines += ["", "Cluster start (clean, format, up): " + ", ".join(
        f"{c['workers']} worker(s) {c['start_s']} s" for c in results["clusters"]) + "."]
    return "\n".join(lines)


def update_docs(text, markers=(DOCS_BEGIN, DOCS_END)):
    begin, end = markers
    with open(DOCS, encoding="utf-8") as f:
        doc = f.read()
    if begin not in doc:
        raise SystemExit(f"{DOCS} has no {begin} marker")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(DOCS, "w", encoding="utf-8") as f:
        f.write(f"{head}{begin}\n\n{text}\n\n{end}{tail}")


def publish(results, path, text, into_docs, markers=(DOCS_BEGIN, DOCS_END)):
    """The results as JSON at `path`, their table printed and, asked, put into the docs."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    print(text)
    if into_docs:
        update_docs(text, markers)
        log(f"updated {os.path.relpath(DOCS, ROOT)}")


def checked_jobs(lay, names):
    """The chosen job names, after checking no cluster of this checkout is up."""
    if daemons.running(lay):
        raise SystemExit("a Hadoop cluster of this checkout is up: this benchmark starts its "
                         "own (and removes HDFS's data); stop it first (make cluster-down)")
    jobs = [j for j in names.split(",") if j]
    unknown = set(jobs) - set(job_classes())
    if unknown:
        raise SystemExit(f"unknown job(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(job_classes())}")
    return jobs


def scale_inputs(scale, jobs):
    """(the scale's Data, {job: its canonical parts}, {job: (inline output, seconds)},
    {job: the arguments ecom-run adds: --input-rows for a bucketed job})."""
    from bench.harness import Data, sized_args
    from ecomsuite.canonical import count_rows
    work = tempfile.mkdtemp(prefix="ecom-bench-hadoop-")
    try:
        data = Data(float(scale), 42, 2)
        data.ensure(work)
        files = {}
        for job in jobs:
            parts = data.canonical_files(job_classes()[job].input_datasets())
            files[job] = [p for ps in parts.values() for p in ps]
        sized = {job: sized_args(job_classes()[job], count_rows(files[job])) for job in jobs}
        return data, files, inline_reference(jobs, files), sized
    finally:
        shutil.rmtree(work, ignore_errors=True)


def revision():
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True).stdout.strip()


def now():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def scale_main(args):
    lay = Layout()
    jobs = checked_jobs(lay, args.jobs or DEFAULT_JOBS)
    data, files, reference, sized = scale_inputs(args.scale, jobs)
    results = {"when": now(), "revision": revision(), "scale": args.scale,
               "cores": os.cpu_count(),
               "inline": {j: [None, reference[j][1]] for j in jobs}, "clusters": []}
    for n in [int(w) for w in args.workers.split(",")]:
        results["clusters"].append(one_cluster(
            lay, n, jobs, files, data.dir, {j: reference[j][0] for j in jobs},
            lay.examples_jar, sized))
    publish(results, RESULTS, markdown(results), args.update_docs)
    failed = [r["label"] for c in results["clusters"] for r in c["runs"]
              if not r["ok"] or r.get("equal") is False]
    if failed:
        raise SystemExit(f"failed or wrong: {', '.join(failed)}")


# --- every task's peak memory on YARN, scale against scale ----------------------------

def memory_main(args):
    lay = Layout()
    jobs = checked_jobs(lay, args.jobs or ",".join(job_classes()))
    scales = [s for s in args.memory_scales.split(",") if s]
    inputs = {}
    for scale in scales:
        log(f"S{scale}: data, canonical parts and the inline runner's outputs ...")
        inputs[scale] = scale_inputs(scale, jobs)
    results = {"when": now(), "revision": revision(), "cores": os.cpu_count(),
               "scales": scales, "workers": 1, "runs": []}
    with fresh_cluster(lay, 1) as c:
        for scale in scales:
            data, files, reference, sized = inputs[scale]
            remote = put_inputs(c.env, {job: files[job] for job in jobs}, data.dir,
                                f"{HDFS_BENCH}/S{scale}")
            for job in jobs:
                cmd = yarn_command(lay, c.values, job, False,
                                   [*MEMORY_SAMPLE_ARGS, *sized[job], *remote[job]])
                r = measure(f"{job} S{scale}", cmd, c.env, c.urls, reference[job][0])
                r.update(job=job, scale=scale)
                if r["ok"]:
                    log("    peak per task (MiB): " + "; ".join(
                        f"step {i + 1} {s['peak_mib']}" for i, s in enumerate(r["steps"])))
                results["runs"].append(r)
    publish(results, MEMORY_RESULTS, memory_markdown(results), args.update_docs,
            MEMORY_MARKERS)
    failed = [r["label"] for r in results["runs"] if not r["ok"] or r.get("equal") is False]
    if failed:
        raise SystemExit(f"failed or wrong: {', '.join(failed)}")
    unmeasured = [r["label"] for r in results["runs"] if not peak_of(r)[0]]
    if unmeasured:
        raise SystemExit("the JobHistory server gave no peak memory counter for: "
                         + ", ".join(unmeasured))


def task_peaks_of(run):
    """{"map 1" | "reduce 1" | ...: the largest peak (MiB) of that kind of task in that step}."""
    return {f"{kind} {i + 1}": mib for i, step in enumerate(run.get("steps") or [])
            for kind, mib in step.get("peak_mib", {}).items()}


def peak_of(run):
    """The largest peak of any task of a run (MiB), and "kind step" where it was."""
    return max(((mib, where) for where, mib in task_peaks_of(run).items()), default=(0, "-"))


def memory_rows(results):
    """[(job, {scale: (largest peak MiB, where)}, (worst ratio, task) or None)]: the ratio
    of each kind of task's peak (map or reduce, per step) at the largest scale to the same
    task's at the smallest, the worst of them (every task within the bound, or not)."""
    scales = results["scales"]
    rows = []
    for job in dict.fromkeys(r["job"] for r in results["runs"]):
        runs = {r["scale"]: r for r in results["runs"] if r["job"] == job and r["ok"]}
        peaks = {scale: peak_of(run) for scale, run in runs.items()}
        worst = None
        if scales[0] in runs and scales[-1] in runs:
            low, high = task_peaks_of(runs[scales[0]]), task_peaks_of(runs[scales[-1]])
            worst = max(((high[t] / low[t], t) for t in high.keys() & low.keys() if low[t]),
                        default=None)
        rows.append((job, peaks, worst))
    return rows


def memory_markdown(results):
    scales = results["scales"]
    lines = [f"Measured {results['when']} (revision `{results['revision']}`), one worker, "
             f"{results['cores']} cores, uber mode off, realistic data (seed 42). Peak = the "
             "largest of every task attempt's peak physical memory as YARN measured it "
             "(MAP_/REDUCE_PHYSICAL_MEMORY_BYTES_MAX: the container's process tree, the "
             "task's JVM and the streaming Python), with the step it was in; the ratio is "
             "each kind of task's (map or reduce of a step) against the same task's at the "
             "smaller scale, the worst of them.", "",
             "| job | " + " | ".join(f"S{s} peak MiB (maps/reduces per step)" for s in scales)
             + f" | worst task S{scales[-1]} / S{scales[0]} | within {MEMORY_BOUND:g}x | "
               "= inline |",
             "| --- | " + " | ".join("---:" for _ in scales) + " | ---: | --- | --- |"]
    by_key = {(r["job"], r["scale"]): r for r in results["runs"]}
    for job, peaks, worst in memory_rows(results):
        cells = []
        for s in scales:
            run = by_key.get((job, s))
            if run is None or not run["ok"]:
                cells.append("FAILED")
                continue
            shape = " + ".join(f"{st['maps']}/{st['reduces']}" for st in run["steps"])
            cells.append(f"{peaks[s][0]:.0f} ({peaks[s][1]}; {shape})")
        equal = all(by_key[(job, s)].get("equal") for s in scales if (job, s) in by_key)
        lines.append(f"| {job} | " + " | ".join(cells) + " | "
                     + (f"**{worst[0]:.2f}x** ({worst[1]})" if worst else "-") + " | "
                     + ("yes" if worst and worst[0] <= MEMORY_BOUND else "**no**") + " | "
                     + ("yes" if equal else "**no**") + " |")
    return "\n".join(lines)


# --- the start-up measurement (docs/hadoop.md "Timings") ------------------------------

def timed(label, fn, results):
    started = time.perf_counter()
    value = fn()
    results.append((label, time.perf_counter() - started))
    print(f"{label}: {results[-1][1]:.1f} s", file=sys.stderr, flush=True)
    return value


def fresh_jar_download(lay):
    with tempfile.TemporaryDirectory() as repo, tempfile.TemporaryDirectory() as dist:
        subprocess.run(["mvn", "-B", "-q", "-f", lay.pom, "generate-resources",
                        f"-Dhadoop.dist={dist}", f"-Dmaven.repo.local={repo}",
                        "-Dmaven.artifact.threads=8"], check=True)


def run_all(runner, data, output):
    subprocess.run([sys.executable, "-m", "ecomsuite.pipeline", "--runner", runner, "--data",
                    data, "--output", output, "--quiet"], cwd=ROOT, check=False)


def durations(output):
    """{job: (duration_seconds, status)} from each job's run record (local or HDFS output)."""
    outputs = layout.OutputLayout(output, layout.store_for(output))
    out = {}
    for job in job_classes():
        records, _ = outputs.read_records(job)
        out[job] = (records[-1].duration_seconds, records[-1].status)
    return out


def startup_main(args):
    lay = Layout()
    steps = []
    if args.fresh_jars:
        timed("jar download into an empty Maven repository", lambda: fresh_jar_download(lay),
              steps)
    daemons.clean(lay, quiet=True)
    timed("cluster start, cold (format + start)", lambda: daemons.up(lay, quiet=True), steps)
    daemons.down(lay, quiet=True)
    timed("cluster start, warm (HDFS kept)", lambda: daemons.up(lay, quiet=True), steps)
    try:
        os.environ.update(daemons.client_env(lay))
        timed(f"data load into HDFS (scale {args.scale})", lambda: subprocess.run(
            [sys.executable, "-m", "datagen", "--out", RAW, "--overwrite", "--scale",
             args.scale, "--seed", args.seed, "--quiet"], check=True), steps)
        client = webhdfs.client()
        work = tempfile.mkdtemp(prefix="ecom-timings-")
        try:
            os.makedirs(os.path.join(work, "raw"))
            for dataset in ("orders", "customers", "clickstream"):
                client.download(f"/ecommerce/raw/{dataset}", os.path.join(work, "raw", dataset))
            runs = {}
            for runner in ("inline", "local"):
                output = os.path.join(work, runner)
                timed(f"all jobs, {runner} runner", lambda r=runner, o=output: run_all(
                    r, os.path.join(work, "raw"), o), steps)
                runs[runner] = {job: d for job, (d, _) in durations(output).items()}
            webhdfs.delete(client, PROCESSED, recursive=True)
            timed("all jobs, hadoop runner (YARN)", lambda: run_all("hadoop", RAW, PROCESSED),
                  steps)
            runs["hadoop"] = durations(PROCESSED)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        daemons.down(lay, quiet=True)
    print("| step | seconds |\n| --- | ---: |")
    for label, seconds in steps:
        print(f"| {label} | {seconds:.1f} |")
    print("\n| job | inline (s) | local (s) | hadoop on YARN (s) |\n| --- | ---: | ---: | ---: |")
    for job in job_classes():
        seconds, status = runs["hadoop"][job]
        note = "" if status == "succeeded" else f" ({status})"
        print(f"| {job} | {runs['inline'][job]:.1f} | {runs['local'][job]:.1f} | "
              f"{seconds:.1f}{note} |")
    print(f"\nHadoop {lay.version}, JDK {deps.find_java_home()}, scale {args.scale}, "
          f"seed {args.seed}, {os.cpu_count()} cores")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default=None,
                        help="data scale (default: 10; 1 with --startup)")
    parser.add_argument("--workers", default="1,3", help="worker counts (default: %(default)s)")
    parser.add_argument("--jobs", default=None,
                        help=f"jobs (default: {DEFAULT_JOBS}; every job with --memory-scales)")
    parser.add_argument("--update-docs", action="store_true",
                        help="put the table into docs/bench.md's Hadoop section")
    parser.add_argument("--memory-scales", metavar="A,B",
                        help="every task's peak memory on YARN at these scales instead "
                             "(make bench-hadoop-memory: 10,100)")
    parser.add_argument("--startup", action="store_true",
                        help="the start-up and whole-pipeline timings instead")
    parser.add_argument("--seed", default="42", help="with --startup")
    parser.add_argument("--fresh-jars", action="store_true", help="with --startup")
    args = parser.parse_args(argv)
    if args.startup:
        args.scale = args.scale or "1"
        return startup_main(args)
    if args.memory_scales:
        return memory_main(args)
    args.scale = args.scale or "10"
    return scale_main(args)


if __name__ == "__main__":
    main()
