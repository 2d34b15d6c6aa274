"""HDFS and YARN health from the NameNode's /jmx servlet and the ResourceManager's REST API.

Metric names are the ones Grafana's apache-hadoop mixin queries (the JMX
exporter's convention: ``hadoop_<service>_<attribute lowercased>`` with the
MBean's ``name`` as a label), so the mixin's dashboards and alerts work on
this exporter too. That is why these families carry Hadoop's own units (bytes
for capacities, MB where the attribute name ends in ``mb``/``m``) and no
``ecommerce_`` prefix; docs/monitoring.md lists the mapping.
"""

import json
import urllib.request

from prometheus_client.core import GaugeMetricFamily

NAMENODE_BEANS = {
    # bean name: ((JMX attribute, help), ...)
    "FSNamesystem": (
        ("CapacityTotal", "HDFS raw capacity of all DataNodes, bytes."),
        ("CapacityUsed", "HDFS capacity used by HDFS data, bytes."),
        ("CapacityRemaining", "HDFS capacity left for HDFS data, bytes."),
        ("NumLiveDataNodes", "DataNodes the NameNode considers live."),
        ("NumDeadDataNodes", "DataNodes the NameNode considers dead."),
        ("UnderReplicatedBlocks", "Blocks with fewer replicas than their replication factor."),
        ("MissingBlocks", "Blocks with no live replica (data loss unless a DataNode comes back)."),
        ("CorruptBlocks", "Blocks with corrupt replicas."),
        ("BlocksTotal", "Blocks in HDFS."),
        ("FilesTotal", "Files and directories in HDFS."),
        ("VolumeFailuresTotal", "Failed volumes over all DataNodes."),
    ),
    "FSNamesystemState": (
        ("NumStaleDataNodes", "DataNodes that missed heartbeats for a while (not yet dead)."),
    ),
    "JvmMetrics": (
        ("MemHeapUsedM", "NameNode JVM heap used, MB."),
        ("MemHeapCommittedM", "NameNode JVM heap committed, MB."),
        ("MemHeapMaxM", "NameNode JVM maximum heap, MB."),
    ),
}

# /ws/v1/cluster/metrics field -> (mixin metric suffix, MBean the JMX exporter takes it from, help)
RESOURCEMANAGER_FIELDS = (
    ("activeNodes", "numactivenms", "ClusterMetrics", "NodeManagers that are active."),
    ("lostNodes", "numlostnms", "ClusterMetrics", "NodeManagers lost (no heartbeat)."),
    ("unhealthyNodes", "numunhealthynms", "ClusterMetrics", "NodeManagers reporting unhealthy (e.g. disks full)."),
    ("decommissionedNodes", "numdecommissionednms", "ClusterMetrics", "NodeManagers decommissioned."),
    ("rebootedNodes", "numrebootednms", "ClusterMetrics", "NodeManagers rebooted."),
    ("shutdownNodes", "numshutdownnms", "ClusterMetrics", "NodeManagers shut down."),
    ("appsRunning", "appsrunning", "QueueMetrics", "Applications running."),
    ("appsPending", "appspending", "QueueMetrics", "Applications waiting for resources."),
    ("appsCompleted", "appscompleted", "QueueMetrics", "Applications completed since the ResourceManager started."),
    ("appsFailed", "appsfailed", "QueueMetrics", "Applications failed since the ResourceManager started."),
    ("appsKilled", "appskilled", "QueueMetrics", "Applications killed since the ResourceManager started."),
    ("appsSubmitted", "appssubmitted", "QueueMetrics", "Applications submitted since the ResourceManager started."),
    ("allocatedMB", "allocatedmb", "QueueMetrics", "Memory allocated to containers, MB."),
    ("availableMB", "availablemb", "QueueMetrics", "Memory available for containers, MB."),
    ("allocatedVirtualCores", "allocatedvcores", "QueueMetrics", "Virtual cores allocated to containers."),
    ("availableVirtualCores", "availablevcores", "QueueMetrics", "Virtual cores available for containers."),
)


