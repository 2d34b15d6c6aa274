# The HTML report and the pictures (ecomsuite/viz/, docs/report.md): `make report` after the
# jobs ran (make demo ends with it); `make pictures` regenerates every committed picture.
REPORT_DIR   ?= report
REPORT_ARGS  ?=
PICTURES_DIR ?= docs/img
# the sample world the pictures show (ecomsuite/viz/sample.py): an anomaly day, quarantined
# rows, fraud flags, a failed run
PICTURES_WORLD ?= .cache/pictures
# the seconds of history Prometheus scrapes before the dashboards are drawn
PICTURES_HISTORY ?= 60
PICTURES_ARGS    ?=
# the Hadoop dashboard's panels need the local cluster: `make pictures PICTURES_CLUSTER=no`
# draws without it (under no lock), e.g. with PICTURES_ARGS="--dashboards DIR" naming a
# folder without the Hadoop dashboard, to keep its committed picture
PICTURES_CLUSTER ?= yes
PICTURES_RUN := $(if $(filter yes,$(PICTURES_CLUSTER)),flock /tmp/ecom-hadoop.lock )$(PY)
PICTURES_START := $(if $(filter yes,$(PICTURES_CLUSTER)),--start-cluster)
CHROMIUM_SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

TEST_PREREQS += report-deps

.PHONY: report report-deps pictures test-report

## Write the HTML report (one offline page) and a PNG per chart from OUTPUT_DIR and DATA_DIR into REPORT_DIR
report: setup
	@$(BIN)/ecom-report --output $(OUTPUT_DIR) --data $(DATA_DIR) --to $(REPORT_DIR) $(REPORT_ARGS)

## Install what tests/report needs: Debian's chromium (headless, for rendering the report)
report-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "report-deps: installing Debian's chromium"; \
	  $(CHROMIUM_SUDO) apt-get update -q && \
	  $(CHROMIUM_SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
	  || { echo "error: could not install chromium with apt-get; tests/report needs it" >&2; exit 1; }; }

## Regenerate every committed picture (docs/img/): the report's charts and every dashboard, from a sample world and a real Prometheus
pictures: setup monitoring-deps $(if $(filter yes,$(PICTURES_CLUSTER)),hadoop-deps)
	rm -rf $(PICTURES_WORLD)
	$(PY) -m ecomsuite.viz.sample $(PICTURES_WORLD) --days 30 --scale 0.2 --runner local
	rm -rf $(PICTURES_DIR)/report
	$(BIN)/ecom-report --output $(PICTURES_WORLD)/output --data $(PICTURES_WORLD)/data \
	  --to $(PICTURES_DIR)/report --quiet >/dev/null
	rm -f $(PICTURES_DIR)/report/index.html
	$(PICTURES_RUN) -m ecomsuite.viz.pictures --output $(PICTURES_WORLD)/output \
	  --data $(PICTURES_WORLD)/data \
	  --to $(PICTURES_DIR) --history $(PICTURES_HISTORY) $(PICTURES_START) $(PICTURES_ARGS)

## Run the report's and the pictures' tests only
test-report: setup report-deps monitoring-deps
	$(BIN)/pytest $(PYTEST_ARGS) tests/report
