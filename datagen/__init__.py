"""Deterministic generator of the suite's CSV datasets (orders, customers, clickstream).

Run it as ``python -m datagen`` or ``ecom-datagen``; docs/datagen.md describes
the data, the options and the guarantees.
"""

# The output's version: bump it whenever the same seed and options would
# give different bytes (it is recorded in OUT/_manifest.json).
__version__ = "1.1.0"  # 1.1: customers drawn by whole chunks (any range of them is the same)
