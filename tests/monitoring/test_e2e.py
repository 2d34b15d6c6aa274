"""End to end: pipeline outputs -> ecom-exporter -> a real Prometheus -> every dashboard query.

The jobs run on a small generated dataset (the real generator when it is
there), the exporter and Prometheus run as real processes on free
127.0.0.1 ports, and every target of every dashboard panel must come back
from Prometheus' query API without error and with data. Hadoop is the real
single-node cluster when the `hadoop_cluster` fixture exists (outputs are then
also read from HDFS); otherwise a local stand-in serving Hadoop's JSON.
"""

import contextlib
import glob
import importlib.util
import json
import os
import time
import uuid
import warnings

import pytest
import yaml

from grafana import config
from tests.monitoring.conftest import REPO, TABLE_JOBS, free_port, run_pipeline
from tests.monitoring.dataset import MALFORMED, write_small_dataset
from tests.monitoring.fakes import FakeHadoop
from tests.monitoring.processes import Prometheus, http_get, start_exporter, wait_for
from tests.monitoring.promql import (
    dashboards,
    fill_variables,
    metric_names,
    needs_landed_days,
    panel_targets,
    rules,
)

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

SCRAPE_INTERVAL = "1s"
FAILING_JOB = "device_conversions"


def _datagen_usable():
    return importlib.util.find_spec("datagen") is not None and \
        importlib.util.find_spec("datagen.cli") is not None


@pytest.fixture(scope="module")
def e2e_outputs(tmp_path_factory):
    """Every registered job run on a generated dataset with a few malformed lines,
    then one deliberately failed run (so the failure panels and alerts have data)."""
    data = str(tmp_path_factory.mktemp("e2e-raw") / "raw")
    if _datagen_usable():
        # the shared small dataset's options, with fraud actors: the fraud panels need flags
        from tests.fixtures.data import SMALL_SCALE, SMALL_SEED, generate

        generate(data, "--scale", str(SMALL_SCALE), "--seed", str(SMALL_SEED), "--parts", "2",
                 "--fraud-actors", "3")
        for dataset, lines in MALFORMED.items():
            with open(os.path.join(data, dataset, "part-99999.csv"), "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
    else:
        write_small_dataset(data)
    out = str(tmp_path_factory.mktemp("e2e-output") / "output")
    run_pipeline(data, out, check=False)  # a job of another area failing must not stop us
    for job in TABLE_JOBS:
        assert glob.glob(os.path.join(out, job, "*", "_SUCCESS")), f"{job} did not succeed"
    failed = run_pipeline(data, out, "--jobs", FAILING_JOB, "--max-malformed-share", "0",
                          check=False)
    assert failed.returncode != 0
    return out


@contextlib.contextmanager
def hadoop_endpoints(request, outputs):
    """(NameNode URL, ResourceManager URL, --outputs value, the stand-in or None if real)."""
    try:
        cluster = request.getfixturevalue("hadoop_cluster")
    except pytest.FixtureLookupError:  # no such fixture (yet): the stand-in
        cluster = None
    if cluster is None:
        with FakeHadoop() as fake:
            yield fake.url, fake.url, outputs, fake
        return
    namenode, rm = cluster_urls(cluster)
    from hdfs import InsecureClient

    client = InsecureClient(namenode)
    root = f"/tmp/ecom-monitoring-e2e-{uuid.uuid4().hex[:8]}"
    try:
        client.upload(root + "/output", outputs)
        hdfs_outputs = f"hdfs://{root}/output"
    except Exception as e:  # the cluster metrics are still real; say the outputs are not
        warnings.warn(f"could not copy the outputs into HDFS ({e}); reading them locally",
                      stacklevel=2)
        hdfs_outputs = outputs
    try:
        yield namenode, rm, hdfs_outputs, None
    finally:
        with contextlib.suppress(Exception):
            client.delete(root, recursive=True)


def cluster_urls(cluster):
    """The web addresses of the `hadoop_cluster` fixture's value, whatever its shape."""
    getters = (lambda c: (c.namenode_url, c.resourcemanager_url),
               lambda c: (c["namenode_url"], c["resourcemanager_url"]),
               lambda c: (c.urls["namenode"], c.urls["resourcemanager"]),
               lambda c: (c["namenode"], c["resourcemanager"]))
    for get in getters:
        try:
            return tuple(u.rstrip("/") for u in get(cluster))
        except (AttributeError, KeyError, TypeError):
            continue
    return "http://127.0.0.1:9870", "http://127.0.0.1:8088"  # where `make cluster-up` serves


def prometheus_config(path, exporter_port, prometheus_port):
    """The committed prometheus.yml, pointed at the test's ports and scraping every second."""
    with open(os.path.join(REPO, "prometheus", "prometheus.yml"), encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    cfg["global"].update(scrape_interval=SCRAPE_INTERVAL, evaluation_interval=SCRAPE_INTERVAL,
                         scrape_timeout=SCRAPE_INTERVAL)
    cfg["rule_files"] = [os.path.join(REPO, "prometheus", r) for r in cfg["rule_files"]]
    ports = {config.SCRAPE_JOB: exporter_port, "prometheus": prometheus_port}
    for job in cfg["scrape_configs"]:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[job['job_name']]}"]}]
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f)
    return path


