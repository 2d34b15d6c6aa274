"""Measure the local Hadoop cluster side by side with the inline and local runners.

    .venv/bin/python -m bench.hadoop_timings [--scale 1] [--seed 42] [--fresh-jars]

In one run: the jar download into an empty Maven repository (--fresh-jars),
a cold cluster start (after `cluster clean`: format + start), a warm start
(`down` then `up`, HDFS kept), loading the datasets into HDFS with the
generator, and every job on the inline, local and hadoop runners over the
same bytes (the HDFS copy is downloaded for the local runs). Prints a
Markdown table for docs/hadoop.md.

DESTRUCTIVE: it runs `cluster clean`, which removes HDFS's data.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from ecomsuite import layout
from ecomsuite.hadoop import daemons, deps, webhdfs
from ecomsuite.hadoop.paths import ROOT, Layout
from ecomsuite.registry import job_classes

RAW = "hdfs:///ecommerce/raw"
PROCESSED = "hdfs:///tmp/timings/processed"


def timed(label, fn, results):
    started = time.perf_counter()
    value = fn()
    results.append((label, time.perf_counter() - started))
    print(f"{label}: {results[-1][1]:.1f} s", file=sys.stderr, flush=True)
    return value


def fresh_jar_download(layout):
    with tempfile.TemporaryDirectory() as repo, tempfile.TemporaryDirectory() as dist:
        subprocess.run(["mvn", "-B", "-q", "-f", layout.pom, "generate-resources",
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="1")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--fresh-jars", action="store_true")
    args = parser.parse_args()
    layout = Layout()
    steps = []
    if args.fresh_jars:
        timed("jar download into an empty Maven repository", lambda: fresh_jar_download(layout),
              steps)
    daemons.clean(layout, quiet=True)
    timed("cluster start, cold (format + start)", lambda: daemons.up(layout, quiet=True), steps)
    daemons.down(layout, quiet=True)
    timed("cluster start, warm (HDFS kept)", lambda: daemons.up(layout, quiet=True), steps)
    os.environ.update(daemons.client_env(layout))
    timed(f"data load into HDFS (scale {args.scale})", lambda: subprocess.run(
        [sys.executable, "-m", "datagen", "--out", RAW, "--overwrite", "--scale", args.scale,
         "--seed", args.seed, "--quiet"], check=True), steps)
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
        timed("all jobs, hadoop runner (YARN)", lambda: run_all("hadoop", RAW, PROCESSED), steps)
        runs["hadoop"] = durations(PROCESSED)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| step | seconds |\n| --- | ---: |")
    for label, seconds in steps:
        print(f"| {label} | {seconds:.1f} |")
    print("\n| job | inline (s) | local (s) | hadoop on YARN (s) |\n| --- | ---: | ---: | ---: |")
    for job in job_classes():
        seconds, status = runs["hadoop"][job]
        note = "" if status == "succeeded" else f" ({status})"
        print(f"| {job} | {runs['inline'][job]:.1f} | {runs['local'][job]:.1f} | "
              f"{seconds:.1f}{note} |")
    print(f"\nHadoop {layout.version}, JDK {deps.find_java_home()}, scale {args.scale}, "
          f"seed {args.seed}, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
