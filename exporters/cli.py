"""ecom-exporter: serve /metrics for the suite's outputs, run records and Hadoop cluster.

Settings come from built-in defaults, then the YAML file of --config.file
(keys as in `Settings`, e.g. ``namenode_url: http://127.0.0.1:9870``), then
the command line. An empty URL switches that source off.
"""

import argparse
import logging
import math
import signal
import sys
import threading
from dataclasses import dataclass, field, fields

import yaml
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from ecomsuite import config
from ecomsuite.layout import DataLayout
from exporters import build_info
from exporters.collector import EcommerceCollector
from exporters.freshness import DataCollector
from exporters.hadoop import NameNodeCollector, ResourceManagerCollector
from exporters.outputs import (
    DEFAULT_RUN_RECORDS_LIMIT,
    DEFAULT_SCHEDULE_PERIOD_SECONDS,
    OutputsCollector,
)
from exporters.stores import make_store

log = logging.getLogger("exporters")

DEFAULT_LISTEN_ADDRESS = "127.0.0.1:8398"


@dataclass
class Settings:
    listen_address: str = DEFAULT_LISTEN_ADDRESS
    outputs: str = config.DEFAULT_OUTPUT_DIR      # folder or hdfs:// URI; "" = off
    data: str = ""                                # the data root (landing, canonical); "" = off
    webhdfs_url: str = ""                         # default: namenode_url, else HADOOP_CONF_DIR's
    hdfs_user: str = ""                           # default: the exporter's OS user
    namenode_url: str = ""                        # e.g. http://127.0.0.1:9870; "" = off
    resourcemanager_url: str = ""                 # e.g. http://127.0.0.1:8088; "" = off
    http_timeout_seconds: float = 3.0
    hdfs_cache_seconds: float = 30.0
    schedule_period_seconds: float = DEFAULT_SCHEDULE_PERIOD_SECONDS
    schedules: dict = field(default_factory=dict)  # {job: period seconds}
    run_records_limit: int = DEFAULT_RUN_RECORDS_LIMIT  # newest run records read per job
    run_records_max_age_seconds: float = 0.0      # older run records are not read; 0 = keep all
    log_level: str = "info"


LOG_LEVELS = ("debug", "info", "warning", "error")
EXIT_USAGE = 2      # a bad flag, config file or setting: nothing was started
EXIT_LISTEN = 1     # the listen address cannot be bound


class SettingsError(ValueError):
    """A setting with a wrong type or value (one line, naming the setting)."""


def load_settings(path):
    """The settings of a YAML config file; SettingsError (one line) when it cannot be used."""
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except UnicodeDecodeError as e:
        raise SettingsError(f"{path}: not UTF-8 text (byte {e.start})") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(e, "problem", None) or type(e).__name__
        raise SettingsError(f"{path}: not valid YAML{where}: {problem}") from e
    except OSError as e:
        raise SettingsError(f"{path}: cannot read the config file: {e.strerror or e}") from e
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings, got a "
                            f"{type(data).__name__}")
    known = {f.name for f in fields(Settings)}
    unknown = sorted(str(k) for k in set(data) - known)
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {', '.join(unknown)}; "
                            f"known: {', '.join(sorted(known))}")
    return data


