"""Starting and stopping the local cluster's daemons: up, down, clean.

The master's daemons (NameNode, ResourceManager, JobHistory server) and, per
worker N, a DataNode and a NodeManager, each its own JVM started in the
background through the launcher ``hadoop/bin/hadoop`` (as a tarball's
``sbin/*-daemon.sh`` would), with a pid file and its own logs. Worker N has
its own address (127.0.0.<N+1>, which the kernel routes to the loopback
interface), ports, directories, logs and site files (.run/hadoop/workers/).
"""

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import time

from ecomsuite.hadoop import conf, health, webhdfs
from ecomsuite.hadoop.deps import HadoopError, fetch_deps, find_java_home, say
from ecomsuite.hadoop.paths import Layout, venv_bin, worker_name

START_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 30


@dataclasses.dataclass(frozen=True)
class Daemon:
    name: str            # the launcher's command
    java_class: str      # how its process is recognised
    opts_var: str        # the environment variable the launcher reads its options from
    heap_mb: int
    title: str
    per_worker: bool = False


DAEMONS = (
    Daemon("namenode", "org.apache.hadoop.hdfs.server.namenode.NameNode",
           "HDFS_NAMENODE_OPTS", 512, "HDFS NameNode"),
    Daemon("datanode", "org.apache.hadoop.hdfs.server.datanode.DataNode",
           "HDFS_DATANODE_OPTS", 192, "HDFS DataNode", per_worker=True),
    Daemon("resourcemanager", "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager",
           "YARN_RESOURCEMANAGER_OPTS", 512, "YARN ResourceManager"),
    Daemon("nodemanager", "org.apache.hadoop.yarn.server.nodemanager.NodeManager",
           "YARN_NODEMANAGER_OPTS", 256, "YARN NodeManager", per_worker=True),
    Daemon("historyserver", "org.apache.hadoop.mapreduce.v2.hs.JobHistoryServer",
           "MAPRED_HISTORYSERVER_OPTS", 256, "MapReduce JobHistory server"),
)
DAEMONS_BY_NAME = {d.name: d for d in DAEMONS}


@dataclasses.dataclass(frozen=True)
class Instance:
    """One running (or to be run) daemon: the master's, or worker N's."""
    daemon: Daemon
    worker: int = None

    @property
    def name(self):
        return self.daemon.name if self.worker is None else f"{self.daemon.name}-{self.worker}"

    @property
    def title(self):
        return self.daemon.title + ("" if self.worker is None else f" ({worker_name(self.worker)})")

    def conf_dir(self, layout):
        return layout.conf if self.worker is None else layout.worker_conf(self.worker)

    def log_dir(self, layout):
        return layout.logs if self.worker is None else layout.worker_logs(self.worker)

    def pid_file(self, layout):
        return os.path.join(layout.pids, f"{self.name}.pid")


def instances(workers):
    """Every daemon of a cluster of `workers`, in start order."""
    out = []
    for d in DAEMONS:
        out += [Instance(d, n) for n in range(1, workers + 1)] if d.per_worker else [Instance(d)]
    return out


def instance(name):
    """"namenode" or "datanode-2" -> Instance."""
    base, _, worker = name.partition("-")
    d = DAEMONS_BY_NAME[base]
    if d.per_worker != bool(worker):
        raise KeyError(name)
    return Instance(d, int(worker) if worker else None)


# --- what runs ------------------------------------------------------------------

