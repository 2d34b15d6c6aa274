"""python -m ecomsuite.hadoop: manage the local Apache Hadoop cluster."""

import argparse
import os
import sys

from ecomsuite.hadoop import conf, daemons, health
from ecomsuite.hadoop.deps import HadoopError, fetch_deps, say
from ecomsuite.hadoop.paths import Layout, worker_name

COMMANDS = {
    "deps": "fetch the pinned jars with Maven and lay out $HADOOP_HOME",
    "up": "render the site files, format HDFS once, start every daemon, wait until usable",
    "status": "each daemon and worker, HDFS and YARN health, the web UIs (exit 3 if unwell)",
    "down": "stop the daemons; HDFS's data stays",
    "clean": "stop, then remove .run/hadoop (HDFS's data too)",
    "env": "the shell lines of .run/hadoop/env.sh (hadoop, hdfs, yarn, mapred, mrjob)",
}


def status(layout):
    """Print each daemon's state, every worker, HDFS/YARN health; 0 when all is well, else 3."""
    n = daemons.workers_of(layout)
    values = daemons.master_values(layout)
    urls = health.web_urls(values)
    pids = daemons.running(layout)
    print(f"Apache Hadoop {layout.version} (jars: "
          f"{'ready' if layout.deps_ready() else 'not fetched'}), {n} worker(s)")
    insts = daemons.instances(n)
    for inst in insts:
        if inst.worker is None:
            state = f"running (pid {pids[inst.name]})" if inst.name in pids else "stopped"
            print(f"  {inst.title:<30} {state}")
    ok = all(i.name in pids for i in insts)
    live = {info.get("xferaddr", "").rsplit(":", 1)[-1]: info
            for info in health.datanodes(urls).values()}
    nodes = {node.get("nodeHostName"): node for node in health.nodemanagers(urls)}
    for w in range(1, n + 1):
        wv = conf.cluster_values(layout, n, worker=w)
        dn = live.get(wv["datanode_port"])
        nm = nodes.get(wv["node_host"])
        parts = []
        for daemon, seen in (("datanode", "live" if dn else "not live"),
                             ("nodemanager", nm.get("state", "?") if nm else "not registered")):
            name = f"{daemon}-{w}"
            parts.append(f"{daemon} {'pid ' + str(pids[name]) if name in pids else 'stopped'}"
                         f" ({seen})")
        print(f"  {worker_name(w)} {wv['node_host']:<10} {', '.join(parts)}; "
              f"data :{wv['datanode_port']}, web :{wv['nodemanager_http_port']}")
        ok = ok and bool(dn) and bool(nm) and nm.get("state") == "RUNNING"
    hdfs = health.hdfs_health(urls)
    if hdfs:
        used = (hdfs["capacity_used_bytes"] or 0) / 2**20
        print(f"  HDFS: {hdfs['state']}, {hdfs['live_datanodes']} live DataNode(s), "
              f"{hdfs['dead_datanodes']} dead, {hdfs['under_replicated_blocks']} under-replicated "
              f"block(s), replication {values['dfs_replication']}, {hdfs['files_total']} files "
              f"and directories, {used:.1f} MiB used")
        ok = ok and hdfs["state"] == "Operational" and hdfs["live_datanodes"] >= n
    yarn = health.yarn_health(urls)
    if yarn:
        print(f"  YARN: {yarn.get('activeNodes', 0)} active NodeManager(s), "
              f"{yarn.get('unhealthyNodes', 0)} unhealthy, {yarn.get('lostNodes', 0)} lost, "
              f"{yarn.get('appsRunning', 0)} application(s) running, "
              f"{yarn.get('availableMB', 0)} MB free of {yarn.get('totalMB', 0)} MB")
        ok = ok and yarn.get("activeNodes", 0) >= n
    if pids:
        daemons.print_addresses(urls)
    return 0 if ok else 3


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m ecomsuite.hadoop",
        description="Manage the local Apache Hadoop cluster (HDFS, YARN, JobHistory).",
        epilog="\n".join(f"  {c:<7} {h}" for c, h in COMMANDS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=tuple(COMMANDS))
    parser.add_argument("--workers", type=int, metavar="N",
                        help=f"up: DataNodes and NodeManagers to run (1-{conf.MAX_WORKERS}; "
                             "default: as last time, else 1)")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--force", action="store_true", help="deps: fetch again")
    args = parser.parse_args(argv)
    if args.workers is not None and not 1 <= args.workers <= conf.MAX_WORKERS:
        parser.error(f"--workers must be 1-{conf.MAX_WORKERS}")
    layout = Layout()
    try:
        if args.command == "deps":
            if not fetch_deps(layout, quiet=args.quiet, force=args.force):
                say(f"Hadoop {layout.version} jars are already in "
                    f"{os.path.relpath(layout.dist, layout.root)}/", quiet=args.quiet)
        elif args.command == "up":
            daemons.up(layout, workers=args.workers, quiet=args.quiet)
        elif args.command == "status":
            return status(layout)
        elif args.command == "down":
            daemons.down(layout, quiet=args.quiet)
        elif args.command == "clean":
            daemons.clean(layout, quiet=args.quiet)
        elif args.command == "env":
            env = daemons.client_env(layout)
            for key in ("ECOM_ROOT", "JAVA_HOME", "HADOOP_HOME", "HADOOP_CONF_DIR",
                        "MRJOB_CONF", "PATH"):
                print(f"export {key}='{env[key]}'")
    except HadoopError as e:
        print(f"hadoop: {e}", file=sys.stderr)
        return 1
    return 0
