"""The local cluster itself: daemons and workers, web endpoints, idempotent start, the
`hadoop` launcher as mrjob uses it, and the templates shared with Terraform."""

import json
import os
import re
import string
import subprocess
import sys
import urllib.request

import pytest
import yaml
from mrjob.fs.hadoop import HadoopFilesystem

from ecomsuite import config
from ecomsuite.hadoop import conf, daemons, ports, webhdfs
from ecomsuite.hadoop.paths import Layout

pytestmark = pytest.mark.hadoop

# The names the Terraform module renders the templates with (agreed; only additions allowed).
AGREED_VARIABLES = {
    "namenode_host", "resourcemanager_host", "bind_host", "hadoop_tmp_dir", "hdfs_name_dir",
    "hdfs_data_dir", "dfs_replication", "yarn_local_dirs", "yarn_log_dirs",
    "nodemanager_memory_mb", "nodemanager_vcores", "container_max_mb", "map_memory_mb",
    "reduce_memory_mb", "am_memory_mb", "hadoop_home"}


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def test_all_daemons_run_and_their_web_endpoints_answer(hadoop_cluster):
    urls, n = hadoop_cluster.urls, hadoop_cluster.workers
    assert set(daemons.running(hadoop_cluster.layout)) == \
        {i.name for i in daemons.instances(n)}
    info = get_json(urls["namenode"] + "/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo")
    assert info["beans"][0]["Version"].startswith(hadoop_cluster.layout.version)
    state = get_json(urls["namenode"] + "/jmx?qry=Hadoop:service=NameNode,"
                                        "name=FSNamesystemState")["beans"][0]
    assert state["FSState"] == "Operational" and state["NumLiveDataNodes"] == n
    metrics = get_json(urls["resourcemanager"] + "/ws/v1/cluster/metrics")["clusterMetrics"]
    assert metrics["activeNodes"] == n and metrics["unhealthyNodes"] == 0
    assert metrics["totalMB"] == n * int(hadoop_cluster.values["nodemanager_memory_mb"])
    with urllib.request.urlopen(urls["namenode"] + "/dfshealth.html", timeout=10) as r:
        assert b"dfshealth.js" in r.read()          # the web UI (webapps/hdfs) is served
    assert get_json(urls["historyserver"] + "/ws/v1/history/info")["historyInfo"]


def listening_sockets(pids):
    """{(address, port)} of the TCP sockets `pids` listen on (from /proc, no tools)."""
    inodes = set()
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in open(table).read().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:            # 0A: LISTEN
                address, port = local.split(":")
                if len(address) == 8:                       # IPv4, little-endian hex
                    ip = ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))
                else:
                    ip = "::" if set(address) == {"0"} else address
                found.add((ip, int(port, 16)))
    return found


def test_every_port_listens_on_its_own_address(hadoop_cluster):
    """The master's listeners are on 127.0.0.1, worker N's on 127.0.0.<N+1> with its
    own ports (Hadoop has no bind setting for the shuffle server: every address)."""
    layout, n = hadoop_cluster.layout, hadoop_cluster.workers
    pids = daemons.running(layout)
    master = listening_sockets([pids[name] for name in
                                ("namenode", "resourcemanager", "historyserver")])
    assert {("127.0.0.1", 8020), ("127.0.0.1", 9870), ("127.0.0.1", 8088),
            ("127.0.0.1", 19888)} <= master
    assert {s for s in master if s[0] != "127.0.0.1"} == set()
    seen_ports = set()
    for w in range(1, n + 1):
        values = conf.cluster_values(layout, n, worker=w)
        host = values["node_host"]
        assert host == f"127.0.0.{w + 1}"
        sockets = listening_sockets([pids[f"datanode-{w}"], pids[f"nodemanager-{w}"]])
        expected = {(host, int(values[p])) for p in ("datanode_port", "datanode_http_port",
                                                     "datanode_ipc_port", "nodemanager_port",
                                                     "nodemanager_http_port")}
        assert expected <= sockets, w
        shuffle = ("0.0.0.0", int(values["shuffle_port"]))
        assert shuffle in sockets
        # besides: the DataNode's internal Jetty, behind its web server, on localhost:0
        others = {s for s in sockets if s[0] != host} - {shuffle}
        assert all(ip == "127.0.0.1" and port >= 32768 for ip, port in others), others
        ports = {p for _, p in sockets}
        assert not ports & seen_ports          # no two workers share a port
        seen_ports |= ports


