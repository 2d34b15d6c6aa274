"""Static checks of the dashboards, provisioning, Prometheus config, rules and docs."""

import glob
import os
import re

import pytest
import yaml

from exporters.cli import DEFAULT_LISTEN_ADDRESS
from grafana import build, config
from grafana.alerts import alert_names
from grafana.panels import SCHEMA_VERSION
from tests.monitoring.conftest import REPO, make_registry
from tests.monitoring.promql import dashboards, metric_names, panel_targets, panels, rules

ALLOWED_PANELS = {"timeseries", "stat", "bargauge", "table", "row"}
DOCS = os.path.join(REPO, "docs", "monitoring.md")
# Series Prometheus makes itself for every target.
PROMETHEUS_SERIES = {"up"}


def read(*parts):
    with open(os.path.join(REPO, *parts), encoding="utf-8") as f:
        return f.read()


def test_committed_dashboards_and_rules_are_what_the_generator_writes():
    assert build.stale_files() == [], "run `python -m grafana.build` and commit the result"


def test_at_least_the_three_dashboards_exist_with_fixed_unique_uids():
    boards = dashboards()
    uids = [d["uid"] for d in boards.values()]
    assert {"ecommerce-business", "ecommerce-batch-jobs", "ecommerce-hadoop"} <= set(uids)
    assert len(uids) == len(set(uids))


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_dashboard_structure(name):
    d = dashboards()[name]
    assert "dashboard" not in d and "meta" not in d, "bare dashboard JSON, no API envelope"
    assert re.fullmatch(r"[a-z0-9-]{1,40}", d["uid"])
    assert d["schemaVersion"] >= 39 and d["schemaVersion"] == SCHEMA_VERSION
    assert d["title"] and d["tags"] and d["time"]
    ids = [p["id"] for p in panels(d)]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    cells = set()
    for p in panels(d):
        assert p["type"] in ALLOWED_PANELS, f"{p['title']}: {p['type']} (no Angular graph)"
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps another panel"
                cells.add((x, y))
        if p["type"] == "row":
            continue
        assert p["datasource"] == config.DATASOURCE, p["title"]
        assert p["fieldConfig"]["defaults"].get("unit"), f"{p['title']}: no unit"
        assert p["targets"], f"{p['title']}: no query"
        assert p.get("description") is not None
        for t in p["targets"]:
            assert t["datasource"] == config.DATASOURCE
            assert t["expr"] and t["refId"]
            assert config.SELECTOR in t["expr"], f"{p['title']}: {t['expr']}"


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_every_row_and_panel_has_a_title_unique_in_its_row(name):
    titles = []
    for p in dashboards()[name]["panels"]:
        assert p["title"].strip() and not p["title"].startswith(":"), p
        if p["type"] == "row":
            titles = []
        assert p["title"] not in titles, f"{name}: two panels titled {p['title']!r} in a row"
        titles.append(p["title"])


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_data_source_and_scrape_job_are_template_variables(name):
    variables = {v["name"]: v for v in dashboards()[name]["templating"]["list"]}
    ds, job = variables[config.DATASOURCE_VARIABLE], variables[config.JOB_VARIABLE]
    assert ds["type"] == "datasource" and ds["query"] == "prometheus"
    assert ds["current"]["value"] == config.DATASOURCE_UID
    assert job["type"] == "query" and job["datasource"] == config.DATASOURCE
    assert job["current"]["value"] == config.SCRAPE_JOB
    assert config.DATASOURCE == {"type": "prometheus", "uid": "${datasource}"}
    assert config.SELECTOR == 'job=~"$job"'


def test_the_business_dashboard_has_a_section_per_output_table():
    from exporters.business import OUTPUT_TABLES

    board = dashboards()["ecommerce-business.json"]
    rows = {p["title"] for p in board["panels"] if p["type"] == "row"}
    assert {t.title for t in OUTPUT_TABLES} <= rows
    exprs = " ".join(t["expr"] for p in panels(board) for t in p.get("targets", []))
    for t in OUTPUT_TABLES:
        for fam in t.families:
            assert fam.name in exprs, fam.name


