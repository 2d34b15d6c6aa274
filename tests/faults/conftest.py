"""Fixtures of the fault-injection suite: a small snapshot and a clean run's outputs."""

import os
import shutil
import subprocess

import pytest

from tests.faults import faultkit
from tests.fixtures.data import generate

JOBS = "sales_by_region,customer_tiers,device_conversions"


def pytest_collection_modifyitems(items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session", autouse=True)
def can_mount(tmp_path_factory):
    """The suite needs mounts (root, as in CI): say so plainly rather than skip."""
    probe = tmp_path_factory.mktemp("mount-probe")
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.fail("the fault-injection suite mounts tmpfs and read-only binds: run it as "
                    "root (CI does) with util-linux's mount and unshare")
    with faultkit.tmpfs(probe / "t", "64k"):
        pass
    r = faultkit.run_read_only([probe], ["true"])
    assert r.returncode == 0, f"read-only bind mounts do not work here: {r.stderr}"


@pytest.fixture(scope="session")
def faults_data(tmp_path_factory):
    """A small seeded snapshot (scale 0.05: 2,500 orders, 250 customers, 10,000 clicks)."""
    return generate(tmp_path_factory.mktemp("faults-raw"), "--scale", "0.05", "--seed", "7")


def ecom_run(data, output, *extra, runner="inline", jobs=JOBS):
    return faultkit.cli("ecomsuite.pipeline", "--runner", runner, "--data", data,
                        "--output", output, "--jobs", jobs, "--quiet", *extra)


@pytest.fixture(scope="session")
def clean_outputs(faults_data, tmp_path_factory):
    """{job: output} of a run without faults: what every re-run after a fault must give."""
    out = tmp_path_factory.mktemp("clean-out")
    r = subprocess.run(ecom_run(faults_data, out), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    found = faultkit.outputs(out)
    assert set(found) == set(JOBS.split(",")) and all(found.values())
    return found
