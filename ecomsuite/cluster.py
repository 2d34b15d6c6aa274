"""The suite's single-node Apache Hadoop 3 cluster, run from Maven Central's jars.

    python -m ecomsuite.cluster deps     # fetch the jars (mvn) and lay out a Hadoop home
    python -m ecomsuite.cluster up       # render the site files, format HDFS once, start, wait
    python -m ecomsuite.cluster status   # each daemon, HDFS and YARN health, the web UIs
    python -m ecomsuite.cluster down     # stop the daemons; HDFS's data stays
    python -m ecomsuite.cluster clean    # stop, then remove .run/hadoop (HDFS's data too)
    python -m ecomsuite.cluster env      # shell lines for using `hadoop` and mrjob.conf by hand

Each daemon (NameNode, DataNode, ResourceManager, NodeManager, JobHistory
server) is its own JVM, started in the background through the launcher
``hadoop/bin/hadoop`` with the classpath a Hadoop tarball would have.

Layout (both git-ignored):

  .cache/hadoop/<version>/lib/       the jars from Maven Central (hadoop/pom.xml)
  .cache/hadoop/<version>/home/      $HADOOP_HOME: share/hadoop/{common,hdfs,yarn,
                                     mapreduce,tools/lib}/ (symlinks into lib/),
                                     share/hadoop/hdfs/webapps/, bin/hadoop
  .cache/hadoop/home                 -> <version>/home (what the configuration names)
  .run/hadoop/conf/                  rendered site files + log4j.properties
  .run/hadoop/logs/                  daemon logs (<daemon>.log, <daemon>.out) and
                                     containers' logs (userlogs/<application>/)
  .run/hadoop/pids/<daemon>.pid
  .run/hadoop/data/                  NameNode metadata and DataNode blocks
  .run/hadoop/env.sh                 `. .run/hadoop/env.sh` to use it by hand
"""

import argparse
import contextlib
import dataclasses
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from ecomsuite import hadoopconf, hdfsio

ROOT = hadoopconf.ROOT
NN_RPC_PORT, NN_WEB_PORT, RM_WEB_PORT, JHS_WEB_PORT = 8020, 9870, 8088, 19888
START_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 30
JDK_MAJORS = (17, 21)                        # what Hadoop 3.5 supports at run time


class ClusterError(Exception):
    """Something the user can fix: a missing tool, a daemon that would not start."""


@dataclasses.dataclass(frozen=True)
class Daemon:
    name: str            # the launcher's command
    java_class: str      # how its process is recognised
    opts_var: str        # the environment variable the launcher reads its options from
    heap_mb: int
    title: str


DAEMONS = (
    Daemon("namenode", "org.apache.hadoop.hdfs.server.namenode.NameNode",
           "HDFS_NAMENODE_OPTS", 512, "HDFS NameNode"),
    Daemon("datanode", "org.apache.hadoop.hdfs.server.datanode.DataNode",
           "HDFS_DATANODE_OPTS", 256, "HDFS DataNode"),
    Daemon("resourcemanager", "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager",
           "YARN_RESOURCEMANAGER_OPTS", 512, "YARN ResourceManager"),
    Daemon("nodemanager", "org.apache.hadoop.yarn.server.nodemanager.NodeManager",
           "YARN_NODEMANAGER_OPTS", 384, "YARN NodeManager"),
    Daemon("historyserver", "org.apache.hadoop.mapreduce.v2.hs.JobHistoryServer",
           "MAPRED_HISTORYSERVER_OPTS", 256, "MapReduce JobHistory server"),
)
DAEMONS_BY_NAME = {d.name: d for d in DAEMONS}


def _say(*args, quiet=False):
    if not quiet:
        print(*args, flush=True)


