"""The storage layout: every path, marker and record of the suite, on local disk and HDFS.

This module is the one owner of where data lives. The generator, ``ecom-land``,
``ecom-run``, the exporter, the Parquet export and the bench ask it for paths;
no other module joins a landing, output or run-record path (a test enforces it).

Two roots, each a local folder or an ``hdfs://`` URI::

    <data>/landing/_world.json                      the generator's world (seed, scale, origin)
    <data>/landing/<dataset>/dt=YYYY-MM-DD/v-<id>/<file>     landed files (.csv, .csv.gz, .csv.bz2)
    <data>/landing/_commits/dt=YYYY-MM-DD/<seq>.json         the day's commits (DayCommit)
    <data>/canonical/<dataset>/dt=YYYY-MM-DD/       (issue "Validate once")
    <data>/canonical/_tmp-bundles-<id>/bundle-N.txt  an ecom-run's bundles of parts (YARN)
    <data>/quarantine/<dataset>/dt=YYYY-MM-DD/      (issue "Validate once")
    <data>/<dataset>/part-*  + _SUCCESS             a snapshot (the generator without --days)

    <output>/<job>/<run_id>/part-* + _SUCCESS        a job's output (versions sort by time)
    <output>/<job>/dt=YYYY-MM-DD/<run_id>/part-* + _SUCCESS   a day's partials (ecom-run --day)
    <output>/<job>/_tmp-<run_id>/, _failed-<run_id>/  being written / kept for inspection
    <output>/_runs/<job>/<run_id>.json              one RunRecord per run, good or bad

Publishing (one protocol, for a store that renames a path only onto a free name,
as HDFS does): data is written into a new *version* directory that no reader
takes, and then a marker makes it visible:

- a single folder (a job output, a Parquet folder): the version is written as
  ``_tmp-<v>``, renamed to ``<v>`` and gets ``_SUCCESS`` last; readers take the
  newest version with ``_SUCCESS``; older versions are pruned afterwards.
- a landing day (several datasets at once): each dataset's files go into
  ``<dataset>/dt=D/v-<run>/``; then one :class:`DayCommit` naming every file of
  every dataset is written to a temporary name and renamed to the next free
  sequence number ``_commits/dt=D/<seq>.json``. That rename is the commit: the
  day changes from one whole state to the next in one step, and a reader that
  takes the highest sequence always finds every file it names. Versions that the
  newest commit does not name, and whose writer is gone, are removed afterwards
  (:meth:`DataLayout.gc_day`); a kill at any point leaves either the old or
  the new commit as the newest, never a mix, and never removes a file the newest
  commit names.

Kill points (tests): ``ECOM_KILL_AT=<point>`` makes the process SIGKILL itself
at that named point (:data:`KILL_POINTS`), so tests kill at listed, repeatable
places.
"""

import bz2
import contextlib
import datetime as dt
import errno
import fnmatch
import gzip
import heapq
import io
import json
import os
import posixpath
import secrets
import shutil
import signal
import socket
import stat
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields

from ecomsuite import schemas

# --- names ---------------------------------------------------------------------------

SUCCESS = "_SUCCESS"
PART_GLOB = "part-*"
MANIFEST = "_manifest.json"
INJECTED = "_injected.json"
RUNS = "_runs"
LANDING = "landing"
CANONICAL = "canonical"
QUARANTINE = "quarantine"
COMMITS = "_commits"
WORLD = "_world.json"
LEASE = "_LEASE"
TEMP_PREFIX = "_tmp-"
FAILED_PREFIX = "_failed-"
VERSION_PREFIX = "v-"
DAY_PREFIX = "dt="
LANDED_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")
SNAPSHOT_TEMP_MARK = ".tmp-"
SNAPSHOT_OLD_MARK = ".old-"

DEFAULT_DATA_ROOT = "data"
DEFAULT_SNAPSHOT_ROOT = os.path.join(DEFAULT_DATA_ROOT, "raw")
DEFAULT_OUTPUT_ROOT = "output"
DEFAULT_PARQUET_ROOT = os.path.join(DEFAULT_DATA_ROOT, "parquet")
DEFAULT_HDFS_DATA_ROOT = "hdfs:///ecommerce"
DEFAULT_HDFS_OUTPUT_ROOT = "hdfs:///ecommerce/processed"

KILL_ENV = "ECOM_KILL_AT"
KILL_POINTS = (
    "land:after-first-file",    # one data file of the day written
    "land:before-commit",       # every file written, the commit not yet
    "land:commit-written",      # the commit written under its temporary name, not renamed
    "land:after-commit",        # the commit renamed into place, old versions not yet removed
    "land:mid-gc",              # one superseded version removed, others not yet
    "land:sources-kept",        # --move: landed and committed, sources not yet removed
    "datagen:between-days",     # a day committed, the next not begun
    "datagen:before-manifest",  # a snapshot's datasets committed, its manifest not yet written
    "publish:before-rename",    # a job output / Parquet version written, not renamed
    "publish:before-success",   # renamed into place, _SUCCESS not yet written
    "publish:record-written",   # ecom-run: the run record written, _SUCCESS not yet
)


def kill_point(name):
    """SIGKILL this process if ``$ECOM_KILL_AT`` names this point (tests only)."""
    if os.environ.get(KILL_ENV) == name:
        assert name in KILL_POINTS, name
        os.kill(os.getpid(), signal.SIGKILL)


class LayoutError(Exception):
    """Something a user can fix: a missing or incomplete input, a bad root."""


class OutputRootError(LayoutError):
    """An output root that cannot take outputs or run records (a file, read-only, full)."""


PROBE_BYTES = 8 * 1024   # the room OutputLayout.check_writable asks for: a run record or two


def _what_to_do(error):
    if error.errno == errno.ENOSPC or error.errno == errno.EDQUOT:
        return "free some space there (or give another --output)"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "make it writable (a read-only mount?) or give another --output"
    return "check the path, or give another --output"


def day_name(day):
    """2026-11-25 -> 'dt=2026-11-25'."""
    return f"{DAY_PREFIX}{as_date(day).isoformat()}"


def as_date(day):
    if isinstance(day, dt.date):
        return day
    try:
        return dt.date.fromisoformat(str(day))
    except ValueError:
        raise LayoutError(f"not a day (YYYY-MM-DD): {day!r}") from None


def as_date_arg(text):
    """argparse type: a YYYY-MM-DD day."""
    import argparse
    try:
        return as_date(text)
    except LayoutError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def new_id(now=None):
    """Sortable and unique: 20261121T073012.345Z-3f9a1c (UTC, to the millisecond: two
    runs of one job in the same second, as a quick day re-run makes, still sort in the
    order they ran; Versions keeps the newest by name)."""
    now = time.time() if now is None else now
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
    return f"{stamp}.{int(now * 1000) % 1000:03d}Z-{secrets.token_hex(3)}"