def exported_names(metrics_text):
    return {line.split("{")[0].split(" ")[0] for line in metrics_text.splitlines()
            if line and not line.startswith("#")}


def test_every_dashboard_query_answers_from_a_real_prometheus(request, e2e_outputs, tmp_path):
    tmp = str(tmp_path)
    with hadoop_endpoints(request, e2e_outputs) as (namenode, rm, outputs, fake):
        exporter, metrics_url = start_exporter(
            tmp, "--outputs", outputs, "--namenode-url", namenode, "--resourcemanager-url", rm,
            "--hdfs-cache-seconds", "1")
        prom = None
        try:
            exporter_port = int(metrics_url.split(":")[2].split("/")[0])
            prom_port = free_port()
            cfg = prometheus_config(os.path.join(tmp, "prometheus.yml"), exporter_port, prom_port)
            prom = Prometheus(tmp, cfg, port=prom_port)
            _run_checks(prom, metrics_url, fake, e2e_outputs)
        finally:
            if prom:
                prom.stop()
            exporter.stop()
    if fake is None:
        print("end to end against the real Hadoop cluster")


def _run_checks(prom, metrics_url, fake, e2e_outputs):
    sel = config.RULE_SELECTOR
    # a few scrapes, so that increase() over a 1m window has points
    wait_for("three scrapes of the exporter", lambda: prom.query(
        f"count_over_time(up{{{sel}}}[1m]) >= 3 and up{{{sel}}} == 1")["result"], timeout=90)
    text = http_get(metrics_url).decode()
    served = exported_names(text)
    for source in ("outputs", "namenode", "resourcemanager"):
        assert f'ecommerce_exporter_source_up{{source="{source}"}} 1.0' in text, (source, text[-3000:])

    # the dashboards' $job variable offers the scrape job
    query = next(v for v in dashboards()["ecommerce-business.json"]["templating"]["list"]
                 if v["name"] == config.JOB_VARIABLE)["query"]["query"]
    metric = query.split("(")[1].split(",")[0]
    jobs = prom.api("label/job/values", **{"match[]": metric})
    assert config.SCRAPE_JOB in jobs, (query, jobs)

    # every target of every dashboard panel: no error, some data (those that need landed days
    # or the backfilled history: test_history.py)
    checked = 0
    for board, title, t in panel_targets():
        if needs_landed_days(t["expr"]):
            continue
        expr = fill_variables(t["expr"])
        result = prom.query(expr)["result"]
        assert result, f"{board} / {title}: no data for {expr}"
        if t.get("range"):
            now = time.time()
            series = prom.api("query_range", query=expr, start=now - 20, end=now, step=1)["result"]
            assert series, f"{board} / {title}: no range data for {expr}"
        assert metric_names(expr) <= served | {"up"}, (board, title, metric_names(expr) - served)
        checked += 1
    assert checked >= 60

    # the rules load and evaluate cleanly
    def evaluated():
        groups = prom.api("rules")["groups"]
        rules_ = [r for g in groups for r in g["rules"]]
        return rules_ if all(r.get("lastEvaluation", "").startswith("2") and
                             not r["lastEvaluation"].startswith("0001") for r in rules_) else None
    loaded = wait_for("the rules to be evaluated", evaluated, timeout=30)
    assert {r["name"] for r in loaded} == {r["alert"] for r in rules()}
    for r in loaded:
        assert r["health"] == "ok", (r["name"], r.get("lastError"))

    # the deliberately failed run raises its alert; the fresh jobs are not stale
    def active(name):
        return [a for a in prom.api("alerts")["alerts"] if a["labels"]["alertname"] == name]
    failing = wait_for("EcommerceJobFailed", lambda: active("EcommerceJobFailed"), timeout=30)
    assert {a["labels"]["job_name"] for a in failing} == {FAILING_JOB}
    assert not active("EcommerceJobStale")
    assert not active("EcommerceExporterSourceDown")

    # one value through the whole chain: the output file -> exporter -> Prometheus
    run = sorted(d for d in glob.glob(os.path.join(e2e_outputs, "sales_by_region", "*"))
                 if os.path.exists(os.path.join(d, "_SUCCESS")))[-1]
    rows = {}
    for part in glob.glob(os.path.join(run, "part-*")):
        with open(part, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    k, v = line.split("\t")
                    rows[json.loads(k)] = json.loads(v)
    got = {r["metric"]["sales_region"]: float(r["value"][1]) for r in prom.query(
        f"ecommerce_sales_gross_amount{{{sel}}}")["result"]}
    assert got == pytest.approx({k: v["gross_sales"] for k, v in rows.items()})

    # a Hadoop source going away shows in Prometheus, the rest keeps coming
    if fake is not None:
        fake.mode = "error"
        wait_for("namenode up 0 in Prometheus", lambda: prom.query(
            f'ecommerce_exporter_source_up{{{sel}, source="namenode"}} == 0')["result"],
            timeout=30)
        assert prom.query(f'ecommerce_exporter_source_up{{{sel}, source="outputs"}} == 1')["result"]
        fake.mode = "ok"
