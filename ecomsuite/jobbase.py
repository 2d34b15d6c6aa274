"""Base class of the suite's mrjob jobs: canonical input, row counts, a malformed-row gate.

Every job reads the canonical form (``ecomsuite.canonical``: typed Parquet parts that
``ecom-ingest`` wrote from the landed CSV files) with ``mapper_raw``, one map task per
part or bundle, as numpy arrays in one convention, a row group at a time
(``CanonicalJob.iter_columns``: a task's memory does not grow with its input); the rows were
validated once, by the ingest, so a job neither parses nor checks them. It combines in
memory and emits per-key partials. What was read is reported through mrjob counters
(group ``rows``: ``valid``); what the ingest rejected is in its manifests and
quarantine, and ``ecom-run`` copies those counts into each job's run record and gates
on them (``--max-malformed-share``).
"""

import base64
import codecs
import contextlib
import json
import logging
import re
import sys
import threading
import traceback
from dataclasses import dataclass, field

from ecomsuite.mrjob_compat import FixedLocalRunner  # before mrjob: what newer Pythons lack

# isort: split
from mrjob.job import MRJob
from mrjob.step import MRStep, StepFailedException

# numpy through rows' lazy import: a reduce task, which never reads input, starts without it
from ecomsuite.rows import np

log = logging.getLogger(__name__)

ROWS_GROUP = "rows"
MALFORMED_GROUP = "malformed"
DEFAULT_MAX_MALFORMED_SHARE = 0.05
EXIT_TOO_MANY_MALFORMED = 3