def read_state(layout):
    """{"workers": N, "overrides": {...}} of the last cluster started here, or None."""
    try:
        with open(layout.state_file, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def workers_of(layout):
    state = read_state(layout)
    return state["workers"] if state else 1


def master_values(layout):
    state = read_state(layout) or {}
    return conf.cluster_values(layout, state.get("workers", 1), state.get("overrides"))


def _read_pid(path):
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def is_daemon_process(pid, daemon):
    """True if `pid` is alive and is this daemon's JVM (not a reused pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().split(b"\0")
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    if state == b"Z":
        return False
    # the JVM, or the launcher script just before it execs java
    return (daemon.java_class.encode() in cmdline
            or (daemon.name.encode() in cmdline
                and any(arg.endswith(b"/hadoop/bin/hadoop") for arg in cmdline)))


def running_pid(layout, inst):
    pid = _read_pid(inst.pid_file(layout))
    return pid if pid and is_daemon_process(pid, inst.daemon) else None


def running(layout):
    """{instance name: pid} of the daemons that are up (any worker count)."""
    pids = {}
    if not os.path.isdir(layout.pids):
        return pids
    for file in sorted(os.listdir(layout.pids)):
        if not file.endswith(".pid"):
            continue
        try:
            inst = instance(file[:-4])
        except (KeyError, ValueError):
            continue
        pid = running_pid(layout, inst)
        if pid:
            pids[inst.name] = pid
    return pids


# --- environments -----------------------------------------------------------------

def client_env(layout=None, java_home=None, base=None):
    """Environment for `hadoop`/`hdfs`/`yarn`/`mapred`, mrjob's hadoop runner and the daemons."""
    layout = layout or Layout()
    env = dict(os.environ if base is None else base)
    path = [layout.bin, venv_bin()]
    rest = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in path]
    env.update({
        "ECOM_ROOT": layout.root,
        "JAVA_HOME": java_home or env.get("JAVA_HOME") or find_java_home(),
        "HADOOP_HOME": layout.home,
        "HADOOP_CONF_DIR": layout.conf,
        "MRJOB_CONF": layout.mrjob_conf,
        "PATH": os.pathsep.join(path + rest),
    })
    return env


def daemon_env(layout, java_home, inst):
    env = client_env(layout, java_home)
    env["HADOOP_CONF_DIR"] = inst.conf_dir(layout)
    for var in ("HADOOP_OPTS", "HADOOP_CLIENT_OPTS", "HADOOP_ROOT_LOGGER", "HADOOP_CLASSPATH",
                "MRJOB_CONF"):
        env.pop(var, None)
    # What containers inherit through yarn.nodemanager.env-whitelist.
    for var in ("HADOOP_COMMON_HOME", "HADOOP_HDFS_HOME", "HADOOP_YARN_HOME",
                "HADOOP_MAPRED_HOME"):
        env[var] = layout.home
    log_dir, log_file = inst.log_dir(layout), f"{inst.daemon.name}.log"
    env[inst.daemon.opts_var] = " ".join([
        f"-Xmx{inst.daemon.heap_mb}m", f"-Dhadoop.log.dir={log_dir}",
        f"-Dhadoop.log.file={log_file}", f"-Dyarn.log.dir={log_dir}",
        f"-Dyarn.log.file={log_file}", "-Dhadoop.root.logger=INFO,RFA",
        "-Dyarn.root.logger=INFO,RFA"])
    return env


def start(layout, java_home, inst):
    """Start one daemon in the background, detached from this process; return its pid."""
    log_dir = inst.log_dir(layout)
    os.makedirs(log_dir, exist_ok=True)
    os.makedirs(layout.pids, exist_ok=True)
    out = os.path.join(log_dir, f"{inst.daemon.name}.out")
    # sh backgrounds the launcher (which execs java) and exits at once, so the
    # JVM is nobody's child here: $! is the JVM's pid.
    script = 'exec "$0" "$1" </dev/null >>"$2" 2>&1 &\necho $!'
    result = subprocess.run(["/bin/sh", "-c", script, layout.launcher, inst.daemon.name, out],
                            env=daemon_env(layout, java_home, inst), cwd=layout.run,
                            capture_output=True, text=True, check=True,
                            start_new_session=True)
    pid = int(result.stdout.strip())
    with open(inst.pid_file(layout), "w", encoding="ascii") as f:
        f.write(f"{pid}\n")
    return pid


def _tail(path, lines=25):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def failure(layout, inst):
    log = os.path.join(inst.log_dir(layout), f"{inst.daemon.name}.log")
    out = os.path.join(inst.log_dir(layout), f"{inst.daemon.name}.out")
    return (f"{inst.title} ({inst.name}) is not running. The end of {log}:\n"
            f"{_tail(log)}\n{out}:\n{_tail(out, 10)}")


def _wait(what, check, layout, insts, deadline):
    while time.time() < deadline:
        if check():
            return
        for inst in insts:
            if not running_pid(layout, inst):
                raise HadoopError(failure(layout, inst))
        time.sleep(0.5)
    raise HadoopError(f"timed out waiting for {what}; logs are in {layout.logs}")


# --- commands -----------------------------------------------------------------------

def render_all(layout, workers, overrides=None):
    """The master's and clients' site files, and each worker's."""
    problems = conf.check_templates()
    if problems:
        raise HadoopError("bad Hadoop templates:\n  " + "\n  ".join(problems))
    conf.render(layout.conf, conf.cluster_values(layout, workers, overrides))
    for n in range(1, workers + 1):
        conf.render(layout.worker_conf(n), conf.cluster_values(layout, workers, overrides, n))