def is_hdfs(path):
    return isinstance(path, str) and path.startswith("hdfs://")


def compression_of(name):
    """'gzip', 'bz2' or None, from a file name."""
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith(".bz2"):
        return "bz2"
    return None


def open_text_lines(store, path):
    """The decoded lines of a landed file (plain, gzip or bz2), with their line ends."""
    raw = store.read_bytes(path)
    kind = compression_of(path)
    if kind == "gzip":
        raw = gzip.decompress(raw)
    elif kind == "bz2":
        raw = bz2.decompress(raw)
    return io.StringIO(raw.decode("utf-8")).readlines()


# --- stores: one interface, a local and an HDFS backend ------------------------------

@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int
    mtime: float  # unix seconds
    error: OSError | None = None  # set when the entry itself cannot be read (a symlink loop, EACCES)


class Store:
    """The file operations the layout needs. Paths are strings: local paths, or
    ``hdfs://`` URIs for :class:`HdfsStore`.

    ``rename(src, dst)`` is atomic and refuses an existing `dst`
    (FileExistsError): the publish protocol relies on nothing else.
    """

    kind = "?"

    def join(self, base, *parts):
        raise NotImplementedError

    def exists(self, path):
        raise NotImplementedError

    def is_dir(self, path):
        raise NotImplementedError

    def list(self, path):
        """[Entry] of a directory, sorted by name; FileNotFoundError if it is not there."""
        raise NotImplementedError

    def names(self, path):
        """Sorted names in a directory; [] if it is not there."""
        try:
            return [e.name for e in self.list(path)]
        except FileNotFoundError:
            return []

    def makedirs(self, path):
        raise NotImplementedError

    def read_bytes(self, path):
        raise NotImplementedError

    def open_write(self, path):
        """A binary writable file (context manager) creating `path` (which must not exist)."""
        raise NotImplementedError

    def write_bytes(self, path, data):
        with self.open_write(path) as f:
            f.write(data)

    def rename(self, src, dst):
        raise NotImplementedError

    def replace_file(self, src, dst):
        """Rename file `src` over file `dst` in one step."""
        raise NotImplementedError

    def delete(self, path, recursive=False):
        """Remove `path`; False if it was not there."""
        raise NotImplementedError

    def copy_into(self, src_store, src, dst, chunk=1 << 20):
        """Copy file `src` of `src_store` to `dst` of this store, streamed."""
        if isinstance(src_store, LocalStore) and isinstance(self, LocalStore):
            shutil.copyfile(src, dst)
            return
        with src_store.open_read(src) as reader, self.open_write(dst) as writer:
            while block := reader.read(chunk):
                writer.write(block)

    def open_read(self, path):
        raise NotImplementedError

    def open_seekable(self, path):
        """A seekable binary reader of file `path` (on HDFS each read is a ranged request:
        a reader of a Parquet footer fetches the footer, not the file)."""
        raise NotImplementedError

    def describe(self, path):
        return path


class LocalStore(Store):
    kind = "local"

    def join(self, base, *parts):
        return os.path.join(base, *parts)

    def exists(self, path):
        return os.path.lexists(path)

    def is_dir(self, path):
        return os.path.isdir(path)

    def list(self, path):
        entries = []
        with os.scandir(path) as it:
            for e in it:
                try:
                    st = e.stat()
                except FileNotFoundError:  # removed while we listed (or a dangling link)
                    continue
                except OSError as err:  # one bad entry must not hide the others
                    entries.append(Entry(e.name, False, 0, 0.0, error=err))
                    continue
                entries.append(Entry(e.name, stat.S_ISDIR(st.st_mode), st.st_size, st.st_mtime))
        return sorted(entries, key=lambda e: e.name)

    def makedirs(self, path):
        os.makedirs(path, exist_ok=True)

    def read_bytes(self, path):
        with open(path, "rb") as f:
            return f.read()

    def open_read(self, path):
        return open(path, "rb")

    def open_seekable(self, path):
        return open(path, "rb")

    def open_write(self, path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        return open(path, "xb")

    def rename(self, src, dst):
        # os.rename would replace an empty directory or a file: refuse like HDFS does.
        if os.path.lexists(dst):
            raise FileExistsError(17, "destination exists", dst)
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        os.rename(src, dst)

    def replace_file(self, src, dst):
        os.replace(src, dst)

    def delete(self, path, recursive=False):
        if not os.path.lexists(path):
            return False
        if os.path.isdir(path) and not os.path.islink(path):
            if recursive:
                shutil.rmtree(path)
            else:
                os.rmdir(path)
        else:
            os.remove(path)
        return True

    def describe(self, path):
        return os.path.abspath(path)


class StoreError(OSError):
    """A store operation failed (HDFS unreachable, refused, ...): the message says which."""


class HdfsStore(Store):
    """HDFS through WebHDFS (``ecomsuite.hadoop.webhdfs``, the transport). Its errors come out as
    OSErrors (FileNotFoundError, FileExistsError, StoreError) and a missing NameNode
    configuration as LayoutError, so callers need not know the transport."""

    kind = "hdfs"

    def __init__(self, client=None, uri=None):
        self._client = client
        self._uri = uri

    @staticmethod
    def _io():
        from ecomsuite.hadoop import webhdfs
        return webhdfs

    @property
    def client(self):
        if self._client is None:
            io_ = self._io()
            try:
                self._client = io_.client(uri=self._uri)
            except io_.NoNameNode as e:
                raise LayoutError(str(e)) from None
        return self._client

    @contextlib.contextmanager
    def _errors(self, path):
        io_ = self._io()
        try:
            yield
        except io_.NoNameNode as e:
            raise LayoutError(str(e)) from None
        except io_.HdfsError as e:
            text = f"{getattr(e, 'exception', '')} {e}"
            if "FileNotFoundException" in text:
                raise FileNotFoundError(2, "no such file or directory in HDFS", path) from e
            if "FileAlreadyExistsException" in text:
                raise FileExistsError(17, "already exists in HDFS", path) from e
            raise StoreError(f"HDFS: {path}: {e}") from e

    def join(self, base, *parts):
        return posixpath.join(base, *parts)

    def exists(self, path):
        with self._errors(path):
            return self._io().exists(self.client, path)

    def is_dir(self, path):
        with self._errors(path):
            return self._io().is_dir(self.client, path)

    def list(self, path):
        with self._errors(path):
            statuses = self._io().list_status(self.client, path)
        return [Entry(name, st.get("type") == "DIRECTORY", int(st.get("length", 0)),
                      st.get("modificationTime", 0) / 1000.0) for name, st in statuses]

    def makedirs(self, path):
        with self._errors(path):
            self._io().makedirs(self.client, path)

    def read_bytes(self, path):
        with self._errors(path):
            return self._io().read_bytes(self.client, path)

    def open_read(self, path):
        return _HdfsReader(self, path)

    def open_seekable(self, path):
        with self._errors(path):
            return self._io().open_range_file(self.client, path)

    def open_write(self, path):
        if self.exists(path):
            raise FileExistsError(17, "already exists in HDFS", path)
        with self._errors(path):
            return self._io().open_writer(self.client, path)

    def rename(self, src, dst):
        io_ = self._io()
        if self.exists(dst):
            raise FileExistsError(17, "destination exists", dst)
        with self._errors(dst):
            io_.makedirs(self.client, posixpath.dirname(io_.hdfs_path(dst)))
            io_.rename(self.client, src, dst)
        # WebHDFS RENAME returns false (not an error) when it did nothing.
        if not self.exists(dst):
            raise FileExistsError(17, "rename did not happen (destination taken?)", dst)

    def replace_file(self, src, dst):
        with self._errors(dst):
            self._io().replace_file(self.client, src, dst)

    def delete(self, path, recursive=False):
        with self._errors(path):
            return self._io().delete(self.client, path, recursive=recursive)

    def describe(self, path):
        return self._io().to_uri(path)


class _HdfsReader:
    def __init__(self, store, path):
        self._store, self._path = store, path
        with store._errors(path):
            self._cm = store._io().open_reader(store.client, path)

    def __enter__(self):
        with self._store._errors(self._path):
            return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def store_for(root, client=None):
    """The Store of a root: HdfsStore for ``hdfs://`` URIs, else LocalStore."""
    return HdfsStore(client, uri=root) if is_hdfs(root) else LocalStore()


def normalize_root(root):
    if is_hdfs(root):
        from ecomsuite.hadoop import webhdfs
        return webhdfs.to_uri(root)
    return os.fspath(root)


# --- typed records -------------------------------------------------------------------

class RecordError(ValueError):
    """A JSON record that is not what its writer writes."""


def _to_json(obj):
    return (json.dumps(asdict(obj), indent=2, sort_keys=True) + "\n").encode()


def _from_json(cls, data, where, required):
    try:
        raw = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, ValueError) as e:
        raise RecordError(f"{where}: not a JSON {cls.__name__} ({e})") from e
    if not isinstance(raw, dict):
        raise RecordError(f"{where}: not a JSON object")
    missing = [k for k in required if k not in raw]
    if missing:
        raise RecordError(f"{where}: no {', '.join(missing)}")
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in raw.items() if k in known})


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