def test_provisioning_files_load_in_a_stock_grafana():
    ds = yaml.safe_load(read("grafana", "provisioning", "datasources", "prometheus.yaml"))
    assert ds["apiVersion"] == 1
    (source,) = ds["datasources"]
    assert source["type"] == "prometheus" and source["uid"] == config.DATASOURCE_UID
    assert source["url"] == "http://127.0.0.1:9090" and source["access"] == "proxy"
    prov = yaml.safe_load(read("grafana", "provisioning", "dashboards", "ecommerce.yaml"))
    assert prov["apiVersion"] == 1
    (provider,) = prov["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/ecommerce"


def test_prometheus_config_scrapes_the_exporter_and_loads_the_rules():
    prom = yaml.safe_load(read("prometheus", "prometheus.yml"))
    assert prom["rule_files"] == ["rules/*.yaml"]
    jobs = {c["job_name"]: c for c in prom["scrape_configs"]}
    assert set(jobs) == {config.SCRAPE_JOB, "prometheus"}
    (static,) = jobs[config.SCRAPE_JOB]["static_configs"]
    assert static["targets"] == [DEFAULT_LISTEN_ADDRESS]
    assert "honor_labels" not in jobs[config.SCRAPE_JOB]


@pytest.fixture(scope="module")
def exposed_names(pipeline_output, daily_run):
    """Every sample name the exporter serves with all sources on (fake Hadoop): on the
    snapshot's outputs (fraud signals found) and on landed days (freshness), and the history
    families `ecom-exporter backfill` writes."""
    from exporters import families as F
    from tests.monitoring.fakes import FakeHadoop

    data, daily_output, _ = daily_run
    with FakeHadoop() as hadoop:
        names = set()
        for reg in (make_registry(pipeline_output, hadoop.url, hadoop.url),
                    make_registry(daily_output, hadoop.url, hadoop.url, data=data)):
            names |= {s.name for fam in reg.collect() for s in fam.samples}
        return names | {m.name for m in F.HISTORY}


def test_every_metric_a_dashboard_uses_is_exported(exposed_names):
    for board, title, t in panel_targets():
        names = metric_names(t["expr"])
        assert names, f"{board} / {title}: no metric in {t['expr']}"
        assert names <= exposed_names | PROMETHEUS_SERIES, (board, title, names - exposed_names)


def test_every_metric_a_rule_uses_is_exported(exposed_names):
    for rule in rules():
        names = metric_names(rule["expr"])
        assert names and names <= exposed_names | PROMETHEUS_SERIES, (rule["alert"], names)


def test_the_promql_reader_finds_metric_names():
    assert metric_names('sum by (job_name) (increase(a_total{job="x", b="y{z}"}[$__rate_interval]))'
                        ' / on (job_name) group_left max(b_c) > 0.01 unless time() - c') \
        == {"a_total", "b_c", "c"}


def _slugs(markdown):
    """GitHub's heading anchors, and explicit <a id> anchors."""
    slugs = set(re.findall(r'<a id="([^"]+)"', markdown))
    for heading in re.findall(r"^#+\s+(.*)$", markdown, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        slugs.add(slug)
    return slugs


def test_every_alert_has_annotations_and_a_runbook_section():
    docs = read("docs", "monitoring.md")
    anchors = _slugs(docs)
    for rule in rules():
        ann = rule["annotations"]
        assert ann["summary"] and ann["description"], rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")
        url = ann["runbook_url"]
        assert url == config.runbook_url(rule["alert"])
        path, anchor = url.split("#")
        assert path == "docs/monitoring.md" and anchor == f"runbook-{rule['alert'].lower()}"
        assert anchor in anchors, f"docs/monitoring.md has no section #{anchor}"
        assert config.RULE_SELECTOR in rule["expr"]
    assert sorted(r["alert"] for r in rules()) == sorted(alert_names())


def test_the_rule_unit_tests_use_the_exporters_address_and_exported_names(exposed_names):
    assert config.EXPORTER_ADDRESS == DEFAULT_LISTEN_ADDRESS
    paths = sorted(glob.glob(os.path.join(REPO, "tests", "monitoring", "rules", "*.yaml")))
    assert paths
    for path in paths:
        text = read(path)
        instances = set(re.findall(r'job="ecommerce-exporter", instance="([^"]+)"', text))
        assert instances == {config.EXPORTER_ADDRESS}, (path, instances)
        series = {s.split("{")[0] for s in re.findall(r"series: '([^']+)'", text)}
        assert series and series <= exposed_names | PROMETHEUS_SERIES, (path, series - exposed_names)


def test_the_docs_list_every_exported_metric(exposed_names):
    docs = read("docs", "monitoring.md")
    ours = {n for n in exposed_names if n.startswith(("ecommerce_", "hadoop_"))}
    missing = sorted(n for n in ours if f"`{n}`" not in docs)
    assert not missing, f"docs/monitoring.md does not list {missing}"
