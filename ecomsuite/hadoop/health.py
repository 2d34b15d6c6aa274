"""Health of the local cluster over its web APIs: the NameNode's /jmx, the
ResourceManager's REST API, the JobHistory server's."""

import contextlib
import json
import socket
import urllib.request


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def web_urls(values):
    """The web addresses from a node's rendered values (conf.cluster_values)."""
    return {
        "namenode": f"http://{values['namenode_host']}:{values['namenode_http_port']}",
        "resourcemanager": f"http://{values['resourcemanager_host']}:"
                           f"{values['resourcemanager_http_port']}",
        "historyserver": f"http://{values['resourcemanager_host']}:"
                         f"{values['jobhistory_http_port']}",
    }


def hdfs_health(urls):
    """{"state": "Operational"|"safeMode", "live_datanodes": n, ...} or None if unreachable."""
    try:
        bean = get_json(urls["namenode"] + "/jmx?qry=Hadoop:service=NameNode,"
                        "name=FSNamesystemState")["beans"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return None
    return {"state": bean.get("FSState"), "live_datanodes": bean.get("NumLiveDataNodes", 0),
            "dead_datanodes": bean.get("NumDeadDataNodes", 0),
            "under_replicated_blocks": bean.get("UnderReplicatedBlocks", 0),
            "capacity_used_bytes": bean.get("CapacityUsed"),
            "capacity_remaining_bytes": bean.get("CapacityRemaining"),
            "files_total": bean.get("FilesTotal")}


def datanodes(urls):
    """{"host:port" (transfer address as the NameNode knows it): info} of live DataNodes."""
    try:
        info = get_json(urls["namenode"] + "/jmx?qry=Hadoop:service=NameNode,"
                        "name=NameNodeInfo")["beans"][0]
        return json.loads(info["LiveNodes"])
    except (OSError, ValueError, KeyError, IndexError):
        return {}


def yarn_health(urls):
    """RM cluster metrics (activeNodes, appsRunning, ...) or None if unreachable."""
    try:
        return get_json(urls["resourcemanager"] + "/ws/v1/cluster/metrics")["clusterMetrics"]
    except (OSError, ValueError, KeyError):
        return None


def nodemanagers(urls):
    """The ResourceManager's node list: [{"id", "state", "nodeHostName", ...}]."""
    try:
        nodes = get_json(urls["resourcemanager"] + "/ws/v1/cluster/nodes")["nodes"]
        return (nodes or {}).get("node", [])
    except (OSError, ValueError, KeyError):
        return []


def history_health(urls):
    try:
        return get_json(urls["historyserver"] + "/ws/v1/history/info")["historyInfo"]
    except (OSError, ValueError, KeyError):
        return None


def hdfs_ready(urls, datanodes_needed=1):
    h = hdfs_health(urls)
    return bool(h and h["state"] == "Operational" and h["live_datanodes"] >= datanodes_needed)


def yarn_ready(urls, nodes_needed=1):
    m = yarn_health(urls)
    return bool(m and m.get("activeNodes", 0) >= nodes_needed)


def listening(host, port):
    with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=1):
        return True
    return False


def busy_master_ports(values):
    """The NameNode/ResourceManager addresses something already listens on."""
    return [f"{host}:{port}" for host, port in (
        (values["namenode_host"], values["namenode_rpc_port"]),
        (values["namenode_host"], values["namenode_http_port"]),
        (values["resourcemanager_host"], values["resourcemanager_http_port"]))
        if listening(host, port)]
