"""Base class of the suite's mrjob jobs: CSV input, counted skips, a malformed-row gate.

Every job reads whole input files with ``mapper_raw`` (one map task per
file: split big datasets into part files), parses them with
:class:`ecomsuite.rows.RowParser`, combines in memory and emits per-key
partials. What was read is reported through mrjob counters:

  group ``rows``:      valid, header, blank
  group ``malformed``: one counter per reason (see ecomsuite.rows)

After a run from the command line the counts are printed to stderr, and a
run whose malformed share is above ``--max-malformed-share`` exits with
status 3 and says so.
"""

import base64
import codecs
import contextlib
import datetime
import functools
import logging
import posixpath
import re
import sys
import threading
import traceback
from dataclasses import dataclass, field
from itertools import islice

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.job import MRJob
from mrjob.step import StepFailedException

# numpy through rows' lazy import: a reduce task, which never parses, starts without it
from ecomsuite.rows import UTF8_BOM, Chunk, RowParser, np
from ecomsuite.schemas import DATASETS, DATE, ENUM, INT, MONEY, TIMESTAMP

log = logging.getLogger(__name__)

ROWS_GROUP = "rows"
MALFORMED_GROUP = "malformed"
DEFAULT_MAX_MALFORMED_SHARE = 0.05
EXIT_TOO_MANY_MALFORMED = 3
UNKNOWN_DATASET = "unknown_dataset"  # malformed reason: a file no dataset's rows match
SNIFF_LINES = 100  # lines read to recognise a file's dataset by its content


