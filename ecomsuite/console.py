"""What ecom-run prints while it works and when it ends: live progress, tables, summary, JSON.

Three modes, chosen by ``--quiet`` and ``--json``:

- normal: on stdout a table per job (fitted to the terminal's width by
  ``ecomsuite.report``) and a final summary; on stderr the jobs' progress;
- quiet: failures only (on stderr);
- json: one JSON document on stdout (the run records, as written) and nothing else there.

Progress goes to stderr. On a terminal it is a live display (rich.progress): one line
per job with its step, on YARN the map and reduce percentages Hadoop reports, on the
local and inline runners the rows the finished steps counted, and the elapsed time.
Elsewhere (a pipe, a log file, CI) it is plain lines: each job's start and end and, on
YARN, each change of the map/reduce percentages. The progress is read from mrjob's own
log (logger ``mrjob``): "Running step 1 of 2...", Hadoop's "map 50% reduce 0%" lines as
mrjob's hadoop runner relays them from ``hadoop jar``, "Submitted application ..." and
the counters mrjob logs after each step. Jobs run in threads (``--parallel``), so a
record is matched to its job by the thread that logged it.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

# what mrjob logs (mrjob.sim / mrjob.hadoop, mrjob.logs.step, mrjob.logs.counters)
STEP_RE = re.compile(r"Running step (\d+) of (\d+)")
MAP_REDUCE_RE = re.compile(r"^\s*map\s+(\d+)%\s+reduce\s+(\d+)%\s*$")   # as mrjob's own
APPLICATION_RE = re.compile(r"Submitted application (application_\d+_\d+)")
COUNTER_RE = re.compile(r"^\t\t([^=]+)=(\d+)$")
# ecomsuite.ingest's line per landed file read: "  [3/90] orders/2025-06-11/...: ..."
INGEST_FILE_RE = re.compile(r"^\s*\[(\d+)/(\d+)\] (\S+?)(?: \(range \d+/\d+\))?(?::|$)")
INGEST_START_RE = re.compile(r"^ingesting .*?(\d+) landed file")
ROWS_GROUP = "rows"     # ecomsuite.jobbase.ROWS_GROUP: what a job counts per row it reads


def terminal_width(default=100):
    """The width to fit: COLUMNS, else the terminal's, else `default`."""
    return shutil.get_terminal_size((default, 24)).columns


@dataclass
class JobState:
    """One job's progress as read from mrjob's log."""

    index: int
    total: int
    name: str
    runner: str
    started: float = field(default_factory=time.monotonic)
    step: int = 0
    steps: int = 0
    map: int | None = None
    reduce: int | None = None
    application: str | None = None
    rows: int = 0
    task_id: object = None

    @property
    def tag(self):
        return f"[{self.index}/{self.total}] {self.name}"

    def fraction(self):
        """0-1: finished steps, plus the running step's map and reduce halves on YARN."""
        if not self.steps:
            return 0.0
        within = ((self.map or 0) + (self.reduce or 0)) / 200 if self.map is not None else 0
        return min(1.0, (max(self.step - 1, 0) + within) / self.steps)

    def detail(self):
        parts = []
        if self.steps:
            parts.append(f"step {self.step}/{self.steps}")
        if self.map is not None:
            parts.append(f"map {self.map}% reduce {self.reduce}%")
        if self.rows:
            parts.append(f"{self.rows:,} rows")
        if self.application and self.map is None:
            parts.append(self.application)
        return ", ".join(parts) or "starting"


class MrjobProgress(logging.Handler):
    """A logging handler on mrjob's logger that turns its records into JobState updates
    for the job whose thread logged them, and tells `on_change(state, what)`."""

    def __init__(self, on_change):
        super().__init__(logging.INFO)
        self.on_change = on_change
        self.jobs = {}          # thread id -> JobState
        self._lock = threading.Lock()

    def watch(self, state, thread=None):
        with self._lock:
            self.jobs[thread or threading.get_ident()] = state

    def unwatch(self, thread=None):
        with self._lock:
            self.jobs.pop(thread or threading.get_ident(), None)

    def emit(self, record):
        state = self.jobs.get(record.thread)
        if state is None:
            return
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to report
            return
        what = self.update(state, message)
        if what:
            self.on_change(state, what)

    @staticmethod
    def update(state, message):
        """Apply one mrjob log message to `state`; what changed ("step", "map", "rows",
        "application") or None."""
        found = STEP_RE.search(message)
        if found:
            state.step, state.steps = int(found.group(1)), int(found.group(2))
            state.map = state.reduce = None
            return "step"
        found = MAP_REDUCE_RE.match(message)
        if found:
            new = int(found.group(1)), int(found.group(2))
            if new == (state.map, state.reduce):
                return None
            state.map, state.reduce = new
            return "map"
        found = APPLICATION_RE.search(message)
        if found:
            state.application = found.group(1)
            return "application"
        if "Counters:" in message:
            group, rows = None, 0
            for line in message.splitlines():
                if line.startswith("\t") and not line.startswith("\t\t"):
                    group = line.strip()
                counter = COUNTER_RE.match(line)
                if counter and group == ROWS_GROUP and counter.group(1) == "valid":
                    rows += int(counter.group(2))
            if rows:
                state.rows = rows
                return "rows"
        return None


