"""Run every job of the suite over a data folder and record each run.

    ecom-run --runner local --data data/raw --output output

For each job: its input is ``<data>/<dataset>/part-*`` of a complete dataset
(one with ``_SUCCESS``); mrjob writes to ``<output>/<job>/_tmp-<run_id>/``,
which is renamed to ``<output>/<job>/<run_id>/`` and gets ``_SUCCESS`` last,
so a reader that looks for ``_SUCCESS`` never takes a partial output for a
whole one. A run whose malformed share is above the threshold keeps its
output as ``_failed-<run_id>`` (no ``_SUCCESS``) for inspection.

Every run, good or bad, leaves a record at ``<output>/_runs/<job>/<run_id>.json``:
job, run_id, runner, status ("succeeded" | "failed"), started_at / finished_at
(unix seconds), duration_seconds, inputs, output_dir, input_rows, valid_rows,
header_rows, blank_rows, malformed_rows {reason: n}, malformed_total,
malformed_share, output_rows, error (failed runs), counters (mrjob's, per
step). The exporter publishes these records.

With ``--runner hadoop`` the jobs run on YARN through mrjob's hadoop runner
(settings: ``mrjob.conf``; cluster: ``make cluster-up``), reading and
writing HDFS (default ``--data hdfs:///ecommerce/raw --output
hdfs:///ecommerce/processed``) through :class:`HdfsStore`, which keeps the
same layout and the same publish-then-``_SUCCESS`` order. Their records
add: yarn_application_ids and hadoop_job_ids (one per step, as
``hadoop jar`` reported them) and hadoop_counters (Hadoop's own counter
groups per step: "Job Counters", "Map-Reduce Framework", ...); ``counters``
keeps the job's own groups, as on the other runners.
"""

import argparse
import contextlib
import fnmatch
import glob
import json
import logging
import os
import posixpath
import secrets
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from mrjob.step import StepFailedException

from ecomsuite import config, hdfsio
from ecomsuite.jobbase import (
    DEFAULT_MAX_MALFORMED_SHARE,
    RowStats,
    TooManyMalformedRows,
    check_malformed,
)
from ecomsuite.registry import job_classes
from ecomsuite.report import format_table, parse_output_lines

# Jobs the hadoop runner runs at once by default. On the single-node cluster two
# fit (yarn-site lets application masters take half the node's container memory:
# two AMs): the whole pipeline at S1 took 160 s this way against 237 s one job at a
# time (docs/hadoop.md); more would gain little, the JVMs starting are CPU work.
DEFAULT_HADOOP_PARALLEL = 2


class PipelineError(Exception):
    """A problem the user can fix (missing input, bad arguments)."""


