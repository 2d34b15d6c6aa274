# A local Apache Hadoop 3 cluster (HDFS + YARN + MapReduce, WORKERS=N DataNodes and
# NodeManagers) from Maven's jars, and the suite's jobs on it through mrjob's hadoop
# runner. See docs/hadoop.md.
HDFS_PROCESSED ?= hdfs:///ecommerce/processed
# Workers (DataNode + NodeManager each) of `cluster-up`; empty: as last time, else 1.
WORKERS        ?=
HADOOP_SUDO    := $(if $(filter 0,$(shell id -u)),,sudo)

TEST_PREREQS += hadoop-deps

.PHONY: hadoop-deps cluster-up cluster-status cluster-down cluster-clean run-hadoop bench-hadoop bench-hadoop-memory

# bench-hadoop: the scale, worker counts and jobs measured (bench/hadoop_timings.py --help)
BENCH_HADOOP_SCALE   ?= 10
BENCH_HADOOP_WORKERS ?= 1,3
BENCH_HADOOP_JOBS    ?= sales_by_region,device_conversions
# bench-hadoop-memory: the scales whose task peaks are compared (every job; BENCH_JOBS=a,b)
BENCH_HADOOP_MEMORY_SCALES ?= 10,100

## Fetch the pinned Hadoop jars with Maven into .cache/hadoop (installs a JDK 17 and Maven if missing)
hadoop-deps: setup
	@if ! command -v mvn >/dev/null 2>&1 || ! $(PY) -c 'from ecomsuite.hadoop import deps; deps.find_java_home()' 2>/dev/null; then \
	  echo "hadoop-deps: installing openjdk-17-jdk-headless and maven"; \
	  $(HADOOP_SUDO) apt-get update -q && \
	  $(HADOOP_SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    openjdk-17-jdk-headless maven; \
	fi
	$(PY) -m ecomsuite.hadoop deps

## Start the local Hadoop cluster (HDFS, YARN, JobHistory; WORKERS=N workers) in the background; idempotent
cluster-up: hadoop-deps
	$(PY) -m ecomsuite.hadoop up $(if $(WORKERS),--workers $(WORKERS))

## Show each Hadoop daemon and worker, HDFS and YARN health and the web UI addresses
cluster-status: setup
	$(PY) -m ecomsuite.hadoop status

## Stop the Hadoop daemons (HDFS's data stays for the next cluster-up)
cluster-down: setup
	$(PY) -m ecomsuite.hadoop down

## Stop the Hadoop daemons and remove .run/hadoop: HDFS's data, logs, configuration
cluster-clean: setup
	$(PY) -m ecomsuite.hadoop clean

## Run every job on YARN (HDFS_RAW -> HDFS_PROCESSED) with mrjob's hadoop runner
run-hadoop: cluster-up
	$(BIN)/ecom-run --runner hadoop --data $(HDFS_RAW) --output $(HDFS_PROCESSED)

## Time jobs on YARN at S10 on 1 and 3 workers (uber off/on, tasks per node, wordcount floor) into docs/bench.md; starts its own clusters, REMOVES HDFS's data
bench-hadoop: hadoop-deps
	$(PY) -m bench.hadoop_timings --update-docs --scale $(BENCH_HADOOP_SCALE) \
	  --workers $(BENCH_HADOOP_WORKERS) --jobs $(BENCH_HADOOP_JOBS)

## Every job on YARN at S10 and S100 (one worker): each task's peak memory as YARN measured it, S100 against S10, into docs/bench.md; starts its own cluster, REMOVES HDFS's data
bench-hadoop-memory: hadoop-deps
	$(PY) -m bench.hadoop_timings --update-docs --memory-scales $(BENCH_HADOOP_MEMORY_SCALES) \
	  $(if $(BENCH_JOBS),--jobs $(BENCH_JOBS))
