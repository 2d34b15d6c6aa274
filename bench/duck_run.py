"""Run one job's DuckDB reference as its own process and print the result as JSON.

    python -m bench.duck_run JOB DATASET=FILE[,FILE...] ...

The benchmark times this whole process, as it times the mrjob job's.
"""

import json
import sys

from reference.sql import reference_for


def main(argv):
    job, specs = argv[0], argv[1:]
    files = {}
    for spec in specs:
        dataset, _, paths = spec.partition("=")
        files[dataset] = paths.split(",")
    result = reference_for(job)(files)
    json.dump([[k, v] for k, v in result.items()], sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