def half_up_div(numerator, denominator):
    """Integer division rounded half up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def money(cents):
    """Integer cents -> a float rounded to cents, for JSON output."""
    return round(cents / 100, 2)


def ratio(part, whole):
    """part/whole as a 0-1 float rounded to 6 places; 0.0 when whole is 0."""
    return round(part / whole, 6) if whole else 0.0


def dataset_of_file(input_path, input_uri, candidates):
    """The dataset among `candidates` one whole input file belongs to, or None.

    Named by its folder (``<data>/<dataset>/part-*``, so also on HDFS), else
    recognised by content: the first of its first SNIFF_LINES lines that is a
    candidate's header or has a candidate's column count (the datasets'
    widths differ).
    """
    by_name = {d.name: d for d in candidates}
    folder = posixpath.basename(posixpath.dirname(input_uri.replace("\\", "/")))
    if folder in by_name:
        return by_name[folder]
    headers = {d.header.encode(): d for d in candidates}
    widths = {len(d.columns): d for d in candidates}
    splitter = RowParser(candidates[0], ())
    with open(input_path, "rb") as f:
        for line in islice(f, SNIFF_LINES):
            line = line.rstrip(b"\r\n").removeprefix(UTF8_BOM)
            if not line:
                continue
            if line in headers:
                return headers[line]
            fields = splitter.fields(line)
            if not isinstance(fields, str) and len(fields) in widths:
                return widths[len(fields)]
    return None


@functools.lru_cache(maxsize=4096)
def is_calendar_day(day):
    """Whether text already shaped YYYY-MM-DD is a real day: 2025-02-30 is not."""
    try:
        return bool(datetime.date.fromisoformat(day))
    except ValueError:
        return False


def calendar_checked(parser, chunk, checks):
    """The chunk without the rows whose date/timestamp values are not real calendar days
    (the row parser checks them by pattern only, so 2025-02-30 passes); those are
    counted in the parser as malformed instead of valid.

    `checks`: (index among the columns read, reason) of each date/timestamp column.
    Only days 29-31 can fail, so only those are looked at.
    """
    keep = None
    for i, reason in checks if chunk.size else ():
        stamps = chunk.columns[i]
        digits = stamps.view(np.uint8).reshape(len(stamps), -1)[:, 8:10]
        late = np.flatnonzero((digits[:, 0] > ord("2")) | (
            (digits[:, 0] == ord("2")) & (digits[:, 1] == ord("9"))))
        if len(late):
            days = stamps[late].astype("S10")
            bad_days = [d for d in np.unique(days).tolist() if not is_calendar_day(d.decode())]
            if bad_days:
                bad = late[np.isin(days, bad_days)]
                if keep is None:
                    keep = np.ones(chunk.size, dtype=bool)
                parser.malformed[reason] += int(np.count_nonzero(keep[bad]))
                keep[bad] = False
    rows, slow_lines = chunk.rows, chunk._slow_lines
    failed = [(k, reason) for k, row in enumerate(rows) for i, reason in checks
              if not is_calendar_day(row[i][:10])]
    if failed:
        dropped = {}
        for k, reason in failed:
            dropped.setdefault(k, reason)  # a row counts once, for its first bad column
        for reason in dropped.values():
            parser.malformed[reason] += 1
        rows = [row for k, row in enumerate(rows) if k not in dropped]
        if slow_lines is not None:
            slow_lines = [line for k, line in enumerate(slow_lines) if k not in dropped]
    if keep is None and rows is chunk.rows:
        return chunk
    columns, size, fast_lines = chunk.columns, chunk.size, chunk._fast_lines
    if keep is not None:
        columns = [c[keep] for c in columns]
        fast_lines = fast_lines[keep]
        size = len(fast_lines)
    parser.valid -= (chunk.size - size) + (len(chunk.rows) - len(rows))
    return Chunk(columns, size, rows, fast_lines, slow_lines)


# --- numpy helpers for the bulk-checked rows (ecomsuite.rows.Chunk) ----------

def column_array(column, bulk, slow):
    """One numpy array of a column read: the bulk rows' arrays, then the slow rows' values
    (str, int) converted alike: enum -> index into its values (int8), int and money ->
    int64, the rest -> bytes (UTF-8)."""
    if column.kind == ENUM:
        extra = np.array([column.values.index(v) for v in slow], dtype=np.int8)
    elif column.kind in (INT, MONEY):
        extra = np.array(slow, dtype=np.int64)
    else:
        extra = np.array([v.encode() for v in slow], dtype=bytes) if slow else None
    parts = [a for a in bulk if len(a)] + ([extra] if extra is not None and len(extra) else [])
    if parts:
        return np.concatenate(parts)
    return extra if extra is not None else np.array([], dtype="S1")


def day_numbers(stamps):
    """Fixed-width timestamps (or dates) -> the day as the number yyyymmdd."""
    if not len(stamps):
        return np.zeros(0, dtype=np.int64)
    digits = stamps.view(np.uint8).reshape(len(stamps), -1)[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    return (digits.astype(np.int64) - 48) @ (10 ** np.arange(7, -1, -1, dtype=np.int64))


def day_text(number):
    return f"{number // 10000:04d}-{number // 100 % 100:02d}-{number % 100:02d}"


def group_starts(sorted_keys):
    """Start index of each run of equal values in a sorted array."""
    if not len(sorted_keys):
        return np.zeros(0, dtype=np.int64)
    change = np.empty(len(sorted_keys), dtype=bool)
    change[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    return np.flatnonzero(change)


def has_duplicates(values):
    """Whether a numpy array holds a value twice (cheap on a few sorted runs)."""
    ordered = np.sort(values, kind="stable")
    return bool((ordered[1:] == ordered[:-1]).any())


def group_order(groups, key):
    """A permutation sorting rows by (group, key): a stable argsort by group, then a
    lexsort only when some group's keys are out of order (a file usually holds each
    session's events together and in time order, so the second sort is rare)."""
    order = np.argsort(groups, kind="stable")
    groups, key = groups[order], key[order]
    same = groups[1:] == groups[:-1]
    if (key[1:][same] < key[:-1][same]).any():
        order = order[np.lexsort((key, np.cumsum(np.append(True, ~same))))]
    return order


def merge_parts(ids, sizes, key):
    """Several files' parts of a bucket, concatenated, merged by id. Each part holds an
    id once, with its `sizes` rows together and in `key` order.

    Returns (distinct ids, each part id's index into them, each row's index into
    them in merged order, the permutation that puts the rows in (id, key) order, or
    None when no id is in two parts: the rows already are)."""
    if not has_duplicates(ids):
        code = np.arange(len(ids))
        return ids, code, np.repeat(code, sizes), None
    names, code = np.unique(ids, return_inverse=True)
    per_row = np.repeat(code, sizes)
    order = np.lexsort((key, per_row))
    return names, code, per_row[order], order