RUN_STATUSES = ("succeeded", "failed")


@dataclass
class RunRecord:
    """One run of one job, written to ``<output>/_runs/<job>/<run_id>.json``."""

    job: str
    run_id: str
    runner: str
    started_at: float | None = None
    status: str = "failed"                 # "succeeded" | "failed"
    finished_at: float | None = None
    duration_seconds: float | None = None
    inputs: list = field(default_factory=list)
    input_days: list = field(default_factory=list)   # landing days read (empty: a snapshot)
    # "dt=YYYY-MM-DD": a day partition's partials; "partials": an answer merged from the
    # partitions of input_days; None: an answer computed from the canonical data
    partition: str | None = None
    # a day partition's: the job's PARTIALS_FORMAT when it wrote them (absent: 1)
    partials_format: int | None = None
    output_dir: str | None = None
    error: str | None = None
    input_rows: int | None = None
    valid_rows: int | None = None
    header_rows: int | None = None
    blank_rows: int | None = None
    malformed_rows: dict = field(default_factory=dict)
    malformed_total: int | None = None
    malformed_share: float | None = None
    output_rows: int | None = None
    counters: list = field(default_factory=list)
    yarn_application_ids: list | None = None
    hadoop_job_ids: list | None = None
    hadoop_counters: list | None = None

    def to_json(self):
        return _to_json(self)

    # Read like the JSON it is written as: record["status"], record.get("error").
    def __getitem__(self, key):
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key):
        return key in self.__dataclass_fields__ and getattr(self, key) is not None

    def get(self, key, default=None):
        return getattr(self, key, default) if key in self else default

    @classmethod
    def from_json(cls, data, where="run record", job=None):
        """Parse and check a record (RecordError, a ValueError, names what is wrong);
        `job` fills in the job name of a record that lacks it (its directory says)."""
        if job is not None:
            try:
                raw = json.loads(data)
            except (UnicodeDecodeError, ValueError):
                raw = None
            if isinstance(raw, dict) and "job" not in raw:
                data = json.dumps({**raw, "job": job})
        record = _from_json(cls, data, where, ("job", "run_id", "runner", "status",
                                                "finished_at"))
        if record.status not in RUN_STATUSES:
            raise RecordError(f"{where}: unknown status {record.status!r}")
        if not _number(record.finished_at):
            raise RecordError(f"{where}: finished_at is not a number")
        return record


@dataclass
class LandedFile:
    path: str          # relative to the landing day directory: v-<id>/<name>
    bytes: int
    rows: int | None = None   # data rows, when the writer knows them


@dataclass
class DayCommit:
    """The committed state of one landing day: every dataset's files.

    ``closed`` is False while a day is still being appended to (``--follow``):
    readers that need whole days take closed days only.
    """

    day: str
    seq: int
    run_id: str
    committed_at: float
    datasets: dict       # dataset -> [LandedFile as dict]
    closed: bool = True
    source: str = ""     # "datagen" | "ecom-land"

    def files(self, dataset):
        return [LandedFile(**f) for f in self.datasets.get(dataset, [])]

    @property
    def complete(self):
        return self.closed and all(self.datasets.get(d) for d in schemas.DATASETS)

    def to_json(self):
        return _to_json(self)

    @classmethod
    def from_json(cls, data, where="day commit"):
        return _from_json(cls, data, where, ("day", "seq", "run_id", "datasets"))


@dataclass
class World:
    """What the generator's days share (``landing/_world.json``): continuing needs the same."""

    seed: int
    scale: float
    origin: str                  # the first landed day: customers before it are the backlog
    generator_version: str
    sizes: dict                  # orders_per_day, clicks_per_day, backlog_customers, ...

    def to_json(self):
        return _to_json(self)

    @classmethod
    def from_json(cls, data, where="world"):
        return _from_json(cls, data, where, ("seed", "scale", "origin"))


# --- the data root: landing zone, canonical, quarantine, snapshot --------------------

