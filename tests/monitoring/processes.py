"""Real processes for the monitoring tests: ecom-exporter and Debian's prometheus.

Each runs in its own process group, is waited for with a deadline, and is
stopped (the group, by its pid: the product's ecomsuite.viz.pictures.stop_process_group,
SIGTERM then SIGKILL after 10 s) when the test is done.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from ecomsuite.viz.pictures import stop_process_group
from tests.monitoring.conftest import REPO, free_port


def need(tool):
    path = shutil.which(tool)
    if not path:
        pytest.fail(f"{tool} not found: install Debian's prometheus with `make monitoring-deps`")
    return path


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def wait_for(what, check, timeout=60, interval=0.2, proc=None):
    """Call check() until it returns a true value (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}:\n"
                                 f"{proc.read_log()}")
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError, urllib.error.URLError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last})")


class Process:
    def __init__(self, name, args, log_path, cwd=REPO):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd,
                                      start_new_session=True)

    def poll(self):
        return self.popen.poll()

    @property
    def returncode(self):
        return self.popen.returncode

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self):
        stop_process_group(self.popen)
        self._log.close()


def start_exporter(tmp_path, *args):
    """ecom-exporter on a free 127.0.0.1 port; returns (process, metrics URL)."""
    port = free_port()
    proc = Process("exporter", [sys.executable, "-m", "exporters",
                                "--web.listen-address", f"127.0.0.1:{port}", *args],
                   os.path.join(tmp_path, "exporter.log"))
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_for("the exporter's /metrics", lambda: http_get(url), timeout=30, proc=proc)
    except BaseException:
        proc.stop()
        raise
    return proc, url


class Prometheus:
    """Debian's prometheus with a config file, on a free port, temp storage."""

    def __init__(self, tmp_path, config_path, port=None, retention="1h", storage=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        storage = storage or os.path.join(tmp_path, "prometheus-data")
        self.proc = Process("prometheus", [
            need("prometheus"), f"--config.file={config_path}",
            f"--storage.tsdb.path={storage}", f"--web.listen-address=127.0.0.1:{self.port}",
            f"--storage.tsdb.retention.time={retention}", "--log.level=warn"],
            os.path.join(tmp_path, "prometheus.log"))
        try:
            wait_for("prometheus to be ready", lambda: http_get(self.url + "/-/ready"),
                     timeout=60, proc=self.proc)
        except BaseException:
            self.proc.stop()
            raise

    def api(self, path, **params):
        query = urllib.parse.urlencode(params)
        try:
            body = http_get(f"{self.url}/api/v1/{path}" + (f"?{query}" if query else ""),
                            timeout=30)
        except urllib.error.HTTPError as e:  # a bad query: 400 with an error in JSON
            body = e.read()
        data = json.loads(body)
        assert data["status"] == "success", f"{params}: {data}"
        return data["data"]

    def query(self, expr, **params):
        return self.api("query", query=expr, **params)

    def stop(self):
        self.proc.stop()