class Layout:
    """Where everything is, for one checkout."""

    def __init__(self, root=ROOT):
        self.root = root
        self.pom = os.path.join(root, "hadoop", "pom.xml")
        self.launcher = os.path.join(root, "hadoop", "bin", "hadoop")
        self.mrjob_conf = os.path.join(root, "mrjob.conf")
        self.cache = os.path.join(root, ".cache", "hadoop")
        self.version, self.streaming_version = pom_versions(self.pom)
        self.dist = os.path.join(self.cache, self.version)
        self.lib = os.path.join(self.dist, "lib")
        self.dist_home = os.path.join(self.dist, "home")
        self.home = os.path.join(self.cache, "home")
        self.ready_marker = os.path.join(self.dist, ".complete")
        self.streaming_jar = os.path.join(self.home, "share", "hadoop", "tools", "lib",
                                          "hadoop-streaming.jar")
        self.run = os.path.join(root, ".run", "hadoop")
        self.conf = os.path.join(self.run, "conf")
        self.logs = os.path.join(self.run, "logs")
        self.pids = os.path.join(self.run, "pids")
        self.env_file = os.path.join(self.run, "env.sh")

    def placeholders(self):
        """What variables.json's local values may refer to."""
        return {"root": self.root, "cache": self.cache, "run": self.run, "home": self.home,
                "venv": venv_bin()}

    def values(self):
        return hadoopconf.local_values(self.placeholders())

    def pid_file(self, daemon):
        return os.path.join(self.pids, f"{daemon.name}.pid")

    def deps_ready(self):
        return (os.path.exists(self.ready_marker)
                and os.path.realpath(self.home) == os.path.realpath(self.dist_home))


def pom_versions(pom):
    """(hadoop.version, hadoop.streaming.version) from hadoop/pom.xml."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    props = ET.parse(pom).getroot().find("m:properties", ns)
    version = props.findtext("m:hadoop.version", namespaces=ns)
    return version, props.findtext("m:hadoop.streaming.version", default=version, namespaces=ns)


# --- Java and the jars ------------------------------------------------------

def java_major(java):
    """The major version of a `java` binary, or None if it does not run."""
    try:
        out = subprocess.run([java, "-XshowSettings:properties", "-version"],
                             capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        if "java.specification.version" in line:
            version = line.split("=", 1)[1].strip()          # "17", "21", "1.8"
            return int(version[2:] if version.startswith("1.") else version.split(".")[0])
    return None


def find_java_home():
    """A JDK Hadoop 3.5 runs on (17 first): $JAVA_HOME, the Debian JDK 17, or java on PATH."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(os.environ["JAVA_HOME"])
    candidates += sorted(glob.glob("/usr/lib/jvm/java-17-openjdk*"))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(os.path.dirname(os.path.dirname(os.path.realpath(on_path))))
    candidates += sorted(glob.glob("/usr/lib/jvm/*21*"))
    for home in candidates:
        java = os.path.join(home, "bin", "java")
        if os.access(java, os.X_OK) and java_major(java) in JDK_MAJORS:
            return home
    raise ClusterError(
        "no JDK 17 or 21 found (Hadoop 3.5 runs on those): install one with "
        "`apt-get install -y openjdk-17-jdk-headless` or set JAVA_HOME")


def _link(target, link):
    os.symlink(os.path.relpath(target, os.path.dirname(link)), link)


def _share_dir(jar_name):
    """Where a Hadoop tarball keeps a jar, relative to share/hadoop."""
    if jar_name.startswith("hadoop-streaming-"):
        return "tools/lib"
    for prefix, directory in (("hadoop-yarn-", "yarn"), ("hadoop-mapreduce-", "mapreduce"),
                              ("hadoop-hdfs", "hdfs"), ("hadoop-common-", "common"),
                              ("hadoop-registry-", "common")):
        if jar_name.startswith(prefix):
            return directory
    return "common/lib"     # third-party jars, hadoop-auth, hadoop-annotations, shaded libs


def build_home(layout):
    """Lay the fetched jars out as a Hadoop home (symlinks), like an unpacked tarball."""
    home = layout.dist_home
    shutil.rmtree(home, ignore_errors=True)
    share = os.path.join(home, "share", "hadoop")
    for sub in ("common/lib", "hdfs/lib", "yarn/lib", "mapreduce/lib", "tools/lib"):
        os.makedirs(os.path.join(share, sub))
    jars = sorted(n for n in os.listdir(layout.lib) if n.endswith(".jar"))
    for name in jars:
        _link(os.path.join(layout.lib, name), os.path.join(share, _share_dir(name), name))
    streaming = [n for n in jars if n.startswith("hadoop-streaming-")]
    if len(streaming) != 1:
        raise ClusterError(f"expected one hadoop-streaming jar in {layout.lib}, found {streaming}")
    _link(os.path.join(layout.lib, streaming[0]),
          os.path.join(share, "tools", "lib", "hadoop-streaming.jar"))
    webapps = os.path.join(layout.dist, "webapps-hdfs", "webapps")
    if not os.path.isdir(os.path.join(webapps, "hdfs")):
        raise ClusterError(f"the HDFS web UI was not unpacked into {webapps}")
    shutil.copytree(webapps, os.path.join(share, "hdfs", "webapps"))
    os.makedirs(os.path.join(home, "bin"))
    _link(layout.launcher, os.path.join(home, "bin", "hadoop"))
    tmp_link = layout.home + ".tmp"
    if os.path.lexists(tmp_link):
        os.remove(tmp_link)
    _link(home, tmp_link)
    os.replace(tmp_link, layout.home)
    return len(jars)


