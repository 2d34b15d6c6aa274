# Monitoring: ecom-exporter + Prometheus (Debian's package) + Grafana dashboards as files.
# docs/monitoring.md explains the metrics, the dashboards and the alert runbooks.

MON_RUN            := .run
MON_OUTPUTS        ?= $(OUTPUT_DIR)
MON_DATA           ?= $(DATA_DIR)
# Prometheus keeps the backfilled history this long (blocks older than it are dropped).
PROMETHEUS_RETENTION ?= 400d
EXPORTER_ADDRESS   ?= 127.0.0.1:8398
PROMETHEUS_ADDRESS ?= 127.0.0.1:9090
# Hadoop endpoints: empty = that source off. By default they are used when a
# local cluster answers (make cluster-up), and left off otherwise.
NAMENODE_URL        ?= $(shell curl -sf -m 2 -o /dev/null 'http://127.0.0.1:9870/jmx?qry=Hadoop:service=NameNode,name=FSNamesystem' && echo http://127.0.0.1:9870)
RESOURCEMANAGER_URL ?= $(shell curl -sf -m 2 -o /dev/null http://127.0.0.1:8088/ws/v1/cluster/metrics && echo http://127.0.0.1:8088)
EXPORTER_ARGS       ?=
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

TEST_PREREQS += monitoring-deps

.PHONY: monitoring-deps monitoring-build monitoring-check monitoring-up monitoring-down monitoring-status monitoring-backfill demo-history

## Install Debian's prometheus and promtool if missing (no service left running)
monitoring-deps:
	@if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then \
	  echo "monitoring-deps: installing Debian's prometheus"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus; \
	fi
	@# The package enables and starts a service on 9090 in some setups; ours run on their own.
	@if [ -d /run/systemd/system ] && systemctl is-enabled --quiet prometheus 2>/dev/null; then \
	  echo "monitoring-deps: stopping and disabling the prometheus service the package started"; \
	  $(SUDO) systemctl disable --now prometheus; \
	elif [ -x /etc/init.d/prometheus ] && /etc/init.d/prometheus status >/dev/null 2>&1; then \
	  echo "monitoring-deps: stopping the prometheus service the package started"; \
	  $(SUDO) /etc/init.d/prometheus stop; \
	  command -v update-rc.d >/dev/null && $(SUDO) update-rc.d prometheus disable >/dev/null 2>&1 || true; \
	fi

## Regenerate the dashboards and alert rules from grafana/*.py
monitoring-build: setup
	$(PY) -m grafana.build

## Check the monitoring files: generated files current, promtool check config/rules, rule unit tests
monitoring-check: setup monitoring-deps
	$(PY) -m grafana.build --check
	promtool check config prometheus/prometheus.yml
	promtool check rules prometheus/rules/*.yaml
	promtool test rules tests/monitoring/rules/*.yaml

## Start the exporter and Prometheus in the background on OUTPUT_DIR (and the local cluster if up)
monitoring-up: setup monitoring-deps
	@mkdir -p $(MON_RUN)/prometheus/data
	@for name in exporter prometheus; do \
	  if [ -f $(MON_RUN)/$$name.pid ] && kill -0 $$(cat $(MON_RUN)/$$name.pid) 2>/dev/null; then \
	    echo "$$name already running (pid $$(cat $(MON_RUN)/$$name.pid)); make monitoring-down first"; exit 1; fi; \
	done
	@sed -e 's|127.0.0.1:8398|$(EXPORTER_ADDRESS)|' -e 's|127.0.0.1:9090|$(PROMETHEUS_ADDRESS)|' \
	  -e 's|- rules/\*.yaml|- $(CURDIR)/prometheus/rules/*.yaml|' prometheus/prometheus.yml \
	  > $(MON_RUN)/prometheus/prometheus.yml
	@promtool check config $(MON_RUN)/prometheus/prometheus.yml >/dev/null
	@nohup $(BIN)/ecom-exporter --web.listen-address $(EXPORTER_ADDRESS) --outputs '$(MON_OUTPUTS)' --data '$(MON_DATA)' \
	  --namenode-url '$(NAMENODE_URL)' --resourcemanager-url '$(RESOURCEMANAGER_URL)' $(EXPORTER_ARGS) \
	  > $(MON_RUN)/exporter.log 2>&1 & echo $$! > $(MON_RUN)/exporter.pid
	@nohup prometheus --config.file=$(MON_RUN)/prometheus/prometheus.yml \
	  --storage.tsdb.path=$(MON_RUN)/prometheus/data --web.listen-address=$(PROMETHEUS_ADDRESS) \
	  --storage.tsdb.retention.time=$(PROMETHEUS_RETENTION) \
	  > $(MON_RUN)/prometheus.log 2>&1 & echo $$! > $(MON_RUN)/prometheus.pid
	@for i in $$(seq 1 50); do \
	  curl -sf -o /dev/null http://$(EXPORTER_ADDRESS)/metrics && curl -sf -o /dev/null http://$(PROMETHEUS_ADDRESS)/-/ready && break; \
	  sleep 0.2; done
	@ok=1; \
	curl -sf -o /dev/null http://$(EXPORTER_ADDRESS)/metrics || { echo "exporter did not start:"; tail -5 $(MON_RUN)/exporter.log; ok=0; }; \
	curl -sf -o /dev/null http://$(PROMETHEUS_ADDRESS)/-/ready || { echo "prometheus did not start:"; tail -5 $(MON_RUN)/prometheus.log; ok=0; }; \
	[ $$ok = 1 ] || { $(MAKE) --no-print-directory monitoring-down; exit 1; }
	@echo "exporter:   http://$(EXPORTER_ADDRESS)/metrics   (outputs: $(MON_OUTPUTS); namenode: $(or $(NAMENODE_URL),off); resourcemanager: $(or $(RESOURCEMANAGER_URL),off))"
	@echo "prometheus: http://$(PROMETHEUS_ADDRESS)/   alerts: http://$(PROMETHEUS_ADDRESS)/alerts   targets: http://$(PROMETHEUS_ADDRESS)/targets"
	@echo "logs and pids in $(MON_RUN)/; dashboards: point a Grafana at grafana/provisioning (docs/monitoring.md); stop with make monitoring-down"

## Write every processed day's KPIs into Prometheus' storage (.run/prometheus/data) at each day's time
monitoring-backfill: setup monitoring-deps
	@mkdir -p $(MON_RUN)/prometheus/data
	$(BIN)/ecom-exporter backfill --outputs '$(MON_OUTPUTS)' --data '$(MON_DATA)' --tsdb $(MON_RUN)/prometheus/data
	@echo "a running Prometheus loads the new blocks within a minute or two (its next block reload); or restart it: make monitoring-down monitoring-up"

# make demo's history: what the exporter would put in Prometheus, without a server.
DEMO_HISTORY ?= $(MON_RUN)/demo-history
PROMTOOL     ?= promtool

## The exporter's history of OUTPUT_DIR/DATA_DIR without a server: OpenMetrics in DEMO_HISTORY (TSDB blocks too with promtool)
demo-history:
	@[ -x $(BIN)/ecom-exporter ] || { echo "demo-history: $(BIN)/ecom-exporter is missing: run make setup first"; exit 1; }
	@rm -rf '$(DEMO_HISTORY)/history.om' '$(DEMO_HISTORY)/tsdb'
	@$(BIN)/ecom-exporter backfill --outputs '$(OUTPUT_DIR)' --data '$(DATA_DIR)' \
	  --openmetrics '$(DEMO_HISTORY)/history.om' --tsdb '$(DEMO_HISTORY)/tsdb' --tsdb-optional --promtool '$(PROMTOOL)'
	@echo "history: each processed day's KPIs at that day's time (the E-commerce history dashboard's data); to query it: make monitoring-backfill monitoring-up, with PROMETHEUS_RETENTION reaching back to the first day (Prometheus drops older blocks)"

## Stop the exporter and Prometheus that monitoring-up started
monitoring-down:
	@for name in exporter prometheus; do \
	  pidfile=$(MON_RUN)/$$name.pid; \
	  if [ -f $$pidfile ]; then \
	    pid=$$(cat $$pidfile); \
	    if kill -0 $$pid 2>/dev/null; then \
	      kill $$pid; for i in $$(seq 1 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.2; done; \
	      kill -0 $$pid 2>/dev/null && kill -9 $$pid; echo "stopped $$name (pid $$pid)"; \
	    fi; \
	    rm -f $$pidfile; \
	  fi; \
	done

## Show whether the exporter and Prometheus are running and what each source reports
monitoring-status:
	@for name in exporter prometheus; do \
	  if [ -f $(MON_RUN)/$$name.pid ] && kill -0 $$(cat $(MON_RUN)/$$name.pid) 2>/dev/null; then \
	    echo "$$name: running (pid $$(cat $(MON_RUN)/$$name.pid))"; else echo "$$name: not running"; fi; \
	done
	@curl -sf http://$(EXPORTER_ADDRESS)/metrics 2>/dev/null | grep '^ecommerce_exporter_source_up' || true
