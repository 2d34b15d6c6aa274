"""The ingest job whose first attempt of every map task dies after writing some output:
a test of Hadoop's commit protocol (tests/ingest/test_ingest_on_yarn.py).

With ECOM_TEST_KILL_INGEST=1 in the tasks' environment, an attempt whose id ends in
``_0`` writes its first line and then exits; YARN runs the task again as ``_1``.
"""

import os
import sys

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.compat import jobconf_from_env

from jobs.mr_ingest import MRIngest

FAULT_ENV = "ECOM_TEST_KILL_INGEST"


class MRFlakyIngest(MRIngest):
    def mapper_raw_ingest(self, input_path, input_uri):
        attempt = jobconf_from_env("mapreduce.task.attempt.id", "")
        for i, pair in enumerate(super().mapper_raw_ingest(input_path, input_uri)):
            yield pair
            if i == 0 and os.environ.get(FAULT_ENV) == "1" and attempt.endswith("_0"):
                sys.stdout.flush()
                os._exit(17)  # killed mid-task: its first line is written, the rest not


if __name__ == "__main__":
    MRFlakyIngest.run()