def fetch_deps(layout=None, quiet=False, force=False):
    """Fetch the pinned Hadoop jars with Maven and lay out the home; False if already there."""
    layout = layout or Layout()
    if layout.deps_ready() and not force:
        return False
    mvn = shutil.which("mvn")
    if not mvn:
        raise ClusterError("Maven (mvn) is not installed: `apt-get install -y maven` "
                           "(or `make hadoop-deps`, which does)")
    _say(f"Fetching Apache Hadoop {layout.version} jars with Maven into "
         f"{os.path.relpath(layout.dist, layout.root)}/ ...", quiet=quiet)
    started = time.time()
    if os.path.exists(layout.ready_marker):
        os.remove(layout.ready_marker)
    shutil.rmtree(layout.lib, ignore_errors=True)     # no stale jars from an older pom
    cmd = [mvn, "-B", "-q", "-f", layout.pom, "generate-resources",
           f"-Dhadoop.dist={layout.dist}", "-Dmaven.artifact.threads=8"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        raise ClusterError(f"Maven failed ({' '.join(cmd)}):\n{result.stdout}{result.stderr}")
    n = build_home(layout)
    with open(layout.ready_marker, "w", encoding="utf-8") as f:
        json.dump({"hadoop": layout.version, "streaming": layout.streaming_version,
                   "jars": sorted(os.listdir(layout.lib))}, f, indent=1)
    _say(f"  {n} jars in {time.time() - started:.0f} s; Hadoop home: "
         f"{os.path.relpath(layout.home, layout.root)}", quiet=quiet)
    return True


# --- processes --------------------------------------------------------------

def _read_pid(path):
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _is_daemon_process(pid, daemon):
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


def running_pid(layout, daemon):
    pid = _read_pid(layout.pid_file(daemon))
    return pid if pid and _is_daemon_process(pid, daemon) else None


def running(layout):
    """{daemon name: pid} of the daemons that are up."""
    pids = {}
    for d in DAEMONS:
        pid = running_pid(layout, d)
        if pid:
            pids[d.name] = pid
    return pids


def venv_bin():
    """The directory of the Python that runs the suite (its python3 runs the tasks)."""
    return os.path.dirname(os.path.abspath(sys.executable))


def client_env(layout=None, java_home=None, base=None):
    """Environment for `hadoop` commands, mrjob's hadoop runner and the daemons."""
    layout = layout or Layout()
    env = dict(os.environ if base is None else base)
    path = [os.path.dirname(layout.launcher), venv_bin()]
    rest = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in path]
    env.update({
        "ECOM_ROOT": layout.root,
        "JAVA_HOME": java_home or env.get("JAVA_HOME") or find_java_home(),
        "HADOOP_CONF_DIR": layout.conf,
        "PATH": os.pathsep.join(path + rest),
    })
    return env


def daemon_env(layout, java_home, daemon):
    env = client_env(layout, java_home)
    for var in ("HADOOP_OPTS", "HADOOP_CLIENT_OPTS", "HADOOP_ROOT_LOGGER", "HADOOP_CLASSPATH"):
        env.pop(var, None)
    # What containers inherit through yarn.nodemanager.env-whitelist.
    for var in ("HADOOP_HOME", "HADOOP_COMMON_HOME", "HADOOP_HDFS_HOME", "HADOOP_YARN_HOME",
                "HADOOP_MAPRED_HOME"):
        env[var] = layout.home
    log_file = f"{daemon.name}.log"
    env[daemon.opts_var] = " ".join([
        f"-Xmx{daemon.heap_mb}m", f"-Dhadoop.log.dir={layout.logs}",
        f"-Dhadoop.log.file={log_file}", f"-Dyarn.log.dir={layout.logs}",
        f"-Dyarn.log.file={log_file}", "-Dhadoop.root.logger=INFO,RFA",
        "-Dyarn.root.logger=INFO,RFA"])
    return env