class SourceError(Exception):
    """The source answered, but not with what the exporter needs."""


def fetch_json(url, timeout):
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    try:
        return json.loads(body)
    except ValueError as e:
        raise SourceError(f"{url}: not JSON ({e})") from e


def _number(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SourceError(f"{where}: expected a number, got {value!r}")
    return float(value)


def namenode_metric_name(attribute):
    return "hadoop_namenode_" + attribute.lower()


def resourcemanager_metric_name(suffix):
    return "hadoop_resourcemanager_" + suffix


FAMILY_NAMES = frozenset(
    {namenode_metric_name(attr) for attrs in NAMENODE_BEANS.values() for attr, _ in attrs}
    | {resourcemanager_metric_name(suffix) for _, suffix, _, _ in RESOURCEMANAGER_FIELDS})


def family(name):
    """`name`, checked to be one of the families above (for the dashboards and the rules)."""
    if name not in FAMILY_NAMES:
        raise KeyError(f"{name}: not a family of exporters/hadoop.py")
    return name


class NameNodeCollector:
    """HDFS health from ``<namenode>/jmx?qry=Hadoop:service=NameNode,name=<bean>``.

    Exposition (abridged)::

        hadoop_namenode_capacitytotal{name="FSNamesystem"} 5.2e+10
        hadoop_namenode_numdeaddatanodes{name="FSNamesystem"} 0.0
        hadoop_namenode_numstaledatanodes{name="FSNamesystemState"} 0.0
        hadoop_namenode_memheapusedm{name="JvmMetrics"} 112.3

    Raises (the exporter reports the source down) when the NameNode cannot be
    reached or a bean or attribute is missing.
    """

    source = "namenode"

    def __init__(self, url, timeout=3.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def bean(self, name):
        query = f"{self.url}/jmx?qry=Hadoop:service=NameNode,name={name}"
        beans = fetch_json(query, self.timeout).get("beans") or []
        if not beans or not isinstance(beans[0], dict):
            raise SourceError(f"{query}: no such bean")
        return beans[0]

    def collect(self):
        families = []
        for bean_name, attributes in NAMENODE_BEANS.items():
            bean = self.bean(bean_name)
            for attribute, help_ in attributes:
                fam = GaugeMetricFamily(namenode_metric_name(attribute),
                                        f"{help_} (NameNode JMX {bean_name}.{attribute})",
                                        labels=["name"])
                fam.add_metric([bean_name], _number(bean.get(attribute), f"{bean_name}.{attribute}"))
                families.append(fam)
        yield from families


class ResourceManagerCollector:
    """YARN health from ``<resourcemanager>/ws/v1/cluster/metrics``.

    Exposition (abridged)::

        hadoop_resourcemanager_numactivenms{name="ClusterMetrics"} 1.0
        hadoop_resourcemanager_appsfailed{name="QueueMetrics",q0="root"} 0.0
        hadoop_resourcemanager_availablemb{name="QueueMetrics",q0="root"} 8192.0

    The REST totals are the cluster's, which is the root queue's: so the
    queue families carry q0="root" like the JMX exporter's root-queue series.
    """

    source = "resourcemanager"

    def __init__(self, url, timeout=3.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def collect(self):
        url = f"{self.url}/ws/v1/cluster/metrics"
        metrics = fetch_json(url, self.timeout).get("clusterMetrics")
        if not isinstance(metrics, dict):
            raise SourceError(f"{url}: no clusterMetrics object")
        families = []
        for field_name, suffix, bean, help_ in RESOURCEMANAGER_FIELDS:
            labels = {"name": bean} | ({"q0": "root"} if bean == "QueueMetrics" else {})
            fam = GaugeMetricFamily(resourcemanager_metric_name(suffix),
                                    f"{help_} (ResourceManager REST clusterMetrics.{field_name})",
                                    labels=list(labels))
            fam.add_metric(list(labels.values()), _number(metrics.get(field_name), field_name))
            families.append(fam)
        yield from families
