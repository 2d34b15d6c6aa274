"""Run every job of the suite over a data root and record each run.

    ecom-run --data data --output output     # each job inline or local, by its input
    ecom-run --runner local --data data --output output

Paths, markers and records come from ecomsuite.layout. First the ingest stage
(``ecomsuite.ingest``: on YARN with the hadoop runner, else inline or, for more than
one map task of landed bytes, on the local runner) validates what
is not yet ingested:
every complete day of the data root's landing zone
(``<data>/landing/<dataset>/dt=YYYY-MM-DD/``: days whose commit holds every
dataset; see docs/datagen.md), or, for a snapshot folder without a landing
zone, ``<data>/<dataset>/part-*`` of a complete dataset (one with
``_SUCCESS``). Each job's input is then the canonical form of those days
(``<data>/canonical/<dataset>/dt=.../``), and its run record counts what the
ingest rejected in them (``malformed_rows``, from the partitions' manifests).
mrjob writes to ``<output>/<job>/_tmp-<run_id>/``, which is
renamed to ``<output>/<job>/<run_id>/``, its run record is written, and it gets
``_SUCCESS`` last, so a reader that looks for ``_SUCCESS`` never takes a partial
output for a whole one, nor one without its record (a record that cannot be
written leaves the output unpublished). The output root is checked up front
(a folder, writable, with room): see EXIT_CODES_HELP for the exit codes. A run whose malformed share is above the threshold keeps its output as
``_failed-<run_id>`` (no ``_SUCCESS``) for inspection.

Runs by day (``--day D``, ``--from D --to D``, ``--last N``; docs/days.md): the
selected days' input partitions are checked first (refused, naming each missing one,
exit 2); each partial-aware job (``CanonicalJob.PARTIAL_STEP``) then runs over each day
alone with ``--partials`` into the day partition ``<output>/<job>/dt=D/<run_id>/``
(``OutputLayout.publish_partition``: a re-run replaces it whole), and its answer over
every landed day is merged from the partitions (``publish_history``,
``ecomsuite.periods``) and published where a full run publishes it. The other jobs run
as in a full run.

Every run, good or bad, leaves a :class:`ecomsuite.layout.RunRecord` at
``<output>/_runs/<job>/<run_id>.json``: job, run_id, runner, status
("succeeded" | "failed"), started_at / finished_at (unix seconds),
duration_seconds, inputs, input_days, output_dir, input_rows, valid_rows,
header_rows, blank_rows, malformed_rows {reason: n}, malformed_total,
malformed_share, output_rows, error (failed runs), counters (mrjob's, per
step). The exporter reads these records with the same class.

With ``--runner hadoop`` the jobs run on YARN through mrjob's hadoop runner
(settings: ``mrjob.conf``; cluster: ``make cluster-up``), reading and
writing HDFS (default ``--data hdfs:///ecommerce --output
hdfs:///ecommerce/processed``) through :class:`HdfsStore`, which keeps the
same layout and the same publish-then-``_SUCCESS`` order. Their records
add: yarn_application_ids and hadoop_job_ids (one per step, as
``hadoop jar`` reported them) and hadoop_counters (Hadoop's own counter
groups per step: "Job Counters", "Map-Reduce Framework", ...); ``counters``
keeps the job's own groups, as on the other runners.
"""

import argparse
import contextlib
import copy
import datetime
import errno
import glob
import json
import logging
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor

import yaml
from rich.text import Text

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import StepFailedException

from ecomsuite import config, ingest, layout
from ecomsuite.console import Output
from ecomsuite.jobbase import (
    DEFAULT_MAX_MALFORMED_SHARE,
    RowStats,
    TooManyMalformedRows,
    catching_task_errors,
    check_malformed,
    task_failure_text,
)
from ecomsuite.registry import job_classes
from ecomsuite.report import output_view, parse_output_lines, runs_table

# ecom-run's runner. "auto", the default: on HDFS the hadoop runner; on a local data
# root each job on the runner that is faster for its input: inline (one process, no
# start-up per task) under LOCAL_FROM_ROWS valid input rows, else the local runner (a
# process per core). The crossover measured on 2 cores (docs/bench.md, "Where the local
# runner overtakes inline") lies between 2.2M and 5.3M rows for the jobs that have one
# (funnel, fraud_signals, top_products, daily_revenue, device_conversions); 500k
# customers (customer_tiers at S100) are faster inline.
AUTO = "auto"
DEFAULT_RUNNER = AUTO
LOCAL_FROM_ROWS = 3_000_000


def job_runner(runner, input_rows):
    """The runner a job runs on: `runner`, or for AUTO the one its input's rows pick."""
    if runner != AUTO:
        return runner
    return "local" if input_rows >= LOCAL_FROM_ROWS else "inline"

# Jobs the hadoop runner runs at once by default. On the single-node cluster two
# fit (yarn-site lets application masters take half the node's container memory:
# two AMs): the whole pipeline at S1 took 160 s this way against 237 s one job at a
# time (docs/hadoop.md); more would gain little, the JVMs starting are CPU work.
DEFAULT_HADOOP_PARALLEL = 2
# Input files per dataset for the inline and local runners (RunStore.bundled): one map
# task per file and core.
BUNDLES = max(2, os.cpu_count() or 1)
# Canonical Parquet bytes per map task on YARN (RunStore.bundled, layout.task_groups):
# a task costs a container, a JVM and a Python start, about 12 s of task time on this
# machine's cluster, so a dataset of many small parts (30 days, or S100's 82 clicks
# parts) is read by a few tasks of about this size, not one task per part.
HADOOP_TASK_BYTES = 64 << 20