def write_env_file(layout, java_home):
    env = client_env(layout, java_home)
    lines = ["# Use this checkout's Hadoop by hand:  . .run/hadoop/env.sh"]
    lines += [f"export {key}='{env[key]}'" for key in
              ("ECOM_ROOT", "JAVA_HOME", "HADOOP_HOME", "HADOOP_CONF_DIR", "MRJOB_CONF")]
    lines.append(f"export PATH='{layout.bin}:{venv_bin()}':\"$PATH\"")
    with open(layout.env_file, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def format_namenode(layout, java_home, quiet=False):
    """Format HDFS unless the NameNode's metadata directory is already formatted."""
    name_dirs = master_values(layout)["hdfs_name_dir"].split(",")
    if all(os.path.exists(os.path.join(d.strip(), "current", "VERSION")) for d in name_dirs):
        return False
    say("Formatting HDFS (first start) ...", quiet=quiet)
    log = os.path.join(layout.logs, "namenode-format.log")
    env = client_env(layout, java_home)
    env["HADOOP_ROOT_LOGGER"] = "WARN,console"
    with open(log, "w", encoding="utf-8") as f:
        rc = subprocess.run([layout.launcher, "namenode", "-format", "-nonInteractive",
                             "-force", "-clusterId", "ecommerce-local"],
                            env=env, stdout=f, stderr=subprocess.STDOUT).returncode
    if rc:
        raise HadoopError(f"formatting HDFS failed; see {log}:\n{_tail(log)}")
    return True


def prepare_hdfs(urls):
    """The directories every Hadoop cluster has: /tmp (sticky, world-writable) and ~user."""
    c = webhdfs.client(urls["namenode"])
    c.makedirs("/tmp", permission="1777")
    c.set_permission("/tmp", "1777")
    c.makedirs(f"/user/{webhdfs.hdfs_user()}")


def up(layout=None, workers=None, overrides=None, quiet=False,
       timeout=START_TIMEOUT_SECONDS):
    """Start whatever is not running and wait until HDFS and YARN are usable.

    `workers`: None keeps the last cluster's count (1 the first time).
    `overrides`: {variable: value} over variables.json's local values (tests only);
    with neither given, the last cluster's shape is kept.
    Returns the names of the daemons it started (empty when all were up)."""
    layout = layout or Layout()
    fetch_deps(layout, quiet=quiet)
    state = read_state(layout)
    already = running(layout)
    if workers is None and overrides is None and state:
        wanted = {"workers": state["workers"], "overrides": state.get("overrides", {})}
    else:
        wanted = {"workers": workers or (state["workers"] if state else 1),
                  "overrides": dict(overrides or {})}
    if already and state and (state["workers"], state.get("overrides", {})) != \
            (wanted["workers"], wanted["overrides"]):
        raise HadoopError(
            f"the cluster runs with {state['workers']} worker(s)"
            + (f" and {state['overrides']}" if state.get("overrides") else "")
            + f", not {wanted['workers']}"
            + (f" and {wanted['overrides']}" if wanted["overrides"] else "")
            + ": stop it first (`make cluster-down`)")
    all_insts = instances(wanted["workers"])
    values = conf.cluster_values(layout, wanted["workers"], wanted["overrides"])
    urls = health.web_urls(values)
    if all(i.name in already for i in all_insts):
        say(f"The Hadoop cluster is already running ({len(all_insts)} daemons, "
            f"{wanted['workers']} worker(s)); nothing changed.", quiet=quiet)
        print_addresses(urls, quiet=quiet)
        return []
    started_at = time.time()
    java_home = find_java_home()
    for directory in (layout.conf, layout.logs, layout.pids):
        os.makedirs(directory, exist_ok=True)
    if not already:
        busy = health.busy_master_ports(values)
        if busy:
            raise HadoopError(
                f"something already listens on {', '.join(busy)} but no daemon of this "
                "checkout runs: another Hadoop (another checkout's?) is up. Stop it there "
                "(`make cluster-down`), or use it as it is.")
        render_all(layout, wanted["workers"], wanted["overrides"])   # never under a daemon
        with open(layout.state_file, "w", encoding="utf-8") as f:
            json.dump(wanted, f)
    write_env_file(layout, java_home)
    if "namenode" not in already:
        format_namenode(layout, java_home, quiet=quiet)
    deadline = time.time() + timeout
    started = []

    def launch(daemon_names):
        for inst in all_insts:
            if inst.daemon.name in daemon_names and inst.name not in already:
                pid = start(layout, java_home, inst)
                started.append(inst.name)
                say(f"  started {inst.title:<40} pid {pid}", quiet=quiet)

    def of(*names):
        return [i for i in all_insts if i.daemon.name in names]

    n = wanted["workers"]
    say(f"Starting Apache Hadoop {layout.version} with {n} worker(s) (JDK: {java_home}) ...",
        quiet=quiet)
    launch(["namenode", "datanode", "resourcemanager", "nodemanager"])
    _wait(f"HDFS to leave safe mode with {n} live DataNode(s)",
          lambda: health.hdfs_ready(urls, n), layout, of("namenode", "datanode"), deadline)
    prepare_hdfs(urls)
    launch(["historyserver"])          # it creates its directories in HDFS at start
    _wait(f"{n} NodeManager(s) to register with the ResourceManager",
          lambda: health.yarn_ready(urls, n), layout, of("resourcemanager", "nodemanager"),
          deadline)
    _wait("the JobHistory server", lambda: health.history_health(urls) is not None,
          layout, of("historyserver"), deadline)
    say(f"Hadoop cluster is up in {time.time() - started_at:.1f} s.", quiet=quiet)
    print_addresses(urls, quiet=quiet)
    return started


def print_addresses(urls, quiet=False):
    say(f"  NameNode web UI:        {urls['namenode']}/  (JMX: {urls['namenode']}/jmx)\n"
        f"  ResourceManager web UI: {urls['resourcemanager']}/  (metrics: "
        f"{urls['resourcemanager']}/ws/v1/cluster/metrics)\n"
        f"  JobHistory web UI:      {urls['historyserver']}/jobhistory\n"
        f"  Use it by hand:         . .run/hadoop/env.sh", quiet=quiet)


def stop(layout, names, sig=signal.SIGTERM, timeout=STOP_TIMEOUT_SECONDS):
    """Signal the named daemons and wait until they are gone (SIGKILL after `timeout`)."""
    pids = {}
    for name in names:
        inst = instance(name)
        pid = running_pid(layout, inst)
        if pid:
            os.kill(pid, sig)
            pids[inst] = pid
    deadline = time.time() + timeout
    while pids and time.time() < deadline:
        pids = {i: p for i, p in pids.items() if is_daemon_process(p, i.daemon)}
        time.sleep(0.2)
    for pid in pids.values():
        os.kill(pid, signal.SIGKILL)
    for name in names:
        try:
            os.remove(instance(name).pid_file(layout))
        except OSError:
            pass


def down(layout=None, quiet=False, names=None):
    """Stop the running daemons (all, or `names`), newest first; HDFS's data stays."""
    layout = layout or Layout()
    up_now = running(layout)
    order = [i.name for i in reversed(instances(max(workers_of(layout), 1)))]
    order += [n for n in up_now if n not in order]
    targets = [n for n in order if n in up_now and (names is None or n in names)]
    if not targets:
        say("No Hadoop daemon is running.", quiet=quiet)
    stop(layout, targets)
    for name in targets:
        say(f"  stopped {instance(name).title}", quiet=quiet)
    return targets


def clean(layout=None, quiet=False):
    layout = layout or Layout()
    down(layout, quiet=quiet)
    shutil.rmtree(layout.run, ignore_errors=True)
    say(f"Removed {layout.run} (HDFS's data, logs, configuration).", quiet=quiet)


def start_again(layout, name):
    """Start one stopped daemon of the running cluster (a fault test's restart)."""
    return start(layout, find_java_home(), instance(name))


def container_pids(layout, worker):
    """Processes running in worker N's containers (their working directory is under its
    yarn local directory): the task JVMs, the application master, the tasks' Python."""
    local = os.path.realpath(conf.cluster_values(layout, workers_of(layout),
                                                 worker=worker)["yarn_local_dirs"])
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                continue
            if cwd.startswith(local + os.sep):
                pids.append(int(entry))
    return pids


def is_up(layout=None):
    layout = layout or Layout()
    n = workers_of(layout)
    urls = health.web_urls(master_values(layout))
    return (all(i.name in running(layout) for i in instances(n))
            and health.hdfs_ready(urls, n) and health.yarn_ready(urls, n))
