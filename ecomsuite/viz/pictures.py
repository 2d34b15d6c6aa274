"""Pictures of every dashboard from a real Prometheus: ``python -m ecomsuite.viz.pictures``
(``make pictures``, which also redraws the report's charts).

It backfills the processed days' history (``ecom-exporter backfill``'s samples, turned into
TSDB blocks by promtool) into a temporary Prometheus data directory, starts ecom-exporter on
an output root and a data root (``--data``: the freshness gauges) and Debian's prometheus on
that directory (both on free 127.0.0.1 ports, Prometheus with the committed prometheus.yml
and alert rules, scraping every second, a retention that keeps the oldest backfilled day),
lets Prometheus gather ``--history`` seconds of live samples, then draws each dashboard of
``--dashboards`` with :mod:`ecomsuite.viz.dashboards` into ``<to>/dashboard-<name>.png``.
Each panel is drawn over its own window: the live seconds for panels of live gauges; a
panel of the backfilled history over its dashboard's time range (``time.from``, e.g.
``now-90d``, or the panel's ``timeFrom``) if that covers the backfilled days, else over the
backfilled days (the sample world's days are in 2025). Both processes are stopped (by their own pids) before it
returns. Hadoop's panels need a NameNode and a ResourceManager: ``--namenode-url`` and
``--resourcemanager-url``, or ``--start-cluster`` to bring the local cluster up for the
pictures and down again (run it under ``flock /tmp/ecom-hadoop.lock``: the ports are shared).

Exit codes: 0 every panel drew something; 1 a panel drew nothing (named); 2 a setup fault.
"""

import argparse
import contextlib
import glob
import json
import math
import os
import re
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


STOP_GRACE_SECONDS = 10


def stop_process_group(popen, grace=STOP_GRACE_SECONDS):
    """Stop a process started in its own session (``start_new_session=True``) and what it
    started: SIGTERM to its process group (by its own pid, never by name), SIGKILL after
    `grace` seconds; waits for it and returns its exit code. One already gone is left alone."""
    if popen.poll() is not None:
        return popen.returncode
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGTERM)
    try:
        return popen.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        return popen.wait(timeout=grace)


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
        stop_process_group(self.popen)
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


def backfill(outputs, data, tsdb):
    """The processed days' history as TSDB blocks in `tsdb` (exporters/backfill.py, as
    ``ecom-exporter backfill --tsdb``); returns the backfilled samples' metric names and
    sorted day timestamps (unix seconds, UTC midnights)."""
    from exporters import backfill as bf

    try:
        samples = bf.history_samples(outputs, data or None)
    except (OSError, ValueError, KeyError, TypeError, layout.LayoutError) as e:
        raise VizError(f"cannot read the history from {outputs}: {e}") from e
    if not samples:
        return set(), []
    path = os.path.join(os.path.dirname(os.path.abspath(tsdb)), "history.om")
    with open(path, "w", encoding="utf-8") as f:
        f.write(bf.openmetrics(samples, SCRAPE_JOB))
    try:
        bf.promtool_create_blocks(path, tsdb)
    except bf.BackfillError as e:
        raise VizError(str(e)) from e
    return {m.name for m, _, _, _ in samples}, sorted({ts for _, _, _, ts in samples})


def retention_for(days, now=None):
    """A retention (``--storage.tsdb.retention.time``) that keeps the oldest backfilled day,
    with a month to spare (Prometheus' default, 15d, would drop an older history)."""
    now = time.time() if now is None else now
    oldest = min(days, default=now)
    return f"{max(15, math.ceil((now - oldest) / 86400) + 30)}d"


@contextlib.contextmanager
def monitoring(outputs, workdir, namenode_url="", resourcemanager_url="",
               prometheus_yml="prometheus/prometheus.yml", interval="1s", data="",
               retention="15d"):
    """ecom-exporter and prometheus (its storage: ``<workdir>/tsdb``, where a backfill may
    already be) running; yields the Prometheus URL."""
    binary = shutil.which("prometheus")
    if not binary:
        raise VizError("prometheus not found: install Debian's prometheus (`make monitoring-deps`)")
    exporter_port, prom_port = free_port(), free_port()
    exporter = Service("ecom-exporter", [
        sys.executable, "-m", "exporters", "--web.listen-address", f"127.0.0.1:{exporter_port}",
        "--outputs", outputs, "--namenode-url", namenode_url,
        "--resourcemanager-url", resourcemanager_url, *(["--data", data] if data else [])],
        os.path.join(workdir, "exporter.log"))
    prom = None
    try:
        exporter.wait_until(f"http://127.0.0.1:{exporter_port}/metrics")
        cfg = prometheus_config(prometheus_yml, os.path.join(workdir, "prometheus.yml"),
                                exporter_port, prom_port, interval)
        prom = Service("prometheus", [
            binary, f"--config.file={cfg}", f"--storage.tsdb.path={workdir}/tsdb",
            f"--storage.tsdb.retention.time={retention}",
            f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
            os.path.join(workdir, "prometheus.log"))
        url = f"http://127.0.0.1:{prom_port}"
        prom.wait_until(url + "/-/ready")
        yield url
    finally:
        if prom is not None:
            prom.stop()
        exporter.stop()


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "M": 30 * 86400,
          "y": 365 * 86400}