def bundle_parts(paths, directory):
    """Local canonical parts as at most BUNDLES bundles of about equal size, written in
    `directory` (ecomsuite.layout's write_bundle); the bundles' paths. A task reads its
    bundle a row group at a time (CanonicalJob.iter_columns)."""
    if len(paths) <= BUNDLES:
        return list(paths)
    sizes = [os.path.getsize(p) for p in paths]
    total, bundles, group, acc = sum(sizes), [], [], 0
    for path, size in zip(paths, sizes):
        group.append(path)
        acc += size
        if acc >= total * (len(bundles) + 1) / BUNDLES and len(bundles) < BUNDLES - 1:
            bundles.append(group)
            group = []
    if group:
        bundles.append(group)
    staged = []
    for group in bundles:
        fd, target = tempfile.mkstemp(suffix=".txt", dir=directory)
        os.close(fd)
        # absolute: a local runner's task reads them from its own working folder
        staged.append(layout.write_bundle([os.path.abspath(p) for p in group], target))
    return staged


def bundle_hdfs_parts(store, paths, sizes, directory, first=0):
    """Canonical parts in HDFS (`sizes`: their bytes) as bundles of about HADOOP_TASK_BYTES
    (ecomsuite.layout's task_groups), written in `directory` of `store` as bundle-N.txt
    from N = `first`; the bundles' paths. A map task copies its bundle's parts one at a
    time (layout.local_part)."""
    groups = layout.task_groups(sizes, HADOOP_TASK_BYTES)
    return [layout.write_bundle([paths[i] for i in group],
                                store.join(directory, layout.BUNDLE_NAME.format(first + n)),
                                store)
            for n, group in enumerate(groups)]


class PipelineError(Exception):
    """A problem the user can fix (missing input, bad arguments)."""


class JobFailed(Exception):
    """A job's run failed: its text says why (the failed task's error and log)."""


class RecordNotWritten(PipelineError):
    """A job's run record could not be written (the output root broke during the run):
    nothing of that run was published (no _SUCCESS without its record)."""


# ecom-run's exit codes (its --help and the README list them)
EXIT_OK = 0
EXIT_JOB_FAILED = 1      # one or more jobs failed (each has its run record saying why)
EXIT_USAGE = 2           # bad arguments, or selected days whose input is incomplete
EXIT_OUTPUT_ROOT = 3     # the output root cannot take outputs or records (a file, read-only,
#                          full): found before any job ran, or when a run record could not
#                          be written; nothing incomplete was published
EXIT_CODES_HELP = """exit codes:
  0  every job succeeded
  1  one or more jobs failed (unknown job names too); each failed run has its record
  2  bad arguments, or selected days (--day, --from/--to, --last) whose input is not
     all landed and ingested: each missing partition is named, nothing is run
  3  the output root cannot take outputs or run records (a file, read-only, full, or
     a run record could not be written): nothing incomplete is published; fix it and
     run again"""


def new_run_id(now=None):
    """Sortable and unique (layout.new_id): layout.Versions sorts them by name."""
    return layout.new_id(now)


@contextlib.contextmanager
def _store_errors(what, hdfs):
    """Layout and store failures as PipelineError, naming what was being done."""
    try:
        yield
    except layout.LayoutError as e:
        raise PipelineError(str(e)) from e
    except OSError as e:  # the layout's stores raise OSErrors, whatever the transport
        if not hdfs and e.errno == errno.ENOSPC:
            raise PipelineError(
                f"{what} failed: {NO_SPACE} ({e.filename or 'a file being written'}): free some "
                f"space there, or set TMPDIR to a bigger disk if it is the temporary folder "
                f"{tempfile.gettempdir()}") from e
        if not hdfs:
            raise PipelineError(f"{what} failed: {e}") from e
        raise PipelineError(f"HDFS: {what} failed ({e}); is the cluster up? "
                            "(`make cluster-status`)") from e


