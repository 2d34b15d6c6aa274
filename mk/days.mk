# Runs by day (ecom-run --day/--from/--to/--last, ecomsuite/periods.py, docs/days.md).
DAY          ?=
DAILY_RUNNER ?= local
DAILY_ARGS   ?=

.PHONY: daily backfill test-days

## The daily pipeline for one day (DAY=YYYY-MM-DD; default: the newest landed day): ingest it, then the jobs for it
daily: setup
	$(BIN)/ecom-ingest --data $(DATA_DIR) $(if $(DAY),--days $(DAY))
	$(BIN)/ecom-run --runner $(DAILY_RUNNER) --data $(DATA_DIR) --output $(OUTPUT_DIR) \
	  $(if $(DAY),--day $(DAY),--last 1) $(DAILY_ARGS)

## Run the jobs by day over a range (FROM=YYYY-MM-DD TO=YYYY-MM-DD): each day's partition, then the merged answers
backfill: setup
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "make backfill: give FROM=YYYY-MM-DD TO=YYYY-MM-DD" >&2; exit 2; }
	$(BIN)/ecom-ingest --data $(DATA_DIR) --days $(FROM)..$(TO)
	$(BIN)/ecom-run --runner $(DAILY_RUNNER) --data $(DATA_DIR) --output $(OUTPUT_DIR) \
	  --from $(FROM) --to $(TO) $(DAILY_ARGS)

## Run the runs-by-day tests only
test-days: setup
	$(BIN)/pytest $(PYTEST_ARGS) tests/days
