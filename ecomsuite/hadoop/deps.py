"""The JDK, and Apache Hadoop's jars from Maven laid out as a Hadoop home.

There is no Hadoop tarball to download here: ``mvn -f hadoop/pom.xml
generate-resources`` copies the pinned runtime jars into
``.cache/hadoop/<version>/lib`` and unpacks the HDFS web UI; :func:`build_home`
lays them out as a tarball's ``$HADOOP_HOME`` (symlinks).
"""

import glob
import json
import os
import shutil
import subprocess
import time

from ecomsuite.hadoop.paths import Layout

JDK_MAJORS = (17, 21)                        # what Hadoop 3.5 supports at run time
COMMANDS = ("hadoop", "hdfs", "yarn", "mapred")


class HadoopError(Exception):
    """Something the user can fix: a missing tool, a daemon that would not start."""


def say(*args, quiet=False):
    if not quiet:
        print(*args, flush=True)


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
    raise HadoopError(
        "no JDK 17 or 21 found (Hadoop 3.5 runs on those): install one with "
        "`apt-get install -y openjdk-17-jdk-headless` or set JAVA_HOME")


def _link(target, link):
    os.symlink(os.path.relpath(target, os.path.dirname(link)), link)


def share_dir(jar_name):
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
    """Lay the fetched jars out as a Hadoop home (symlinks), like an unpacked tarball:
    bin/{hadoop,hdfs,yarn,mapred}, etc/hadoop (-> this checkout's rendered conf),
    share/hadoop/{common,hdfs,yarn,mapreduce,tools/lib}."""
    home = layout.dist_home
    shutil.rmtree(home, ignore_errors=True)
    share = os.path.join(home, "share", "hadoop")
    for sub in ("common/lib", "hdfs/lib", "yarn/lib", "mapreduce/lib", "tools/lib"):
        os.makedirs(os.path.join(share, sub))
    jars = sorted(n for n in os.listdir(layout.lib) if n.endswith(".jar"))
    for name in jars:
        _link(os.path.join(layout.lib, name), os.path.join(share, share_dir(name), name))
    streaming = [n for n in jars if n.startswith("hadoop-streaming-")]
    if len(streaming) != 1:
        raise HadoopError(f"expected one hadoop-streaming jar in {layout.lib}, found {streaming}")
    _link(os.path.join(layout.lib, streaming[0]),
          os.path.join(share, "tools", "lib", "hadoop-streaming.jar"))
    if not any(n.startswith("hadoop-mapreduce-examples-") for n in jars):
        raise HadoopError(f"no hadoop-mapreduce-examples jar in {layout.lib}")
    webapps = os.path.join(layout.dist, "webapps-hdfs", "webapps")
    if not os.path.isdir(os.path.join(webapps, "hdfs")):
        raise HadoopError(f"the HDFS web UI was not unpacked into {webapps}")
    shutil.copytree(webapps, os.path.join(share, "hdfs", "webapps"))
    os.makedirs(os.path.join(home, "bin"))
    for command in COMMANDS:
        _link(os.path.join(layout.bin, command), os.path.join(home, "bin", command))
    os.makedirs(os.path.join(home, "etc"))
    _link(layout.conf, os.path.join(home, "etc", "hadoop"))
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
        raise HadoopError("Maven (mvn) is not installed: `apt-get install -y maven` "
                          "(or `make hadoop-deps`, which does)")
    say(f"Fetching Apache Hadoop {layout.version} jars with Maven into "
        f"{os.path.relpath(layout.dist, layout.root)}/ ...", quiet=quiet)
    started = time.time()
    if os.path.exists(layout.ready_marker):
        os.remove(layout.ready_marker)
    shutil.rmtree(layout.lib, ignore_errors=True)     # no stale jars from an older pom
    cmd = [mvn, "-B", "-q", "-f", layout.pom, "generate-resources",
           f"-Dhadoop.dist={layout.dist}", "-Dmaven.artifact.threads=8"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        raise HadoopError(f"Maven failed ({' '.join(cmd)}):\n{result.stdout}{result.stderr}")
    n = build_home(layout)
    with open(layout.ready_marker, "w", encoding="utf-8") as f:
        json.dump({"hadoop": layout.version, "streaming": layout.streaming_version,
                   "examples": layout.examples_version,
                   "jars": sorted(os.listdir(layout.lib))}, f, indent=1)
    say(f"  {n} jars in {time.time() - started:.0f} s; Hadoop home: "
        f"{os.path.relpath(layout.home, layout.root)}", quiet=quiet)
    return True
