"""Landed days for the runs-by-day tests (made once per session)."""

import subprocess
import sys

import pytest

from ecomsuite import layout
from tests.fixtures.data import generate

DAYS = 12
SCALE = 0.1   # about 170 orders and 670 clicks a day
SEED = 4242


@pytest.fixture(scope="session")
def landed(tmp_path_factory):
    """A data root with DAYS landed days, ingested (canonical partitions)."""
    root = generate(tmp_path_factory.mktemp("days-data"), "--days", str(DAYS),
                    "--scale", str(SCALE), "--seed", str(SEED))
    subprocess.run([sys.executable, "-m", "ecomsuite.ingest", "--data", str(root)],
                   check=True, capture_output=True)
    return root


@pytest.fixture(scope="session")
def landed_days(landed):
    return [d for d, _ in layout.DataLayout(str(landed)).complete_days()[0]]


def ecom_run(*args, check=True):
    """ecom-run as a user runs it (its own process): (exit code, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "ecomsuite.pipeline", *map(str, args)],
                          capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"ecom-run {' '.join(map(str, args))} exited "
                             f"{done.returncode}:\n{done.stderr[-3000:]}")
    return done.returncode, done.stdout, done.stderr
