"""Paths and names shared by the generator, the pipeline, the exporter and the tests."""

DEFAULT_DATA_DIR = "data/raw"      # datagen writes <dir>/<dataset>/part-NNNNN.csv
DEFAULT_OUTPUT_DIR = "output"      # the pipeline writes <dir>/<job>/<run_id>/part-*
RUNS_DIRNAME = "_runs"             # run records: <output>/_runs/<job>/<run_id>.json
SUCCESS_MARKER = "_SUCCESS"        # written last into a complete dataset or job output
PART_GLOB = "part-*"               # the data files of a dataset directory
RUNNERS = ("inline", "local", "hadoop")

# Environment for job processes: mrjob imports distutils, and setuptools'
# shim of it pulls in pkg_resources (about 0.2 s per task start-up).
JOB_ENV = {"SETUPTOOLS_USE_DISTUTILS": "stdlib"}