class Output:
    """ecom-run's printing: the mode, the consoles, and the progress of running jobs."""

    def __init__(self, quiet=False, as_json=False, verbose=False, stdout=None, stderr=None,
                 live=None, width=None, watch_mrjob=True):
        self.quiet, self.as_json, self.verbose = quiet, as_json, verbose
        self.watch_mrjob = watch_mrjob   # ecom-run's mrjob logger propagates only if --verbose
        self.width = width or terminal_width()
        self.out = Console(file=stdout or sys.stdout, width=self.width, highlight=False,
                           markup=False, emoji=False)
        # live=True forces the live display (a test's buffer is no terminal)
        self.err = Console(file=stderr or sys.stderr, highlight=False, markup=False,
                           emoji=False, width=self.width, force_terminal=live or None)
        # live only on a terminal, and not under --quiet or --verbose (mrjob's log is there)
        self.live = (self.err.is_terminal and not quiet and not verbose) if live is None else live
        self.plain = not self.live and not quiet and not as_json
        self.handler = MrjobProgress(self._changed)
        self._progress = None
        self._ingest_task = None
        self._level = logging.NOTSET
        self._lock = threading.Lock()

    # --- progress ------------------------------------------------------------------

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        """Watch mrjob's log; on a terminal, start the live display."""
        if self.watch_mrjob:
            logger = logging.getLogger("mrjob")
            self._level = logger.level
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)   # the progress is in mrjob's INFO records
            logger.addHandler(self.handler)
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(bar_width=20),
                TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                console=self.err, transient=False, refresh_per_second=4)
            self._progress.start()
        return self

    def stop(self):
        """Undo start() (once; again does nothing)."""
        logger = logging.getLogger("mrjob")
        if self.handler in logger.handlers:
            logger.removeHandler(self.handler)
            logger.setLevel(self._level)
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def say(self, text):
        """A progress line (stderr) outside any job: the ingest's. Live, its line per file
        read moves a bar instead."""
        if self.quiet or (self.as_json and not self.live):
            return
        with self._lock:
            start = INGEST_START_RE.match(text)
            if self._progress is not None and start:
                self._ingest_task = self._progress.add_task(
                    "ingest", total=int(start.group(1)), detail="validating the landed files")
            found = INGEST_FILE_RE.match(text)
            if self._progress is not None and found:
                done, total, name = int(found.group(1)), int(found.group(2)), found.group(3)
                if self._ingest_task is None:
                    self._ingest_task = self._progress.add_task("ingest", total=total, detail="")
                self._progress.update(self._ingest_task, completed=done, total=total,
                                      detail=f"{done}/{total} files, {'/'.join(name.split('/')[:2])}")
                if done == total:
                    self._progress.stop_task(self._ingest_task)
                return
            self.err.print(text, soft_wrap=True)

    def job_started(self, index, total, name, runner):
        state = JobState(index, total, name, runner)
        self.handler.watch(state)
        with self._lock:
            if self._progress is not None:
                state.task_id = self._progress.add_task(state.tag, total=1.0, detail="starting")
            elif self.plain:
                where = ("the runner its input's size picks" if runner == "auto"
                         else f"the {runner} runner")
                self.err.print(f"{state.tag} on {where} ...", soft_wrap=True)
        return state

    def job_finished(self, state, record):
        self.handler.unwatch()
        seconds = record["duration_seconds"] or 0.0
        with self._lock:
            if self._progress is not None:
                done = record["status"] == "succeeded"
                rows = f", {record['output_rows']:,} rows out" if done and \
                    record.get("output_rows") is not None else ""
                self._progress.update(state.task_id, completed=1.0 if done else state.fraction(),
                                      detail=f"{record['status']}{rows}")
                self._progress.stop_task(state.task_id)
            elif self.plain:
                self.err.print(f"{state.tag}: {record['status']} in {seconds:.1f} s",
                               soft_wrap=True)

    def _changed(self, state, what):
        with self._lock:
            if self._progress is not None and state.task_id is not None:
                self._progress.update(state.task_id, completed=state.fraction(),
                                      detail=state.detail(), refresh=True)
            elif self.plain and what in ("map", "application"):
                # on YARN the job's own percentages, as `hadoop jar` prints them
                self.err.print(f"{state.tag}: {state.detail()}", soft_wrap=True)

    # --- the end ------------------------------------------------------------------

    def print(self, renderable=""):
        """Normal mode's stdout (nothing under --quiet or --json)."""
        if not self.quiet and not self.as_json:
            self.out.print(renderable)

    def error(self, text):
        """A failure: stderr in every mode."""
        with self._lock:
            self.err.print(text, soft_wrap=True)

    def document(self, doc):
        """--json: the one document on stdout."""
        if self.as_json:
            self.out.file.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
            self.out.file.flush()
