"""Fixtures of the report's tests: a small sample world (landed days with an anomaly day,
quarantined rows, every job run, one failed run) and the report built from it."""

import os
import shutil
import subprocess
import sys

import pytest

from ecomsuite.viz import report, sample

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART_IDS = ("sales-by-region", "sales-region-day", "daily-revenue", "customer-tiers",
             "device-conversion", "funnel", "top-products", "fraud-flags", "data-quality",
             "job-history")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    """(data root, output root) of the sample world: 10 days at 1/20 of the demo's scale."""
    return sample.make(str(tmp_path_factory.mktemp("report-world")), days=10, scale=0.05)


@pytest.fixture(scope="session")
def built(world, tmp_path_factory):
    """(page path, folder) of the report of the sample world, built by the real CLI."""
    data, output = world
    to = str(tmp_path_factory.mktemp("report") / "report")
    r = subprocess.run([sys.executable, "-m", "ecomsuite.viz.report", "--output", output,
                        "--data", data, "--to", to], capture_output=True, text=True, cwd=REPO,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    page = r.stdout.strip().splitlines()[-1]
    assert page == os.path.abspath(os.path.join(to, report.PAGE))
    return page, to


def chromium():
    path = shutil.which("chromium")
    if not path:
        pytest.fail("chromium not found: install Debian's chromium with `make report-deps`")
    return path


def run_chromium(url, profile, *args, timeout=120):
    """Headless Chromium on `url` with a fresh profile; returns its stdout."""
    r = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout
