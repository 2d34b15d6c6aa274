"""Sales by region whose first attempt of every map task dies: a test of YARN's retries.

With ECOM_TEST_FAIL_FIRST_ATTEMPT=1 in the tasks' environment (``--cmdenv``),
a map task whose attempt id ends in ``_0`` raises before it reads its file;
the MapReduce application master runs it again as attempt ``_1``, which
computes the same thing as MRSalesByRegion.
"""

import os

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.compat import jobconf_from_env

from jobs.mr_sales_by_region import MRSalesByRegion

FAULT_ENV = "ECOM_TEST_FAIL_FIRST_ATTEMPT"


class InjectedFault(RuntimeError):
    """The failure this job injects on purpose."""


class MRFlakySalesByRegion(MRSalesByRegion):
    NAME = "sales_by_region_flaky"

    def mapper_raw_region_totals(self, input_path, input_uri):
        attempt = jobconf_from_env("mapreduce.task.attempt.id", "")
        if os.environ.get(FAULT_ENV) == "1" and attempt.endswith("_0"):
            raise InjectedFault(f"injected fault: attempt {attempt} on {input_uri}")
        yield from super().mapper_raw_region_totals(input_path, input_uri)


if __name__ == "__main__":
    MRFlakySalesByRegion.run()
