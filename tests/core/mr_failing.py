"""A job whose map tasks fail on purpose (tests/core/test_task_failures.py): the error text
must reach the user on every runner."""

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import CanonicalJob
from ecomsuite.schemas import ORDERS

MESSAGE = "deliberate failure for the test: order file"


class MRFailing(CanonicalJob):
    NAME = "failing"
    DATASET = ORDERS
    COLUMNS = ("order_id",)

    def steps(self):
        return [MRStep(mapper_raw=self.mapper_raw_fail, reducer=self.reducer_count)]

    def mapper_raw_fail(self, input_path, input_uri):
        with open(input_path, "rb") as f:  # any file: a CSV given by hand, or a canonical part
            size = len(f.read())
        raise ValueError(f"{MESSAGE} with {size} bytes cannot be read")
        yield  # a generator, as mrjob expects

    def reducer_count(self, key, values):
        yield key, sum(values)


if __name__ == "__main__":
    MRFailing.run()
