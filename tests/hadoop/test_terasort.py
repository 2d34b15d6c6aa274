"""The cluster smoke test of Apache Bigtop and of every Hadoop admin: TeraGen writes
rows, TeraSort sorts them over every worker, TeraValidate checks the order and
sums the rows, and its checksum equals TeraGen's (nothing lost, nothing twice)."""

import re

import pytest

from tests.hadoop.shell import sh

pytestmark = pytest.mark.hadoop

EXAMPLES = "$HADOOP_HOME/share/hadoop/mapreduce/hadoop-mapreduce-examples-*.jar"
ROWS = 200_000                     # 100-byte rows: 20 MB
MAPS = REDUCES = 3


def counter(output, name):
    return int(re.search(rf"^\s*{name}=(\d+)$", output, re.M).group(1))


def test_teragen_terasort_teravalidate(hadoop_cluster, hdfs_root):
    base = f"{hdfs_root}/terasort"
    gen = sh(hadoop_cluster, f"hadoop jar {EXAMPLES} teragen -Dmapreduce.job.maps={MAPS} "
                             f"{ROWS} {base}/in", timeout=600).stderr
    assert counter(gen, "Map output records") == ROWS
    generated_checksum = counter(gen, "CHECKSUM")
    sort = sh(hadoop_cluster, f"hadoop jar {EXAMPLES} terasort "
                              f"-Dmapreduce.job.reduces={REDUCES} {base}/in {base}/out",
              timeout=600).stderr
    assert counter(sort, "Reduce output records") == ROWS
    assert counter(sort, "Launched reduce tasks") == REDUCES
    sh(hadoop_cluster, f"hadoop jar {EXAMPLES} teravalidate {base}/out {base}/report",
       timeout=600)
    report = sh(hadoop_cluster, f"hdfs dfs -cat {base}/report/part-r-*").stdout
    # only a checksum line: any misordered or bad row is reported as "misorder"/"error"
    assert report.split()[0] == "checksum" and len(report.split()) == 2, report
    report = report.split()
    assert int(report[1], 16) == generated_checksum
    listing = sh(hadoop_cluster, f"hdfs dfs -ls {base}/out").stdout
    assert len(re.findall(r"/part-r-\d{5}$", listing, re.M)) == REDUCES