def pack_array(values):
    """A numpy array (integers, or fixed-width bytes as the row parser gives ids) ->
    text for a JSON record: ``"<dtype>:<URL-safe base64 of its bytes>"``, nothing in it
    to escape. Integers travel in the narrowest type that holds them (unpack_array
    gives int64 back). Far cheaper to write, read and turn back into an array than a
    JSON list: the records of a job that ships every event are written, read,
    sorted and split by mrjob, so their size is its time."""
    values = np.ascontiguousarray(values)
    if values.dtype.kind == "i" and len(values):
        low, high = int(values.min()), int(values.max())
        for narrow in (np.int8, np.int16, np.int32):
            info = np.iinfo(narrow)
            if info.min <= low and high <= info.max:
                values = values.astype(narrow)
                break
    elif values.dtype.itemsize == 0:  # S0: every value empty
        values = values.astype("S1")
    return f"{values.dtype.str}:{base64.urlsafe_b64encode(values.tobytes()).decode('ascii')}"


def unpack_array(text):
    """pack_array's text -> the numpy array (integers as int64; bytes read-only)."""
    dtype, _, data = text.partition(":")
    values = np.frombuffer(base64.urlsafe_b64decode(data), dtype=np.dtype(dtype))
    return values.astype(np.int64) if values.dtype.kind == "i" else values


def pack_times(seconds):
    """int64 seconds -> a JSON-ready [base, packed offsets from it]."""
    base = int(seconds.min()) if len(seconds) else 0
    return [base, pack_array(seconds - base)]


def unpack_times(packed):
    base, offsets = packed
    return unpack_array(offsets) + base


def add_buckets_arg(job, default, what):
    """The --buckets option of a job that splits `what` into reduce keys by a stable
    hash of their id (ecomsuite.rows.buckets_of)."""
    job.add_passthru_arg(
        "--buckets", type=int, default=default,
        help=f"reduce keys to split the {what} into, by a stable hash of their id "
             "(default: %(default)s; more on a cluster with many reducers)")


def check_buckets_arg(job):
    if job.options.buckets < 1:
        job.arg_parser.error("--buckets must be at least 1")


@dataclass
class RowStats:
    """What a run read, from its mrjob counters."""

    valid: int = 0
    headers: int = 0
    blank: int = 0
    malformed: dict = field(default_factory=dict)

    @classmethod
    def from_counters(cls, step_counters):
        """`step_counters`: what ``runner.counters()`` returns (a dict per step)."""
        stats = cls()
        for counters in step_counters:
            rows = counters.get(ROWS_GROUP, {})
            stats.valid += rows.get("valid", 0)
            stats.headers += rows.get("header", 0)
            stats.blank += rows.get("blank", 0)
            for reason, n in counters.get(MALFORMED_GROUP, {}).items():
                stats.malformed[reason] = stats.malformed.get(reason, 0) + n
        return stats

    @property
    def malformed_total(self):
        return sum(self.malformed.values())

    @property
    def input_rows(self):
        """Data rows read: valid plus malformed (headers and blank lines apart)."""
        return self.valid + self.malformed_total

    @property
    def malformed_share(self):
        return self.malformed_total / self.input_rows if self.input_rows else 0.0

    def report(self, job_name):
        text = (f"{job_name}: {self.input_rows} rows read, {self.valid} valid, "
                f"{self.malformed_total} malformed ({self.malformed_share:.2%})")
        if self.malformed:
            text += ": " + ", ".join(f"{r}={n}" for r, n in sorted(self.malformed.items()))
        if self.headers or self.blank:
            text += f"; skipped {self.headers} header and {self.blank} blank lines"
        return text


class TooManyMalformedRows(Exception):
    def __init__(self, job_name, stats, threshold):
        self.stats = stats
        super().__init__(
            f"{job_name}: {stats.malformed_total} of {stats.input_rows} rows are malformed "
            f"({stats.malformed_share:.2%}), above the allowed {threshold:.2%}. "
            "Check the input (the counts by reason are above) or raise "
            "--max-malformed-share if that much bad data is expected.")


def check_malformed(job_name, stats, threshold):
    if stats.malformed_share > threshold:
        raise TooManyMalformedRows(job_name, stats, threshold)