class RunStore:
    """Where ecom-run reads (a data root: its landing zone's complete days, or a snapshot)
    and writes (job outputs and run records), all through ecomsuite.layout."""

    HOW_TO_MAKE = ("generate it with `make generate-data` (or `ecom-datagen --days 30 "
                   "--out {root}`)")

    def __init__(self, data_root, output_root, store=None):
        self.data = layout.DataLayout(data_root, store)
        self.outputs = layout.OutputLayout(output_root, self.data.store if store else None)
        self.data_root, self.output_root = self.data.root, self.outputs.root
        self.hdfs = self.outputs.store.kind == "hdfs"
        self.input_days = []
        self.refused = {}       # dataset -> [why] of partitions the ingest refused
        self.ingested_with = None   # the runner asked of the ingest ("auto": its own; once)
        # the bundles of this run, shared with its day views (for_day): made once, and
        # removed by close(); a lock, as --parallel runs jobs in threads
        self._bundles = types.SimpleNamespace(by_parts={}, dir=None, lock=threading.Lock())
        self.selected = None    # the days a day run reads (None: every complete day)
        self.partition = None   # the day whose partition a day run writes (None: none)

    def for_day(self, day):
        """This store as a day run sees it: reading `day` only, writing its partition."""
        view = copy.copy(self)
        view.selected, view.partition = [day], day
        return view

    @property
    def client(self):
        return self.outputs.store.client

    def input_paths(self, datasets):
        return [p for _, paths in self.input_groups(datasets) for p in paths]

    def ingest(self, runner=None, progress=None):
        """Run the ingest stage over what is not yet ingested (ecomsuite.ingest), once;
        default runner: ingest.choose_runner's (hadoop for HDFS; for a local folder, local
        when the landed bytes make more than one map task, else inline)."""
        self.ingested_with = runner or "auto"
        with _store_errors(f"ingesting {self.data_root}", self.hdfs):
            try:
                _, refused, skipped = ingest.ingest(
                    self.data_root, runner, progress=progress,
                    how_to_make=self.HOW_TO_MAKE.format(root=self.data_root))
            except ingest.IngestError as e:
                raise PipelineError(str(e)) from e
        for name, why in refused:
            self.refused.setdefault(name.split("/")[0], []).append(f"the ingest refused {name}: {why}")
        for name, why in skipped:
            if name.endswith("/" + layout.SNAPSHOT_PARTITION) and why != ingest.UP_TO_DATE:
                self.refused.setdefault(name.split("/")[0], []).append(why)
        return refused

    def days(self):
        """The partitions the jobs read: every complete landing day, or [None] (a snapshot)."""
        if self.selected is not None:
            return list(self.selected)
        if not self.data.has_landing():
            return [None]
        good, _ = self.data.complete_days()
        if not good:
            raise layout.LayoutError(f"{self.data.landing()} has no complete day (every "
                                     f"dataset committed): "
                                     f"{self.HOW_TO_MAKE.format(root=self.data_root)}")
        return [day for day, _ in good]

    def input_groups(self, datasets):
        """[(dataset, its canonical parts)], in the order of `datasets`."""
        if self.ingested_with is None:
            self.ingest()
        groups = []
        with _store_errors(f"reading {self.data_root}", self.hdfs):
            days = self.days()
            self.input_days = [d.isoformat() for d in days if d is not None]
            for name in datasets:
                if name in self.refused:
                    raise PipelineError("; ".join(self.refused[name]))
                groups.append((name, self.data.canonical_parts(name, days)))
        return groups

    def ingested(self, datasets):
        """RowStats of what the ingest read for `datasets` over the input days: valid rows,
        headers, blank lines and rejected records by reason (from the manifests)."""
        stats = RowStats()
        with _store_errors(f"reading the manifests of {self.data_root}", self.hdfs):
            for name in datasets:
                for day in self.days():
                    m = self.data.ingest_manifest(name, day)
                    stats.valid += m.valid
                    stats.headers += m.header_lines
                    stats.blank += m.blank_lines
                    for reason, n in m.rejected_by_reason.items():
                        stats.malformed[reason] = stats.malformed.get(reason, 0) + n
        return stats

    def job_dir(self, job):
        return self.outputs.job_dir(job)

    def temp_output(self, job, run_id):
        return self.outputs.versions(job, self.partition).temp(run_id)

    def bundled(self, groups):
        """The inputs as a few inputs per dataset: each a map task.

        The jobs read whole inputs (``mapper_raw``: one map task per input), and a task
        costs a process start (on YARN a container and a JVM too): 30 ingested days are
        30 parts or more a dataset. Beyond BUNDLES parts, the parts are listed in bundles
        (ecomsuite.layout's write_bundle; once per ecom-run): locally BUNDLES of about
        equal size, in a temporary folder; on HDFS about one per HADOOP_TASK_BYTES
        (layout.task_groups), in the data root's bundle_dir, each task copying its parts
        one at a time (layout.local_part).
        """
        if len(groups) != 1:
            return [p for group in groups for p in self.bundled([group])]
        paths = groups[0][1]
        if len(paths) <= BUNDLES:
            return paths
        state = self._bundles
        with state.lock:
            key = tuple(paths)
            if key not in state.by_parts:
                if self.hdfs:
                    state.by_parts[key] = self._hdfs_bundles(paths, state)
                else:
                    if state.dir is None:
                        state.dir = tempfile.mkdtemp(prefix="ecom-run-inputs-")
                    state.by_parts[key] = bundle_parts(paths, state.dir)
            return state.by_parts[key]

    def _hdfs_bundles(self, paths, state):
        store = self.data.store
        sizes = {}
        for folder in dict.fromkeys(posixpath.dirname(p) for p in paths):
            sizes.update((store.join(folder, e.name), e.size) for e in store.list(folder))
        if state.dir is None:
            state.dir = self.data.bundle_dir(layout.new_id())
            store.makedirs(state.dir)
        made = sum(len(bundles) for bundles in state.by_parts.values())
        return bundle_hdfs_parts(store, paths, [sizes[p] for p in paths], state.dir, made)

    def close(self):
        """Remove the bundles made for this run."""
        state = self._bundles
        with state.lock:
            if state.dir is not None:   # a local temporary folder, or the HDFS bundle_dir
                with contextlib.suppress(OSError, layout.LayoutError):
                    self.data.store.delete(state.dir, recursive=True)
            state.dir = None
            state.by_parts.clear()

    def publish(self, temp, job, run_id, before_success=None):
        """Move a finished output into place, then mark it complete (layout.Versions);
        `before_success` (the run record's write) runs before _SUCCESS is written."""
        with _store_errors(f"publishing {temp}", self.hdfs):
            if self.partition is not None:
                return self.outputs.publish_partition(job, self.partition, temp, run_id,
                                                      before_success=before_success)
            return self.outputs.versions(job).publish(temp, run_id,
                                                      before_success=before_success)

    def final_output(self, job, run_id):
        return self.outputs.versions(job, self.partition).final(run_id)

    def check_writable(self):
        """Refuse (PipelineError, one line) an output root that cannot be written."""
        with _store_errors(f"checking {self.output_root}", self.hdfs):
            self.outputs.check_writable()

    def keep_task_log(self, text, job, run_id):
        """A failed task's log (named in `text` by "full task log: <path>", inside mrjob's
        temporary folder, which is removed) copied beside the run record; `text` then
        names the copy. Best effort: with no room for it, `text` keeps its last lines."""
        marker = "full task log: "
        for line in text.splitlines():
            source = line.strip()[len(marker):] if line.strip().startswith(marker) else None
            if not source or self.outputs.store.kind != "local" or not os.path.isfile(source):
                continue
            kept = self.outputs.task_log_path(job, run_id)
            try:
                os.makedirs(os.path.dirname(kept), exist_ok=True)
                shutil.copyfile(source, kept)
            except OSError:
                return text.replace(line, f"{line} (removed with mrjob's temporary folder)")
            return text.replace(source, kept)
        return text

    def set_aside(self, temp, job, run_id):
        with _store_errors(f"setting {temp} aside", self.hdfs):
            return self.outputs.versions(job, self.partition).set_aside(temp, run_id)

    def part_files(self, output_dir):
        """The glob of an output's part files (what a reader of every row opens)."""
        return self.outputs.store.join(output_dir, layout.PART_GLOB)

    def read_output(self, path):
        with _store_errors(f"reading {path}", self.hdfs):
            return self.outputs.read_output_lines(path)

    def write_record(self, record):
        with _store_errors(f"writing the run record of {record.job}", self.hdfs):
            return self.outputs.write_record(record)


