# Benchmark: every job against the same analysis in DuckDB (bench/, docs/bench.md).
BENCH_SCALES     ?= 1,10
BENCH_RUNS       ?= 5
BENCH_JOBS       ?=
BENCH_RUNNERS    ?= inline,local
BENCH_GEN_SCALES ?= 1,10,100
BENCH_ARGS       ?=

.PHONY: bench

## Benchmark every job vs DuckDB (BENCH_SCALES=1,10 BENCH_RUNS=5 BENCH_JOBS=a,b); writes bench/results/latest.{json,md}
bench: setup
	$(PY) -m bench --update-docs --scales $(BENCH_SCALES) --runs $(BENCH_RUNS) --runners $(BENCH_RUNNERS) \
	  --gen-scales '$(BENCH_GEN_SCALES)' $(if $(BENCH_JOBS),--jobs $(BENCH_JOBS)) $(BENCH_ARGS)
