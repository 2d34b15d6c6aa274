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

# Environment for job processes: mrjob imports distutils, and setuptools'
# shim of it pulls in pkg_resources (about 0.2 s per task start-up).
JOB_ENV = {"SETUPTOOLS_USE_DISTUTILS": "stdlib"}
