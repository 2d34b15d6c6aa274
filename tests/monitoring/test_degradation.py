"""The exporter degrades per item, not per source (issue 15, exporter class).

Each case damages one item of a real pipeline output (a folder the exporter may not read, a
symbolic link loop, a NaN in an output, a malformed config, thousands of run records) and
asserts that the item is skipped and counted under its reason while the rest is served.

Tests run as root, and root reads a chmod 000 folder anyway: the unreadable cases run the
scrape in a child process without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (setpriv), so the
kernel refuses it as it refuses an ordinary user.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.monitoring.conftest import REPO, TABLE_JOBS

SCRAPE = """
import sys
from prometheus_client import generate_latest
from tests.monitoring.conftest import make_registry, TABLE_JOBS
reg = make_registry(sys.argv[1], jobs=TABLE_JOBS)
generate_latest(reg)  # a first scrape, so that counters count twice if they count per scrape
sys.stdout.write(generate_latest(reg).decode())
"""


def scrape_unprivileged(outputs):
    """Two scrapes of the exporter's collector over `outputs` in a process that file
    permissions apply to; {(name, frozenset(labels)): value} of the second."""
    cmd = [sys.executable, "-c", SCRAPE, str(outputs)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to test permissions as root"
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    return {(s.name, frozenset(s.labels.items())): s.value
            for fam in text_string_to_metric_families(result.stdout) for s in fam.samples}


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def assert_served_except(samples, job, business_missing=False, health_missing=False):
    """Every other job fully served; `job` missing only what its damaged item gave."""
    assert value(samples, "ecommerce_exporter_source_up", source="outputs") == 1
    assert value(samples, "ecommerce_exporter_scrape_errors_total", source="outputs") == 0
    for other in TABLE_JOBS:
        rows = value(samples, "ecommerce_output_rows", job_name=other)
        health = value(samples, "ecommerce_job_last_run_success", job_name=other, runner="inline")
        if other == job:
            assert (rows is None) == business_missing, other
            assert (health is None) == health_missing, other
        else:
            assert rows is not None and health == 1, other


def skipped(samples, reason):
    return value(samples, "ecommerce_exporter_skipped_items_total", source="outputs",
                 reason=reason)


@pytest.fixture
def restore_modes():
    changed = []
    yield changed.append
    for path in changed:
        os.chmod(path, 0o755)  # so that pytest can remove the temporary folder


def test_an_unreadable_run_record_folder_skips_only_that_jobs_records(outputs, restore_modes):
    folder = os.path.join(outputs, "_runs", "sales_by_region")
    os.chmod(folder, 0)
    restore_modes(folder)
    samples = scrape_unprivileged(outputs)
    assert_served_except(samples, "sales_by_region", health_missing=True)
    assert skipped(samples, "unreadable") == 2  # once per scrape, in both scrapes
    assert value(samples, "ecommerce_sales_orders", sales_region="US-EAST") is not None


def test_an_unreadable_output_folder_skips_only_that_jobs_results(outputs, restore_modes):
    folder = os.path.join(outputs, "customer_tiers")
    os.chmod(folder, 0)
    restore_modes(folder)
    samples = scrape_unprivileged(outputs)
    assert_served_except(samples, "customer_tiers", business_missing=True)
    assert skipped(samples, "unreadable") == 2
    assert not [k for k in samples if k[0] == "ecommerce_customer_tier_customers"]
@pytest.mark.parametrize("where", ["root", "runs", "job", "job_runs"])
def test_a_symlink_loop_is_skipped_and_counted(outputs, where):
    folder = {"root": outputs, "runs": os.path.join(outputs, "_runs"),
              "job": os.path.join(outputs, "funnel"),
              "job_runs": os.path.join(outputs, "_runs", "funnel")}[where]
    os.symlink("loop", os.path.join(folder, "loop"))          # loop -> loop
    os.symlink("b.json", os.path.join(folder, "a.json"))      # a -> b -> a
    os.symlink("a.json", os.path.join(folder, "b.json"))
    samples = scrape_unprivileged(outputs)
    assert_served_except(samples, "funnel")
    assert skipped(samples, "symlink_loop") == 2 * 3


# --- NaN and +-Inf are flagged, never exported as if valid ------------------------------------

def _latest(outputs, job):
    runs = sorted(d for d in os.listdir(os.path.join(outputs, job)) if not d.startswith("_"))
    return os.path.join(outputs, job, runs[-1])


def _set_field(run_dir, key, field, literal):
    """Write `literal` (NaN, Infinity, -Infinity: what Python's json writes for them) as the
    value of `field` in the row whose key is `key`."""
    for part in sorted(os.listdir(run_dir)):
        if not part.startswith("part-"):
            continue
        path = os.path.join(run_dir, part)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            k, obj = line.split("\t")
            if json.loads(k) == key:
                obj = json.loads(obj)
                obj[field] = "@@"
                lines[i] = k + "\t" + json.dumps(obj).replace('"@@"', literal)
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n".join(lines) + "\n")
                return
    raise AssertionError(f"no row {key!r}")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_output_value_is_flagged_not_exported(outputs, literal):
    from tests.monitoring.conftest import make_registry

    run = _latest(outputs, "sales_by_region")
    _set_field(run, "EU-WEST", "gross_sales", literal)
    _set_field(run, "US-EAST", "completed_sales", literal)
    reg = make_registry(outputs)
    g = reg.get_sample_value  # each call is one scrape
    assert g("ecommerce_exporter_skipped_items_total",
             {"source": "outputs", "reason": "non_finite_value"}) == 2  # 2 values, 1st scrape
    assert g("ecommerce_sales_gross_amount", {"sales_region": "EU-WEST"}) is None
    assert g("ecommerce_sales_completed_amount", {"sales_region": "US-EAST"}) is None
    # the other values of those rows, and of the other rows, are served
    assert g("ecommerce_sales_orders", {"sales_region": "EU-WEST"}) is not None
    assert g("ecommerce_sales_gross_amount", {"sales_region": "US-EAST"}) is not None
    assert g("ecommerce_output_rows", {"job_name": "sales_by_region"}) is not None
    assert g("ecommerce_exporter_source_up", {"source": "outputs"}) == 1


def _set_record_field(outputs, job, field, literal):
    (name,) = os.listdir(os.path.join(outputs, "_runs", job))
    path = os.path.join(outputs, "_runs", job, name)
    with open(path, encoding="utf-8") as f:
        record = json.load(f)
    record[field] = "@@"
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(record).replace('"@@"', literal))


@pytest.mark.parametrize("literal", ["NaN", "Infinity"])
def test_a_non_finite_run_record_value_is_flagged_not_exported(outputs, literal):
    from tests.monitoring.conftest import make_registry

    _set_record_field(outputs, "funnel", "duration_seconds", literal)
    _set_record_field(outputs, "top_products", "finished_at", literal)
    reg = make_registry(outputs)
    g = reg.get_sample_value  # each call is one scrape
    assert g("ecommerce_exporter_skipped_items_total",
             {"source": "outputs", "reason": "non_finite_value"}) == 1
    assert g("ecommerce_exporter_skipped_items_total",
             {"source": "outputs", "reason": "bad_run_record"}) == 2  # 1 per scrape
    labels = {"job_name": "funnel", "runner": "inline"}
    assert g("ecommerce_job_last_run_duration_seconds", labels) is None
    assert g("ecommerce_job_last_run_success", labels) == 1  # the rest of the record
    # a record whose finish time is not finite cannot be ordered: it is a bad record
    assert g("ecommerce_job_last_run_success", {"job_name": "top_products", "runner": "inline"}) \
        is None
    assert g("ecommerce_exporter_source_up", {"source": "outputs"}) == 1


# --- the run-record history read per scrape is bounded ---------------------------------------

def _add_records(outputs, job, n, status="failed", garbled_every=0, mtime=None):
    """n older records of `job` (run ids before the real one), optionally some garbled."""
    folder = os.path.join(outputs, "_runs", job)
    (real,) = os.listdir(folder)
    with open(os.path.join(folder, real), encoding="utf-8") as f:
        record = json.load(f)
    for i in range(n):
        run_id = f"20000101T{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}Z-{i:04x}"
        path = os.path.join(folder, run_id + ".json")
        with open(path, "w", encoding="utf-8") as f:
            if garbled_every and i % garbled_every == 0:
                f.write('{"run_id": ')
            else:
                json.dump({**record, "run_id": run_id, "status": status,
                           "finished_at": 946684800 + i}, f)
        if mtime is not None:
            os.utime(path, (mtime, mtime))


def test_only_the_newest_run_records_are_read(outputs):
    from exporters.outputs import OutputsCollector
    from exporters.stores import LocalStore
    from tests.monitoring.conftest import make_registry

    _add_records(outputs, "sales_by_region", 2000, garbled_every=100)
    reg = make_registry(outputs, run_records_limit=10)
    g = reg.get_sample_value
    labels = {"job_name": "sales_by_region", "runner": "inline"}
    # the old garbled records are beyond the newest 10: not read, not counted
    assert g("ecommerce_exporter_skipped_items_total",
             {"source": "outputs", "reason": "bad_run_record"}) == 0
    assert g("ecommerce_job_recent_runs", {**labels, "status": "succeeded"}) == 1
    assert g("ecommerce_job_recent_runs", {**labels, "status": "failed"}) == 9
    assert g("ecommerce_job_last_run_success", labels) == 1  # the newest record still wins
    # and only those are parsed (and kept in the cache)
    collector = OutputsCollector(LocalStore(outputs), known_jobs=TABLE_JOBS, run_records_limit=10)
    list(collector.collect())
    assert len(collector._records) <= 10 * len(TABLE_JOBS)


def test_run_records_older_than_the_retention_are_not_read(outputs):
    from tests.monitoring.conftest import make_registry

    _add_records(outputs, "funnel", 50, mtime=946684800, garbled_every=7)  # written in 2000
    reg = make_registry(outputs, run_records_max_age_seconds=30 * 86400)
    labels = {"job_name": "funnel", "runner": "inline"}
    assert reg.get_sample_value("ecommerce_job_recent_runs", {**labels, "status": "failed"}) == 0
    assert reg.get_sample_value("ecommerce_job_recent_runs",
                                {**labels, "status": "succeeded"}) == 1
    assert reg.get_sample_value("ecommerce_exporter_skipped_items_total",
                                {"source": "outputs", "reason": "bad_run_record"}) == 0
