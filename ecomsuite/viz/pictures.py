"""Pictures of every dashboard from a real Prometheus: ``python -m ecomsuite.viz.pictures``
(``make pictures``, which also redraws the report's charts).

It starts ecom-exporter on an output root and Debian's prometheus (both on free 127.0.0.1
ports, Prometheus with the committed prometheus.yml and alert rules, scraping every second,
storage in a temporary folder), lets Prometheus gather ``--history`` seconds of history, then
draws each dashboard of ``--dashboards`` with :mod:`ecomsuite.viz.dashboards` into
``<to>/dashboard-<name>.png``. Both processes are stopped (by their own pids) before it
returns. Hadoop's panels need a NameNode and a ResourceManager: ``--namenode-url`` and
``--resourcemanager-url``, or ``--start-cluster`` to bring the local cluster up for the
pictures and down again (run it under ``flock /tmp/ecom-hadoop.lock``: the ports are shared).

Exit codes: 0 every panel drew something; 1 a panel drew nothing (named); 2 a setup fault.
"""

import argparse
import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

from ecomsuite import layout
from ecomsuite.viz import VizError

SCRAPE_JOB = "ecommerce-exporter"   # grafana/config.py SCRAPE_JOB: prometheus.yml's job name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A process in its own session, stopped by its pid's process group."""

    def __init__(self, name, args, log_path):
        self.name, self.log_path = name, log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def log_tail(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-1500:]

    def wait_until(self, url, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise VizError(f"{self.name} exited with {self.popen.returncode}: "
                               f"{self.log_tail().strip().splitlines()[-1:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(url, timeout=2):
                    return
            time.sleep(0.2)
        raise VizError(f"{self.name} did not answer {url} within {timeout} s")

    def stop(self):
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self._log.close()


def prometheus_config(source, path, exporter_port, prometheus_port, interval):
    """The committed prometheus.yml with this run's ports, scraping every `interval`."""
    with open(source, encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    cfg["global"].update(scrape_interval=interval, evaluation_interval=interval,
                         scrape_timeout=interval)
    base = os.path.dirname(os.path.abspath(source))
    cfg["rule_files"] = [os.path.join(base, r) for r in cfg.get("rule_files", [])]
    ports = {SCRAPE_JOB: exporter_port, "prometheus": prometheus_port}
    for job in cfg["scrape_configs"]:
        if job["job_name"] in ports:
            job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[job['job_name']]}"]}]
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f)
    return path


def load_dashboards(folder):
    paths = sorted(glob.glob(os.path.join(folder, "*.json")))
    if not paths:
        raise VizError(f"no dashboard JSON in {os.path.abspath(folder)}")
    out = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            out[os.path.splitext(os.path.basename(path))[0]] = json.load(f)
    return out


@contextlib.contextmanager
def monitoring(outputs, workdir, namenode_url="", resourcemanager_url="",
               prometheus_yml="prometheus/prometheus.yml", interval="1s"):
    """ecom-exporter and prometheus running; yields the Prometheus URL."""
    binary = shutil.which("prometheus")
    if not binary:
        raise VizError("prometheus not found: install Debian's prometheus (`make monitoring-deps`)")
    exporter_port, prom_port = free_port(), free_port()
    exporter = Service("ecom-exporter", [
        sys.executable, "-m", "exporters", "--web.listen-address", f"127.0.0.1:{exporter_port}",
        "--outputs", outputs, "--namenode-url", namenode_url,
        "--resourcemanager-url", resourcemanager_url], os.path.join(workdir, "exporter.log"))
    prom = None
    try:
        exporter.wait_until(f"http://127.0.0.1:{exporter_port}/metrics")
        cfg = prometheus_config(prometheus_yml, os.path.join(workdir, "prometheus.yml"),
                                exporter_port, prom_port, interval)
        prom = Service("prometheus", [
            binary, f"--config.file={cfg}", f"--storage.tsdb.path={workdir}/tsdb",
            f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
            os.path.join(workdir, "prometheus.log"))
        url = f"http://127.0.0.1:{prom_port}"
        prom.wait_until(url + "/-/ready")
        yield url
    finally:
        if prom is not None:
            prom.stop()
        exporter.stop()


def draw_all(prom_url, boards, to, start, end, step):
    """Draw every dashboard into `to`; returns ({name: png path}, [PanelResult])."""
    from ecomsuite.viz import dashboards
    prom = dashboards.Prometheus(prom_url)
    os.makedirs(to, exist_ok=True)
    paths, results = {}, []
    for name, board in boards.items():
        png, res = dashboards.render(board, prom, start, end, step, name)
        path = os.path.join(to, f"dashboard-{name}.png")
        with open(path + ".tmp", "wb") as f:
            f.write(png)
        os.replace(path + ".tmp", path)
        paths[name] = path
        results.extend(res)
    return paths, results


def capture(outputs, to, history=60, dashboards_dir="grafana/dashboards", namenode_url="",
            resourcemanager_url="", prometheus_yml="prometheus/prometheus.yml", progress=None):
    """Run the exporter and Prometheus for `history` seconds, then draw every dashboard."""
    say = progress or (lambda _msg: None)
    boards = load_dashboards(dashboards_dir)
    out = layout.OutputLayout(outputs)
    if not out.store.exists(out.root):
        raise VizError(f"no output folder {out.store.describe(out.root)}: run the jobs first "
                       "(`make demo`)")
    with tempfile.TemporaryDirectory(prefix="ecom-pictures-") as work:
        with monitoring(out.root, work, namenode_url, resourcemanager_url,
                        prometheus_yml) as url:
            wait_for_first_scrape(url)
            start = time.time()
            say(f"prometheus {url} scraping the exporter for {history:g} s of history ...")
            time.sleep(history)
            end = time.time()
            return draw_all(url, boards, to, start, end, step=max(1.0, history / 120))


def wait_for_first_scrape(url, timeout=60):
    """Prometheus applies its targets a few seconds after it starts: the history begins at
    the exporter's first scrape."""
    from ecomsuite.viz import dashboards
    prom = dashboards.Prometheus(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if prom.instant(f'up{{job="{SCRAPE_JOB}"}} == 1', time.time()):
            return
        time.sleep(0.25)
    raise VizError(f"Prometheus at {url} did not scrape the exporter within {timeout} s")


def _cluster(command):
    subprocess.run([sys.executable, "-m", "ecomsuite.hadoop", command], check=True)


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m ecomsuite.viz.pictures",
        description="Draw every Grafana dashboard as a PNG from a real Prometheus scraping "
                    "ecom-exporter on an output root (a sketch: lines, numbers, bars, tables, "
                    "laid out by each panel's gridPos).",
        epilog="Exit codes: 0 every panel drew something; 1 a panel drew nothing; 2 a setup "
               "fault (no prometheus, no outputs, a port taken).")
    p.add_argument("--output", default=layout.DEFAULT_OUTPUT_ROOT, metavar="DIR",
                   help="the jobs' output root the exporter reads (default: %(default)s)")
    p.add_argument("--to", default=os.path.join("docs", "img"), metavar="DIR",
                   help="folder for dashboard-<name>.png (default: %(default)s)")
    p.add_argument("--history", type=float, default=60, metavar="SECONDS",
                   help="seconds of scrapes before drawing (default: %(default)s)")
    p.add_argument("--dashboards", default=os.path.join("grafana", "dashboards"), metavar="DIR")
    p.add_argument("--prometheus-config", default=os.path.join("prometheus", "prometheus.yml"),
                   metavar="FILE")
    p.add_argument("--namenode-url", default="", metavar="URL")
    p.add_argument("--resourcemanager-url", default="", metavar="URL")
    p.add_argument("--start-cluster", action="store_true",
                   help="bring the local Hadoop cluster up for the pictures and down after "
                        "(run under flock /tmp/ecom-hadoop.lock)")
    args = p.parse_args(argv)
    nn, rm = args.namenode_url, args.resourcemanager_url
    started_cluster = False
    try:
        if args.start_cluster and not (nn or rm):
            print("pictures: starting the local Hadoop cluster (python -m ecomsuite.hadoop up)",
                  flush=True)
            started_cluster = True
            _cluster("up")
            nn, rm = "http://127.0.0.1:9870", "http://127.0.0.1:8088"
        paths, results = capture(args.output, args.to, args.history, args.dashboards, nn, rm,
                                 args.prometheus_config,
                                 progress=lambda m: print(f"pictures: {m}", flush=True))
    except (VizError, layout.LayoutError, OSError, subprocess.CalledProcessError) as e:
        print(f"pictures: {e}", file=sys.stderr)
        return 2
    finally:
        if started_cluster:
            with contextlib.suppress(subprocess.CalledProcessError):
                _cluster("down")
    empty = [r for r in results if r.values == 0]
    for name, path in paths.items():
        mine = [r for r in results if r.dashboard == name]
        print(f"pictures: {path}: {len(mine)} panels, "
              f"{sum(r.series for r in mine)} series/rows drawn")
    for r in empty:
        print(f"pictures: {r.dashboard} / {r.title} ({r.type}) drew nothing: {r.queries}",
              file=sys.stderr)
    return 1 if empty else 0


if __name__ == "__main__":
    sys.exit(main())