class LocalStore(RunStore):
    """Data and outputs on the local file system."""

    def __init__(self, data_root, output_root):
        super().__init__(data_root, output_root)


class HdfsStore(RunStore):
    """Data and outputs in HDFS (the hadoop runner), over WebHDFS."""

    HOW_TO_MAKE = ("load it with `make generate-data TARGET=hdfs` (or `ecom-datagen "
                   "--days 30 --out {root}`)")

    def __init__(self, data_root, output_root, client=None):
        for root in (data_root, output_root):
            if not layout.is_hdfs(root):
                raise PipelineError(f"{root}: the hadoop runner reads and writes HDFS: "
                                    "give --data and --output as hdfs:///... URIs")
        store = layout.HdfsStore(client, uri=output_root)
        super().__init__(data_root, output_root, store)


DEFAULT_HDFS_DATA = layout.DEFAULT_HDFS_DATA_ROOT
DEFAULT_HDFS_OUTPUT = layout.DEFAULT_HDFS_OUTPUT_ROOT
MRJOB_CONF = "mrjob.conf"   # at the top of the checkout
# Hadoop's own counter groups (as `hadoop jar` prints them); the rest are the job's.
HADOOP_COUNTER_GROUPS = frozenset({
    "File System Counters", "Job Counters", "Map-Reduce Framework", "Shuffle Errors",
    "File Input Format Counters", "File Output Format Counters"})


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
    # a failed run's temporary folder goes too (mrjob keeps it by default: on a small TMPDIR
    # every later job then fails for lack of space); its task log is kept (keep_task_log)
    args += ["--cleanup-on-failure", "TMP"]
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


TASK_LOG_SOURCE = "\n(from "   # how mrjob's text of a failure names the log it read


def hadoop_log_dirs():
    """The local directories of mrjob.conf's hadoop_log_dirs (environment variables
    expanded): where the single-node cluster's NodeManager keeps containers' logs."""
    with open(mrjob_conf_path(), encoding="utf-8") as f:
        dirs = yaml.safe_load(f)["runners"]["hadoop"].get("hadoop_log_dirs") or []
    return [os.path.expandvars(d) for d in dirs if "://" not in d]


def container_errors(application_ids):
    """A failed task's Python error from its container's stderr, in mrjob's format of a
    failure's cause ("<stderr>\\n\\n(from <path>)"), or nothing. For when mrjob found
    Hadoop's Java error but not the task log under it: the containers' logs of the
    run's YARN applications in hadoop_log_dirs, the last one with a traceback."""
    found = []
    for application in filter(None, application_ids):
        for directory in hadoop_log_dirs():
            # a single NodeManager's userlogs/, or each worker's (logs/worker-N/userlogs/)
            paths = [path for where in ("", "*") for path in glob.glob(os.path.join(
                directory, where, "userlogs", application, "container_*", "stderr"))]
            for path in sorted(paths):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read().rstrip()
                if "Traceback (most recent call last)" in text:
                    found.append(f"{text}\n\n(from {path})")
    return found[-1:]


