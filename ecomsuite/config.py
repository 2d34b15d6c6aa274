"""Paths and names shared by the generator, the pipeline, the exporter and the tests."""

DEFAULT_DATA_DIR = "data/raw"      # datagen writes <dir>/<dataset>/part-NNNNN.csv
DEFAULT_OUTPUT_DIR = "output"      # the pipeline writes <dir>/<job>/<run_id>/part-*
RUNS_DIRNAME = "_runs"             # run records: <output>/_runs/<job>/<run_id>.json
SUCCESS_MARKER = "_SUCCESS"        # written last into a complete dataset or job output
PART_GLOB = "part-*"               # the data files of a dataset directory
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
