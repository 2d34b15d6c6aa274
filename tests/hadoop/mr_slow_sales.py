"""Sales by region whose first attempt of every map task takes its time: a task that is
surely running when a test kills its node.

With ECOM_TEST_SLOW_FIRST_ATTEMPT=<seconds> in the tasks' environment
(``--cmdenv``), a map attempt whose id ends in ``_0`` sleeps that long before it
reads its file; a rerun attempt does not. The answer is MRSalesByRegion's.
"""

import os
import time

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.compat import jobconf_from_env

from jobs.mr_sales_by_region import MRSalesByRegion

SLOW_ENV = "ECOM_TEST_SLOW_FIRST_ATTEMPT"


class MRSlowSalesByRegion(MRSalesByRegion):
    NAME = "sales_by_region_slow"

    def mapper_raw_region_totals(self, input_path, input_uri):
        attempt = jobconf_from_env("mapreduce.task.attempt.id", "")
        if attempt.endswith("_0"):
            time.sleep(float(os.environ.get(SLOW_ENV) or 0))
        yield from super().mapper_raw_region_totals(input_path, input_uri)


if __name__ == "__main__":
    MRSlowSalesByRegion.run()