def half_up_div(numerator, denominator):
    """Integer division rounded half up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def money(cents):
    """Integer cents -> a float rounded to cents, for JSON output."""
    return round(cents / 100, 2)


def ratio(part, whole):
    """part/whole as a 0-1 float rounded to 6 places; 0.0 when whole is 0."""
    return round(part / whole, 6) if whole else 0.0


# --- numpy helpers over the canonical columns ----------------------------------

def epoch_days(seconds):
    """int64 seconds since the epoch (iter_columns(seconds=True)) -> days since 1970-01-01,
    which order as the days do: a job groups or takes the latest by these, and names
    the few it keeps with civil_numbers."""
    return np.floor_divide(seconds, 86400)


def civil_numbers(days):
    """Days since 1970-01-01 -> the day as the number yyyymmdd."""
    from ecomsuite.canonical import civil_from_days
    y, m, d = civil_from_days(np.asarray(days, dtype=np.int64))
    return y * 10000 + m * 100 + d


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
    if (groups[1:] >= groups[:-1]).all():  # already in group order (a sort's cost saved)
        order = np.arange(len(groups))
    else:
        order = np.argsort(groups, kind="stable")
        groups, key = groups[order], key[order]
    same = groups[1:] == groups[:-1]
    if ((key[1:] < key[:-1]) & same).any():
        order = order[pair_order(np.cumsum(np.append(True, ~same)), key)]
    return order


def pair_order(major, minor):
    """A stable permutation sorting rows by (major, minor): one argsort of a combined
    int64 key when both are integers whose ranges fit one (several times faster than
    np.lexsort), else np.lexsort."""
    if not len(major) or major.dtype.kind not in "iu" or minor.dtype.kind not in "iu":
        return np.lexsort((minor, major))
    low = int(minor.min())
    span = int(minor.max()) - low + 1
    first = int(major.min())
    if (int(major.max()) - first + 1) * span < 2**63:
        return np.argsort((major - first) * span + (minor - low), kind="stable")
    return np.lexsort((minor, major))


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


# --- integer keys for text ids ---------------------------------------------------
# Ids like "CUST00001234" (a prefix, then digits) become int64 keys in bulk, so a job
# sorts, joins and ships integers instead of byte strings. Any other id (from a real
# export: no prefix, letters, too many digits, non-ASCII) is kept exactly in a small
# table of names beside the keys and gets a negative key into it; tables of several
# files are united by name (unite_keys). Equal ids get equal keys, and distinct ids
# distinct keys: "CUST007" and "CUST0007" differ by their number of digits.

ID_DIGITS = 15  # the most digits an id's number may have (its key stays below 2**54)


def id_keys(ids, prefix):
    """Fixed-width UTF-8 byte ids -> (int64 keys, names).

    An id that is `prefix` (str) followed by 1 to ID_DIGITS digits gets the key
    ``number * 16 + digits`` (>= 0); any other id gets ``-1 - i``, `i` its index in
    `names`, the sorted list of this call's other ids (str)."""
    prefix = prefix.encode("utf-8")
    n, p = len(ids), len(prefix)
    width = max(ids.dtype.itemsize, p + 1)
    m = np.ascontiguousarray(ids, dtype=f"S{width}").view(np.uint8).reshape(n, width)
    # a column of bytes at a time: no (ids x width) matrices
    shaped = np.ones(n, dtype=bool)
    for j in range(p):
        shaped &= m[:, j] == prefix[j]
    number = np.zeros(n, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    ended = np.zeros(n, dtype=bool)  # past the digits: only NUL padding may follow
    for j in range(p, width):
        byte = m[:, j]
        digit = byte - np.uint8(48)  # wraps around: a digit is below 10
        is_digit, nul = digit < 10, byte == 0
        ended |= nul
        shaped &= nul | (is_digit & ~ended)
        if j - p < ID_DIGITS:
            live = is_digit & ~ended
            number = np.where(live, number * 10 + digit, number)
            count += live
        else:
            shaped &= nul
    shaped &= count > 0
    keys = number * 16 + count
    others = np.flatnonzero(~shaped)
    names, index = np.unique(ids[others], return_inverse=True)
    keys[others] = -1 - index
    return keys, [name.decode("utf-8") for name in names.tolist()]


def unite_keys(parts):
    """[(keys, names)] of several id_keys calls -> ([keys], names): the negative keys of
    every part renumbered into one sorted table holding the names they use."""
    used = [np.unique(-1 - keys[keys < 0]) for keys, _ in parts]
    names = sorted({part_names[i] for (_, part_names), u in zip(parts, used)
                    for i in u.tolist()})
    index = {name: i for i, name in enumerate(names)}
    out = []
    for (keys, part_names), u in zip(parts, used):
        table = np.full(len(part_names), 0, dtype=np.int64)
        table[u] = [-1 - index[part_names[i]] for i in u.tolist()]
        others = keys < 0
        keys = keys.copy()
        keys[others] = table[-1 - keys[others]]
        out.append(keys)
    return out, names


def pack_keys(keys, names):
    """A record's ids: [packed integer keys (id_keys), the names of the negative keys
    among them only]."""
    [keys], names = unite_keys([(keys, names)])
    return [pack_array(keys), names]


def id_names(keys, names, prefix):
    """The ids (str) of id_keys' keys, given the names table they refer to."""
    return [names[-1 - k] if k < 0 else f"{prefix}{k >> 4:0{k & 15}d}" for k in keys.tolist()]


def max_by_group(groups, values, size):
    """The largest of `values` (integers) per group 0..size-1 (every group has one)."""
    out = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(out, groups, values)
    return out


def lookup_sorted(keys, wanted):
    """(index of each of `wanted` in the sorted distinct `keys`, whether it is there):
    a join by binary search; the index is only meaningful where found."""
    at = np.searchsorted(keys, wanted)
    found = at < len(keys)
    found[found] = keys[at[found]] == wanted[found]
    return at, found


def pack_ints(values):
    """pack_array for integers, or a JSON list for an object array of Python ints (beyond
    int64); unpack_ints reads either."""
    return values.tolist() if values.dtype == object else pack_array(values)


def unpack_ints(packed):
    return np.array(packed, dtype=object) if isinstance(packed, list) else unpack_array(packed)


# A bucketed job hashes its ids into reduce keys (ecomsuite.rows.buckets_of). Over a whole
# input the keys are sized from it, one per ROWS_PER_BUCKET input rows, so a reduce task
# holds about as many rows at S100 as at S10 (and a map task reads canonical.BATCH_ROWS
# at a time): memory bounded by design, not by a cap. Measured in docs/bench.md.
ROWS_PER_BUCKET = 512 * 1024


def buckets_for(rows, fewest):
    """Reduce keys for `rows` input rows: one per ROWS_PER_BUCKET, at least `fewest`."""
    return max(fewest, -(-rows // ROWS_PER_BUCKET))


def add_lists(a, b):
    """Element-wise sums of two lists of Python ints (a map task's totals over batches)."""
    return [x + y for x, y in zip(a, b)]


def local_sort_command(sort_values):
    """The local runner's shuffle sort: mrjob's GNU sort command with the buffer Hadoop's
    map tasks sort in (mapreduce.task.io.sort.mb, from the one mapred-site template). GNU
    sort spills to temporary files past it, as Hadoop does, so its memory stays the same
    at any scale; by default it would size its buffer from the input. None (mrjob's
    default) when the template is not there."""
    from ecomsuite.hadoop import conf
    mb = conf.template_value("mapred-site.xml", "mapreduce.task.io.sort.mb")
    if not (mb and mb.isdigit()):
        return None
    by_key = [] if sort_values else ["-t", "\t", "-k", "1,1", "-s"]  # as mrjob's
    return ["sort", "-S", f"{mb}M", *by_key]


def bucket_rows(buckets, count):
    """(bucket, the indices of its rows in order) of each non-empty bucket 0..count-1 of
    `buckets` (each row's bucket): one stable sort, however many buckets."""
    narrow = np.uint8 if count <= 2**8 else np.uint16 if count <= 2**16 else np.int64
    order = np.argsort(buckets.astype(narrow), kind="stable")  # a radix sort when narrow
    ends = np.cumsum(np.bincount(buckets, minlength=count))
    start = 0
    for b, end in enumerate(ends.tolist()):
        if end > start:
            yield b, order[start:end]
        start = end


def add_buckets_arg(job, what, *aliases):
    """The --buckets option of a job that splits `what` into reduce keys by a stable
    hash of their id, and --input-rows, what the keys are sized from."""
    job.add_passthru_arg(
        "--buckets", *aliases, type=int, default=None,
        help=f"reduce keys to split the {what} into, by a stable hash of their id "
             f"(default: one per {ROWS_PER_BUCKET:,} input rows, at least "
             f"{job.FEWEST_BUCKETS}; a day run (--partials) uses {job.FEWEST_BUCKETS}, the "
             "day partitions' fixed keys, so that days merge by key)")
    job.arg_parser.add_argument(
        "--input-rows", type=int, default=None,
        help="the input's rows, to size the reduce keys (default: counted from the "
             "canonical parts' Parquet footers, local or in HDFS; ecom-run passes it "
             "from the ingest manifests)")


def check_buckets_arg(job):
    if job.options.buckets is not None and job.options.buckets < 1:
        job.arg_parser.error("--buckets must be at least 1")
    if job.options.input_rows is not None and job.options.input_rows < 0:
        job.arg_parser.error("--input-rows must not be negative")


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


class CanonicalJob(FixedLocalRunner, MRJob):
    """A job over the canonical form of one or more of the suite's datasets.

    Subclasses set NAME, DATASET (an ecomsuite.schemas.Dataset) and COLUMNS (the
    columns they read), and read a part inside ``mapper_raw`` with
    ``self.iter_columns(input_path)`` (a job over several datasets first asks
    ``self.input_dataset(input_path)`` which one a part holds).
    """

    NAME = None
    DATASET = None
    COLUMNS = ()
    # Daily partials (ecom-run --day, docs/days.md). A job that sets PARTIAL_STEP takes
    # --partials: it then runs its steps up to PARTIAL_STEP and that step's reducer
    # becomes merge_partials, which writes the step's reducer input merged per key, so
    # days' outputs merge exactly (sums, counts, sorted id sets). A period's answer is the
    # job's own reducers from PARTIAL_STEP on, run over the stored partials of its days
    # (answer_from_partials): one code path for a day, a week and the whole history.
    PARTIAL_STEP = None
    # The form of the job's partials: raised whenever merge_partials' records change, so
    # that a day partition written by an older version is re-run, never misread (its run
    # record keeps the form; layout.OutputLayout.missing_partitions).
    PARTIALS_FORMAT = 1
    # Days before a period whose partials its answer needs (daily_revenue: the anomaly
    # rule's trailing week); 0 for most jobs.
    WINDOW_BEFORE = 0
    # An answer over a period is as of its last day and reads every landed day up to it
    # (customer_segments' RFM: recency, frequency and spend over the history to date).
    HISTORY_TO_DATE = False

    @classmethod
    def input_datasets(cls):
        """Names of the datasets the pipeline passes as input (default: DATASET's)."""
        return (cls.DATASET.name,)

    def configure_args(self):
        super().configure_args()
        if self.PARTIAL_STEP is not None:
            self.add_passthru_arg(
                "--partials", action="store_true",
                help="write mergeable daily partials (the last reducers' input, merged "
                     "per key) instead of the answer (ecom-run --day; docs/days.md)")
        # mrjob is installed wherever the suite's tasks run (the virtualenv, and
        # on the cluster, mrjob.conf says so): by default the local runner would
        # zip it for every run, and each task would compile it again from the
        # zip (about 0.3 s a task). --bootstrap-mrjob still asks for the zip.
        self.arg_parser.set_defaults(bootstrap_mrjob=False)

    @classmethod
    def has_partials(cls):
        return cls.PARTIAL_STEP is not None

    # A bucketed job (add_buckets_arg) sets the fewest reduce keys it hashes its ids into:
    # the keys of its day partitions, and the floor of the keys sized from an input.
    FEWEST_BUCKETS = None

    def bucket_count(self):
        """The reduce keys the ids are hashed into: --buckets, which the driver sets
        (sized_buckets) for every task."""
        return self.options.buckets or self.FEWEST_BUCKETS

    def sized_buckets(self):
        """The driver's choice of reduce keys when --buckets is not given: FEWEST_BUCKETS
        in a day run, else buckets_for() the input's rows (--input-rows, or the canonical
        parts' footers)."""
        if getattr(self.options, "partials", False):
            return self.FEWEST_BUCKETS
        rows = self.options.input_rows
        if rows is None:
            from ecomsuite import canonical
            rows = canonical.count_rows(self.options.args)
        if rows is None:
            log.warning("%s: input rows unknown (the inputs are not canonical parts or "
                        "bundles of them; pass --input-rows): %d reduce keys", self.NAME,
                        self.FEWEST_BUCKETS)
            return self.FEWEST_BUCKETS
        return buckets_for(rows, self.FEWEST_BUCKETS)

    def _non_option_kwargs(self):
        # mrjob passes the command line's passthru options to every task; a bucketed job
        # adds the reduce keys it sized here, once, so every task hashes ids alike.
        kwargs = super()._non_option_kwargs()
        if self.FEWEST_BUCKETS and self.options.buckets is None:
            if getattr(self, "_sized_buckets", None) is None:  # mrjob asks more than once
                self._sized_buckets = self.sized_buckets()
            kwargs["extra_args"] = [*kwargs["extra_args"], f"--buckets={self._sized_buckets}"]
        return kwargs

    def _runner_kwargs(self):
        kwargs = super()._runner_kwargs()
        if self.options.runner == "local" and not kwargs.get("sort_bin"):
            kwargs["sort_bin"] = local_sort_command(self.SORT_VALUES)
        return kwargs

    def iter_columns(self, input_path, columns=None, dataset=None, seconds=False, coded=()):
        """The columns of one canonical part or bundle as numpy arrays (ecomsuite.canonical's
        convention; `seconds`: timestamps as int64 seconds since the epoch; `coded`: these
        text columns as canonical.Coded), in batches of canonical.BATCH_ROWS rows: a map
        task's memory is the batch's, whatever its input's size. The rows are counted as
        ``rows.valid``."""
        from ecomsuite import canonical
        for arrays in canonical.iter_columns(input_path, dataset or self.DATASET,
                                             columns or self.COLUMNS, seconds, coded=coded):
            self.increment_counter(ROWS_GROUP, "valid", len(arrays[0]))
            yield arrays

    def partial_steps(self, steps):
        """`steps` as they run: all of them, or with --partials up to PARTIAL_STEP, whose
        reducer (and its init/final) is replaced by merge_partials."""
        if self.PARTIAL_STEP is None or not self.options.partials:
            return steps
        last = steps[self.PARTIAL_STEP]
        kept = {k: v for k, v in last._steps.items()
                if v is not None and not k.startswith("reducer")}
        return [*steps[:self.PARTIAL_STEP], MRStep(**kept, reducer=self.reducer_merge_partials)]

    def reducer_merge_partials(self, key, values):
        for value in self.merge_partials(key, values):
            yield key, value

    def merge_partials(self, key, values):
        """The values of one key of PARTIAL_STEP's reducer input, merged into fewer values
        of the same form, deterministically (sorted); what the day partition keeps."""
        raise NotImplementedError

    @classmethod
    def answer_from_partials(cls, partials, args=()):
        """The job's answer [(key, value)] from stored partials [(key, value)] (one or many
        days'): the job's reducers from PARTIAL_STEP on, in this process, each step's
        input grouped by key in key order as Hadoop's shuffle gives it."""
        job = cls(args=["--no-conf", *args])
        steps = job.steps()[cls.PARTIAL_STEP:]
        records = list(partials)
        for step in steps:
            groups = {}
            for key, value in records:
                groups.setdefault(json.dumps(key, sort_keys=True), (key, []))[1].append(value)
            out = []
            if step["reducer_init"]:
                step["reducer_init"]()
            for text in sorted(groups):
                key, values = groups[text]
                out.extend(step["reducer"](key, iter(values)) or ())
            if step["reducer_final"]:
                out.extend(step["reducer_final"]() or ())
            records = out
        return records

    def input_dataset(self, input_path):
        """The Dataset (among input_datasets()) a canonical part holds, by its schema."""
        from ecomsuite import canonical
        dataset = canonical.dataset_of_part(input_path)
        if dataset is None or dataset.name not in self.input_datasets():
            raise ValueError(f"{input_path}: not a canonical part of "
                             f"{', '.join(self.input_datasets())} (run ecom-ingest first)")
        return dataset

    def run_job(self):
        """Run every step and report the rows read."""
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
            self.stderr.write(f"{self.NAME}: {stats.valid} rows read\n".encode())
            if self._should_cat_output():
                for chunk in runner.cat_output():
                    self.stdout.write(chunk)
                self.stdout.flush()


CSVJob = CanonicalJob  # the name jobs had when they read CSV
