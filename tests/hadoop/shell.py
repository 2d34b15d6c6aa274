"""Helpers for the tests that use the cluster as its users do: a shell with
`. .run/hadoop/env.sh`, and polling the ResourceManager."""

import json
import os
import re
import subprocess
import time
import urllib.request

from ecomsuite import report

# What env.sh must provide: the tests start from an environment without it.
ENV_SH_VARS = ("HADOOP_HOME", "HADOOP_CONF_DIR", "JAVA_HOME", "MRJOB_CONF", "ECOM_ROOT")
APPLICATION_ID = re.compile(r"application_\d+_\d{4}")


def bare_env(env):
    """`env` without anything env.sh sets, and with a PATH of the system only."""
    out = {k: v for k, v in env.items() if k not in ENV_SH_VARS}
    out["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    return out


def sh(cluster, command, timeout=300, check=True):
    """Run `command` in bash after `. .run/hadoop/env.sh`, from the checkout."""
    result = subprocess.run(["bash", "-c", f". .run/hadoop/env.sh && {command}"],
                            cwd=cluster.layout.root, env=bare_env(cluster.env),
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode:
        raise AssertionError(f"{command!r} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def sh_background(cluster, command, cwd=None):
    """Start `command` after sourcing env.sh (from the checkout), in `cwd`."""
    env_sh = os.path.join(cluster.layout.env_file)
    return subprocess.Popen(["bash", "-c", f". {env_sh} && exec {command}"],
                            cwd=cwd or cluster.layout.root, env=bare_env(cluster.env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(what, check, timeout=120, interval=0.5):
    """Poll `check()` until it returns something true; return it, or fail naming `what`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def rm_get(cluster, path):
    with urllib.request.urlopen(cluster.urls["resourcemanager"] + path, timeout=10) as r:
        return json.load(r)


def running_apps(cluster):
    apps = rm_get(cluster, "/ws/v1/cluster/apps?states=RUNNING")["apps"]
    return (apps or {}).get("app", [])


def app_containers(cluster, app_id):
    """{node id: [container ids]} of a running application's containers."""
    out = {}
    data = rm_get(cluster, f"/ws/v1/cluster/apps/{app_id}/appattempts")["appAttempts"]
    for attempt in data["appAttempt"]:
        if attempt.get("finishedTime"):
            continue
        containers = rm_get(cluster, f"/ws/v1/cluster/apps/{app_id}/appattempts/"
                                     f"{attempt['appAttemptId']}/containers")
        for c in containers.get("container", []) if containers else []:
            out.setdefault(c["assignedNodeId"], []).append(c["containerId"])
    return out


def am_node(cluster, app_id):
    attempts = rm_get(cluster, f"/ws/v1/cluster/apps/{app_id}/appattempts")["appAttempts"]
    return attempts["appAttempt"][-1]["nodeId"]


def canonical(lines):
    """mrjob output lines -> sorted [key, value] pairs (parsed JSON)."""
    return sorted(([k, v] for k, v in report.parse_output_lines(lines)),
                  key=lambda kv: json.dumps(kv[0], sort_keys=True))


def local_parts(directory):
    return sorted(os.path.join(directory, n) for n in os.listdir(directory)
                  if n.startswith("part-"))