def test_cluster_up_again_says_so_and_changes_nothing(hadoop_cluster):
    layout = hadoop_cluster.layout
    before = daemons.running(layout)
    conf = os.path.join(layout.conf, "yarn-site.xml")
    mtime = os.stat(conf).st_mtime_ns
    result = subprocess.run([sys.executable, "-m", "ecomsuite.hadoop", "up"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stdout and "nothing changed" in result.stdout
    assert "http://127.0.0.1:9870" in result.stdout and "http://127.0.0.1:8088" in result.stdout
    assert daemons.running(layout) == before
    assert os.stat(conf).st_mtime_ns == mtime


def test_status_reports_a_healthy_cluster(hadoop_cluster):
    n = hadoop_cluster.workers
    result = subprocess.run([sys.executable, "-m", "ecomsuite.hadoop", "status"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"HDFS: Operational, {n} live DataNode(s), 0 dead" in result.stdout
    assert f"YARN: {n} active NodeManager(s), 0 unhealthy" in result.stdout
    for w in range(1, n + 1):                  # every worker, with both its daemons
        assert re.search(rf"worker-{w} 127\.0\.0\.{w + 1} +datanode pid \d+ \(live\), "
                         rf"nodemanager pid \d+ \(RUNNING\)", result.stdout), result.stdout


def test_hadoop_launcher_speaks_what_mrjob_parses(hadoop_cluster, hdfs_root, hdfs_client):
    """mrjob's own HadoopFilesystem over hadoop/bin/hadoop: version, ls, exists, cat, rm."""
    fs = HadoopFilesystem(["hadoop"])
    assert fs.get_hadoop_version() == hadoop_cluster.layout.version
    directory = f"{hdfs_root}/launcher"
    webhdfs.write_bytes(hdfs_client, f"{directory}/a/part-00000", b"x\ty\n")
    webhdfs.write_bytes(hdfs_client, f"{directory}/b.txt", b"hello\n")
    assert sorted(fs.ls(directory)) == [f"{directory}/a/part-00000", f"{directory}/b.txt"]
    assert fs.exists(f"{directory}/b.txt") and not fs.exists(f"{directory}/nope")
    assert b"".join(fs.cat(f"{directory}/b.txt")) == b"hello\n"
    fs.rm(directory)
    assert not webhdfs.exists(hdfs_client, directory)
    jar = subprocess.run(["hadoop", "jar", hadoop_cluster.layout.streaming_jar, "-info"],
                         capture_output=True, text=True, timeout=120)
    assert "-mapper" in jar.stdout + jar.stderr


def test_templates_use_only_plain_interpolation_of_declared_variables():
    variables = conf.load_variables()
    assert conf.check_templates(variables) == []
    assert AGREED_VARIABLES <= set(variables)
    for site_file in conf.SITE_FILES:
        text = open(conf.template_path(site_file), encoding="utf-8").read()
        assert "%{" not in text and "$$" not in text
        assert all(m == "${" for m in re.findall(r"\$.?", text))
        # string.Template and Terraform's templatefile agree: nothing else is special
        values = {name: f"<{name}>" for name in variables}
        rendered = string.Template(text).substitute(values)
        assert rendered == re.sub(r"\$\{(\w+)\}", lambda m: f"<{m.group(1)}>", text)


def test_template_checker_rejects_directives_escapes_and_bare_dollars():
    for bad in ("%{ if x }a%{ endif }", "$${escaped}", "$HADOOP_MAPRED_HOME/share", "${a.b}"):
        with pytest.raises(conf.TemplateError):
            conf.template_names(bad)
    assert conf.template_names("${a}:${b_c}") == {"a", "b_c"}


def test_rendered_site_files_have_this_machines_values(hadoop_cluster):
    layout = hadoop_cluster.layout
    for site_file in conf.SITE_FILES:
        text = open(os.path.join(layout.conf, site_file), encoding="utf-8").read()
        assert "${" not in text and "{root}" not in text
    mapred = open(os.path.join(layout.conf, "mapred-site.xml"), encoding="utf-8").read()
    assert f"HADOOP_MAPRED_HOME={layout.home}" in mapred
    assert "<name>mapreduce.fileoutputcommitter.algorithm.version</name>" in mapred


def test_mrjob_conf_points_at_the_cache_and_the_job_env(hadoop_cluster):
    conf = yaml.safe_load(open(hadoop_cluster.layout.mrjob_conf))["runners"]["hadoop"]
    assert conf["cmdenv"] == config.JOB_ENV
    env = hadoop_cluster.env
    jar = conf["hadoop_streaming_jar"].replace("$ECOM_ROOT", env["ECOM_ROOT"])
    assert os.path.isfile(jar)
    assert os.path.realpath(jar).endswith(f"hadoop-streaming-{hadoop_cluster.layout.streaming_version}.jar")
    assert conf["hadoop_bin"] == "hadoop" and conf["python_bin"] == "python3"
    # the tasks' python3 is the virtualenv's, where the suite is installed: nothing shipped
    assert "py_files" not in conf and conf["bootstrap_mrjob"] is False


def test_each_worker_has_its_own_address_ports_and_directories():
    """From the one table: N workers, each with its own values; replication min(N, 3);
    no port used twice on the machine; the fault timeouts are Hadoop's in the table."""
    layout = Layout()
    variables = conf.load_variables()
    port_names = [name for name in variables if name.endswith("_port")]
    assert set(ports.WORKER_PORTS) < set(port_names)
    for n in (1, 2, 3, conf.MAX_WORKERS):
        master = conf.cluster_values(layout, n)
        assert master["dfs_replication"] == str(min(n, 3))
        workers = [conf.cluster_values(layout, n, worker=w) for w in range(1, n + 1)]
        for name in ("node_host", "bind_host", "hdfs_data_dir", "yarn_local_dirs",
                     "yarn_log_dirs", "hadoop_tmp_dir", *ports.WORKER_PORTS):
            assert len({v[name] for v in workers}) == n, name
        used = [int(master[p]) for p in port_names if p not in ports.WORKER_PORTS]
        used += [int(v[p]) for v in workers for p in ports.WORKER_PORTS]
        assert len(used) == len(set(used))
        assert [v["node_host"] for v in workers] == [f"127.0.0.{w + 1}" for w in range(1, n + 1)]
    with pytest.raises(ValueError):
        conf.cluster_values(layout, conf.MAX_WORKERS + 1)
    assert {name: variables[name]["local"] for name in (
        "namenode_heartbeat_recheck_ms", "datanode_heartbeat_seconds", "nodemanager_expiry_ms")} \
        == {"namenode_heartbeat_recheck_ms": 300000, "datanode_heartbeat_seconds": 3,
            "nodemanager_expiry_ms": 600000}
