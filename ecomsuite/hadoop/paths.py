"""Where everything of the local Hadoop cluster is, for one checkout.

  .cache/hadoop/<version>/lib/       the jars from Maven (hadoop/pom.xml)
  .cache/hadoop/<version>/home/      $HADOOP_HOME as a tarball lays it out: bin/,
                                     etc/hadoop (-> .run/hadoop/conf), share/hadoop/
                                     {common,hdfs,yarn,mapreduce,tools/lib}/ (symlinks)
  .cache/hadoop/home                 -> <version>/home (what the configuration names)
  .run/hadoop/conf/                  the master's and clients' site files
  .run/hadoop/workers/worker-N/      worker N: conf/, datanode/ (blocks), yarn/local/, tmp/
  .run/hadoop/logs/                  daemons' logs; logs/worker-N/: worker N's daemons and
                                     its containers' logs (userlogs/<application>/)
  .run/hadoop/pids/                  <daemon>[-N].pid
  .run/hadoop/data/namenode/         the NameNode's metadata
  .run/hadoop/cluster.json           how many workers the running cluster has, its overrides
  .run/hadoop/env.sh                 `. .run/hadoop/env.sh` to use the cluster by hand
"""

import json
import os
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HADOOP_DIR = os.path.join(ROOT, "hadoop")


def pom_versions(pom):
    """{"hadoop": ..., "streaming": ..., "examples": ...} from hadoop/pom.xml's properties."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    props = ET.parse(pom).getroot().find("m:properties", ns)
    version = props.findtext("m:hadoop.version", namespaces=ns)
    return {"hadoop": version,
            "streaming": props.findtext("m:hadoop.streaming.version", default=version,
                                        namespaces=ns),
            "examples": props.findtext("m:hadoop.examples.version", default=version,
                                       namespaces=ns)}


def venv_bin():
    """The directory of the Python that runs the suite (its python3 runs the tasks)."""
    return os.path.dirname(os.path.abspath(sys.executable))


def worker_name(n):
    return f"worker-{n}"


class Layout:
    """Where everything is, for one checkout."""

    def __init__(self, root=ROOT):
        self.root = root
        self.pom = os.path.join(root, "hadoop", "pom.xml")
        self.bin = os.path.join(root, "hadoop", "bin")
        self.launcher = os.path.join(self.bin, "hadoop")
        self.mrjob_conf = os.path.join(root, "mrjob.conf")
        self.templates = os.path.join(root, "hadoop", "templates")
        self.static_conf = os.path.join(root, "hadoop", "conf")
        self.cache = os.path.join(root, ".cache", "hadoop")
        versions = pom_versions(self.pom)
        self.version = versions["hadoop"]
        self.streaming_version = versions["streaming"]
        self.examples_version = versions["examples"]
        self.dist = os.path.join(self.cache, self.version)
        self.lib = os.path.join(self.dist, "lib")
        self.dist_home = os.path.join(self.dist, "home")
        self.home = os.path.join(self.cache, "home")
        self.ready_marker = os.path.join(self.dist, ".complete")
        share = os.path.join(self.home, "share", "hadoop")
        self.streaming_jar = os.path.join(share, "tools", "lib", "hadoop-streaming.jar")
        self.examples_jar = os.path.join(
            share, "mapreduce", f"hadoop-mapreduce-examples-{self.examples_version}.jar")
        self.run = os.path.join(root, ".run", "hadoop")
        self.conf = os.path.join(self.run, "conf")
        self.logs = os.path.join(self.run, "logs")
        self.pids = os.path.join(self.run, "pids")
        self.env_file = os.path.join(self.run, "env.sh")
        self.state_file = os.path.join(self.run, "cluster.json")

    def placeholders(self, worker=None):
        """What variables.json's local values may refer to (`worker`: its number, 1-based)."""
        values = {"root": self.root, "cache": self.cache, "run": self.run, "home": self.home,
                  "venv": venv_bin()}
        if worker is not None:
            values.update(worker=worker_name(worker), worker_octet=str(worker + 1),
                          worker_host=f"127.0.0.{worker + 1}")
        return values

    def worker_dir(self, n):
        return os.path.join(self.run, "workers", worker_name(n))

    def worker_conf(self, n):
        return os.path.join(self.worker_dir(n), "conf")

    def worker_logs(self, n):
        return os.path.join(self.logs, worker_name(n))

    def deps_ready(self):
        """The jars of hadoop/pom.xml's versions are fetched and laid out as the home."""
        try:
            with open(self.ready_marker, encoding="utf-8") as f:
                marker = json.load(f)
        except (OSError, ValueError):
            return False
        return ((marker.get("hadoop"), marker.get("streaming"), marker.get("examples"))
                == (self.version, self.streaming_version, self.examples_version)
                and os.path.realpath(self.home) == os.path.realpath(self.dist_home))