# --- why a task failed ---------------------------------------------------------

TASK_ERROR_TAIL_LINES = 12   # lines of a failed task's error shown to the user
_PROBABLE_CAUSE = "Probable cause of failure:"
_SOURCE = re.compile(r"^\(from (?:lines \d+-\d+ of )?(.+)\)$")


class TaskErrors(logging.Handler):
    """What mrjob found in a failed task's log, caught while a runner runs.

    mrjob's local and hadoop runners read the stderr of a failed task (the local
    task's file; on YARN the container's log) and log it as "Probable cause of
    failure", ending with where it came from. The runner's own exception only says
    "Step 1 of 1 failed: Command [...] returned non-zero exit status 1". Only
    records of the thread that made this handler are kept (ecom-run runs jobs in
    threads on the hadoop runner).
    """

    def __init__(self):
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.causes = []

    def emit(self, record):
        if record.thread == self.thread:
            message = record.getMessage()
            if _PROBABLE_CAUSE in message:
                self.causes.append(message.split(_PROBABLE_CAUSE, 1)[1].strip("\n"))


@contextlib.contextmanager
def catching_task_errors():
    """Collect mrjob's explanation of a failed task (see TaskErrors) while the body runs."""
    handler = TaskErrors()
    logger = logging.getLogger("mrjob")
    level = logger.level
    if logger.getEffectiveLevel() > logging.ERROR:
        logger.setLevel(logging.ERROR)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _task_error(cause):
    """(lines, log path or None) of the task's own error in mrjob's "Probable cause of
    failure" text. On YARN that text is Hadoop's Java error first, then "caused by:"
    and the task's stderr (the Python traceback), each followed by "(from <where>)";
    on the local runner it is the task's stderr alone."""
    parts = re.split(r"^caused by:$", cause, flags=re.MULTILINE)
    lines, source = [], None
    for line in parts[-1].splitlines():
        found = _SOURCE.match(line.strip())
        if found:
            source = found.group(1)
            break
        if line.strip() and not line.startswith("+ "):  # '+ cmd': the setup script's trace
            lines.append(line.rstrip())
    return [ln for ln in lines if not ln.startswith("while reading input")], source


def task_failure_text(error, causes=(), tail=TASK_ERROR_TAIL_LINES):
    """What to tell the user about a failed run: the runner's error, then the last
    lines of the failed task's error (its Python traceback) and where its whole log
    is; for an error raised in this process (the inline runner), its traceback's tail."""
    text = str(error) or type(error).__name__
    if causes:
        lines, source = _task_error(causes[-1])
        text += "\n  task error (last lines):\n" + "\n".join(f"    {ln}" for ln in lines[-tail:])
        if source:
            text += f"\n  full task log: {source}"
    elif not isinstance(error, StepFailedException) and error.__traceback__ is not None:
        lines = "".join(traceback.format_exception(error)).rstrip().splitlines()
        text = (f"{type(error).__name__}: {text}\n  traceback (last lines):\n"
                + "\n".join(f"    {ln}" for ln in lines[-tail:]))
    elif isinstance(error, StepFailedException):
        text += "\n  (mrjob found no task log to explain it: run again with --verbose)"
    return text


