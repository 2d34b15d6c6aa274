"""Faults on the 3-worker cluster, each during a running job, on data written with
replication 2 so that a third node can take the lost replicas:

- a DataNode killed: the job succeeds with the exact answer, the NameNode
  re-replicates, and `hdfs fsck /` is healthy with 0 under-replicated blocks;
- a NodeManager killed with its containers: YARN reruns the tasks on the
  others and the answer is exact;
- the NodeManager of the job's application master killed: the ResourceManager starts
  a second attempt of it elsewhere and the answer is exact;
- a NameNode restart between jobs: the data is intact, the next job succeeds.

The session's cluster has the dead-DataNode and lost-NodeManager timeouts
shortened (tests/fixtures/hadoop.py: TEST_OVERRIDES), never the templates'.
Each test prints its timings (pytest -s)."""

import io
import os
import re
import shutil
import signal
import time

import pytest

from ecomsuite.hadoop import daemons, health, ports
from jobs.mr_sales_by_region import MRSalesByRegion
from tests.canonical_inputs import to_canonical
from tests.hadoop.mr_slow_sales import SLOW_ENV
from tests.hadoop.shell import (
    am_node,
    canonical,
    local_parts,
    rm_get,
    running_apps,
    sh,
    sh_background,
    wait_for,
)

pytestmark = pytest.mark.hadoop

JOB = "jobs/mr_sales_by_region.py"
# The same job, its first map attempts slowed down: they surely run when the node dies.
SLOW_JOB = "tests/hadoop/mr_slow_sales.py"
SLOW_SECONDS = 60
# Long enough that the maps run when the application master's node is killed (they start
# beside it), short enough not to lengthen the second attempt much.
AM_TEST_SLOW_SECONDS = 30
REPLICATION = 2


@pytest.fixture(scope="module")
def fault_input(hadoop_cluster, generated_data, hdfs_root, tmp_path_factory):
    """The orders' canonical parts (what the jobs read, made by the ingest's parser), in
    HDFS with replication 2: (directory, the parts' local copies)."""
    assert hadoop_cluster.workers == 3, "the fault tests need 3 workers"
    made, _ = to_canonical(local_parts(os.path.join(generated_data, "orders")))
    folder = tmp_path_factory.mktemp("fault-parts")
    parts = []
    for i, path in enumerate(made):  # named as the tests glob them: part-*
        parts.append(os.path.join(folder, f"part-{i:05d}.parquet"))
        shutil.copyfile(path, parts[-1])
    target = f"{hdfs_root}/faults/orders"
    sh(hadoop_cluster, f"hdfs dfs -mkdir -p {target} && hdfs dfs -D dfs.replication="
                       f"{REPLICATION} -put {' '.join(parts)} {target}/")
    return target, parts


@pytest.fixture(scope="module")
def expected(fault_input):
    job = MRSalesByRegion(["-r", "inline", *fault_input[1]])
    job.sandbox(stdout=io.BytesIO())
    with job.make_runner() as runner:
        runner.run()
        return canonical(b"".join(runner.cat_output()).decode().splitlines())


def start_job(cluster, directory, job=JOB, options=""):
    """The job on YARN as a user runs it after `. .run/hadoop/env.sh`: from another
    directory, without --conf-path (mrjob finds MRJOB_CONF); (process, application id)."""
    seen = {a["id"] for a in running_apps(cluster)}
    script = os.path.join(cluster.layout.root, job)
    proc = sh_background(cluster, f"python {script} -r hadoop {options} {directory}/",
                         cwd="/tmp")
    # (streaming names it streamjob<n>.jar; the tests run one job at a time)
    app = wait_for("the job's application to run", lambda: [
        a["id"] for a in running_apps(cluster) if a["id"] not in seen], timeout=240)[0]
    return proc, app


def finish(proc, expected):
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-4000:]
    assert canonical(out.splitlines()) == expected
    return err


def block_locations(cluster, path):
    """[[transfer port of each live replica] per block] of the files under `path`."""
    out = sh(cluster, f"hdfs fsck {path} -files -blocks -locations").stdout
    return [[int(p) for p in re.findall(r"DatanodeInfoWithStorage\[[\d.]+:(\d+),", line)]
            for line in out.splitlines() if " len=" in line and "Live_repl=" in line], out


def under_replicated(fsck_output):
    return int(re.search(r"Under-replicated blocks:\s+(\d+)", fsck_output).group(1))


def under_replicated_files(cluster, path):
    """Each under-replicated block under `path`: its file (size, replication) and what
    `hdfs fsck -files -blocks -replicaDetails` says of it and of its replicas."""
    out = sh(cluster, f"hdfs fsck {path} -files -blocks -replicaDetails",
             check=False).stdout.splitlines()
    found, current = [], ""
    for i, line in enumerate(out):
        if " bytes, " in line and "block(s)" in line:
            current = line.split(" block(s)")[0]
        if "Under replicated" in line:
            found.append(f"{current}: {' | '.join(x.strip()[:400] for x in out[i:i + 2])}")
    return found