def new_run_id(now=None):
    """Sortable and unique: 20261121T073012Z-3f9a."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return f"{stamp}-{secrets.token_hex(2)}"


def check_dataset(directory, exists, complete, has_parts, how_to_make):
    """Raise PipelineError naming `directory` unless it is a whole dataset with part files."""
    if not exists:
        raise PipelineError(f"input dataset {directory} does not exist: {how_to_make}")
    if not complete:
        raise PipelineError(
            f"input dataset {directory} has no {config.SUCCESS_MARKER}: it is "
            "incomplete (an interrupted write?); generate it again with --overwrite")
    if not has_parts:
        raise PipelineError(f"input dataset {directory} has no part files")


class LocalStore:
    """Datasets, job outputs and run records on the local file system."""

    def __init__(self, data_root, output_root):
        self.data_root = data_root
        self.output_root = output_root

    def input_paths(self, datasets):
        paths = []
        for name in datasets:
            directory = os.path.join(self.data_root, name)
            parts = sorted(glob.glob(os.path.join(directory, config.PART_GLOB)))
            check_dataset(
                directory, os.path.isdir(directory),
                os.path.exists(os.path.join(directory, config.SUCCESS_MARKER)), bool(parts),
                f"generate it with `make generate-data` (or `ecom-datagen --out {self.data_root}`)")
            paths.extend(parts)
        return paths

    def job_dir(self, job):
        return os.path.join(self.output_root, job)

    def temp_output(self, job, run_id):
        return os.path.join(self.job_dir(job), f"_tmp-{run_id}")

    def publish(self, temp, job, run_id):
        """Move a finished output into place, then mark it complete."""
        final = os.path.join(self.job_dir(job), run_id)
        os.replace(temp, final)
        open(os.path.join(final, config.SUCCESS_MARKER), "wb").close()
        return final

    def set_aside(self, temp, job, run_id):
        if not os.path.isdir(temp):
            return None
        failed = os.path.join(self.job_dir(job), f"_failed-{run_id}")
        os.replace(temp, failed)
        return failed

    def read_output(self, path):
        lines = []
        for part in sorted(glob.glob(os.path.join(path, config.PART_GLOB))):
            with open(part, encoding="utf-8") as f:
                lines.extend(f)
        return lines

    def write_record(self, record):
        directory = os.path.join(self.output_root, config.RUNS_DIRNAME, record["job"])
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"{record['run_id']}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, indent=2, sort_keys=True)
        os.replace(path + ".tmp", path)
        return path


DEFAULT_HDFS_DATA = "hdfs:///ecommerce/raw"
DEFAULT_HDFS_OUTPUT = "hdfs:///ecommerce/processed"
MRJOB_CONF = "mrjob.conf"   # at the top of the checkout
# Hadoop's own counter groups (as `hadoop jar` prints them); the rest are the job's.
HADOOP_COUNTER_GROUPS = frozenset({
    "File System Counters", "Job Counters", "Map-Reduce Framework", "Shuffle Errors",
    "File Input Format Counters", "File Output Format Counters"})


@contextlib.contextmanager
def _hdfs_errors(what):
    """WebHDFS failures as PipelineError, naming what was being done."""
    try:
        yield
    except (hdfsio.HdfsError, OSError) as e:
        raise PipelineError(f"HDFS: {what} failed ({e}); is the cluster up? "
                            f"(`make cluster-status`, NameNode at {hdfsio.namenode_web_url()})"
                            ) from e


class HdfsStore:
    """Datasets, job outputs and run records in HDFS (the hadoop runner), over WebHDFS.

    Same methods and layout as :class:`LocalStore`, with ``hdfs:///`` URIs.
    """

    def __init__(self, data_root, output_root, client=None):
        for root in (data_root, output_root):
            if not hdfsio.is_hdfs_uri(root):
                raise PipelineError(f"{root}: the hadoop runner reads and writes HDFS: "
                                    "give --data and --output as hdfs:///... URIs")
        self.data_root = hdfsio.to_uri(data_root)
        self.output_root = hdfsio.to_uri(output_root)
        self._client = client

    @property
    def client(self):
        if self._client is None:
            self._client = hdfsio.client()
        return self._client

    def input_paths(self, datasets):
        """One ``<data>/<dataset>/part-*`` glob per dataset, once each is checked complete."""
        paths = []
        for name in datasets:
            directory = posixpath.join(self.data_root, name)
            with _hdfs_errors(f"reading {directory}"):
                is_dir = hdfsio.is_dir(self.client, directory)
                complete = is_dir and hdfsio.exists(
                    self.client, posixpath.join(directory, config.SUCCESS_MARKER))
                names = hdfsio.list_names(self.client, directory) if complete else []
            check_dataset(
                directory, is_dir, complete, bool(fnmatch.filter(names, config.PART_GLOB)),
                f"load it with `make generate-data TARGET=hdfs` "
                f"(or `ecom-datagen --out {self.data_root}`)")
            paths.append(posixpath.join(directory, config.PART_GLOB))
        return paths

    def job_dir(self, job):
        return posixpath.join(self.output_root, job)

    def temp_output(self, job, run_id):
        return posixpath.join(self.job_dir(job), f"_tmp-{run_id}")

    def publish(self, temp, job, run_id):
        """Move a finished output into place, then mark it complete."""
        final = posixpath.join(self.job_dir(job), run_id)
        with _hdfs_errors(f"publishing {temp} as {final}"):
            hdfsio.rename(self.client, temp, final)
            hdfsio.write_bytes(self.client, posixpath.join(final, config.SUCCESS_MARKER), b"")
        return final

    def set_aside(self, temp, job, run_id):
        with _hdfs_errors(f"setting {temp} aside"):
            if not hdfsio.exists(self.client, temp):
                return None
            failed = posixpath.join(self.job_dir(job), f"_failed-{run_id}")
            hdfsio.rename(self.client, temp, failed)
        return failed

    def read_output(self, path):
        lines = []
        with _hdfs_errors(f"reading {path}"):
            for name in fnmatch.filter(hdfsio.list_names(self.client, path), config.PART_GLOB):
                data = hdfsio.read_bytes(self.client, posixpath.join(path, name))
                lines.extend(data.decode("utf-8").splitlines(keepends=True))
        return lines

    def write_record(self, record):
        path = posixpath.join(self.output_root, config.RUNS_DIRNAME, record["job"],
                              f"{record['run_id']}.json")
        data = json.dumps(record, indent=2, sort_keys=True).encode()
        with _hdfs_errors(f"writing {path}"):
            hdfsio.write_bytes(self.client, path + ".tmp", data, overwrite=True)
            hdfsio.replace_file(self.client, path + ".tmp", path)
        return path


def mrjob_conf_path():
    """The checked-in mrjob.conf, wherever ecom-run is started from."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), MRJOB_CONF)


