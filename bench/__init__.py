"""The suite's benchmark: every job against the same analysis in DuckDB (`make bench`)."""