def yarn_ids(mr_runner):
    """(YARN application ids, MapReduce job ids), one per step that ran, as mrjob's
    hadoop runner read them from `hadoop jar`'s output."""
    steps = [li.get("step") or {} for li in getattr(mr_runner, "_log_interpretations", ())]
    return [s.get("application_id") for s in steps], [s.get("job_id") for s in steps]


NO_SPACE = "No space left on device"


def no_space_text(text):
    """One line for a task that ran out of room: mrjob's tasks work in TMPDIR."""
    return (f"a task ran out of space ({NO_SPACE}) in the temporary folder "
            f"{tempfile.gettempdir()}: free some space there or set TMPDIR to a bigger disk "
            f"({text.splitlines()[0][:120]})")


def publish_with_record(store, temp, record, started):
    """Publish the output in `temp` as the record's run, writing the run record before
    _SUCCESS: a reader never takes an output without its record, and a record that cannot
    be written (RecordNotWritten) leaves the output unpublished."""
    def write_record():
        _finish(record, started)
        try:
            store.write_record(record)
        except PipelineError as e:
            raise RecordNotWritten(str(e)) from e

    store.publish(temp, record.job, record.run_id, before_success=write_record)


def run_job(job_cls, store, runner="inline", max_malformed_share=DEFAULT_MAX_MALFORMED_SHARE,
            extra_args=()):
    """Run one job; return its RunRecord (also written to the store)."""
    run_id = new_run_id()
    started = time.time()
    record = layout.RunRecord(job=job_cls.NAME, run_id=run_id, runner=runner,
                              started_at=started)
    if store.partition is not None:  # a day run: the day's partials into its partition
        record.partition = layout.day_name(store.partition)
        record.partials_format = job_cls.PARTIALS_FORMAT
        extra_args = ["--partials", *extra_args]
    temp = store.temp_output(job_cls.NAME, run_id)
    try:
        groups = store.input_groups(job_cls.input_datasets())
        stats = store.ingested(job_cls.input_datasets())
        runner = record.runner = job_runner(runner, stats.valid)
        if job_cls.FEWEST_BUCKETS:  # its reduce keys are sized from the input's rows
            extra_args = [*extra_args, "--input-rows", str(stats.valid)]
        inputs = [p for _, paths in groups for p in paths]
        record.inputs, record.input_days = inputs, list(store.input_days)
        if runner == "hadoop":
            prepare_hadoop_runner()
        inputs = store.bundled(groups)
        job = job_cls(args=[*runner_args(runner), "--output-dir", temp, *extra_args, *inputs])
        with job.make_runner() as mr_runner:
            try:
                with catching_task_errors() as task_errors:
                    mr_runner.run()
            except OSError as e:  # no room or no access for mrjob's files: no traceback
                raise JobFailed(f"{type(e).__name__}: {e}") from e
            except Exception as e:  # a task failed (any runner) or the job's code raised (inline)
                causes = task_errors.causes
                if runner == "hadoop" and not any(TASK_LOG_SOURCE in c for c in causes):
                    causes = [*causes, *container_errors(yarn_ids(mr_runner)[0])]
                text = task_failure_text(e, causes)
                if NO_SPACE in text:  # an expected fault: one line, no task traceback
                    raise JobFailed(no_space_text(text)) from e
                raise JobFailed(store.keep_task_log(text, job_cls.NAME, run_id)) from e
            finally:
                if runner == "hadoop":
                    record.yarn_application_ids, record.hadoop_job_ids = yarn_ids(mr_runner)
            counters = mr_runner.counters()
        if runner == "hadoop":
            counters, record.hadoop_counters = split_hadoop_counters(counters)
        read = RowStats.from_counters(counters)
        if read.valid != stats.valid:
            raise PipelineError(f"{job_cls.NAME} read {read.valid} rows; the ingest manifests "
                                f"of its input say {stats.valid}")
        record.counters = counters
        record.input_rows, record.valid_rows = stats.input_rows, stats.valid
        record.header_rows, record.blank_rows = stats.headers, stats.blank
        record.malformed_rows = dict(sorted(stats.malformed.items()))
        record.malformed_total = stats.malformed_total
        record.malformed_share = round(stats.malformed_share, 6)
        check_malformed(job_cls.NAME, stats, max_malformed_share)
        record.output_rows = len(parse_output_lines(store.read_output(temp)))
        # The record is written before _SUCCESS: a reader never takes an output without
        # its record; a record that cannot be written leaves the output unpublished.
        record.status, record.output_dir = "succeeded", store.final_output(job_cls.NAME, run_id)
        publish_with_record(store, temp, record, started)
    except (PipelineError, JobFailed, TooManyMalformedRows, StepFailedException, OSError,
            subprocess.CalledProcessError) as e:
        record.status, record.error = "failed", str(e)
        try:
            record.output_dir = store.set_aside(temp, job_cls.NAME, run_id)
        except PipelineError:
            record.output_dir = None
        _finish(record, started)
        try:
            store.write_record(record)
        except PipelineError as again:
            raise RecordNotWritten(f"{job_cls.NAME}: {again}; nothing of this run was "
                                   "published") from e
    return record