def runner_args(runner):
    """mrjob switches for a runner (the hadoop runner reads mrjob.conf)."""
    if runner == "hadoop":
        # HdfsStore has checked the inputs, and writes _SUCCESS itself on publish.
        args = ["-r", runner, "--conf-path", mrjob_conf_path(), "--no-check-input-paths",
                "-D", "mapreduce.fileoutputcommitter.marksuccessfuljobs=false"]
    else:
        args = ["-r", runner, "--no-conf"]
    for key, value in config.JOB_ENV.items():
        args += ["--cmdenv", f"{key}={value}"]
    return args


_prepare_lock = threading.Lock()


def prepare_hadoop_runner():
    """Environment mrjob.conf expects: ECOM_ROOT, PATH with `hadoop`, HADOOP_CONF_DIR,
    JAVA_HOME. (The tasks import the suite from the virtualenv it is installed in.)"""
    from ecomsuite.hadoop import daemons, deps
    with _prepare_lock:  # jobs run concurrently: the environment is set once at a time
        try:
            os.environ.update(daemons.client_env())
        except deps.HadoopError as e:
            raise PipelineError(str(e)) from e


def split_hadoop_counters(step_counters):
    """(the job's counters, Hadoop's own counters), each a dict per step.

    Hadoop prints some group names with a trailing space ("Job Counters "):
    they are recorded stripped.
    """
    job, hadoop = [], []
    for counters in step_counters:
        job.append({g: c for g, c in counters.items() if g.strip() not in HADOOP_COUNTER_GROUPS})
        hadoop.append({g.strip(): c for g, c in counters.items()
                       if g.strip() in HADOOP_COUNTER_GROUPS})
    return job, hadoop


def yarn_ids(mr_runner):
    """(YARN application ids, MapReduce job ids), one per step that ran, as mrjob's
    hadoop runner read them from `hadoop jar`'s output."""
    steps = [li.get("step") or {} for li in getattr(mr_runner, "_log_interpretations", ())]
    return [s.get("application_id") for s in steps], [s.get("job_id") for s in steps]


def run_job(job_cls, store, runner="inline", max_malformed_share=DEFAULT_MAX_MALFORMED_SHARE,
            extra_args=()):
    """Run one job; return its run record (also written to the store)."""
    run_id = new_run_id()
    started = time.time()
    record = {"job": job_cls.NAME, "run_id": run_id, "runner": runner, "started_at": started,
              "status": "failed", "output_dir": None, "error": None}
    temp = store.temp_output(job_cls.NAME, run_id)
    try:
        inputs = store.input_paths(job_cls.input_datasets())
        record["inputs"] = inputs
        if runner == "hadoop":
            prepare_hadoop_runner()
        job = job_cls(args=[*runner_args(runner), "--output-dir", temp,
                            "--max-malformed-share", str(max_malformed_share),
                            *extra_args, *inputs])
        with job.make_runner() as mr_runner:
            try:
                mr_runner.run()
            finally:
                if runner == "hadoop":
                    record["yarn_application_ids"], record["hadoop_job_ids"] = \
                        yarn_ids(mr_runner)
            counters = mr_runner.counters()
        if runner == "hadoop":
            counters, record["hadoop_counters"] = split_hadoop_counters(counters)
        stats = RowStats.from_counters(counters)
        record.update(counters=counters, input_rows=stats.input_rows, valid_rows=stats.valid,
                      header_rows=stats.headers, blank_rows=stats.blank,
                      malformed_rows=dict(sorted(stats.malformed.items())),
                      malformed_total=stats.malformed_total,
                      malformed_share=round(stats.malformed_share, 6))
        check_malformed(job_cls.NAME, stats, max_malformed_share)
        final = store.publish(temp, job_cls.NAME, run_id)
        record.update(status="succeeded", output_dir=final,
                      output_rows=len(parse_output_lines(store.read_output(final))))
    except (PipelineError, TooManyMalformedRows, StepFailedException, OSError,
            subprocess.CalledProcessError) as e:
        record["error"] = str(e)
        record["output_dir"] = store.set_aside(temp, job_cls.NAME, run_id)
    finally:
        record["finished_at"] = time.time()
        record["duration_seconds"] = round(record["finished_at"] - started, 3)
        store.write_record(record)
    return record


