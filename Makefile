# E-commerce batch analytics on Hadoop. `make` (or `make help`) lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV       ?= .venv
BIN        := $(VENV)/bin
PY         := $(BIN)/python
DATA_DIR   ?= data
OUTPUT_DIR ?= output
SCALE      ?= 1
SEED       ?= 42
TARGET     ?= local
HDFS_RAW   ?= hdfs:///ecommerce
DAYS       ?= 30
START_DATE ?=
DATAGEN_ARGS ?=
PYTEST_ARGS  ?=
# Areas append the setup their tests need (a JDK, Prometheus, ...).
TEST_PREREQS :=

# mrjob 0.7.4 runs on Python 3.10-3.12 only: pick the newest such interpreter.
PYTHON ?= $(shell for p in python3.12 python3.11 python3.10 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)

include $(sort $(wildcard mk/*.mk))

.PHONY: help setup generate-data run-inline run-local demo test lint clean distclean

## List every target with what it does
help:
	@echo "Targets (variables: DATA_DIR=$(DATA_DIR) OUTPUT_DIR=$(OUTPUT_DIR) SCALE=$(SCALE) SEED=$(SEED) TARGET=$(TARGET)):"
	@awk '/^## /{d=substr($$0,4); next} /^[a-zA-Z0-9_.-]+:/{if(d!=""){split($$0,t,":"); printf "  %-18s %s\n", t[1], d}} {d=""}' $(MAKEFILE_LIST)

## Create the virtual environment and install the suite with its test tools
setup: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: no Python 3.10-3.12 found. mrjob 0.7.4 imports 'pipes' (removed in 3.13);"; \
	  echo "       install python3.12/3.11/3.10 or run 'make setup PYTHON=/path/to/python3.11'."; exit 1; fi
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' || { \
	  echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); mrjob 0.7.4 needs 3.10-3.12."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

## Land DAYS days of orders, customers and clickstream CSVs into DATA_DIR/landing (TARGET=hdfs: HDFS)
generate-data: setup
	$(PY) -m datagen --days $(DAYS) $(if $(START_DATE),--start-date $(START_DATE)) \
	  --out $(if $(filter hdfs,$(TARGET)),$(HDFS_RAW),$(DATA_DIR)) \
	  --scale $(SCALE) --seed $(SEED) $(if $(OVERWRITE),--overwrite) $(DATAGEN_ARGS)

## Run every job on mrjob's inline runner (one process, no cluster)
run-inline: setup
	$(BIN)/ecom-run --runner inline --data $(DATA_DIR) --output $(OUTPUT_DIR)

## Run every job on mrjob's local runner (subprocesses, both cores)
run-local: setup
	$(BIN)/ecom-run --runner local --data $(DATA_DIR) --output $(OUTPUT_DIR)

## Set up, land 30 days at the default scale, ingest them and run every job over them (no cluster)
demo: setup
	$(MAKE) --no-print-directory generate-data OVERWRITE=1 TARGET=local
	$(MAKE) --no-print-directory ingest TARGET=local
	$(MAKE) --no-print-directory run-local

## Set up and run the whole test suite
test: setup $(TEST_PREREQS)
	$(BIN)/pytest $(PYTEST_ARGS) tests

## Lint the code (ruff)
lint: setup
	$(BIN)/ruff check .

## Remove generated data, job outputs and caches (keeps the virtual environment)
clean:
	rm -rf data output .pytest_cache .ruff_cache .hypothesis build *.egg-info
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

## Remove everything `clean` does, and the virtual environment
distclean: clean
	rm -rf $(VENV)
