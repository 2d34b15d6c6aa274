# Benchmark: every job against the same analysis in DuckDB (bench/, docs/bench.md).
# The headline numbers come from the generator's realistic mode (datagen --realistic).
BENCH_SCALES     ?= 1,10
BENCH_RUNS       ?= 5
BENCH_JOBS       ?=
BENCH_RUNNERS    ?= inline,local
BENCH_GEN_SCALES ?= 1,10,100
BENCH_E2E_DAYS   ?= 30
BENCH_SPARK_SCALES ?= 10
BENCH_SETTLE     ?= 30
BENCH_ARGS       ?=
SPARK_VENV       ?= .venvs/spark
PYSPARK_VERSION  ?= 4.3.0

.PHONY: bench bench-spark

## Benchmark every job vs DuckDB on realistic data (BENCH_SCALES=1,10 BENCH_RUNS=5 BENCH_JOBS=a,b; S100: BENCH_SCALES=1,10,100); writes bench/results/latest.{json,md}
bench: setup bench-spark
	$(PY) -m bench --update-docs --scales $(BENCH_SCALES) --runs $(BENCH_RUNS) --runners $(BENCH_RUNNERS) \
	  --gen-scales '$(BENCH_GEN_SCALES)' --e2e-days $(BENCH_E2E_DAYS) --spark-scales '$(BENCH_SPARK_SCALES)' \
	  --spark-python $(SPARK_VENV)/bin/python --settle $(BENCH_SETTLE) $(if $(BENCH_JOBS),--jobs $(BENCH_JOBS)) $(BENCH_ARGS)

## pyspark in its own virtualenv (.venvs/spark), for the benchmark only (never make test); needs a JDK
bench-spark:
	@if [ -x $(SPARK_VENV)/bin/python ] && $(SPARK_VENV)/bin/python -c 'import pyspark' 2>/dev/null; then \
	  echo "bench-spark: pyspark ready in $(SPARK_VENV)"; \
	else \
	  command -v java >/dev/null || echo "bench-spark: no java on PATH: Spark will not be timed (install a JDK 17 or 21)"; \
	  python3 -m venv $(SPARK_VENV) && $(SPARK_VENV)/bin/pip install --quiet pyspark==$(PYSPARK_VERSION) pyarrow \
	  || echo "bench-spark: pyspark could not be installed: Spark will not be timed (the benchmark says why)"; \
	fi