class DataLayout:
    """Paths and protocols under a data root (local folder or ``hdfs://`` URI)."""

    def __init__(self, root=DEFAULT_DATA_ROOT, store=None):
        self.root = normalize_root(root)
        self.store = store or store_for(self.root)

    def __repr__(self):
        return f"DataLayout({self.root!r})"

    def _p(self, *parts):
        return self.store.join(self.root, *parts)

    # paths
    def landing(self):
        return self._p(LANDING)

    def dataset_dir(self, dataset):
        return self._p(LANDING, dataset)

    def day_dir(self, dataset, day):
        return self._p(LANDING, dataset, day_name(day))

    def version_dir(self, dataset, day, version):
        return self._p(LANDING, dataset, day_name(day), version)

    def landed_path(self, dataset, day, relative):
        return self._p(LANDING, dataset, day_name(day), relative)

    def commits_dir(self, day):
        return self._p(LANDING, COMMITS, day_name(day))

    def commit_path(self, day, seq):
        return self._p(LANDING, COMMITS, day_name(day), f"{seq:08d}.json")

    def world_path(self):
        return self._p(LANDING, WORLD)

    def canonical_dir(self, dataset, day):
        """A day's canonical partition; day None: the snapshot's (``<dataset>/snapshot``)."""
        return self._p(CANONICAL, dataset, partition_name(day))

    def quarantine_dir(self, dataset, day):
        return self._p(QUARANTINE, dataset, partition_name(day))

    def snapshot_dir(self, dataset):
        """A snapshot dataset (the generator without --days): ``<root>/<dataset>/part-*``."""
        return self._p(dataset)

    def snapshot_file(self, name):
        return self._p(name)

    def snapshot_temp(self, name, owner):
        """Where a snapshot dataset (or root file) is written before its rename: a hidden
        sibling ``.<name>.tmp-<owner>``, which readers and Hadoop skip."""
        return self._p(f".{name}{SNAPSHOT_TEMP_MARK}{owner}")

    def snapshot_old(self, name, owner):
        """Where the previous snapshot dataset waits while the new one is renamed in."""
        return self._p(f".{name}{SNAPSHOT_OLD_MARK}{owner}")

    def snapshot_leftovers(self, name):
        """[(path, owner)] of temporary and old copies of `name` under the root."""
        out = []
        for entry in self.store.names(self.root):
            for mark in (SNAPSHOT_TEMP_MARK, SNAPSHOT_OLD_MARK):
                prefix = f".{name}{mark}"
                if entry.startswith(prefix):
                    out.append((self._p(entry), entry[len(prefix):]))
        return out

    # reading the landing zone
    def has_landing(self):
        return self.store.is_dir(self.landing())

    def days(self):
        """Every day with a commit folder, oldest first (date objects); latest_commit() of a
        day whose first commit is still being written is None."""
        days = []
        for name in self.store.names(self._p(LANDING, COMMITS)):
            if name.startswith(DAY_PREFIX):
                try:
                    days.append(as_date(name[len(DAY_PREFIX):]))
                except LayoutError:
                    continue
        return sorted(days)

    def commit_seqs(self, day):
        return sorted(int(n[:-5]) for n in self.store.names(self.commits_dir(day))
                      if n.endswith(".json") and n[:-5].isdigit())

    def latest_commit(self, day):
        """The day's newest DayCommit, or None."""
        seqs = self.commit_seqs(day)
        if not seqs:
            return None
        path = self.commit_path(day, seqs[-1])
        return DayCommit.from_json(self.store.read_bytes(path), path)

    def read_world(self):
        path = self.world_path()
        if not self.store.exists(path):
            return None
        return World.from_json(self.store.read_bytes(path), path)

    def write_world(self, world):
        """Write the world once (refuse to change it)."""
        path = self.world_path()
        temp = self.store.join(self.landing(), f"{TEMP_PREFIX}{WORLD}-{new_id()}")
        self.store.makedirs(self.landing())
        self.store.write_bytes(temp, world.to_json())
        try:
            self.store.rename(temp, path)
        except FileExistsError:
            self.store.delete(temp)

    def day_files(self, dataset, day, commit=None):
        """Full paths of a dataset's files in a day's newest commit."""
        commit = commit or self.latest_commit(day)
        if commit is None:
            return []
        return [self.landed_path(dataset, day, f.path) for f in commit.files(dataset)]

    def complete_days(self, days=None):
        """[(day, DayCommit)] of closed days holding every dataset, and [(day, why)] of the rest."""
        good, skipped = [], []
        for day in days if days is not None else self.days():
            commit = self.latest_commit(day)
            if commit is None:
                skipped.append((day, "no commit"))
            elif not commit.closed:
                skipped.append((day, "still open (being followed)"))
            elif not commit.complete:
                missing = [d for d in schemas.DATASETS if not commit.datasets.get(d)]
                skipped.append((day, f"no {', '.join(missing)}"))
            else:
                good.append((day, commit))
        return good, skipped

    def input_files(self, datasets, how_to_make=""):
        """Every file of `datasets`: all complete landing days, or a snapshot's part files.

        Returns (paths, days used). Raises LayoutError naming what is missing.
        """
        if self.has_landing():
            good, _ = self.complete_days()
            if not good:
                raise LayoutError(f"{self.landing()} has no complete day (every dataset "
                                  f"committed): {how_to_make}")
            paths = []
            for name in datasets:
                for day, commit in good:
                    paths.extend(self.day_files(name, day, commit))
            return paths, [d.isoformat() for d, _ in good]
        paths = []
        for name in datasets:
            paths.extend(self.snapshot_parts(name, how_to_make))
        return paths, []

    def snapshot_parts(self, dataset, how_to_make=""):
        directory = self.snapshot_dir(dataset)
        if not self.store.is_dir(directory):
            raise LayoutError(f"input dataset {directory} does not exist (nor a landing zone "
                              f"{self.landing()}): {how_to_make}")
        names = self.store.names(directory)
        if SUCCESS not in names:
            raise LayoutError(
                f"input dataset {directory} has no {SUCCESS}: it is incomplete (an "
                "interrupted write?); generate it again with --overwrite")
        parts = fnmatch.filter(names, PART_GLOB)
        if not parts:
            raise LayoutError(f"input dataset {directory} has no part files")
        if self.store.kind == "hdfs":  # one glob per dataset: Hadoop expands it
            return [self.store.join(directory, PART_GLOB)]
        return [self.store.join(directory, p) for p in parts]

    # writing a day
    def begin_day(self, day, run_id=None, source=""):
        return DayWriter(self, as_date(day), run_id or new_id(), source)

    def _lease_alive(self, version_dir):
        try:
            lease = json.loads(self.store.read_bytes(self.store.join(version_dir, LEASE)))
        except (FileNotFoundError, OSError, ValueError):
            return False
        if lease.get("host") != socket.gethostname():
            return True  # another machine's writer: never ours to judge
        return pid_alive(int(lease.get("pid", 0)))

    def gc_day(self, day, keep=None):
        """Remove the day's versions that the newest commit does not name and no live writer
        holds; returns the removed paths. Never removes a file the newest commit names."""
        commit = self.latest_commit(day)
        removed = []
        for dataset in schemas.DATASETS:
            named = set(keep or ())
            if commit is not None:
                named.update(f["path"].split("/")[0] for f in commit.datasets.get(dataset, []))
            for name in self.store.names(self.day_dir(dataset, day)):
                if not name.startswith(VERSION_PREFIX) or name in named:
                    continue
                path = self.version_dir(dataset, day, name)
                if self._lease_alive(path):
                    continue
                self.store.delete(path, recursive=True)
                removed.append(path)
                kill_point("land:mid-gc")
        return removed