def start_daemon(layout, java_home, daemon):
    """Start one daemon in the background, detached from this process; return its pid."""
    out = os.path.join(layout.logs, f"{daemon.name}.out")
    # sh backgrounds the launcher (which execs java) and exits at once, so the
    # JVM is nobody's child here: $! is the JVM's pid.
    script = 'exec "$0" "$1" </dev/null >>"$2" 2>&1 &\necho $!'
    result = subprocess.run(["/bin/sh", "-c", script, layout.launcher, daemon.name, out],
                            env=daemon_env(layout, java_home, daemon), cwd=layout.run,
                            capture_output=True, text=True, check=True,
                            start_new_session=True)
    pid = int(result.stdout.strip())
    with open(layout.pid_file(daemon), "w", encoding="ascii") as f:
        f.write(f"{pid}\n")
    return pid


def _tail(path, lines=25):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def daemon_failure(layout, daemon):
    log = os.path.join(layout.logs, f"{daemon.name}.log")
    out = os.path.join(layout.logs, f"{daemon.name}.out")
    return (f"{daemon.title} ({daemon.name}) is not running. The end of {log}:\n"
            f"{_tail(log)}\n{out}:\n{_tail(out, 10)}")


# --- health over HTTP ---------------------------------------------------------

def _get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def web_urls(values):
    return {
        "namenode": f"http://{values['namenode_host']}:{NN_WEB_PORT}",
        "resourcemanager": f"http://{values['resourcemanager_host']}:{RM_WEB_PORT}",
        "historyserver": f"http://{values['resourcemanager_host']}:{JHS_WEB_PORT}",
    }