def _finish(record, started):
    record.finished_at = time.time()
    record.duration_seconds = round(record.finished_at - started, 3)


# --- runs by day (docs/days.md) ---------------------------------------------------------

RUN_BY_DAY = ("run by day: each partial-aware job writes the day's partials into "
              "<output>/<job>/dt=DAY/ (a re-run replaces it whole), then its answer over "
              "every day is merged from the partitions; without these, every complete "
              "landed day is read at once (a full recompute)")


def add_day_args(parser, description=RUN_BY_DAY):
    """--day / --from --to / --last: the days a run (or a period answer, or a backfill
    of the history) covers; select_days reads them."""
    group = parser.add_argument_group("days", description)
    one = group.add_mutually_exclusive_group()
    one.add_argument("--day", type=layout.as_date_arg, metavar="YYYY-MM-DD", help="one day")
    one.add_argument("--from", dest="first", type=layout.as_date_arg, metavar="YYYY-MM-DD",
                     help="the first day of a range (a backfill; with --to)")
    one.add_argument("--last", type=int, metavar="N",
                     help="the N days ending with the newest landed day")
    group.add_argument("--to", dest="last_day", type=layout.as_date_arg, metavar="YYYY-MM-DD",
                       help="the last day of a --from range (inclusive)")


def select_days(args, data):
    """The days selected by add_day_args' options ([date], oldest first), or None (no
    selection: every complete day). PipelineError for a selection that makes no sense."""
    if args.last_day is not None and args.first is None:
        raise PipelineError("--to needs --from")
    if args.day is not None:
        return [args.day]
    if args.first is not None:
        if args.last_day is None:
            raise PipelineError("--from needs --to (the last day of the range)")
        if args.last_day < args.first:
            raise PipelineError(f"--to {args.last_day} is before --from {args.first}")
        return [args.first + datetime.timedelta(i)
                for i in range((args.last_day - args.first).days + 1)]
    if args.last is not None:
        if args.last < 1:
            raise PipelineError("--last must be at least 1")
        landed = data.days() if data.has_landing() else []
        if not landed:
            raise PipelineError(f"--last {args.last}: {data.landing()} has no landed day")
        newest = landed[-1]
        return [newest - datetime.timedelta(i) for i in range(args.last - 1, -1, -1)]
    return None


def missing_inputs(data, days, datasets, canonical=False):
    """Names of the input partitions of `days` that are not there: landed days whose
    newest commit is closed and holds each dataset, or (`canonical`) ingested ones."""
    missing = []
    if not data.has_landing():
        return [f"{data.landing()} (a day run needs a landing zone, not a snapshot)"]
    if not canonical:
        good, skipped = data.complete_days(days)
        for day, why in skipped:
            commit = data.latest_commit(day)
            for name in datasets:
                if commit is None or not commit.datasets.get(name) or not commit.closed:
                    missing.append(f"{name}/{layout.day_name(day)} ({why})")
        return missing
    for day in days:
        for name in datasets:
            if data.canonical_versions(name, day).latest() is None:
                missing.append(f"canonical {name}/{layout.day_name(day)} (not ingested)")
    return missing


def publish_history(store, job_cls, runner):
    """The job's answer over every complete landed day, merged from its day partitions
    (ecomsuite.periods), published where a full run publishes it (``<output>/<job>/<run>/``,
    what the exporter reads), with its run record (partition "partials"). Returns the
    record, or None with the reason when a landed day has no partition yet."""
    from ecomsuite import periods
    run_id = new_run_id()
    started = time.time()
    name = job_cls.NAME
    days = [d for d, _ in store.data.complete_days()[0]]
    missing = store.outputs.missing_partitions(name, days, job_cls.PARTIALS_FORMAT)
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:5]) + (" ..." if len(missing) > 5 else "")
        return None, (f"{name}: the answer over every day is not updated: {len(missing)} landed "
                      f"day(s) have no partition ({shown}), or one written by an older "
                      "version of the job; backfill them with --from/--to")
    record = layout.RunRecord(job=name, run_id=run_id, runner=runner, started_at=started,
                              partition="partials", input_days=[d.isoformat() for d in days])
    temp = store.temp_output(name, run_id)
    with _store_errors(f"merging the partitions of {name}", store.hdfs):
        rows = periods.answer(store.outputs, job_cls, days)
        record.inputs = [store.outputs.latest_output(name, d) for d in days]
        store.outputs.write_merged(temp, b"".join(periods.output_lines(job_cls, rows)))
    full = copy.copy(store)
    full.selected = days
    stats = full.ingested(job_cls.input_datasets())
    record.input_rows, record.valid_rows = stats.input_rows, stats.valid
    record.header_rows, record.blank_rows = stats.headers, stats.blank
    record.malformed_rows = dict(sorted(stats.malformed.items()))
    record.malformed_total = stats.malformed_total
    record.malformed_share = round(stats.malformed_share, 6)
    record.output_rows = len(rows)
    record.status, record.output_dir = "succeeded", store.final_output(name, run_id)
    publish_with_record(store, temp, record, started)
    return record, None