def pid_alive(pid):
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DayWriter:
    """Lands files of one day; nothing is visible until :meth:`commit`.

        w = layout.begin_day("2026-11-25")
        with w.open("orders", "part-00000.csv") as f: f.write(...)
        w.commit()            # one DayCommit: these datasets replace the day's previous ones
    """

    MAX_COMMIT_TRIES = 20

    def __init__(self, layout, day, run_id, source):
        self.layout, self.day, self.run_id, self.source = layout, day, run_id, source
        self.version = f"{VERSION_PREFIX}{run_id}"
        self.files = {}   # dataset -> [LandedFile]
        self._leased = set()
        self._first_file = True

    @property
    def store(self):
        return self.layout.store

    def _version_dir(self, dataset):
        path = self.layout.version_dir(dataset, self.day, self.version)
        if dataset not in self._leased:
            self.store.makedirs(path)
            lease = json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                                "run_id": self.run_id}).encode()
            self.store.write_bytes(self.store.join(path, LEASE), lease)
            self._leased.add(dataset)
            self.files.setdefault(dataset, [])
        return path

    def _check(self, dataset, filename):
        if dataset not in schemas.DATASETS:
            raise LayoutError(f"unknown dataset {dataset!r}; known: {', '.join(schemas.DATASETS)}")
        if "/" in filename or os.sep in filename or filename.startswith((".", "_")) \
                or not filename.endswith(LANDED_SUFFIXES):
            raise LayoutError(f"{filename!r}: a landed file is named *.csv, *.csv.gz or "
                              "*.csv.bz2 (not hidden, no folders)")
        if any(f.path.endswith("/" + filename) for f in self.files.get(dataset, [])):
            raise LayoutError(f"{filename!r} given twice for {dataset}")

    def open(self, dataset, filename, rows=None, count_rows=False):
        """A binary file to write one landed file into (a context manager). With
        `count_rows` the commit records its data rows: the lines written but the header
        (for writers of one CSV record a line, as the generator)."""
        self._check(dataset, filename)
        path = self.store.join(self._version_dir(dataset), filename)
        return _Tracked(self, dataset, filename, path, rows, count_rows)

    def add(self, dataset, filename, src_store, src, rows=None):
        """Copy one existing file (local or HDFS) in."""
        self._check(dataset, filename)
        path = self.store.join(self._version_dir(dataset), filename)
        self.store.copy_into(src_store, src, path)
        version = self.layout.version_dir(dataset, self.day, self.version)
        size = next(e.size for e in self.store.list(version) if e.name == filename)
        self._landed(dataset, filename, size, rows)

    def _landed(self, dataset, filename, size, rows):
        self.files.setdefault(dataset, []).append(
            LandedFile(f"{self.version}/{filename}", size, rows))
        if self._first_file:
            self._first_file = False
            kill_point("land:after-first-file")

    def commit(self, closed=True, keep_previous=True, append=False):
        """Publish: one new DayCommit naming this run's files for its datasets (and, with
        `keep_previous`, the previous commit's files for the other datasets; with `append`,
        this run's files are added to the previous commit's files of the same dataset)."""
        kill_point("land:before-commit")
        store, layout = self.store, self.layout
        commits = layout.commits_dir(self.day)
        store.makedirs(commits)
        for _attempt in range(self.MAX_COMMIT_TRIES):
            previous = layout.latest_commit(self.day)
            datasets = dict(previous.datasets) if previous and keep_previous else {}
            for name, files in self.files.items():
                before = datasets.get(name, []) if append else []
                datasets[name] = list(before) + [asdict(f) for f in files]
            seq = (previous.seq if previous else 0) + 1
            commit = DayCommit(day=self.day.isoformat(), seq=seq, run_id=self.run_id,
                               committed_at=time.time(), datasets=datasets, closed=closed,
                               source=self.source)
            temp = store.join(commits, f"{TEMP_PREFIX}{self.run_id}-{seq}")
            store.delete(temp)
            store.write_bytes(temp, commit.to_json())
            kill_point("land:commit-written")
            try:
                store.rename(temp, layout.commit_path(self.day, seq))
            except FileExistsError:  # another writer committed first: build on its commit
                store.delete(temp)
                continue
            kill_point("land:after-commit")
            self._drop_leases()
            layout.gc_day(self.day)
            return commit
        raise LayoutError(f"could not commit {self.day}: {self.MAX_COMMIT_TRIES} other commits "
                          "came first")

    def _drop_leases(self):
        for dataset in self._leased:
            self.store.delete(self.store.join(
                self.layout.version_dir(dataset, self.day, self.version), LEASE))

    def abort(self):
        """Remove this run's versions (nothing of it was committed)."""
        for dataset in self._leased:
            self.store.delete(self.layout.version_dir(dataset, self.day, self.version),
                              recursive=True)
        self._leased.clear()
        self.files.clear()


class _Tracked:
    def __init__(self, writer, dataset, filename, path, rows, count_rows=False):
        self.writer, self.dataset, self.filename, self.rows = writer, dataset, filename, rows
        self.file = writer.store.open_write(path)
        self.size = 0
        self.lines = 0 if count_rows else None

    def write(self, data):
        self.size += len(data)
        if self.lines is not None:
            self.lines += data.count(b"\n")
        return self.file.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()
        if exc[0] is None:
            rows = self.rows if self.lines is None else max(0, self.lines - 1)
            self.writer._landed(self.dataset, self.filename, self.size, rows)
        return False

    def close(self):
        self.__exit__(None, None, None)


# --- versioned folders: job outputs, Parquet folders ---------------------------------

