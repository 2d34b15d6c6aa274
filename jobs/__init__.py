"""The suite's mrjob jobs, one per file (``mr_<what_it_computes>.py``)."""
