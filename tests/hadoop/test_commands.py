"""The standard client commands, as a Hadoop user types them after
`. .run/hadoop/env.sh`: the seed's demo scenarios (hdfs dfs ... | awk, the
examples jar's wordcount, yarn application -list, mapred job -list), the admin
commands (dfsadmin -report, fsck, getconf, node -list), an application's status,
logs and kill. (mrjob's hadoop runner through env.sh's MRJOB_CONF, without
--conf-path and from another directory, runs in test_faults.py.)"""

import collections
import csv
import os
import re

import pytest

from tests.hadoop.shell import (
    local_parts,
    running_apps,
    sh,
    sh_background,
    wait_for,
)

pytestmark = pytest.mark.hadoop

EXAMPLES = "$HADOOP_HOME/share/hadoop/mapreduce/hadoop-mapreduce-examples-*.jar"


def test_env_sh_gives_hadoop_home_in_the_tarballs_layout(hadoop_cluster):
    out = sh(hadoop_cluster, 'echo "$HADOOP_HOME"; ls "$HADOOP_HOME/bin"; '
             'ls "$HADOOP_HOME/etc/hadoop"; ls "$HADOOP_HOME/share/hadoop"; '
             f'ls {EXAMPLES} "$HADOOP_HOME"/share/hadoop/tools/lib/hadoop-streaming-*.jar; '
             "command -v hadoop hdfs yarn mapred; hadoop version").stdout
    home = out.splitlines()[0]
    assert os.path.realpath(home) == os.path.realpath(hadoop_cluster.layout.home)
    for name in ("hadoop", "hdfs", "yarn", "mapred", "core-site.xml", "hdfs-site.xml",
                 "yarn-site.xml", "mapred-site.xml", "common", "hdfs", "yarn", "mapreduce",
                 "tools", "hadoop-mapreduce-examples-3.4.2.jar",
                 "hadoop-streaming-3.4.2.jar"):
        assert re.search(rf"(^|/){re.escape(name)}$", out, re.M), name
    assert f"Hadoop {hadoop_cluster.layout.version}" in out


def test_hdfs_admin_commands(hadoop_cluster):
    n = hadoop_cluster.workers
    report = sh(hadoop_cluster, "hdfs dfsadmin -report").stdout
    assert f"Live datanodes ({n}):" in report
    for w in range(1, n + 1):      # each DataNode by the address it advertises
        assert f"Hostname: 127.0.0.{w + 1}" in report
    fsck = sh(hadoop_cluster, "hdfs fsck /").stdout
    assert "The filesystem under path '/' is HEALTHY" in fsck
    conf = sh(hadoop_cluster, "hdfs getconf -confKey dfs.replication; hdfs getconf -namenodes"
              "; hdfs getconf -confKey fs.defaultFS").stdout.split()
    assert conf[0] == str(min(n, 3)) and conf[2] == "hdfs://127.0.0.1:8020"
    assert conf[1] in ("127.0.0.1", "localhost")       # getconf resolves the address
    nodes = sh(hadoop_cluster, "yarn node -list").stdout
    assert f"Total Nodes:{n}" in nodes
    assert len(re.findall(r"RUNNING", nodes)) == n


def test_demo_hdfs_put_ls_cat_awk(hadoop_cluster, generated_data, hdfs_root):
    """`hdfs dfs -put`, `-ls`, then `hdfs dfs -cat ... | awk` counts orders per region
    (the last column, so quoted commas earlier in a line do not matter)."""
    target = f"{hdfs_root}/demo/orders"
    parts = local_parts(os.path.join(generated_data, "orders"))
    out = sh(hadoop_cluster, f"hdfs dfs -mkdir -p {target} && hdfs dfs -put {' '.join(parts)} "
             f"{target}/ && hdfs dfs -ls {target} && hdfs dfs -cat {target}/part-* | "
             "awk -F, '$1 != \"order_id\" { n[$NF]++ } END { for (r in n) print r, n[r] }'"
             ).stdout
    assert len(re.findall(r"^-rw.* 3 .*/part-\d+", out, re.M)) == len(parts)   # replication 3
    counts = {}
    for line in out.splitlines():
        m = re.fullmatch(r"([A-Z-]+) (\d+)", line.strip())
        if m:
            counts[m.group(1)] = int(m.group(2))
    expected = collections.Counter()
    for part in parts:
        with open(part, newline="", encoding="utf-8") as f:
            expected.update(row["region"] for row in csv.DictReader(f))
    assert counts == dict(expected)