def nodes_by_host(cluster):
    return {n["nodeHostName"]: n for n in rm_get(cluster, "/ws/v1/cluster/nodes")
            ["nodes"]["node"]}


def report(name, timings):
    print(f"\n[fault timings] {name}: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))


def test_a_datanode_killed_during_a_job(hadoop_cluster, fault_input, expected):
    layout, n = hadoop_cluster.layout, hadoop_cluster.workers
    directory, _ = fault_input
    blocks, _ = block_locations(hadoop_cluster, directory)
    assert blocks and all(len(b) == REPLICATION for b in blocks)
    worker_of_port = {ports.worker_port("datanode_port", w): w for w in range(1, n + 1)}
    # the worker holding the most replicas of the input
    counts = {}
    for b in blocks:
        for port in b:
            counts[port] = counts.get(port, 0) + 1
    victim_port = max(counts, key=counts.get)
    victim = worker_of_port[victim_port]
    started = time.time()
    proc, app = start_job(hadoop_cluster, directory)
    wait_for("the job's tasks to start", lambda: sum(
        node.get("numContainers", 0) for node in nodes_by_host(hadoop_cluster).values()) >= 2,
        timeout=120)
    killed_at = time.time()
    daemons.stop(layout, [f"datanode-{victim}"], sig=signal.SIGKILL)
    finish(proc, expected)
    job_done = time.time()
    wait_for("the NameNode to declare the DataNode dead",
             lambda: (health.hdfs_health(hadoop_cluster.urls) or {}).get("dead_datanodes") == 1,
             timeout=120)
    dead_at = time.time()

    def re_replicated():
        locations, out = block_locations(hadoop_cluster, directory)
        return (under_replicated(out) == 0 and all(
            len(b) == REPLICATION and victim_port not in b for b in locations))
    wait_for("the input's blocks to have 2 live replicas again, off the dead node",
             re_replicated, timeout=180, interval=2)
    replicated_at = time.time()
    daemons.start_again(layout, f"datanode-{victim}")
    wait_for("the DataNode to rejoin", lambda: health.hdfs_ready(hadoop_cluster.urls, n),
             timeout=120)

    def healthy():
        # the input: 0 under-replicated blocks; the whole file system: healthy, none missing
        # or corrupt. (`hdfs fsck /` reaching 0 under-replicated blocks as well timed out at
        # 180 s in two runs: issue 16, open; what stays under-replicated is printed below.)
        mine = sh(hadoop_cluster, f"hdfs fsck {directory}", check=False).stdout
        whole = sh(hadoop_cluster, "hdfs fsck /", check=False).stdout
        return ("is HEALTHY" in mine and under_replicated(mine) == 0
                and "is HEALTHY" in whole and whole)
    fsck = wait_for("hdfs fsck healthy, the input with 0 under-replicated blocks", healthy,
                    timeout=180, interval=3)
    assert re.search(r"Missing blocks:\s+0", fsck) and re.search(r"Corrupt blocks:\s+0", fsck)
    healthy_at = time.time()
    try:    # and / with 0 under-replicated blocks (files written as the node died included)
        wait_for("/ with 0 under-replicated blocks", lambda: under_replicated(
            sh(hadoop_cluster, "hdfs fsck /", check=False).stdout) == 0, timeout=90, interval=3)
    except AssertionError as e:
        raise AssertionError(f"{e}; still under-replicated:\n" + "\n".join(
            under_replicated_files(hadoop_cluster, "/"))) from None
    report("DataNode killed", {
        "job (submit to exact answer)": job_done - started,
        "kill -> declared dead": dead_at - killed_at,
        "dead -> re-replicated": replicated_at - dead_at,
        "restart -> fsck healthy": healthy_at - replicated_at,
        "restart -> / at 0 under-replicated": time.time() - replicated_at})


def test_a_nodemanager_killed_with_its_containers_during_a_job(hadoop_cluster, fault_input,
                                                               expected):
    layout, n = hadoop_cluster.layout, hadoop_cluster.workers
    directory, _ = fault_input
    started = time.time()
    proc, app = start_job(hadoop_cluster, directory, SLOW_JOB,
                          f"--cmdenv {SLOW_ENV}={SLOW_SECONDS}")
    am = wait_for("the application master's node", lambda: am_node(hadoop_cluster, app))
    am_host = am.split(":")[0]

    def busy_worker():     # a node running one of the job's (slow) maps, not its AM
        for host, node in nodes_by_host(hadoop_cluster).items():
            victim = int(host.rsplit(".", 1)[1]) - 1
            if host != am_host and node.get("numContainers", 0) > 0 and \
                    daemons.container_pids(layout, victim):
                return host, victim
    host, victim = wait_for("a task on a node without the application master", busy_worker,
                            timeout=180, interval=0.3)
    containers = daemons.container_pids(layout, victim)
    killed_at = time.time()
    daemons.stop(layout, [f"nodemanager-{victim}"], sig=signal.SIGKILL)
    for pid in containers + daemons.container_pids(layout, victim):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    err = finish(proc, expected)
    job_done = time.time()
    node = wait_for("the ResourceManager to declare the NodeManager lost",
                    lambda: nodes_by_host(hadoop_cluster)[host]["state"] == "LOST" and
                    nodes_by_host(hadoop_cluster)[host], timeout=120)
    lost_at = time.time()
    assert node["state"] == "LOST"
    rerun = sum(int(m) for m in re.findall(r"(?:Killed|Failed) (?:map|reduce) tasks=(\d+)", err))
    assert containers and rerun >= 1, "no task attempt of the lost node was rerun"
    daemons.start_again(layout, f"nodemanager-{victim}")
    wait_for("the NodeManager to rejoin", lambda: health.yarn_ready(hadoop_cluster.urls, n),
             timeout=120)
    report("NodeManager killed", {
        "job (submit to exact answer)": job_done - started,
        "kill -> job done": job_done - killed_at,
        "kill -> declared lost": lost_at - killed_at,
        "task attempts rerun": rerun})


def app_attempts(cluster, app):
    return rm_get(cluster, f"/ws/v1/cluster/apps/{app}/appattempts")["appAttempts"]["appAttempt"]


def test_the_nodemanager_of_the_application_master_killed_during_a_job(
        hadoop_cluster, fault_input, expected):
    """The ResourceManager starts a second attempt of the application master on another
    node (yarn.resourcemanager.am.max-attempts and mapreduce.am.max-attempts: 2), which
    runs the job to the exact answer; the client (mrjob's `hadoop jar`) follows it."""
    layout, n = hadoop_cluster.layout, hadoop_cluster.workers
    directory, _ = fault_input
    started = time.time()
    proc, app = start_job(hadoop_cluster, directory, SLOW_JOB,
                          f"--cmdenv {SLOW_ENV}={AM_TEST_SLOW_SECONDS}")
    am_host = wait_for("the application master's node",
                       lambda: am_node(hadoop_cluster, app)).split(":")[0]
    victim = int(am_host.rsplit(".", 1)[1]) - 1
    wait_for("the job's (slow) maps to run beside its application master", lambda: sum(
        node.get("numContainers", 0) for node in nodes_by_host(hadoop_cluster).values()) >= 2,
        timeout=180, interval=0.3)
    containers = daemons.container_pids(layout, victim)
    assert containers, "no container process found on the application master's node"
    killed_at = time.time()
    daemons.stop(layout, [f"nodemanager-{victim}"], sig=signal.SIGKILL)
    for pid in containers + daemons.container_pids(layout, victim):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    attempts = wait_for("a second attempt of the application master", lambda: (
        lambda a: len(a) >= 2 and a)(app_attempts(hadoop_cluster, app)), timeout=240)
    second_at = time.time()
    finish(proc, expected)
    job_done = time.time()
    attempts = app_attempts(hadoop_cluster, app)
    assert len(attempts) == 2
    assert attempts[0]["nodeId"].split(":")[0] == am_host
    assert attempts[1]["nodeId"].split(":")[0] != am_host
    final = rm_get(hadoop_cluster, f"/ws/v1/cluster/apps/{app}")["app"]
    assert (final["state"], final["finalStatus"]) == ("FINISHED", "SUCCEEDED")
    daemons.start_again(layout, f"nodemanager-{victim}")
    wait_for("the NodeManager to rejoin", lambda: health.yarn_ready(hadoop_cluster.urls, n),
             timeout=120)
    report("NodeManager of the application master killed", {
        "job (submit to exact answer)": job_done - started,
        "kill -> second AM attempt started": second_at - killed_at,
        "second attempt -> job done": job_done - second_at})


def test_a_namenode_restart_between_jobs(hadoop_cluster, fault_input, expected):
    layout, n = hadoop_cluster.layout, hadoop_cluster.workers
    directory, parts = fault_input
    checksums = sh(hadoop_cluster, f"hdfs dfs -checksum {directory}/part-*").stdout
    assert len(checksums.splitlines()) == len(parts)
    stopped_at = time.time()
    daemons.stop(layout, ["namenode"])
    assert not health.hdfs_health(hadoop_cluster.urls)
    daemons.start_again(layout, "namenode")
    wait_for("HDFS to leave safe mode with every DataNode",
             lambda: health.hdfs_ready(hadoop_cluster.urls, n), timeout=180)
    ready_at = time.time()
    assert sh(hadoop_cluster, f"hdfs dfs -checksum {directory}/part-*").stdout == checksums
    assert "is HEALTHY" in sh(hadoop_cluster, f"hdfs fsck {directory}").stdout
    proc, _ = start_job(hadoop_cluster, directory)
    finish(proc, expected)
    report("NameNode restart", {"stop -> out of safe mode": ready_at - stopped_at,
                                "next job (submit to exact answer)": time.time() - ready_at})
