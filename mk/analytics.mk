# Analytics extras (jobs/mr_funnel.py ... mr_top_products.py, docs/analytics.md).
# The analytics jobs run with every other job in `run-inline` / `run-local` / `run-hadoop`.
PARQUET_DIR  ?= data/parquet
PARQUET_ARGS ?=

.PHONY: parquet test-analytics

## Export the latest job outputs to Parquet in PARQUET_DIR (the datasets: DATA_DIR/canonical; query with DuckDB)
parquet: setup
	$(BIN)/ecom-parquet --output $(OUTPUT_DIR) --dest $(PARQUET_DIR) $(PARQUET_ARGS)

## Run the analytics jobs' tests only
test-analytics: setup
	$(BIN)/pytest $(PYTEST_ARGS) tests/analytics