def summarize(store, records, width):
    """What the user sees on stdout (rich renderables, `width` columns at most): a table
    per job (ecomsuite.report: folded or cut to fit, naming the files with every row) and
    its row counts (a day's partials: one line each), then one line per job and where the
    outputs are."""
    chunks, day_lines = [], []
    for r in records:
        title = f"== {r['job']} ({r['runner']}, {r['duration_seconds']:.1f} s) =="
        if (r.get("partition") or "").startswith(layout.DAY_PREFIX):  # a day's partials
            day_lines.append(
                f"  {r['job']} {r['partition']}: {r.get('output_rows')} partial row(s), "
                f"{r['duration_seconds']:.1f} s" if r["status"] == "succeeded"
                else f"  {r['job']} {r['partition']}: FAILED: {r['error']}")
            if len(day_lines) == 1:
                chunks.append(None)  # the day partitions' place: before the merged answers
            continue
        if r.get("partition") == "partials":
            title = f"== {r['job']} (merged from {len(r['input_days'])} day partition(s)) =="
        chunks.append(Text(title, style="bold"))
        if r["status"] == "succeeded":
            chunks.append(output_view(parse_output_lines(store.read_output(r["output_dir"])),
                                      width, store.part_files(r["output_dir"])))
        else:
            chunks.append(Text(f"  FAILED: {r['error']}"))
        if r.get("malformed_total"):   # none: the summary's line for the job says so
            malformed = ", ".join(f"{k}={v}" for k, v in r["malformed_rows"].items()) or "none"
            days = r.get("input_days") or []
            over = f" over {len(days)} day(s) {days[0]}..{days[-1]}" if days else ""
            chunks.append(Text(f"rows read{over}: {r['input_rows']:,}, valid: "
                               f"{r['valid_rows']:,}, malformed: {r['malformed_total']:,} "
                               f"({r['malformed_share']:.2%}; {malformed})"))
        chunks.append(Text(""))
    if day_lines:
        chunks[chunks.index(None)] = Text(f"== day partitions ({records[0]['runner']}) ==\n"
                                          + "\n".join(day_lines))
    failed = sum(r["status"] != "succeeded" for r in records)
    total = sum(r["duration_seconds"] or 0 for r in records)
    days = sorted({d for r in records for d in r.get("input_days") or []})
    over = f" over {len(days)} day(s) {days[0]}..{days[-1]}" if days else ""
    chunks.append(Text(f"== {len(records)} job(s){over}: {len(records) - failed} succeeded, "
                       f"{failed} failed, {total:.1f} s of job time ==", style="bold"))
    chunks.append(runs_table(records, width))
    job, run = "<job>", "<run_id>"
    chunks.append(Text(f"outputs: {store.part_files(store.final_output(job, run))}"))
    chunks.append(Text(f"run records: {store.outputs.record_path(job, run)}"))
    return chunks