class Versions:
    """A folder published as whole versions: ``<base>/<version>/`` complete with _SUCCESS."""

    def __init__(self, store, base):
        self.store, self.base = store, base

    def temp(self, version):
        return self.store.join(self.base, f"{TEMP_PREFIX}{version}")

    def final(self, version):
        return self.store.join(self.base, version)

    def failed(self, version):
        return self.store.join(self.base, f"{FAILED_PREFIX}{version}")

    def publish(self, temp, version, manifest=None, before_success=None):
        """Rename a finished temp folder to its version, then write _SUCCESS (last).

        `before_success()` runs between the two (ecom-run writes the run record there):
        if it raises, no _SUCCESS is written, so no reader takes the version, and
        :meth:`set_aside` moves it out of the way."""
        final = self.final(version)
        if manifest is not None:
            self.store.write_bytes(self.store.join(temp, MANIFEST), manifest)
        kill_point("publish:before-rename")
        self.store.rename(temp, final)
        kill_point("publish:before-success")
        if before_success is not None:
            before_success()
            kill_point("publish:record-written")
        self.store.write_bytes(self.store.join(final, SUCCESS), b"")
        return final

    def set_aside(self, temp, version):
        """Keep a failed run's output as ``_failed-<version>`` (no _SUCCESS): from its temp
        folder, or from its version folder if it was renamed but never completed."""
        final = self.final(version)
        if self.store.exists(temp):
            source = temp
        elif self.store.exists(final):
            self.store.delete(self.store.join(final, SUCCESS))
            source = final
        else:
            return None
        failed = self.failed(version)
        self.store.rename(source, failed)
        return failed

    def complete(self):
        """Names of complete versions, oldest first."""
        out = []
        for e in self._entries():
            if e.is_dir and not e.name.startswith(("_", ".")) and \
                    self.store.exists(self.store.join(self.base, e.name, SUCCESS)):
                out.append(e.name)
        return out

    def _entries(self):
        try:
            return self.store.list(self.base)
        except FileNotFoundError:
            return []

    def latest(self):
        """Path of the newest complete version, or None."""
        done = self.complete()
        return self.final(done[-1]) if done else None

    def prune(self, keep=1):
        """Remove complete versions but the newest `keep` (never the newest)."""
        done = self.complete()
        for name in done[:-max(1, keep)]:
            self.store.delete(self.final(name), recursive=True)


# --- the output root: job outputs and run records -------------------------------------

class OutputLayout:
    """Job outputs and run records under an output root (local folder or ``hdfs://``)."""

    def __init__(self, root=DEFAULT_OUTPUT_ROOT, store=None):
        self.root = normalize_root(root)
        self.store = store or store_for(self.root)

    def __repr__(self):
        return f"OutputLayout({self.root!r})"

    def job_dir(self, job, day=None):
        if day is None:
            return self.store.join(self.root, job)
        return self.store.join(self.root, job, day_name(day))

    def versions(self, job, day=None):
        return Versions(self.store, self.job_dir(job, day))

    def runs_root(self):
        return self.store.join(self.root, RUNS)

    def runs_dir(self, job):
        return self.store.join(self.root, RUNS, job)

    def record_path(self, job, run_id):
        return self.store.join(self.runs_dir(job), f"{run_id}.json")

    def jobs(self):
        """Job names with outputs or run records here."""
        seen = {n for n in self.store.names(self.root) if not n.startswith(("_", "."))
                and self.store.is_dir(self.store.join(self.root, n))}
        seen |= set(self.store.names(self.runs_root()))
        return sorted(seen)

    def task_log_path(self, job, run_id):
        """A failed run's task log, kept beside its record (the runner's temp folder goes)."""
        return self.store.join(self.runs_dir(job), f"{run_id}.task.log")

    def check_writable(self):
        """Raise OutputRootError (one line: what and what to do) unless jobs' outputs and run
        records can be written here: the root and its ``_runs`` are folders this process
        may create files in, with room for a small file."""
        store = self.store
        for path in (self.root, self.runs_root()):
            if store.exists(path) and not store.is_dir(path):
                raise OutputRootError(f"output root {store.describe(path)} is a file, not a "
                                      "folder: remove it or give another --output")
            probe = store.join(path, f".probe-{new_id()}")
            try:
                store.makedirs(path)
                store.write_bytes(probe, b"\0" * PROBE_BYTES)
            except OSError as e:
                raise OutputRootError(
                    f"cannot write to output root {store.describe(path)}: "
                    f"{e.strerror or e}; {_what_to_do(e)}") from e
            finally:
                with contextlib.suppress(OSError):
                    store.delete(probe)

    def write_record(self, record):
        """Write a RunRecord atomically (temp file renamed over the final name)."""
        path = self.record_path(record.job, record.run_id)
        temp = path + ".tmp"
        self.store.makedirs(self.runs_dir(record.job))
        self.store.delete(temp)
        self.store.write_bytes(temp, record.to_json())
        self.store.replace_file(temp, path)
        return path

    def read_records(self, job):
        """The job's readable RunRecords (oldest first) and [(name, error)] of the others."""
        records, problems = [], []
        for name in self.store.names(self.runs_dir(job)):
            if not name.endswith(".json"):
                continue  # *.json.tmp: a record being written
            path = self.store.join(self.runs_dir(job), name)
            try:
                records.append(RunRecord.from_json(self.store.read_bytes(path), path, job))
            except (OSError, ValueError) as e:
                problems.append((name, e))
        records.sort(key=lambda r: (r.finished_at, str(r.run_id)))
        return records, problems

    def latest_output(self, job, day=None):
        return self.versions(job, day).latest()

    # day partitions (ecom-run --day / --from --to / --last; docs/days.md)
    def partition_days(self, job):
        """Days with a complete partition of `job`'s daily partials, oldest first."""
        return [d for d in self.partition_folders(job) if self.latest_output(job, d) is not None]

    def partition_name(self, job, day):
        """'<job>/dt=YYYY-MM-DD': how messages name a day partition."""
        return f"{job}/{day_name(day)}"

    def partials_format(self, job, day):
        """The partials format of `job`'s newest complete partition of `day` (its run
        record's; 1 when the record does not say), or None without a partition."""
        version = self.latest_output(job, day)
        if version is None:
            return None
        path = self.record_path(job, posixpath.basename(version.rstrip("/")))
        try:
            record = RunRecord.from_json(self.store.read_bytes(path), path, job)
        except (OSError, ValueError):
            return 1
        return record.partials_format or 1

    def missing_partitions(self, job, days, partials_format=1):
        """The days of `days` without a complete partition of `job` in `partials_format`
        (one written by a version of the job whose partials differ is no partition)."""
        return [d for d in days if self.partials_format(job, d) != partials_format]

    def read_partials(self, job, days, partials_format=1):
        """The output lines of `job`'s partitions of `days` (each day's newest complete
        version); a day without one in `partials_format` raises LayoutError naming it."""
        missing = self.missing_partitions(job, days, partials_format)
        if missing:
            old = [d for d in missing if self.latest_output(job, d) is not None]
            names = ", ".join(self.partition_name(job, d) for d in missing)
            why = (f" ({len(old)} of them written by an older version of {job}, whose "
                   "partials this version does not read)" if old else "")
            raise LayoutError(f"no partition {names} under {self.store.describe(self.root)}"
                              f"{why}: run `ecom-run --from DAY --to DAY` over those days first")
        lines = []
        for day in days:
            lines.extend(self.read_output_lines(self.latest_output(job, day)))
        return lines

    def write_merged(self, temp, data):
        """A merged answer's one part file (``part-00000``) in a version being written."""
        self.store.makedirs(temp)
        self.store.write_bytes(self.store.join(temp, "part-00000"), data)

    def publish_partition(self, job, day, temp, version, before_success=None):
        """A day partition's new version made visible (Versions.publish: renamed, record,
        _SUCCESS last); the versions it replaces are removed afterwards. Readers take the
        newest complete version, so the day changes from one whole state to the next."""
        versions = self.versions(job, day)
        final = versions.publish(temp, version, before_success=before_success)
        versions.prune(keep=1)
        return final

    def part_files(self, run_dir):
        return [self.store.join(run_dir, n)
                for n in fnmatch.filter(self.store.names(run_dir), PART_GLOB)]

    def read_output_lines(self, run_dir):
        """The text lines of a job output's part files, in part order."""
        lines = []
        for path in self.part_files(run_dir):
            lines.extend(self.store.read_bytes(path).decode("utf-8").splitlines(keepends=True))
        return lines

    def clean_temp(self):
        """Remove leftovers of interrupted runs (``<job>/_tmp-*``)."""
        for job in self.jobs():
            folders = [self.job_dir(job)] + [self.job_dir(job, d) for d in
                                             self.partition_folders(job)]
            for folder in folders:
                for name in self.store.names(folder):
                    if name.startswith(TEMP_PREFIX):
                        self.store.delete(self.store.join(folder, name), recursive=True)

    def partition_folders(self, job):
        """Days with a partition folder of `job` (complete or not)."""
        days = []
        for name in self.store.names(self.job_dir(job)):
            if name.startswith(DAY_PREFIX):
                with contextlib.suppress(LayoutError):
                    days.append(as_date(name[len(DAY_PREFIX):]))
        return sorted(days)