def summarize(store, records):
    """The text the user sees: a table per job, then the row counts."""
    chunks = []
    for r in records:
        title = f"== {r['job']} ({r['runner']}, {r['duration_seconds']:.1f} s) =="
        if r["status"] == "succeeded":
            chunks.append(format_table(title, "key", parse_output_lines(
                store.read_output(r["output_dir"])), more_hint=f" in {r['output_dir']}"))
        else:
            chunks.append(f"{title}\n  FAILED: {r['error']}")
        if "input_rows" in r:
            malformed = ", ".join(f"{k}={v}" for k, v in r["malformed_rows"].items()) or "none"
            chunks.append(f"  rows read: {r['input_rows']:,}, valid: {r['valid_rows']:,}, "
                          f"malformed: {r['malformed_total']:,} ({r['malformed_share']:.2%}; "
                          f"{malformed})")
    return "\n\n".join(chunks)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="ecom-run", description="Run the suite's jobs over a data folder, write each "
        "job's output and a run record, and print a summary.")
    parser.add_argument("--runner", choices=config.RUNNERS, default="local",
                        help="mrjob runner (default: %(default)s)")
    parser.add_argument("--data",
                        help="folder holding orders/, customers/, clickstream/ (default: "
                             f"{config.DEFAULT_DATA_DIR}; with --runner hadoop an HDFS URI, "
                             f"default {DEFAULT_HDFS_DATA})")
    parser.add_argument("--output",
                        help="where job outputs and run records go (default: "
                             f"{config.DEFAULT_OUTPUT_DIR}; with --runner hadoop "
                             f"{DEFAULT_HDFS_OUTPUT})")
    parser.add_argument("--jobs", help="comma-separated job names (default: all)")
    parser.add_argument("--max-malformed-share", type=float,
                        default=DEFAULT_MAX_MALFORMED_SHARE,
                        help="fail a job whose malformed share (0-1) is above this "
                             "(default: %(default)s)")
    parser.add_argument("--parallel", type=int, metavar="N",
                        help="run up to N jobs at once (hadoop runner only: its jobs wait "
                             "mostly on client JVMs and container start-up, which overlap "
                             f"well; default {DEFAULT_HADOOP_PARALLEL} there, 1 elsewhere)")
    parser.add_argument("--quiet", action="store_true", help="print only failures")
    parser.add_argument("--verbose", action="store_true", help="show mrjob's own log")
    args = parser.parse_args(argv)
    hadoop = args.runner == "hadoop"
    if args.data is None:
        args.data = DEFAULT_HDFS_DATA if hadoop else config.DEFAULT_DATA_DIR
    if args.output is None:
        args.output = DEFAULT_HDFS_OUTPUT if hadoop else config.DEFAULT_OUTPUT_DIR
    if args.parallel is None:
        args.parallel = DEFAULT_HADOOP_PARALLEL if hadoop else 1
    if args.parallel < 1:
        parser.error("--parallel must be at least 1")
    if args.parallel > 1 and not hadoop:
        parser.error(f"--parallel {args.parallel}: only the hadoop runner runs jobs at once "
                     "(the inline and local runners already use every core for one job)")
    for option, value in (("--data", args.data), ("--output", args.output)):
        if hdfsio.is_hdfs_uri(value) != hadoop:
            parser.error(f"{option} {value}: " + (
                "the hadoop runner reads and writes HDFS: give an hdfs:///... URI" if hadoop
                else "HDFS paths need --runner hadoop"))
    return args


def make_store(args):
    if args.runner == "hadoop":
        return HdfsStore(args.data, args.output)
    return LocalStore(args.data, args.output)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(format="%(name)s: %(message)s")
    logging.getLogger("mrjob").setLevel(logging.INFO if args.verbose else logging.ERROR)
    classes = job_classes()
    names = args.jobs.split(",") if args.jobs else list(classes)
    unknown = [n for n in names if n not in classes]
    if unknown:
        sys.exit(f"ecom-run: unknown job(s) {', '.join(unknown)}; known: {', '.join(classes)}")
    store = make_store(args)
    if args.runner == "hadoop":
        try:
            prepare_hadoop_runner()
        except PipelineError as e:
            sys.exit(f"ecom-run: {e}")

    def run(i, name):
        tag = f"[{i}/{len(names)}] {name}"
        if not args.quiet:
            print(f"{tag} on the {args.runner} runner ...", file=sys.stderr, flush=True)
        record = run_job(classes[name], store, args.runner, args.max_malformed_share)
        if not args.quiet:
            print(f"{tag}: {record['status']} in {record['duration_seconds']:.1f} s",
                  file=sys.stderr, flush=True)
        return record

    if args.parallel == 1:
        records = [run(i, name) for i, name in enumerate(names, 1)]
    else:
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            records = list(pool.map(run, range(1, len(names) + 1), names))
    failed = [r for r in records if r["status"] != "succeeded"]
    if not args.quiet:
        print(summarize(store, records))
    for r in failed:
        print(f"ecom-run: {r['job']} failed: {r['error']}", file=sys.stderr)
    return 1 if failed else 0


def clean_temp_outputs(output_root):
    """Remove leftovers of interrupted runs (``_tmp-*``); used by `make clean`."""
    for path in glob.glob(os.path.join(output_root, "*", "_tmp-*")):
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
