# E-commerce batch analytics on Hadoop. `make` (or `make help`) lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# One virtualenv per Python minor version in .venvs/X.Y (PYTHON= picks it: see "Python"
# below); .venv links to the one last set up, for typing `.venv/bin/...` by hand.
VENV       ?= .venv
VENVS      ?= .venvs
LOCK       := requirements/lock.txt
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

# Python: PYTHON=python3.12 (a command, a path or a version: 3.12) chooses; by default
# the one .venv was built with, else the newest supported one on PATH or in pyenv.
# mk/pick-python.sh prints "X.Y /path/to/python" (supported: setup.cfg's python_requires).
PICKED         := $(shell mk/pick-python.sh '$(PYTHON)' $(VENV) 2>/dev/null)
PYTHON_VERSION := $(word 1,$(PICKED))
PYTHON_EXE     := $(word 2,$(PICKED))
VENV_DIR       := $(VENVS)/$(or $(PYTHON_VERSION),none)
# the chosen Python's virtualenv (not through the .venv link, which a run with another
# PYTHON= may move while this one runs)
BIN            := $(VENV_DIR)/bin
PY             := $(BIN)/python
# The core suite: what depends on the Python version; no cluster, Prometheus or Terraform.
CORE_TESTS     := -m 'not hadoop and not prometheus and not browser' --ignore=tests/terraform

include $(sort $(wildcard mk/*.mk))

.PHONY: help setup lock generate-data run-inline run-local demo test test-core test-pythons lint clean distclean

## List every target with what it does
help:
	@echo "Targets (variables: DATA_DIR=$(DATA_DIR) OUTPUT_DIR=$(OUTPUT_DIR) SCALE=$(SCALE) SEED=$(SEED) TARGET=$(TARGET)):"
	@awk '/^## /{d=substr($$0,4); next} /^[a-zA-Z0-9_.-]+:/{if(d!=""){split($$0,t,":"); printf "  %-18s %s\n", t[1], d}} {d=""}' $(MAKEFILE_LIST)

## Create the virtual environment (.venv -> .venvs/X.Y; PYTHON= chooses) and install the suite from the lock
setup: $(VENV_DIR)/.installed
	@if [ -e $(VENV) ] && [ ! -L $(VENV) ]; then \
	  echo "setup: replacing the old $(VENV) directory with a link to $(VENV_DIR)"; rm -rf $(VENV); fi
	@ln -sfn $(VENV_DIR) $(VENV)
	@echo "setup: Python $$($(VENV_DIR)/bin/python -c 'import platform; print(platform.python_version())') ($(PYTHON_EXE)) in $(VENV_DIR); $(VENV) -> $(VENV_DIR)"

ifeq ($(PYTHON_VERSION),)
$(VENV_DIR)/.installed:  # no usable Python: say why
	@mk/pick-python.sh '$(PYTHON)' $(VENV) >/dev/null; exit 1
else
$(VENV_DIR)/.installed: setup.cfg pyproject.toml $(LOCK)
	@[ -x $(VENV_DIR)/bin/python ] || { echo "setup: creating $(VENV_DIR) with $(PYTHON_EXE)"; \
	  $(PYTHON_EXE) -m venv $(VENV_DIR); }
	@echo $(PYTHON_EXE) > $(VENV_DIR)/.base-python
	$(VENV_DIR)/bin/python -m pip install -q --upgrade pip
	$(VENV_DIR)/bin/python -m pip install -q -r $(LOCK) -e '.[test,report]'
	@touch $@
endif

## Resolve requirements/lock.txt again for every supported Python (after a change to setup.cfg)
lock: $(VENV_DIR)/.installed
	$(VENV_DIR)/bin/python -m pip install -q 'uv >= 0.5'
	$(VENV_DIR)/bin/uv pip compile -q --universal --python-version 3.10 --extra test --extra report \
	  --output-file $(LOCK) setup.cfg

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

## Set up, land 30 days at the default scale, ingest them, run every job over them, write their history (no cluster)
demo: setup
	$(MAKE) --no-print-directory generate-data OVERWRITE=1 TARGET=local
	$(MAKE) --no-print-directory ingest TARGET=local
	$(MAKE) --no-print-directory run-local
	$(MAKE) --no-print-directory demo-history
	$(MAKE) --no-print-directory report

## Set up and run the whole test suite
test: setup $(TEST_PREREQS)
	$(BIN)/pytest $(PYTEST_ARGS) tests

## Set up and run the core tests (no Hadoop, Prometheus or Terraform) on the chosen Python
test-core: setup
	$(BIN)/pytest $(PYTEST_ARGS) $(CORE_TESTS) tests

## On every supported Python found (nox, noxfile.py): make demo and the core tests
test-pythons: setup
	$(BIN)/nox --noxfile noxfile.py $(NOX_ARGS)

## Lint the code (ruff)
lint: setup
	$(BIN)/ruff check .

## Remove generated data, job outputs and caches (keeps the virtual environment)
clean:
	rm -rf data output .pytest_cache .ruff_cache .hypothesis build *.egg-info
	find . -name __pycache__ -not -path './$(VENV)/*' -not -path './$(VENVS)/*' -not -path './.nox/*' -prune -exec rm -rf {} +

## Remove everything `clean` does, and the virtual environment
distclean: clean
	rm -rf $(VENV) $(VENVS) .nox