# --- the Parquet export ---------------------------------------------------------------

class PointedVersions(Versions):
    """Versions under ``<dest>/_versions/<name>/`` and a pointer ``<dest>/<name>``, a symlink
    to the newest one, replaced in one step (local disk only: the Parquet export).

    Readers use ``<dest>/<name>/...`` as a plain folder; the previous version is kept
    after a swap, so a reader that resolved the link just before still reads a whole one.
    """

    VERSIONS = "_versions"

    def __init__(self, dest, name):
        super().__init__(LocalStore(), os.path.join(dest, self.VERSIONS, name))
        self.link = os.path.join(dest, name)

    def publish(self, temp, version, manifest=None):
        final = super().publish(temp, version, manifest)
        if os.path.isdir(self.link) and not os.path.islink(self.link):
            os.rename(self.link, self.final(f"{version}-0-before-versions"))  # an older layout
        pointer = os.path.join(os.path.dirname(self.link),
                               f"{TEMP_PREFIX}{os.path.basename(self.link)}-{version}")
        os.makedirs(os.path.dirname(pointer), exist_ok=True)
        os.symlink(os.path.relpath(final, os.path.dirname(self.link)), pointer)
        os.replace(pointer, self.link)
        self.prune(keep=2)
        return self.link

    def discard(self, temp):
        """Remove a failed version being written (and its folder if that leaves it empty)."""
        self.store.delete(temp, recursive=True)
        for path in (self.base, os.path.dirname(self.base)):
            try:
                os.rmdir(path)
            except OSError:
                break


class ParquetLayout:
    """``<dest>/<dataset>`` and ``<dest>/jobs/<job>``, each a pointer to a whole version."""

    JOBS = "jobs"

    def __init__(self, dest=DEFAULT_PARQUET_ROOT):
        if is_hdfs(dest):
            raise LayoutError(f"{dest}: the Parquet export writes to local disk only")
        self.dest = os.fspath(dest)

    def dataset(self, name):
        return PointedVersions(self.dest, name)

    def job(self, name):
        return PointedVersions(self.dest, os.path.join(self.JOBS, name))


# --- bench: where generated data sets are kept ---------------------------------------

def bench_data_root(base, scale, seed):
    return os.path.join(base, f"s{scale:g}-seed{seed}")


# --- the canonical form and the quarantine (issue "Validate once") -------------------
#
#   <data>/canonical/<dataset>/dt=D/<version>/part-NNNNN-NNNNN.parquet + _manifest.json + _SUCCESS
#   <data>/quarantine/<dataset>/dt=D/<version>/rejected.jsonl + _SUCCESS
#
# A partition (dataset, day) is published by ecom-ingest as one Versions folder: its
# quarantine version first, then its canonical version, whose _SUCCESS is the commit (its
# manifest names the quarantine version). Readers take the newest complete version.

CANONICAL_PART_SUFFIX = ".parquet"
QUARANTINE_FILE = "rejected.jsonl"
SNAPSHOT_PARTITION = "snapshot"   # the one partition of a snapshot root (no days)
BUNDLE_MAGIC = "#canonical-parts"  # first line of a bundle: a text file listing parts
BUNDLE_NAME = "bundle-{:05d}.txt"  # the Nth bundle of a run, in its bundle_dir


def partition_name(day):
    """'dt=YYYY-MM-DD' of a day; 'snapshot' for None."""
    return SNAPSHOT_PARTITION if day is None else day_name(day)


def landed_location(uri):
    """(dataset, day, path relative to the day) of a landed file's path or URI, or None.

    ``.../landing/orders/dt=2026-11-25/v-<id>/a.csv`` -> ("orders", date, "v-<id>/a.csv");
    a snapshot's ``.../orders/part-00000.csv`` -> ("orders", None, "part-00000.csv")."""
    parts = uri.replace("\\", "/").split("/")
    for i in range(len(parts) - 3, -1, -1):
        if parts[i] == LANDING and parts[i + 1] in schemas.DATASETS \
                and parts[i + 2].startswith(DAY_PREFIX):
            try:
                day = as_date(parts[i + 2][len(DAY_PREFIX):])
            except LayoutError:
                return None
            return parts[i + 1], day, "/".join(parts[i + 3:])
    if len(parts) >= 2 and parts[-2] in schemas.DATASETS \
            and fnmatch.fnmatch(parts[-1], PART_GLOB) and parts[-1].endswith(LANDED_SUFFIXES):
        return parts[-2], None, parts[-1]   # a snapshot's part file: <data>/<dataset>/part-*
    return None