def test_demo_examples_wordcount_with_yarn_and_mapred_listing_it(hadoop_cluster,
                                                                generated_data, hdfs_root):
    """`hadoop jar .../hadoop-mapreduce-examples-*.jar wordcount in out`, and while it runs
    `yarn application -list` and `mapred job -list` show it; afterwards its status and
    `yarn logs -applicationId`. The counts equal Python's over the same bytes."""
    source = local_parts(os.path.join(generated_data, "customers"))
    base = f"{hdfs_root}/wordcount"
    sh(hadoop_cluster, f"hdfs dfs -mkdir -p {base}/in && hdfs dfs -put {' '.join(source)} "
                       f"{base}/in/")
    job = sh_background(hadoop_cluster, f"hadoop jar {EXAMPLES} wordcount {base}/in {base}/out")
    app = wait_for("the wordcount application to run",
                   lambda: [a["id"] for a in running_apps(hadoop_cluster)
                            if a["name"] == "word count"], timeout=180)[0]
    listed = sh(hadoop_cluster, "yarn application -list").stdout
    assert re.search(rf"{app}\s+word count\s+MAPREDUCE", listed), listed
    jobs = sh(hadoop_cluster, "mapred job -list").stdout
    job_id = app.replace("application_", "job_")
    assert job_id in jobs, jobs
    out, err = job.communicate(timeout=600)
    assert job.returncode == 0, err[-3000:]
    assert f"Job {job_id} completed successfully" in err
    status = sh(hadoop_cluster, f"yarn application -status {app}").stdout
    assert re.search(r"Final-State : SUCCEEDED", status), status
    assert "Job state: SUCCEEDED" in sh(hadoop_cluster, f"mapred job -status {job_id}").stdout

    counts = {}
    for line in sh(hadoop_cluster, f"hdfs dfs -cat {base}/out/part-r-*").stdout.splitlines():
        word, count = line.rsplit("\t", 1)
        counts[word] = int(count)
    expected = collections.Counter()
    for path in source:      # StringTokenizer's delimiters: space, \t, \n, \r, \f
        with open(path, encoding="utf-8", newline="") as f:
            expected.update(w for w in re.split(r"[ \t\n\r\f]+", f.read()) if w)
    assert counts == dict(expected)

    # the containers' logs, collected into HDFS when the application finished. Each
    # NodeManager uploads its own containers' logs on its own schedule, so with several
    # workers the tasks' logs can be there before the AM's: wait for the AM's (container 1).
    am = f"container_{app[len('application_'):]}_01_000001"
    logs = wait_for("the AM's aggregated logs", lambda: (
        lambda r: r.returncode == 0 and am in r.stdout and r.stdout)(
        sh(hadoop_cluster, f"yarn logs -applicationId {app}", check=False)),
        timeout=120, interval=2)
    assert "LogType:syslog" in logs


def test_yarn_application_kill(hadoop_cluster, hdfs_root):
    job = sh_background(hadoop_cluster, f"hadoop jar {EXAMPLES} teragen -Dmapreduce.job.maps=2 "
                                        f"50000000 {hdfs_root}/killed")
    app = wait_for("teragen to run", lambda: [a["id"] for a in running_apps(hadoop_cluster)
                                              if a["name"] == "TeraGen"], timeout=180)[0]
    result = sh(hadoop_cluster, f"yarn application -kill {app}")
    assert f"Killing application {app}" in result.stdout + result.stderr
    job.communicate(timeout=300)
    assert job.returncode != 0
    status = sh(hadoop_cluster, f"yarn application -status {app}").stdout
    assert "Final-State : KILLED" in status
