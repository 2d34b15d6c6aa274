# Validate once (ecomsuite/ingest.py, docs/ingest.md): landed CSVs -> canonical Parquet, quarantine, manifests.
INGEST_RUNNER ?=
INGEST_ARGS   ?=

.PHONY: ingest test-ingest bench-ingest

## Ingest every landed day of DATA_DIR not yet ingested: typed Parquet in DATA_DIR/canonical, rejects in DATA_DIR/quarantine (INGEST_RUNNER=inline|local; default: the ingest picks)
ingest: setup
	$(BIN)/ecom-ingest $(if $(filter hdfs,$(TARGET)),--runner hadoop,$(if $(INGEST_RUNNER),--runner $(INGEST_RUNNER))) \
	  --data $(if $(filter hdfs,$(TARGET)),$(HDFS_RAW),$(DATA_DIR)) $(INGEST_ARGS)

## Run the ingest stage's tests only
test-ingest: setup
	$(BIN)/pytest $(PYTEST_ARGS) tests/ingest

## Time the ingest against DuckDB doing the same typed read, validation and Parquet write (BENCH_INGEST_SCALE=10)
bench-ingest: setup
	$(PY) -m bench.ingest --scale $(or $(BENCH_INGEST_SCALE),10) --runs $(or $(BENCH_INGEST_RUNS),3)