class CSVJob(MRJob):
    """A job over one of the suite's CSV datasets.

    Subclasses set NAME, DATASET (an ecomsuite.schemas.Dataset) and COLUMNS
    (the columns they read, which are the ones checked), and read rows with
    ``self.read_rows(input_path)`` inside ``mapper_raw``.
    """

    NAME = None
    DATASET = None
    COLUMNS = ()
    # Also reject impossible calendar days (2025-02-30) in the date/timestamp
    # columns read, as bad_timestamp / bad_date (see calendar_checked).
    CALENDAR_CHECKED = False

    @classmethod
    def input_datasets(cls):
        """Names of the datasets the pipeline passes as input (default: DATASET's)."""
        return (cls.DATASET.name,)

    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg(
            "--max-malformed-share", type=float, default=DEFAULT_MAX_MALFORMED_SHARE,
            help="fail the run when more than this share (0-1) of the input "
                 "rows is malformed (default: %(default)s)")
        # mrjob is installed wherever the suite's tasks run (the virtualenv, and
        # on the cluster, mrjob.conf says so): by default the local runner would
        # zip it for every run, and each task would compile it again from the
        # zip (about 0.3 s a task). --bootstrap-mrjob still asks for the zip.
        self.arg_parser.set_defaults(bootstrap_mrjob=False)

    def load_args(self, args):
        super().load_args(args)
        if not 0.0 <= self.options.max_malformed_share <= 1.0:
            self.arg_parser.error("--max-malformed-share must be between 0 and 1")

    def read_rows(self, input_path, dataset=None, columns=None):
        """Yield the typed values of each valid row; count every other line."""
        parser = RowParser(dataset or self.DATASET, columns or self.COLUMNS)
        for chunk in self.read_chunks(input_path, parser):
            yield from parser.chunk_rows(chunk)

    def read_chunks(self, input_path, parser):
        """Yield the ecomsuite.rows.Chunk's of a file read by `parser` (numpy columns of the
        rows checked in bulk, and the other valid rows); count every line once done.
        With CALENDAR_CHECKED, rows on impossible calendar days are left out and counted."""
        checks = [(i, "bad_timestamp" if column.kind == TIMESTAMP else "bad_date")
                  for i, column in enumerate(parser.columns)
                  if column.kind in (TIMESTAMP, DATE)] if self.CALENDAR_CHECKED else []
        for chunk in parser.parse_file_columns(input_path):
            yield calendar_checked(parser, chunk, checks) if checks else chunk
        self.count_rows(parser)

    def read_columns(self, input_path, parser):
        """Every valid row of a file as numpy arrays, one per column read (see
        ``column_array``: the rows checked in bulk first, then the others); counted
        as by read_chunks."""
        bulk, slow = [], []
        for chunk in self.read_chunks(input_path, parser):
            if chunk.size:
                bulk.append(chunk.columns)
            slow.extend(chunk.rows)
        return [column_array(column, [c[i] for c in bulk], [r[i] for r in slow])
                for i, column in enumerate(parser.columns)]

    def input_dataset(self, input_path, input_uri):
        """For a job over several datasets: the Dataset of one input file (see
        ``dataset_of_file``). A file none matches has each of its non-blank
        lines counted as malformed (``unknown_dataset``) and gives None."""
        dataset = dataset_of_file(input_path, input_uri,
                                  [DATASETS[name] for name in self.input_datasets()])
        if dataset is None:
            blank = lines = 0
            with open(input_path, "rb") as f:
                for line in f:
                    lines += 1
                    blank += not line.rstrip(b"\r\n")
            if lines > blank:
                self.increment_counter(MALFORMED_GROUP, UNKNOWN_DATASET, lines - blank)
            if blank:
                self.increment_counter(ROWS_GROUP, "blank", blank)
        return dataset

    def count_rows(self, parser):
        self.increment_counter(ROWS_GROUP, "valid", parser.valid)
        if parser.headers:
            self.increment_counter(ROWS_GROUP, "header", parser.headers)
        if parser.blank:
            self.increment_counter(ROWS_GROUP, "blank", parser.blank)
        for reason, n in parser.malformed.items():
            self.increment_counter(MALFORMED_GROUP, reason, n)

    def run_job(self):
        """Run every step, report the row counts, and gate on malformed share."""
        self.set_up_logging(quiet=self.options.quiet, verbose=self.options.verbose,
                            stream=codecs.getwriter("utf_8")(self.stderr))
        with self.make_runner() as runner:
            try:
                with catching_task_errors() as task_errors:
                    runner.run()
            except StepFailedException as e:
                self.stderr.write(
                    f"error: {task_failure_text(e, task_errors.causes)}\n".encode())
                self.stderr.flush()
                sys.exit(1)
            stats = RowStats.from_counters(runner.counters())
            self.stderr.write((stats.report(self.NAME) + "\n").encode())
            try:
                check_malformed(self.NAME, stats, self.options.max_malformed_share)
            except TooManyMalformedRows as e:
                self.stderr.write(f"error: {e}\n".encode())
                self.stderr.flush()
                sys.exit(EXIT_TOO_MANY_MALFORMED)
            if self._should_cat_output():
                for chunk in runner.cat_output():
                    self.stdout.write(chunk)
                self.stdout.flush()
