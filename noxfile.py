"""The Python-version matrix: `make test-pythons` (or `nox`; `nox -s 'pythons(3.12)'` for one).

For each supported CPython this runs what a newcomer with that Python runs, through
the Makefile, so the matrix checks the Makefile too:

    make setup demo test-core PYTHON=3.X

(a virtualenv in .venvs/3.X from requirements/lock.txt, the demo end to end on the
local runner, then the core tests: everything but the Hadoop, Prometheus and Terraform
tests, which do not depend on the Python version and run in `make test`).

With FULL_SUITE_PYTHON=3.X (as .ci/run sets it), that Python's session runs the
whole suite (`make test`, which holds the core tests) instead of the core tests, or,
with FULL_SUITE_DONE=1 (.ci/run ran `make test` itself first), only setup and demo.

A supported Python that cannot be found is skipped here, and an error when CI=true
(CI must prove every version).
"""

import os
import subprocess
import time

import nox

# Keep in step with setup.cfg's python_requires and mk/pick-python.sh's SUPPORTED.
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]

nox.options.sessions = ["pythons"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = bool(os.environ.get("CI"))


@nox.session(python=False)  # the Makefile makes the virtualenvs
@nox.parametrize("version", PYTHONS, ids=PYTHONS)  # sessions pythons(3.10) ... pythons(3.13)
def pythons(session, version):
    """make setup demo test-core with one Python (its own virtualenv: .venvs/X.Y)."""
    found = subprocess.run(["mk/pick-python.sh", version], capture_output=True, text=True)
    if found.returncode != 0:
        message = f"Python {version} not found: {found.stderr.strip()}"
        if nox.options.error_on_missing_interpreters:
            session.error(message)
        session.skip(message)
    session.log(f"Python {version}: {found.stdout.split()[1]}")
    full = os.environ.get("FULL_SUITE_PYTHON") == version
    tests = "test" if full else "test-core"
    targets = ("setup", "demo") if full and os.environ.get("FULL_SUITE_DONE") else \
        ("setup", "demo", tests)  # FULL_SUITE_DONE: .ci/run ran `make test` on it already
    took = []
    for target in targets:
        start = time.monotonic()
        session.run("make", "--no-print-directory", target, f"PYTHON={version}",
                    *session.posargs, external=True)
        took.append(f"make {target} {time.monotonic() - start:.0f} s")
    session.log(f"Python {version}: " + ", ".join(took))
