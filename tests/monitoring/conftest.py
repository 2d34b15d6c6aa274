"""Fixtures of the monitoring tests: real pipeline outputs, fake Hadoop endpoints, free ports."""

import datetime
import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from exporters.business import OUTPUT_TABLES
from exporters.cli import Settings, build_collector, build_registry
from tests.monitoring.dataset import write_small_dataset
from tests.monitoring.fakes import FakeHadoop

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE_JOBS = [t.job for t in OUTPUT_TABLES]


def run_pipeline(data, output, *args, check=True):
    """The real pipeline CLI (inline runner) over `data` into `output`."""
    result = subprocess.run([sys.executable, "-m", "ecomsuite.pipeline", "--runner", "inline",
                             "--data", str(data), "--output", str(output), "--quiet", *args],
                            capture_output=True, text=True, cwd=REPO, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"pipeline failed ({result.returncode}):\n{result.stderr}")
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def small_data(tmp_path_factory):
    return write_small_dataset(str(tmp_path_factory.mktemp("mon-raw")))


@pytest.fixture(scope="session")
def pipeline_output(small_data, tmp_path_factory):
    """One pipeline run of every job that has an output table, on the small dataset."""
    out = tmp_path_factory.mktemp("mon-output") / "output"
    run_pipeline(small_data, out, "--jobs", ",".join(TABLE_JOBS))
    return str(out)


# The landed days of `daily_run`: DAILY_DAYS days ending DAILY_LAG days before today (UTC),
# so every freshness alert is due; the newest day's orders are multiplied by ANOMALY_FACTOR.
DAILY_DAYS, DAILY_LAG, ANOMALY_FACTOR = 14, 3, 4.0


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def land_days(data, days, newest, *args):
    """`days` days ending `newest` landed by the real generator (seeded, small scale)."""
    first = newest - datetime.timedelta(days=days - 1)
    result = subprocess.run([sys.executable, "-m", "datagen", "--out", str(data), "--days",
                             str(days), "--start-date", first.isoformat(), "--scale", "0.05",
                             "--quiet", *args], capture_output=True, text=True, cwd=REPO,
                            timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"datagen failed ({result.returncode}):\n{result.stderr}")
    return str(data)


@pytest.fixture(scope="session")
def daily_run(tmp_path_factory):
    """(data root, output root, newest day): days landed relative to today with an anomaly on
    the newest one, ingested and run through every job by the real pipeline (inline)."""
    base = tmp_path_factory.mktemp("mon-daily")
    newest = today() - datetime.timedelta(days=DAILY_LAG)
    data = land_days(base / "data", DAILY_DAYS, newest,
                     "--anomaly", f"{newest.isoformat()}:{ANOMALY_FACTOR}")
    out = base / "output"
    run_pipeline(data, out)
    return data, str(out), newest


@pytest.fixture
def outputs(pipeline_output, tmp_path):
    """A private copy of the pipeline's outputs that a test may damage."""
    return shutil.copytree(pipeline_output, tmp_path / "output")


@pytest.fixture
def fake_hadoop():
    with FakeHadoop() as fake:
        yield fake


def make_registry(outputs="", namenode_url="", resourcemanager_url="", jobs=TABLE_JOBS, **kw):
    """A private CollectorRegistry holding the exporter's collector (no process metrics)."""
    settings = Settings(outputs=str(outputs), namenode_url=namenode_url,
                        resourcemanager_url=resourcemanager_url, **kw)
    return build_registry(build_collector(settings, jobs=jobs), process_metrics=False)


def write_day_partitions(data, outputs, job_file, job, days, dataset="clickstream"):
    """`ecom-run --day D --jobs <job>` (inline) for each day: the day's partials in its
    partition <output>/<job>/dt=<day>/<run_id>/, which the backfill answers from. Yields
    (day, the day's expected answer {key: row}), from the job run by hand on that day's
    canonical parts of `dataset` alone (an independent whole run, not through the
    partials)."""
    from ecomsuite.layout import DataLayout

    layout = DataLayout(data)
    for day in days:
        run = subprocess.run([sys.executable, "-m", "ecomsuite.pipeline", "--runner", "inline",
                              "--data", data, "--output", outputs, "--jobs", job,
                              "--day", day.isoformat(), "--quiet"],
                             capture_output=True, text=True, cwd=REPO, timeout=300)
        assert run.returncode == 0, run.stderr
        parts = layout.canonical_parts(dataset, [day])
        result = subprocess.run([sys.executable, os.path.join(REPO, "jobs", job_file), *parts],
                                capture_output=True, text=True, cwd=REPO, timeout=300)
        assert result.returncode == 0, result.stderr
        rows = [[json.loads(x) for x in line.split("\t")]
                for line in result.stdout.splitlines() if line]
        yield day, {tuple(k) if isinstance(k, list) else k: v for k, v in rows}
