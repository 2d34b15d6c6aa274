"""Independent reference computations of every job, for the tests and the benchmark.

They read the same CSV files the jobs read and share none of the jobs' code:
DuckDB's CSV reader and SQL, Python's csv module, exact decimals rounded half up.

  reference.common     DuckDB views over the CSVs, cent rounding, a plain CSV reader
  reference.core       the three core jobs (DuckDB SQL)
  reference.analytics  the further analytics, written from docs/analytics.md (SQL where the
                       question is relational, plain Python where it is sequential)
  reference.periods    period answers (runs by day) over the canonical partitions of their days
  reference.sql        every job in SQL only, a speed reference for the benchmark
                       (``reference_for(job)``); the tests check the jobs against the others

Meant for clean data (the generator's output). Tests and bench import it as a
package (it is installed with the suite).
"""