def _positive(value, name, zero_ok=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0 or (value == 0 and not zero_ok):
        raise SettingsError(f"{name}: expected a {'non-negative' if zero_ok else 'positive'} "
                            f"number, got {value!r}")
    return float(value)


def validate(values, origin="setting"):
    """Check and normalise the types and values of settings (from a file or the flags)."""
    out = {}
    for name, value in values.items():
        what = f"{origin} {name}"
        if name in ("http_timeout_seconds", "schedule_period_seconds"):
            value = _positive(value, what)
        elif name in ("hdfs_cache_seconds", "run_records_max_age_seconds"):
            value = _positive(value, what, zero_ok=True)
        elif name == "run_records_limit":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SettingsError(f"{what}: expected a whole number of at least 1, got "
                                    f"{value!r}")
        elif name == "schedules":
            if value is None:
                value = {}
            if not isinstance(value, dict):
                raise SettingsError(f"{what}: expected a mapping of job name to period in "
                                    f"seconds, got {value!r}")
            value = {str(job): _positive(period, f"{what}.{job}") for job, period in value.items()}
        else:  # strings; an empty value (or none) switches a URL or the outputs off
            value = "" if value is None else value
            if not isinstance(value, str):
                raise SettingsError(f"{what}: expected a string, got {value!r}")
            if name == "log_level" and value.lower() not in LOG_LEVELS:
                raise SettingsError(f"{what}: expected one of {', '.join(LOG_LEVELS)}, "
                                    f"got {value!r}")
            if name.endswith("_url") and value and not value.startswith(("http://", "https://")):
                raise SettingsError(f"{what}: expected an http:// or https:// URL, got {value!r}")
        out[name] = value
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="ecom-exporter",
        description="Prometheus exporter of the e-commerce suite: business results from the "
        "jobs' latest complete outputs, job health from the run records, and HDFS/YARN health. "
        "Each scrape reads fresh data; a source that cannot be read shows "
        "ecommerce_exporter_source_up 0 and the other metrics are still served. "
        "`ecom-exporter backfill --help`: every processed day's KPIs into Prometheus' storage.")
    # argparse.SUPPRESS: only flags given on the command line override the config file.
    add = p.add_argument
    add("--config.file", dest="config_file", metavar="FILE",
        help="YAML file of settings (keys: " + ", ".join(f.name for f in fields(Settings)) + ")")
    add("--web.listen-address", dest="listen_address", default=argparse.SUPPRESS,
        metavar="HOST:PORT", help=f"where to serve /metrics (default {DEFAULT_LISTEN_ADDRESS})")
    add("--outputs", default=argparse.SUPPRESS, metavar="PATH_OR_URI",
        help="the pipeline's output root: a local folder or hdfs://[host:port]/path "
             f"(default {config.DEFAULT_OUTPUT_DIR}; empty = off)")
    add("--data", default=argparse.SUPPRESS, metavar="PATH_OR_URI",
        help="the data root (landing zone and canonical partitions), a local folder or "
             "hdfs://...: the newest day landed and ingested per dataset (default empty = off)")
    add("--webhdfs-url", dest="webhdfs_url", default=argparse.SUPPRESS, metavar="URL",
        help="WebHDFS endpoint for hdfs:// outputs (default: --namenode-url, else the one "
             "$HADOOP_CONF_DIR's hdfs-site.xml or the URI's host names; none found is an error)")
    add("--hdfs-user", dest="hdfs_user", default=argparse.SUPPRESS, metavar="USER",
        help="HDFS user to read as (default: this process's user)")
    add("--namenode-url", dest="namenode_url", default=argparse.SUPPRESS, metavar="URL",
        help="NameNode web UI, e.g. http://127.0.0.1:9870 (default empty = off)")
    add("--resourcemanager-url", dest="resourcemanager_url", default=argparse.SUPPRESS,
        metavar="URL", help="ResourceManager web UI, e.g. http://127.0.0.1:8088 "
                            "(default empty = off)")
    add("--http-timeout", dest="http_timeout_seconds", type=float, default=argparse.SUPPRESS,
        metavar="SECONDS", help="timeout of each request to Hadoop (default 3)")
    add("--hdfs-cache-seconds", dest="hdfs_cache_seconds", type=float,
        default=argparse.SUPPRESS, metavar="SECONDS",
        help="how long HDFS directory listings are reused (default 30)")
    add("--schedule-period", dest="schedule_period_seconds", type=float,
        default=argparse.SUPPRESS, metavar="SECONDS",
        help=f"how often the jobs are meant to run (default {DEFAULT_SCHEDULE_PERIOD_SECONDS:.0f}); "
             "per-job values go in the config file under `schedules`")
    add("--run-records.limit", dest="run_records_limit", type=int, default=argparse.SUPPRESS,
        metavar="N", help="read only the newest N run records of each job per scrape "
                          f"(default {DEFAULT_RUN_RECORDS_LIMIT})")
    add("--run-records.max-age", dest="run_records_max_age_seconds", type=float,
        default=argparse.SUPPRESS, metavar="SECONDS",
        help="do not read run records older than this (by modification time; default 0 = "
             "no age limit)")
    add("--log.level", dest="log_level", default=argparse.SUPPRESS,
        choices=LOG_LEVELS, help="(default info)")
    add("--version", action="version", version=version_text(),
        help="print the version, source revision and Python version, and exit")
    return p.parse_args(argv)


