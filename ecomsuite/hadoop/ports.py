"""Every port of the local cluster, named once: read from hadoop/templates/variables.json,
the table the site files (and Terraform's) are rendered from.

A worker's ports: :func:`worker_port` (worker N listens on the default + step*(N-1)).
Hadoop has no bind setting for the shuffle server, which listens on every address.
"""

from ecomsuite.hadoop.conf import load_variables

_VARIABLES = load_variables()


def port(name):
    """The local value of the port variable `name` (e.g. "namenode_http_port")."""
    return int(_VARIABLES[name]["local"])


def worker_port(name, worker):
    """Worker N's (1-based) port `name`."""
    spec = _VARIABLES[name]
    step = (spec.get("per_worker") or {}).get("step", 0)
    return int(spec["local"]) + step * (worker - 1)


NAMENODE_RPC = port("namenode_rpc_port")
NAMENODE_HTTP = port("namenode_http_port")
RESOURCEMANAGER = port("resourcemanager_port")
RESOURCEMANAGER_HTTP = port("resourcemanager_http_port")
JOBHISTORY = port("jobhistory_port")
JOBHISTORY_HTTP = port("jobhistory_http_port")
DATANODE = "datanode_port"                      # per worker: worker_port(DATANODE, n)
DATANODE_HTTP = "datanode_http_port"
NODEMANAGER_HTTP = "nodemanager_http_port"
SHUFFLE = "shuffle_port"
WORKER_PORTS = tuple(name for name, spec in _VARIABLES.items()
                     if isinstance(spec.get("per_worker"), dict))