def run_document(args, records, code, started, error=None):
    """--json: the run as one document (the run records as they were written)."""
    return {"command": "ecom-run", "runner": args.runner, "data": args.data,
            "output": args.output, "exit_code": code,
            "status": "succeeded" if code == EXIT_OK else "failed", "error": error,
            "started_at": started, "duration_seconds": round(time.time() - started, 3),
            "jobs": [json.loads(r.to_json()) for r in records]}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="ecom-run", description="Run the suite's jobs over a data folder, write each "
        "job's output and a run record, and print a summary.", epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runner", choices=(AUTO, *config.RUNNERS), default=DEFAULT_RUNNER,
                        help="mrjob runner (default: %(default)s: hadoop for an HDFS data "
                             "root; else each job inline when it reads fewer than "
                             f"{LOCAL_FROM_ROWS:,} rows, on the local runner from there)")
    parser.add_argument("--data",
                        help="data root: every complete day of its landing zone "
                             "(landing/<dataset>/dt=YYYY-MM-DD/), or a snapshot folder holding "
                             "orders/, customers/, clickstream/ (default: "
                             f"{layout.DEFAULT_DATA_ROOT}; with --runner hadoop an HDFS URI, "
                             f"default {DEFAULT_HDFS_DATA})")
    parser.add_argument("--output",
                        help="where job outputs and run records go (default: "
                             f"{layout.DEFAULT_OUTPUT_ROOT}; with --runner hadoop "
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
    add_day_args(parser)
    parser.add_argument("--quiet", action="store_true", help="print only failures")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document on stdout (every job's run record, "
                             "the exit code) and nothing else there; failures still go to "
                             "stderr")
    parser.add_argument("--verbose", action="store_true", help="show mrjob's own log")
    args = parser.parse_args(argv)
    if args.runner == AUTO and args.data is not None and layout.is_hdfs(args.data):
        args.runner = "hadoop"
    hadoop = args.runner == "hadoop"
    if args.data is None:
        args.data = DEFAULT_HDFS_DATA if hadoop else layout.DEFAULT_DATA_ROOT
    if args.output is None:
        args.output = DEFAULT_HDFS_OUTPUT if hadoop else layout.DEFAULT_OUTPUT_ROOT
    if args.parallel is None:
        args.parallel = DEFAULT_HADOOP_PARALLEL if hadoop else 1
    if args.parallel < 1:
        parser.error("--parallel must be at least 1")
    if args.parallel > 1 and not hadoop:
        parser.error(f"--parallel {args.parallel}: only the hadoop runner runs jobs at once "
                     "(the inline and local runners already use every core for one job)")
    for option, value in (("--data", args.data), ("--output", args.output)):
        if layout.is_hdfs(value) != hadoop:
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
    started = time.time()
    logging.basicConfig(format="%(name)s: %(message)s")
    mrjob_log = logging.getLogger("mrjob")
    mrjob_log.setLevel(logging.INFO if args.verbose else logging.ERROR)
    # a failed task's error reaches the user in the job's record and summary (run_job)
    mrjob_log.propagate = args.verbose
    out = Output(quiet=args.quiet, as_json=args.json, verbose=args.verbose)

    def give_up(code, message, records=()):
        """A failure before or between the jobs: one line on stderr (and the document)."""
        out.stop()
        out.document(run_document(args, list(records), code, started, message))
        if code in (EXIT_OUTPUT_ROOT, EXIT_USAGE):
            out.error(message)
            return code
        sys.exit(message)

    classes = job_classes()
    names = args.jobs.split(",") if args.jobs else list(classes)
    unknown = [n for n in names if n not in classes]
    if unknown:
        return give_up(EXIT_JOB_FAILED, f"ecom-run: unknown job(s) {', '.join(unknown)}; "
                       f"known: {', '.join(classes)}")
    store = make_store(args)
    datasets = sorted({d for n in names for d in classes[n].input_datasets()})
    try:
        with _store_errors(f"reading {store.data_root}", store.hdfs):
            days = select_days(args, store.data)
            missing = missing_inputs(store.data, days, datasets) if days else []
    except PipelineError as e:
        return give_up(EXIT_USAGE, f"ecom-run: {e}")
    if missing:
        return give_up(EXIT_USAGE, f"ecom-run: the input of the selected day(s) is incomplete: "
                       f"no landed partition {'; '.join(missing)}. Land it (`make land`, "
                       "`ecom-datagen --start-date next`) or choose other days; nothing was run")
    if args.runner == "hadoop":
        try:
            prepare_hadoop_runner()
        except PipelineError as e:
            return give_up(EXIT_JOB_FAILED, f"ecom-run: {e}")
    try:
        store.check_writable()
    except PipelineError as e:
        return give_up(EXIT_OUTPUT_ROOT, f"ecom-run: {e}; no job was run")
    out.start()     # progress (stderr) until the jobs end
    try:
        # the ingest picks its own runner whatever the jobs': inline when the landed bytes
        # make one map task (a process per task costs more than it gives), else local
        refused = store.ingest(None, out.say)
    except PipelineError as e:
        return give_up(EXIT_JOB_FAILED, f"ecom-run: {e}")
    for name, why in refused:
        out.error(f"ecom-run: the ingest refused {name}: {why}")
    if days:
        with _store_errors(f"reading {store.data_root}", store.hdfs):
            missing = missing_inputs(store.data, days, datasets, canonical=True)
        if missing:
            return give_up(EXIT_USAGE, f"ecom-run: the input of the selected day(s) is "
                           f"incomplete: no partition {'; '.join(missing)} (the ingest refused "
                           "it? see above); nothing was run")
    # (job name, the store it reads and writes): a day run runs each partial-aware job once
    # per day into the day's partition; the other jobs read every complete day at once
    work = [(n, store) for n in names] if not days else \
        [(n, store.for_day(d)) for d in days for n in names if classes[n].has_partials()] + \
        [(n, store) for n in names if not classes[n].has_partials()]

    def run(i, item):
        name, where = item
        day = f" {layout.day_name(where.partition)}" if where.partition else ""
        state = out.job_started(i, len(work), name + day, args.runner)
        record = run_job(classes[name], where, args.runner, args.max_malformed_share)
        out.job_finished(state, record)
        return record

    try:
        if args.parallel == 1:
            records = [run(i, item) for i, item in enumerate(work, 1)]
        else:
            with ThreadPoolExecutor(max_workers=args.parallel) as pool:
                records = list(pool.map(run, range(1, len(work) + 1), work))
        if days:  # each partial-aware job's answer over every day, from its partitions
            failed_days = {r["job"] for r in records if r["status"] != "succeeded"}
            for name in names:
                if not classes[name].has_partials() or name in failed_days:
                    continue
                # a merge of the day partitions, in this process
                record, why = publish_history(store, classes[name],
                                              job_runner(args.runner, 0))
                if record is None:
                    out.error(f"ecom-run: {why}")
                else:
                    records.append(record)
    except RecordNotWritten as e:
        return give_up(EXIT_OUTPUT_ROOT, f"ecom-run: cannot write a run record: {e}; the jobs "
                       "after it were not run")
    finally:
        store.close()
        out.stop()
    failed = [r for r in records if r["status"] != "succeeded"]
    code = EXIT_JOB_FAILED if failed else EXIT_OK
    for chunk in ([] if args.quiet or args.json else summarize(store, records, out.width)):
        out.print(chunk)
    for r in failed:  # the whole error is in the summary above, unless --quiet or --json
        error = r["error"] if args.quiet or args.json else r["error"].splitlines()[0]
        out.error(f"ecom-run: {r['job']} failed: {error}")
    out.document(run_document(args, records, code, started))
    return code


def clean_temp_outputs(output_root):
    """Remove leftovers of interrupted runs (``_tmp-*``); used by `make clean`."""
    layout.OutputLayout(output_root).clean_temp()


if __name__ == "__main__":
    sys.exit(main())