def version_text():
    info = build_info()
    return (f"ecom-exporter {info['version']} (revision {info['revision']}, "
            f"Python {info['python_version']})")


def resolve_settings(args):
    values = {}
    if args.config_file:
        values.update(validate(load_settings(args.config_file), args.config_file + ":"))
    values.update(validate({k: v for k, v in vars(args).items() if k != "config_file"},
                           "flag for"))
    settings = Settings(**values)
    split_address(settings.listen_address)
    return settings


def known_jobs():
    """The registry's job names (so a job that never ran still has a schedule series)."""
    try:
        from ecomsuite.registry import job_classes
        return list(job_classes())
    except Exception as e:  # a broken job module must not stop the monitoring
        log.warning("cannot load the job registry (%s); reporting only jobs found in the outputs", e)
        return []


def build_collector(settings, jobs=None):
    sources = []
    if settings.outputs:
        store = make_store(settings.outputs, settings.webhdfs_url or settings.namenode_url,
                           user=settings.hdfs_user or None, timeout=settings.http_timeout_seconds,
                           cache_seconds=settings.hdfs_cache_seconds)
        sources.append(OutputsCollector(
            store, known_jobs=known_jobs() if jobs is None else jobs,
            schedule_period_seconds=settings.schedule_period_seconds,
            schedules=settings.schedules, run_records_limit=settings.run_records_limit,
            run_records_max_age_seconds=settings.run_records_max_age_seconds))
    if settings.data:
        store = make_store(settings.data, settings.webhdfs_url or settings.namenode_url,
                           user=settings.hdfs_user or None, timeout=settings.http_timeout_seconds,
                           cache_seconds=settings.hdfs_cache_seconds)
        sources.append(DataCollector(DataLayout(settings.data, store)))
    if settings.namenode_url:
        sources.append(NameNodeCollector(settings.namenode_url, settings.http_timeout_seconds))
    if settings.resourcemanager_url:
        sources.append(ResourceManagerCollector(settings.resourcemanager_url,
                                                settings.http_timeout_seconds))
    return EcommerceCollector(sources)


def build_registry(collector, process_metrics=True):
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    if process_metrics:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
    return registry


def split_address(address):
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"listen address: expected HOST:PORT, got {address!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["backfill"]:  # `ecom-exporter backfill ...`: the history into Prometheus
        from exporters import backfill
        return backfill.main(argv[1:])
    args = parse_args(argv)
    try:
        settings = resolve_settings(args)
        host, port = split_address(settings.listen_address)
    except ValueError as e:  # SettingsError included: one line, naming the file or setting
        print("ecom-exporter: " + " ".join(str(e).split()), file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    registry = build_registry(build_collector(settings))
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as e:
        print(f"ecom-exporter: cannot listen on {settings.listen_address}: {e}", file=sys.stderr)
        return EXIT_LISTEN
    log.info("serving http://%s:%d/metrics (outputs=%r data=%r namenode=%r resourcemanager=%r)",
             host, server.server_port, settings.outputs, settings.data, settings.namenode_url,
             settings.resourcemanager_url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    log.info("stopped")
    return 0
