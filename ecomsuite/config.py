"""Settings shared by the generator, the pipeline, the exporter and the tests.

Paths, markers and records belong to ecomsuite.layout; the names below are its,
re-exported for the modules that only need a default.
"""

from ecomsuite import layout

DEFAULT_DATA_DIR = layout.DEFAULT_DATA_ROOT
DEFAULT_OUTPUT_DIR = layout.DEFAULT_OUTPUT_ROOT
RUNS_DIRNAME = layout.RUNS
SUCCESS_MARKER = layout.SUCCESS
PART_GLOB = layout.PART_GLOB
RUNNERS = ("inline", "local", "hadoop")

# Environment for job processes (every runner; mrjob.conf's cmdenv says the same,
# a test checks). mrjob imports distutils: on 3.10 and 3.11 this takes the standard
# library's instead of setuptools' shim of it, which costs start-up time in every task
# (`import mrjob.job`: 0.35 s CPU with the shim, 0.13 s without, on 3.11). On 3.12+,
# where the standard library has none, it changes nothing (the venv has no setuptools:
# 0.15 s either way on 3.13) and ecomsuite.mrjob_compat provides the names mrjob uses
# (it would also keep setuptools' shim off, were setuptools installed). One setting for
# every Python, so the static mrjob.conf can say the same.
JOB_ENV = {"SETUPTOOLS_USE_DISTUTILS": "stdlib"}
