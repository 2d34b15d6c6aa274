# Data generator extras (datagen/, docs/datagen.md). `generate-data` is in the main Makefile.
INJECTED_DIR   ?= data/injected
DATAGEN_INJECT ?= --anomaly 2025-06-10:3.0 --anomaly 2025-06-21:0.2 --fraud-actors 5

.PHONY: generate-injected test-datagen

## Write a dataset with injected anomalies and fraud into INJECTED_DIR (ground truth: _injected.json)
generate-injected: setup
	$(PY) -m datagen --out $(INJECTED_DIR) --scale $(SCALE) --seed $(SEED) --overwrite \
	  $(DATAGEN_INJECT) $(DATAGEN_ARGS)

## Run the data generator's tests only
test-datagen: setup
	$(BIN)/pytest $(PYTEST_ARGS) tests/datagen