def canonical_part_name(source_index, seq):
    """The name of a canonical part: the landed file's index in the day, the part's in it."""
    return f"part-{source_index:05d}-{seq:05d}{CANONICAL_PART_SUFFIX}"


@dataclass
class IngestManifest:
    """What one ingest of one partition read and wrote (``<version>/_manifest.json``).

    Everything but ``run`` depends only on the landed input: re-ingesting the same files
    gives the same manifest apart from ``run``. ``records`` = ``valid`` + ``rejected``
    (header and blank lines are counted apart)."""

    dataset: str
    day: str
    landing_commit: dict          # {"seq", "run_id"} of the day's commit that was read
    records: int
    valid: int
    rejected: int
    rejected_by_reason: dict
    header_lines: int
    blank_lines: int
    sources: list                 # per landed file: path, bytes, sha256, counts, extra_columns
    parts: list                   # per canonical part: name, rows, bytes, sha256
    run: dict = field(default_factory=dict)   # run_id, runner, ingested_at, quarantine

    def to_json(self):
        return _to_json(self)

    @classmethod
    def from_json(cls, data, where="ingest manifest"):
        return _from_json(cls, data, where, ("dataset", "day", "records", "valid", "rejected"))

    def content(self):
        """The manifest without its run metadata (equal for equal inputs)."""
        out = asdict(self)
        out.pop("run")
        return out


def _canonical_versions(self, dataset, day):
    return Versions(self.store, self.canonical_dir(dataset, day))


def _quarantine_versions(self, dataset, day):
    return Versions(self.store, self.quarantine_dir(dataset, day))


def _ingest_manifest(self, dataset, day):
    """The newest complete canonical version's IngestManifest, or None."""
    latest = self.canonical_versions(dataset, day).latest()
    if latest is None:
        return None
    path = self.store.join(latest, MANIFEST)
    return IngestManifest.from_json(self.store.read_bytes(path), path)


def _canonical_days(self, dataset):
    """Days with a complete canonical version of `dataset`, oldest first."""
    days = []
    for name in self.store.names(self._p(CANONICAL, dataset)):
        if name.startswith(DAY_PREFIX):
            try:
                day = as_date(name[len(DAY_PREFIX):])
            except LayoutError:
                continue
            if self.canonical_versions(dataset, day).latest() is not None:
                days.append(day)
    return sorted(days)


def _snapshot_files(self, dataset, how_to_make=""):
    """[(name, Entry)] of a complete snapshot dataset's part files (LayoutError if none)."""
    self.snapshot_parts(dataset, how_to_make)  # checks _SUCCESS, names what is missing
    return [(e.name, e) for e in self.store.list(self.snapshot_dir(dataset))
            if fnmatch.fnmatch(e.name, PART_GLOB)]


def _write_bundle(paths, target, store=None):
    """A bundle: a text file listing canonical parts, read as one input by the jobs (a map
    task per bundle). Local by default; `store` writes it there (HDFS: the bundles of a
    YARN run, whose parts are ``hdfs://`` URIs a task copies with :func:`local_part`)."""
    text = BUNDLE_MAGIC + "\n" + "".join(p + "\n" for p in paths)
    if store is None:
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        store.write_bytes(target, text.encode("utf-8"))
    return target


@contextlib.contextmanager
def local_part(path):
    """A canonical part named in a bundle as a local file: a local path as it is; an
    ``hdfs://`` URI copied (WebHDFS, no JVM) into a temporary file, removed afterwards.
    A map task on YARN thus holds one part on disk at a time, whatever its bundle's size."""
    if not is_hdfs(path):
        yield path
        return
    folder = tempfile.mkdtemp(prefix="ecom-part-")
    try:
        local = os.path.join(folder, posixpath.basename(path))
        LocalStore().copy_into(store_for(path), path, local)
        yield local
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def task_groups(sizes, split_bytes, cores=None):
    """Indices of items of `sizes` (bytes) grouped into map tasks, each in the items'
    order: one task when they hold at most `split_bytes` in all; else about one per
    `split_bytes`, rounded up to a multiple of `cores` (default: this machine's), the
    largest item first into the lightest task. Many small files then cost a few tasks,
    not one each, and the tasks are about equal for the cores. (The ingest's work items,
    and the canonical parts of a YARN run.)"""
    cores = cores or os.cpu_count() or 1
    n = -(-sum(sizes) // split_bytes)
    if n > 1:
        n = -(-n // cores) * cores
    n = max(1, min(n, len(sizes)))
    loads = [(0, k) for k in range(n)]           # (bytes, task), a heap
    tasks = [[] for _ in range(n)]
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        load, k = heapq.heappop(loads)
        tasks[k].append(i)
        heapq.heappush(loads, (load + sizes[i], k))
    return [sorted(task) for task in tasks if task]


def _canonical_parts(self, dataset, days=None):
    """Paths of the canonical parts of `dataset` over `days` (default: every ingested day),
    from each day's newest complete version; a day with none raises LayoutError."""
    paths = []
    for day in days if days is not None else self.canonical_days(dataset):
        latest = self.canonical_versions(dataset, day).latest()
        if latest is None:
            raise LayoutError(f"{self.canonical_dir(dataset, day)} has no complete version: "
                              "ingest the day first (`ecom-ingest`)")
        paths.extend(self.store.join(latest, n) for n in self.store.names(latest)
                     if n.startswith("part-") and n.endswith(CANONICAL_PART_SUFFIX))
    return paths


def _quarantine_path(self, version_dir):
    return self.store.join(version_dir, QUARANTINE_FILE)


def _ingest_work_dir(self, run_id):
    """Scratch space of one ingest run (removed when it ends): ``canonical/_tmp-<run>``."""
    return self._p(CANONICAL, f"{TEMP_PREFIX}{run_id}")


def _bundle_dir(self, run_id):
    """Where an ecom-run on HDFS writes its bundles of canonical parts (removed when it
    ends): ``canonical/_tmp-bundles-<run>``."""
    return self._p(CANONICAL, f"{TEMP_PREFIX}bundles-{run_id}")


DataLayout.canonical_versions = _canonical_versions
DataLayout.quarantine_versions = _quarantine_versions
DataLayout.ingest_manifest = _ingest_manifest
DataLayout.canonical_days = _canonical_days
DataLayout.canonical_parts = _canonical_parts
DataLayout.quarantine_path = _quarantine_path
DataLayout.ingest_work_dir = _ingest_work_dir
DataLayout.bundle_dir = _bundle_dir
DataLayout.snapshot_files = _snapshot_files
write_bundle = _write_bundle
