"""Business results and job health, read from the output root (local or HDFS).

Layout and records: ecomsuite.layout (``OutputLayout``, ``RunRecord``)::

    <root>/<job>/<run_id>/part-*  + _SUCCESS   a complete output (run ids sort by time)
    <root>/<job>/_tmp-<run_id>/, _failed-<run_id>/   ignored
    <root>/_runs/<job>/<run_id>.json           one RunRecord per run, good or bad

A run directory without ``_SUCCESS`` is being written (or was abandoned) and
is skipped: the newest directory that has one is the job's latest complete
output. Files under a complete output or a run record never change, so they
are parsed once and cached by (path, size, mtime).
"""

import calendar
import errno
import fnmatch
import logging
import math
import time
from collections import OrderedDict, defaultdict

from prometheus_client.core import GaugeMetricFamily

from ecomsuite import layout
from ecomsuite.report import parse_output_lines
from exporters import PREFIX
from exporters.business import OUTPUT_TABLES, OutputFormatError, tables_by_job
from exporters.families import JOB_PROCESSED_DAY, JOB_RECENT_RUNS, SKIP_REASONS

log = logging.getLogger(__name__)

STATUSES = ("succeeded", "failed")
DEFAULT_SCHEDULE_PERIOD_SECONDS = 24 * 3600  # the suite runs daily unless told otherwise
DEFAULT_RUN_RECORDS_LIMIT = 100  # newest run records read per job and scrape
_CACHE_ENTRIES = 20_000


class BoundedCache(OrderedDict):
    def put(self, key, value):
        self[key] = value
        if len(self) > _CACHE_ENTRIES:
            self.popitem(last=False)
        return value


