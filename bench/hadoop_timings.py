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
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from ecomsuite import hdfsio  # noqa: E402
from ecomsuite.hadoop import daemons, deps  # noqa: E402
from ecomsuite.hadoop.paths import Layout  # noqa: E402
from ecomsuite.registry import job_classes  # noqa: E402

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


def local_durations(output):
    out = {}
    for job in job_classes():
        directory = os.path.join(output, "_runs", job)
        (name,) = os.listdir(directory)
        with open(os.path.join(directory, name)) as f:
            out[job] = json.load(f)["duration_seconds"]
    return out


def hdfs_durations(client, output):
    out = {}
    for job in job_classes():
        directory = f"{hdfsio.hdfs_path(output)}/_runs/{job}"
        (name,) = hdfsio.list_names(client, directory)
        record = json.loads(hdfsio.read_bytes(client, f"{directory}/{name}"))
        out[job] = (record["duration_seconds"], record["status"])
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
    client = hdfsio.client()
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
            runs[runner] = local_durations(output)
        hdfsio.delete(client, PROCESSED, recursive=True)
        timed("all jobs, hadoop runner (YARN)", lambda: run_all("hadoop", RAW, PROCESSED), steps)
        runs["hadoop"] = hdfs_durations(client, PROCESSED)
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
