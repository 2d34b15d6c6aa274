"""The DuckDB side of the benchmark: for every job, the same analysis in SQL.

Each reference takes ``{dataset: [part files]}`` and returns ``{key: value}``
in the job's output shape. The three core jobs reuse ``tests/reference.py``
(the queries the correctness tests check against); the further-analytics
jobs get theirs here, next to the SQL-free parts of their definitions.
"""

import os
import sys

# tests/ is not installed: make the repository root importable.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests import reference  # noqa: E402


def _one(dataset, fn):
    def run(files_by_dataset):
        return fn(files_by_dataset[dataset])
    run.datasets = (dataset,)
    return run


REFERENCES = {
    "sales_by_region": _one("orders", reference.sales_by_region),
    "customer_tiers": _one("customers", reference.customer_tiers),
    "device_conversions": _one("clickstream", reference.device_conversions),
}


def reference_for(job_name):
    """The DuckDB reference of a job, or None when the benchmark has none yet."""
    return REFERENCES.get(job_name)