def relative_span(text):
    """Seconds of a relative time like Grafana's ``now-90d`` (a dashboard's ``time.from``) or
    ``30d`` (a panel's ``timeFrom``); None for anything else."""
    m = re.fullmatch(r"(?:now-)?(\d+)([smhdwMy])", str(text or ""))
    return int(m.group(1)) * _UNITS[m.group(2)] if m else None


def board_span(board):
    """Seconds of a dashboard's own relative time range (``now-90d`` to ``now``)."""
    rng = board.get("time") or {}
    return relative_span(rng.get("from")) if rng.get("to", "now") == "now" else None


def reads_history(panel, metrics):
    """Whether any of the panel's targets reads a backfilled metric."""
    return any(re.search(rf"\b{re.escape(name)}\b", t.get("expr") or "")
               for t in panel.get("targets", []) for name in metrics)


def history_window(span, days, now=None):
    """(start, end, step) for a panel of the backfilled history: its time range (`span`
    seconds back from now) if that covers every backfilled day, else the backfilled days
    (the first midnight to the end of the newest day); about 240 points either way."""
    now = time.time() if now is None else now
    if span is not None and now - span <= days[0] and days[-1] <= now:
        start, end = now - span, now
    else:
        start, end = days[0], days[-1] + 86400 - 3600
    return start, end, max(3600.0, (end - start) // 240)


def windows(board, live, history, now=None):
    """The window a dashboard is drawn over, and a panel_window for
    :func:`ecomsuite.viz.dashboards.render`. `live` is the (start, end) of the live scrapes,
    `history` the (metric names, sorted day timestamps) backfilled. A dashboard whose panels
    all read the history is drawn over :func:`history_window` of its own range; any other
    over the live scrapes (one point per 1/120), with its history panels (if any) over
    :func:`history_window` of their own ``timeFrom`` or the dashboard's range."""
    metrics, days = history
    panels = [p for p in board.get("panels", []) if p.get("type") != "row"]
    span = board_span(board)
    if days and panels and all(reads_history(p, metrics) for p in panels):
        return history_window(span, days, now), None
    start, end = live

    def panel_window(panel):
        if days and reads_history(panel, metrics):
            return history_window(relative_span(panel.get("timeFrom")) or span, days, now)
        return None
    return (start, end, max(1.0, (end - start) / 120)), panel_window


def draw_all(prom_url, boards, to, live, history=(set(), [])):
    """Draw every dashboard into `to`, each over its :func:`windows`; returns
    ({name: png path}, [PanelResult])."""
    from ecomsuite.viz import dashboards
    prom = dashboards.Prometheus(prom_url)
    os.makedirs(to, exist_ok=True)
    paths, results = {}, []
    for name, board in boards.items():
        (start, end, step), panel_window = windows(board, live, history)
        png, res = dashboards.render(board, prom, start, end, step, name, panel_window)
        path = os.path.join(to, f"dashboard-{name}.png")
        with open(path + ".tmp", "wb") as f:
            f.write(png)
        os.replace(path + ".tmp", path)
        paths[name] = path
        results.extend(res)
    return paths, results


def capture(outputs, to, history=60, dashboards_dir="grafana/dashboards", namenode_url="",
            resourcemanager_url="", prometheus_yml="prometheus/prometheus.yml", progress=None,
            data=""):
    """Backfill the processed days' history, run the exporter (on `outputs` and, for the
    freshness gauges, the data root `data`) and Prometheus for `history` seconds, then draw
    every dashboard."""
    say = progress or (lambda _msg: None)
    boards = load_dashboards(dashboards_dir)
    out = layout.OutputLayout(outputs)
    if not out.store.exists(out.root):
        raise VizError(f"no output folder {out.store.describe(out.root)}: run the jobs first "
                       "(`make demo`)")
    if data:
        src = layout.DataLayout(data)
        if not src.store.exists(src.root):
            raise VizError(f"no data folder {src.store.describe(src.root)}: land and ingest "
                           "days first (`make demo`)")
        data = src.root
    with tempfile.TemporaryDirectory(prefix="ecom-pictures-") as work:
        backfilled = backfill(out.root, data, os.path.join(work, "tsdb"))
        if backfilled[1]:
            first, last = (time.strftime("%Y-%m-%d", time.gmtime(t))
                           for t in (backfilled[1][0], backfilled[1][-1]))
            say(f"backfilled {len(backfilled[1])} days of history ({first} .. {last})")
        with monitoring(out.root, work, namenode_url, resourcemanager_url,
                        prometheus_yml, data=data,
                        retention=retention_for(backfilled[1])) as url:
            wait_for_first_scrape(url)
            start = time.time()
            say(f"prometheus {url} scraping the exporter for {history:g} s of history ...")
            time.sleep(history)
            end = time.time()
            return draw_all(url, boards, to, (start, end), backfilled)


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
    p.add_argument("--data", default=layout.DEFAULT_DATA_ROOT, metavar="DIR",
                   help="the data root (landing zone and ingest manifests) for the freshness "
                        "gauges and the ingested rows' history; '' for none "
                        "(default: %(default)s)")
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
                                 progress=lambda m: print(f"pictures: {m}", flush=True),
                                 data=args.data)
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