def parse_output(data, where):
    """The bytes of one part file -> [(key, {field: value})]; raises ValueError if garbled."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise OutputFormatError(f"{where}: not UTF-8 ({e.reason} at byte {e.start})") from e
    try:
        rows = parse_output_lines(text.splitlines())
    except ValueError as e:  # json.JSONDecodeError is a ValueError
        raise OutputFormatError(f"{where}: not mrjob JSON protocol lines ({e})") from e
    for key, value in rows:
        if not isinstance(value, dict):
            raise OutputFormatError(f"{where}: row {key!r} has a {type(value).__name__}, "
                                    "not a JSON object")
    return rows


def parse_record(data, where):
    """The bytes of one run record -> its RunRecord (the writer's class); ValueError if garbled."""
    try:
        record = layout.RunRecord.from_json(data, where)
    except layout.RecordError as e:
        raise OutputFormatError(str(e)) from e
    if not _number(record.finished_at) or not math.isfinite(record.finished_at):
        raise OutputFormatError(f"{where}: finished_at is not a finite number")
    return record


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class OutputsCollector:
    """Business metrics from each job's latest complete output, job health from the run records.

    Exposition (abridged)::

        ecommerce_sales_gross_amount{region="EU-WEST"} 39969.67
        ecommerce_output_rows{job_name="sales_by_region"} 6.0
        ecommerce_output_timestamp_seconds{job_name="sales_by_region"} 1.7952464e+09
        ecommerce_job_last_success_timestamp_seconds{job_name="sales_by_region",runner="inline"} 1.7952464e+09
        ecommerce_job_last_run_success{job_name="sales_by_region",runner="inline"} 1.0
        ecommerce_job_last_run_malformed_rows{job_name="sales_by_region",reason="unknown_status",runner="inline"} 1.0
        ecommerce_job_recent_runs{job_name="sales_by_region",runner="inline",status="failed"} 0.0
        ecommerce_job_schedule_period_seconds{job_name="sales_by_region"} 86400.0

    A file that cannot be read or parsed is skipped: logged (once while it lasts) and
    listed in ``self.skipped`` as (reason, message), which the exporter counts; only the
    metrics that came from it are missing. An unreadable root raises (the source is down).
    """

    source = "outputs"
    skip_reasons = tuple(SKIP_REASONS)

    def __init__(self, store, tables=OUTPUT_TABLES, known_jobs=(),
                 schedule_period_seconds=DEFAULT_SCHEDULE_PERIOD_SECONDS, schedules=None,
                 run_records_limit=DEFAULT_RUN_RECORDS_LIMIT, run_records_max_age_seconds=0,
                 clock=time.time):
        self.store = store
        self.run_records_limit = run_records_limit
        self.run_records_max_age_seconds = run_records_max_age_seconds
        self.clock = clock
        self.tables = tables_by_job(tables)
        self.known_jobs = tuple(known_jobs)
        self.schedule_period_seconds = schedule_period_seconds
        self.schedules = dict(schedules or {})
        self.skipped = []
        self._outputs = BoundedCache()
        self._records = BoundedCache()
        self._reported = set()

    # --- reading -----------------------------------------------------------

    def _skip(self, reason, message):
        if message not in self._reported:  # logged once while it lasts, not every scrape
            log.warning("outputs: skipped (%s): %s", reason, message)
        self.skipped.append((reason, message))

    def _finite(self, value, where):
        """True for a finite number; NaN and +-Inf are skipped and counted, never exported."""
        if not _number(value):
            return False
        if not math.isfinite(value):
            self._skip("non_finite_value", f"{where} is {value}")
            return False
        return True

    @property
    def outputs(self):
        return self.store.outputs  # the layout: every path comes from it

    def _cached_read(self, cache, parser, entry, path):
        key = (path, entry.size, entry.mtime)
        if key in cache:
            return cache[key]
        return cache.put(key, parser(self.store.read_bytes(path), path))

    def _list(self, path):
        """A directory's entries; [] if it does not exist (a job that never ran), or if it
        cannot be read (skipped and counted: one such folder never takes the source down)."""
        try:
            return self._readable(self.store.list(path), path)
        except FileNotFoundError:
            return []
        except OSError as err:
            self._skip("unreadable", f"folder {path}: {err}")
            return []

    def _readable(self, entries, path):
        """The entries that could be read; the others (a symlink loop...) skipped and counted."""
        good = []
        for e in entries:
            if e.error is None:
                good.append(e)
            else:
                reason = "symlink_loop" if e.error.errno == errno.ELOOP else "unreadable"
                self._skip(reason, f"{self.store.join(path, e.name)}: {e.error.strerror}")
        return good

    def read_records(self, job):
        """The job's newest readable run records, oldest first: at most run_records_limit
        (run ids sort by time, so by file name), none older than run_records_max_age_seconds
        (by mtime; 0 = no limit). The cost of a scrape does not grow with the history."""
        runs = self.outputs.runs_dir(job)
        entries = [e for e in self._list(runs)
                   if not e.is_dir and e.name.endswith(".json")]  # *.json.tmp: being written
        if self.run_records_max_age_seconds:
            oldest = self.clock() - self.run_records_max_age_seconds
            entries = [e for e in entries if e.mtime >= oldest]
        entries = sorted(entries, key=lambda e: e.name)[-self.run_records_limit:]
        records = []
        for e in entries:
            try:
                records.append(self._cached_read(self._records, parse_record, e,
                                                 self.store.join(runs, e.name)))
            except ValueError as err:
                self._skip("bad_run_record", f"run record {job}/{e.name}: {err}")
            except OSError as err:
                self._skip("unreadable", f"run record {job}/{e.name}: {err}")
        return sorted(records, key=lambda r: (r["finished_at"], str(r["run_id"])))

    def latest_complete_output(self, job):
        """(run_id, _SUCCESS entry, part paths and entries) of the newest run dir with
        _SUCCESS, or None."""
        versions = self.outputs.versions(job)
        runs = sorted((e.name for e in self._list(versions.base)
                       if e.is_dir and not e.name.startswith(("_", "."))), reverse=True)
        for run_id in runs:
            run_dir = versions.final(run_id)
            entries = self._list(run_dir)
            marker = [e for e in entries if e.name == layout.SUCCESS]
            if marker:
                parts = sorted(((self.store.join(run_dir, e.name), e) for e in entries
                                if not e.is_dir and fnmatch.fnmatch(e.name, layout.PART_GLOB)),
                               key=lambda pe: pe[1].name)
                return run_id, marker[0], parts
        return None

    def read_output(self, job, run_id, parts):
        rows = []
        for path, e in parts:
            rows.extend(self._cached_read(self._outputs, parse_output, e, path))
        return rows

    # --- collecting --------------------------------------------------------

    def job_names(self, root_entries):
        seen = {e.name for e in root_entries if e.is_dir and not e.name.startswith(("_", "."))}
        seen |= {e.name for e in self._list(self.outputs.runs_root()) if e.is_dir}
        return list(self.known_jobs) + sorted(seen - set(self.known_jobs))

    def collect(self):
        self._reported = {message for _, message in self.skipped}
        self.skipped = []
        root = self._readable(self.store.list(self.outputs.root), self.outputs.root)
        jobs = self.job_names(root)

        fams = {}
        note = self.store.help_note()  # e.g. that HDFS listings are cached

        def gauge(name, help_, labels):
            return fams.setdefault(name, GaugeMetricFamily(PREFIX + name, help_ + note,
                                                           labels=labels))

        for job in jobs:
            gauge("job_schedule_period_seconds",
                  "How often the job is meant to run (exporter setting schedule_period_seconds / "
                  "schedules); alerts fire when it has not succeeded for two periods.",
                  ["job_name"]).add_metric([job], self.schedules.get(job, self.schedule_period_seconds))

        business = {fam.name: GaugeMetricFamily(fam.name, fam.help + note, labels=list(fam.labels))
                    for t in self.tables.values() for fam in t.families}
        for job in jobs:
            records = self.read_records(job)
            self._collect_records(job, records, gauge, fams, note)
            self._collect_output(job, records, gauge, business)

        yield from fams.values()
        yield from business.values()

    def _collect_output(self, job, records, gauge, business):
        latest = self.latest_complete_output(job)
        if latest is None:
            return
        run_id, marker, parts = latest
        gauge("output_timestamp_seconds",
              "When the job's latest complete output was published (its _SUCCESS marker was "
              "written), unix time.", ["job_name"]).add_metric([job], marker.mtime)
        try:
            rows = self.read_output(job, run_id, parts)
            expected = next((r.get("output_rows") for r in records if r["run_id"] == run_id), None)
            if _number(expected) and expected != len(rows):
                raise OutputFormatError(f"{len(rows)} rows but its run record says {expected} "
                                        "(a truncated part file?)")
            table = self.tables.get(job)

            def flag(name, labels, value):
                self._skip("non_finite_value", f"output {job}/{run_id}: {name}{list(labels)} "
                                               f"is {value}")
            samples = table.samples(rows, flag) if table else []
        except ValueError as err:
            self._skip("bad_output", f"output {job}/{run_id}: {err}")
            return
        except OSError as err:
            self._skip("unreadable", f"output {job}/{run_id}: {err}")
            return
        gauge("output_rows", "Rows in the job's latest complete output.",
              ["job_name"]).add_metric([job], len(rows))
        for name, labels, value in samples:
            business[name].add_metric(list(labels), value)

    def _collect_records(self, job, records, gauge, fams, note):
        if not records:
            return
        runs = fams.setdefault("job_recent_runs", GaugeMetricFamily(
            JOB_RECENT_RUNS.name, JOB_RECENT_RUNS.help + note,
            labels=list(JOB_RECENT_RUNS.labels)))
        counts = defaultdict(int)
        for r in records:
            counts[(str(r["runner"]), r["status"])] += 1
        for runner in sorted({runner for runner, _ in counts}):
            for status in STATUSES:  # both statuses, so a first failure is a 0 -> 1 change
                runs.add_metric([job, runner, status], counts[(runner, status)])

        successes = [r for r in records if r["status"] == "succeeded"]
        if successes:
            last_ok = successes[-1]
            gauge("job_last_success_timestamp_seconds",
                  "When the job's latest successful run finished, unix time (runner: that run's).",
                  ["job_name", "runner"]).add_metric([job, str(last_ok["runner"])],
                                                     last_ok["finished_at"])
            days = [d for d in (last_ok.get("input_days") or []) if isinstance(d, str)]
            try:
                newest = max(layout.as_date(d) for d in days) if days else None
            except layout.LayoutError:
                self._skip("bad_run_record", f"run record {job}/{last_ok['run_id']}: "
                                             f"input_days {days!r} are not YYYY-MM-DD days")
                newest = None
            if newest is not None:
                gauge(JOB_PROCESSED_DAY.name[len(PREFIX):], JOB_PROCESSED_DAY.help,
                      ["job_name"]).add_metric([job], float(calendar.timegm(newest.timetuple())))
        last = records[-1]
        labels = [job, str(last["runner"])]
        gauge("job_last_run_timestamp_seconds",
              "When the job's latest run (good or bad) finished, unix time.",
              ["job_name", "runner"]).add_metric(labels, last["finished_at"])
        gauge("job_last_run_success",
              "1 if the job's latest run succeeded, 0 if it failed.",
              ["job_name", "runner"]).add_metric(labels, 1 if last["status"] == "succeeded" else 0)
        for key, name, help_ in (
                ("duration_seconds", "job_last_run_duration_seconds",
                 "Wall time of the job's latest run."),
                ("input_rows", "job_last_run_input_rows",
                 "Data rows the job's latest run read (valid + malformed)."),
                ("output_rows", "job_last_run_output_rows",
                 "Rows the job's latest run wrote (absent when it failed)."),
                ("malformed_share", "job_last_run_malformed_ratio",
                 "Malformed rows / input rows of the job's latest run (0-1).")):
            if self._finite(last.get(key), f"run record {job}/{last['run_id']}: {key}"):
                gauge(name, help_, ["job_name", "runner"]).add_metric(labels, last[key])
        malformed = last.get("malformed_rows")
        if isinstance(malformed, dict):
            fam = gauge("job_last_run_malformed_rows",
                        "Rows the job's latest run skipped as malformed, by reason.",
                        ["job_name", "runner", "reason"])
            for reason, n in sorted(malformed.items()):
                if self._finite(n, f"run record {job}/{last['run_id']}: malformed_rows"):
                    fam.add_metric(labels + [str(reason)], n)