def hdfs_health(urls):
    """{"state": "Operational"|"safeMode", "live_datanodes": n, ...} or None if unreachable."""
    try:
        data = _get_json(urls["namenode"] + "/jmx?qry=Hadoop:service=NameNode,"
                         "name=FSNamesystemState")
        bean = data["beans"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return None
    return {"state": bean.get("FSState"), "live_datanodes": bean.get("NumLiveDataNodes", 0),
            "capacity_used_bytes": bean.get("CapacityUsed"),
            "capacity_remaining_bytes": bean.get("CapacityRemaining"),
            "files_total": bean.get("FilesTotal")}


def yarn_health(urls):
    """RM cluster metrics (activeNodes, appsRunning, ...) or None if unreachable."""
    try:
        return _get_json(urls["resourcemanager"] + "/ws/v1/cluster/metrics")["clusterMetrics"]
    except (OSError, ValueError, KeyError):
        return None


def history_health(urls):
    try:
        return _get_json(urls["historyserver"] + "/ws/v1/history/info")["historyInfo"]
    except (OSError, ValueError, KeyError):
        return None


def hdfs_ready(urls):
    h = hdfs_health(urls)
    return bool(h and h["state"] == "Operational" and h["live_datanodes"] >= 1)


def yarn_ready(urls):
    m = yarn_health(urls)
    return bool(m and m.get("activeNodes", 0) >= 1)


def _listening(host, port):
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def check_ports_free(values):
    """Refuse to start next to a Hadoop this checkout did not start (another checkout's)."""
    busy = [f"{host}:{port}" for host, port in (
        (values["namenode_host"], NN_RPC_PORT), (values["namenode_host"], NN_WEB_PORT),
        (values["resourcemanager_host"], RM_WEB_PORT)) if _listening(host, port)]
    if busy:
        raise ClusterError(
            f"something already listens on {', '.join(busy)} but no daemon of this checkout "
            "runs: another Hadoop (another checkout's?) is up. Stop it there "
            "(`make cluster-down`), or use it as it is.")


def _wait(what, check, layout, daemons, deadline):
    while time.time() < deadline:
        if check():
            return
        for d in daemons:
            if not running_pid(layout, d):
                raise ClusterError(daemon_failure(layout, d))
        time.sleep(0.5)
    raise ClusterError(f"timed out waiting for {what}; logs are in {layout.logs}")


# --- commands -----------------------------------------------------------------

def render_conf(layout):
    problems = hadoopconf.check_templates()
    if problems:
        raise ClusterError("bad Hadoop templates:\n  " + "\n  ".join(problems))
    hadoopconf.render(layout.conf, layout.values())


def write_env_file(layout, java_home):
    lines = [
        "# Use this checkout's Hadoop by hand:  . .run/hadoop/env.sh",
        f"export ECOM_ROOT='{layout.root}'",
        f"export JAVA_HOME='{java_home}'",
        f"export HADOOP_CONF_DIR='{layout.conf}'",
        f"export PATH='{os.path.dirname(layout.launcher)}:{venv_bin()}':\"$PATH\"",
    ]
    with open(layout.env_file, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def format_namenode(layout, java_home, quiet=False):
    """Format HDFS unless the NameNode's metadata directory is already formatted."""
    name_dirs = layout.values()["hdfs_name_dir"].split(",")
    if all(os.path.exists(os.path.join(d.strip(), "current", "VERSION")) for d in name_dirs):
        return False
    _say("Formatting HDFS (first start) ...", quiet=quiet)
    log = os.path.join(layout.logs, "namenode-format.log")
    env = client_env(layout, java_home)
    env["HADOOP_ROOT_LOGGER"] = "WARN,console"
    with open(log, "w", encoding="utf-8") as f:
        rc = subprocess.run([layout.launcher, "namenode", "-format", "-nonInteractive",
                             "-force", "-clusterId", "ecommerce-local"],
                            env=env, stdout=f, stderr=subprocess.STDOUT).returncode
    if rc:
        raise ClusterError(f"formatting HDFS failed; see {log}:\n{_tail(log)}")
    return True


def prepare_hdfs(layout):
    """The directories every Hadoop cluster has: /tmp (sticky, world-writable) and ~user."""
    c = hdfsio.client(web_urls(layout.values())["namenode"])
    c.makedirs("/tmp", permission="1777")
    c.set_permission("/tmp", "1777")
    c.makedirs(f"/user/{hdfsio.hdfs_user()}")


def up(layout=None, quiet=False, timeout=START_TIMEOUT_SECONDS):
    """Start whatever is not running and wait until HDFS and YARN are usable.

    Returns the names of the daemons it started (empty when all were up).
    """
    layout = layout or Layout()
    fetch_deps(layout, quiet=quiet)
    values = layout.values()
    urls = web_urls(values)
    already = running(layout)
    if len(already) == len(DAEMONS):
        _say("The Hadoop cluster is already running (" +
             ", ".join(f"{n} {p}" for n, p in already.items()) + "); nothing changed.",
             quiet=quiet)
        print_addresses(urls, quiet=quiet)
        return []
    started_at = time.time()
    java_home = find_java_home()
    for directory in (layout.conf, layout.logs, layout.pids):
        os.makedirs(directory, exist_ok=True)
    if not already:
        check_ports_free(values)
        render_conf(layout)           # never under a running daemon
    write_env_file(layout, java_home)
    if "namenode" not in already:
        format_namenode(layout, java_home, quiet=quiet)
    deadline = time.time() + timeout
    started = []

    def start(names):
        for name in names:
            d = DAEMONS_BY_NAME[name]
            if name not in already:
                pid = start_daemon(layout, java_home, d)
                started.append(name)
                _say(f"  started {d.title:<28} pid {pid}", quiet=quiet)

    _say(f"Starting Apache Hadoop {layout.version} (JDK: {java_home}) ...", quiet=quiet)
    start(["namenode", "datanode", "resourcemanager", "nodemanager"])
    hdfs_daemons = [DAEMONS_BY_NAME["namenode"], DAEMONS_BY_NAME["datanode"]]
    _wait("HDFS to leave safe mode with a live DataNode", lambda: hdfs_ready(urls),
          layout, hdfs_daemons, deadline)
    prepare_hdfs(layout)
    start(["historyserver"])          # it creates its directories in HDFS at start
    _wait("the NodeManager to register with the ResourceManager", lambda: yarn_ready(urls),
          layout, [DAEMONS_BY_NAME["resourcemanager"], DAEMONS_BY_NAME["nodemanager"]],
          deadline)
    _wait("the JobHistory server", lambda: history_health(urls) is not None,
          layout, [DAEMONS_BY_NAME["historyserver"]], deadline)
    _say(f"Hadoop cluster is up in {time.time() - started_at:.1f} s.", quiet=quiet)
    print_addresses(urls, quiet=quiet)
    return started


def print_addresses(urls, quiet=False):
    _say(f"  NameNode web UI:        {urls['namenode']}/  (JMX: {urls['namenode']}/jmx)\n"
         f"  ResourceManager web UI: {urls['resourcemanager']}/  (metrics: "
         f"{urls['resourcemanager']}/ws/v1/cluster/metrics)\n"
         f"  JobHistory web UI:      {urls['historyserver']}/jobhistory", quiet=quiet)


def down(layout=None, quiet=False, names=None):
    """Stop the running daemons (all, or `names`), newest first; HDFS's data stays."""
    layout = layout or Layout()
    targets = [d for d in reversed(DAEMONS)
               if (names is None or d.name in names) and running_pid(layout, d)]
    if not targets:
        _say("No Hadoop daemon is running.", quiet=quiet)
    pids = {}
    for d in targets:
        pid = running_pid(layout, d)
        if pid:
            os.kill(pid, signal.SIGTERM)
            pids[d] = pid
    deadline = time.time() + STOP_TIMEOUT_SECONDS
    while pids and time.time() < deadline:
        pids = {d: p for d, p in pids.items() if _is_daemon_process(p, d)}
        time.sleep(0.3)
    for pid in pids.values():
        os.kill(pid, signal.SIGKILL)
    for d in targets:
        _say(f"  stopped {d.title}", quiet=quiet)
        try:
            os.remove(layout.pid_file(d))
        except OSError:
            pass
    return [d.name for d in targets]


def clean(layout=None, quiet=False):
    layout = layout or Layout()
    down(layout, quiet=quiet)
    shutil.rmtree(layout.run, ignore_errors=True)
    _say(f"Removed {layout.run} (HDFS's data, logs, configuration).", quiet=quiet)


def status(layout=None):
    """Print each daemon's state and HDFS/YARN health; 0 when all is well, else 3."""
    layout = layout or Layout()
    urls = web_urls(layout.values())
    pids = running(layout)
    print(f"Apache Hadoop {layout.version} (jars: {'ready' if layout.deps_ready() else 'not fetched'})")
    for d in DAEMONS:
        state = f"running (pid {pids[d.name]})" if d.name in pids else "stopped"
        print(f"  {d.title:<28} {state}")
    ok = len(pids) == len(DAEMONS)
    hdfs = hdfs_health(urls)
    if hdfs:
        used = (hdfs["capacity_used_bytes"] or 0) / 2**20
        print(f"  HDFS: {hdfs['state']}, {hdfs['live_datanodes']} live DataNode(s), "
              f"{hdfs['files_total']} files and directories, {used:.1f} MiB used")
        ok = ok and hdfs["state"] == "Operational" and hdfs["live_datanodes"] >= 1
    yarn = yarn_health(urls)
    if yarn:
        print(f"  YARN: {yarn.get('activeNodes', 0)} active NodeManager(s), "
              f"{yarn.get('unhealthyNodes', 0)} unhealthy, {yarn.get('appsRunning', 0)} "
              f"application(s) running, {yarn.get('availableMB', 0)} MB free of "
              f"{yarn.get('totalMB', 0)} MB")
        ok = ok and yarn.get("activeNodes", 0) >= 1
    if pids:
        print_addresses(urls)
    return 0 if ok else 3


def is_up(layout=None):
    layout = layout or Layout()
    urls = web_urls(layout.values())
    return len(running(layout)) == len(DAEMONS) and hdfs_ready(urls) and yarn_ready(urls)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ecomsuite.cluster",
                                     description="Manage the single-node Hadoop cluster.")
    parser.add_argument("command",
                        choices=("deps", "up", "status", "down", "clean", "env"))
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--force", action="store_true", help="deps: fetch again")
    args = parser.parse_args(argv)
    layout = Layout()
    try:
        if args.command == "deps":
            if not fetch_deps(layout, quiet=args.quiet, force=args.force):
                _say(f"Hadoop {layout.version} jars are already in "
                     f"{os.path.relpath(layout.dist, layout.root)}/", quiet=args.quiet)
        elif args.command == "up":
            up(layout, quiet=args.quiet)
        elif args.command == "status":
            return status(layout)
        elif args.command == "down":
            down(layout, quiet=args.quiet)
        elif args.command == "clean":
            clean(layout, quiet=args.quiet)
        elif args.command == "env":
            env = client_env(layout)
            for key in ("ECOM_ROOT", "JAVA_HOME", "HADOOP_CONF_DIR", "PATH"):
                print(f"export {key}='{env[key]}'")
    except ClusterError as e:
        print(f"cluster: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
