"""The dashboard pictures: drawn from a real Prometheus (Debian's) scraping a real ecom-exporter
on the sample world's outputs, every panel must draw something; the committed pictures exist
for every dashboard and chart and are shown in the docs."""

import glob
import json
import os
import struct

import pytest

from ecomsuite.viz import dashboards, pictures
from tests.monitoring.fakes import FakeHadoop
from tests.report.conftest import CHART_IDS, REPO

DASHBOARDS = os.path.join(REPO, "grafana", "dashboards")
BOARDS = sorted(os.path.splitext(os.path.basename(p))[0]
                for p in glob.glob(os.path.join(DASHBOARDS, "*.json")))


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def drawn(world, tmp_path_factory):
    """Every dashboard drawn after 12 s of live history, the processed days backfilled and
    the exporter reading the world's data root (freshness); Hadoop's endpoints are the
    monitoring tests' stand-in serving captured NameNode and ResourceManager JSON."""
    to = str(tmp_path_factory.mktemp("pictures"))
    with FakeHadoop() as fake:
        paths, results = pictures.capture(
            world[1], to, history=12, dashboards_dir=DASHBOARDS, namenode_url=fake.url,
            resourcemanager_url=fake.url,
            prometheus_yml=os.path.join(REPO, "prometheus", "prometheus.yml"), data=world[0])
    return paths, results


@pytest.mark.prometheus
@pytest.mark.slow
def test_every_panel_of_every_dashboard_draws_something(drawn):
    paths, results = drawn
    assert sorted(paths) == BOARDS
    panels = {}
    for name in BOARDS:
        with open(os.path.join(DASHBOARDS, name + ".json"), encoding="utf-8") as f:
            panels[name] = [p for p in json.load(f)["panels"] if p["type"] != "row"]
    assert [(r.dashboard, r.title) for r in results] == \
        [(n, p["title"]) for n in BOARDS for p in panels[n]]
    empty = [f"{r.dashboard} / {r.title}: {r.queries}" for r in results if r.values == 0]
    assert not empty, "panels that drew nothing:\n" + "\n".join(empty)


@pytest.mark.prometheus
@pytest.mark.slow
def test_pictures_are_laid_out_by_the_grid(drawn):
    paths, _ = drawn
    for name, path in paths.items():
        with open(os.path.join(DASHBOARDS, name + ".json"), encoding="utf-8") as f:
            board = json.load(f)
        rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in board["panels"])
        width, height = png_size(path)
        assert width == 24 * dashboards.COLUMN_PX
        assert height == dashboards.HEADER_PX + rows * dashboards.ROW_PX + 8


@pytest.mark.prometheus
@pytest.mark.slow
def test_a_panel_without_data_is_caught(world, tmp_path):
    """Without Hadoop endpoints the Hadoop dashboard's cluster panels have no data: the
    renderer reports them as drawing nothing (and the CLI exits 1)."""
    board = {"title": "t", "templating": {"list": []}, "panels": [
        {"type": "stat", "title": "nothing", "gridPos": {"x": 0, "y": 0, "w": 6, "h": 4},
         "targets": [{"refId": "A", "expr": "absent_metric_for_the_test", "instant": True}]},
        {"type": "timeseries", "title": "up", "gridPos": {"x": 6, "y": 0, "w": 6, "h": 4},
         "targets": [{"refId": "A", "expr": "up", "legendFormat": "{{job}}"}]}]}
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "t.json").write_text(json.dumps(board))
    paths, results = pictures.capture(world[1], str(tmp_path / "out"), history=4,
                                      dashboards_dir=str(tmp_path / "boards"),
                                      prometheus_yml=os.path.join(REPO, "prometheus",
                                                                  "prometheus.yml"))
    by_title = {r.title: r for r in results}
    assert by_title["nothing"].values == 0
    assert by_title["up"].series >= 1 and by_title["up"].values >= 2


def test_units_are_formatted_as_grafana_shows_them():
    f = dashboards.format_value
    assert f(0.1234, "percentunit") == "12.3%"
    assert f(90, "s") == "1.5 min" and f(7200, "s") == "2.0 hour" and f(0.02, "s") == "20 ms"
    assert f(3 * 1024 ** 3, "bytes") == "3.00 GiB" and f(2048, "mbytes") == "2.00 GiB"
    assert f(12345, "short") == "12.3 K" and f(7, "short") == "7"
    assert f(1748736000000, "dateTimeAsIso") == "2025-06-01 00:00:00"
    assert f(float("nan"), "short") == "No data"


def test_committed_pictures_cover_every_dashboard_and_chart():
    """make pictures writes them; the docs show each one."""
    img = os.path.join(REPO, "docs", "img")
    with open(os.path.join(REPO, "docs", "monitoring.md"), encoding="utf-8") as f:
        monitoring = f.read()
    with open(os.path.join(REPO, "docs", "report.md"), encoding="utf-8") as f:
        report = f.read()
    for name in BOARDS:
        path = os.path.join(img, f"dashboard-{name}.png")
        assert os.path.exists(path), f"{path}: run make pictures"
        assert png_size(path)[0] == 24 * dashboards.COLUMN_PX
        assert f"img/dashboard-{name}.png" in monitoring
    for chart in CHART_IDS:
        path = os.path.join(img, "report", f"{chart}.png")
        assert os.path.exists(path), f"{path}: run make pictures"
        assert f"img/report/{chart}.png" in report


def test_each_panel_is_drawn_over_a_window_where_its_data_is():
    """Live panels over the live scrapes; history panels over their dashboard's range when it
    covers the backfilled days, else over those days; a retention that keeps them."""
    day = 86400
    now = 1_000 * day
    live = (now - 60, now)
    metrics = {"ecommerce_history_orders"}
    hist = {"type": "timeseries", "targets": [{"expr": "sum(ecommerce_history_orders)"}]}
    gauge = {"type": "stat", "targets": [{"expr": "max(ecommerce_history_orders_x)"}]}
    history_board = {"time": {"from": "now-90d", "to": "now"}, "panels": [
        {"type": "row", "panels": []}, hist]}
    recent = [now - 10 * day, now - 3 * day]
    (start, end, step), per_panel = pictures.windows(history_board, live, (metrics, recent), now)
    assert (start, end) == (now - 90 * day, now) and per_panel is None and step >= 3600
    old = [now - 500 * day, now - 471 * day]
    (start, end, _), _ = pictures.windows(history_board, live, (metrics, old), now)
    assert start == old[0] and old[1] < end < old[1] + day
    mixed = {"time": {"from": "now-24h", "to": "now"}, "panels": [gauge, hist]}
    (start, end, step), per_panel = pictures.windows(mixed, live, (metrics, old), now)
    assert (start, end) == live and step == 1.0
    assert per_panel(gauge) is None and per_panel(hist)[0] == old[0]
    assert pictures.windows(mixed, live, (set(), []), now)[1](hist) is None
    assert pictures.retention_for(old, now) == "530d"
    assert pictures.relative_span("now-6h") == 6 * 3600 and pictures.relative_span("x") is None
