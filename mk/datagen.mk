# Data generator extras (datagen/, docs/datagen.md). `generate-data` is in the main Makefile.
INJECTED_DIR   ?= data/injected
DATAGEN_INJECT ?= --anomaly 2025-06-10:3.0 --anomaly 2025-06-21:0.2 --fraud-actors 5

FOLLOW_INTERVAL ?= 5
TICKS          ?=

.PHONY: generate-injected test-datagen land follow-data

## Write a dataset with injected anomalies and fraud into INJECTED_DIR (ground truth: _injected.json)
generate-injected: setup
	$(PY) -m datagen --out $(INJECTED_DIR) --scale $(SCALE) --seed $(SEED) --overwrite \
	  $(DATAGEN_INJECT) $(DATAGEN_ARGS)

## Run the data generator's tests only
test-datagen: setup
	$(BIN)/pytest $(PYTEST_ARGS) tests/datagen

## Land external files: make land DATASET=orders DAY=2026-11-25 FILES="a.csv b.csv.gz" [MOVE=1] [TARGET=hdfs]
land: setup
	@test -n "$(DATASET)" -a -n "$(DAY)" -a -n "$(FILES)" || { \
	  echo 'usage: make land DATASET=orders DAY=YYYY-MM-DD FILES="a.csv b.csv.gz" [MOVE=1] [TARGET=hdfs]'; exit 2; }
	$(BIN)/ecom-land --data $(if $(filter hdfs,$(TARGET)),$(HDFS_RAW),$(DATA_DIR)) \
	  --dataset $(DATASET) --day $(DAY) $(if $(MOVE),--move) $(FILES)

## Keep landing the next days, one simulated hour every FOLLOW_INTERVAL seconds (TICKS=N hours, then stop)
follow-data: setup
	$(PY) -m datagen --follow --interval $(FOLLOW_INTERVAL) $(if $(TICKS),--ticks $(TICKS)) \
	  --out $(if $(filter hdfs,$(TARGET)),$(HDFS_RAW),$(DATA_DIR)) --scale $(SCALE) --seed $(SEED) \
	  $(DATAGEN_ARGS)
