"""Small builders of Grafana dashboard JSON (schemaVersion 39, no Angular panels)."""

from exporters import families as F
from grafana import config
from grafana.config import DATASOURCE, SELECTOR

SCHEMA_VERSION = 39
GRID_WIDTH = 24


def sel(extra="", selector=SELECTOR):
    """The dashboards' selector, with more matchers: sel('status="failed"')."""
    return "{" + selector + (", " + extra if extra else "") + "}"


def rule_sel(extra=""):
    """The alert rules' selector (no template variables), with more matchers."""
    return sel(extra, config.RULE_SELECTOR)


def target(expr, legend="", ref="A", instant=False, table=False):
    t = {"datasource": DATASOURCE, "refId": ref, "expr": expr,
         "legendFormat": legend or "__auto", "range": not instant, "instant": instant}
    if table:
        t["format"] = "table"
    return t


def thresholds(*steps, mode="absolute"):
    """thresholds("green", (0.7, "orange"), (0.9, "red"))."""
    base, *rest = steps
    return {"mode": mode, "steps": [{"color": base, "value": None}]
            + [{"color": c, "value": v} for v, c in rest]}


def _panel(kind, title, targets, unit, description, options, custom=None, th=None,
           mappings=None, decimals=None, min_=None, max_=None, overrides=None):
    defaults = {"unit": unit, "mappings": mappings or [],
                "thresholds": th or thresholds("green")}
    if custom is not None:
        defaults["custom"] = custom
    if decimals is not None:
        defaults["decimals"] = decimals
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    if isinstance(targets, dict):
        targets = [targets]
    for i, t in enumerate(targets):
        t["refId"] = chr(ord("A") + i)
    return {"type": kind, "title": title, "description": description, "datasource": DATASOURCE,
            "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
            "options": options}


REDUCE_LAST = {"calcs": ["lastNotNull"], "fields": "", "values": False}


def stat(title, targets, unit="short", description="", th=None, mappings=None, decimals=None,
         graph=False):
    return _panel("stat", title, targets, unit, description, {
        "reduceOptions": REDUCE_LAST, "colorMode": "value",
        "graphMode": "area" if graph else "none", "textMode": "auto",
        "justifyMode": "auto", "orientation": "auto", "wideLayout": True,
        "showPercentChange": False}, th=th, mappings=mappings, decimals=decimals)


def bargauge(title, targets, unit="short", description="", th=None, decimals=None, min_=None,
             max_=None):
    return _panel("bargauge", title, targets, unit, description, {
        "reduceOptions": REDUCE_LAST, "orientation": "horizontal", "displayMode": "gradient",
        "valueMode": "color", "showUnfilled": True, "namePlacement": "auto",
        "sizing": "auto", "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300},
        th=th, decimals=decimals, min_=min_, max_=max_)


def timeseries(title, targets, unit="short", description="", th=None, threshold_line=False,
               stack=False, draw="line", decimals=None, min_=None):
    custom = {"drawStyle": draw, "lineInterpolation": "stepAfter" if draw == "line" else "linear",
              "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": True,
              "axisPlacement": "auto", "stacking": {"mode": "normal" if stack else "none",
                                                     "group": "A"},
              "thresholdsStyle": {"mode": "line" if threshold_line else "off"}}
    return _panel("timeseries", title, targets, unit, description, {
        "legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                   "calcs": ["lastNotNull"]},
        "tooltip": {"mode": "multi", "sort": "desc"}}, custom=custom, th=th,
        decimals=decimals, min_=min_)


def table(title, targets, unit="short", description="", rename=None, overrides=None,
          hide=("Time",), mappings=None):
    """An instant table: each target a column ("Value #A", ...), merged on their labels."""
    for t in targets:
        t.update(instant=True, range=False, format="table")
    panel = _panel("table", title, targets, unit, description, {
        "showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"],
                                                           "fields": ""}},
        custom={"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False},
        overrides=overrides, mappings=mappings)
    panel["transformations"] = [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {h: True for h in hide} | {"job": True,
                                                                                  "instance": True},
                                       "renameByName": rename or {}}}]
    return panel


def column_unit(column, unit):
    """A table override: `column` shown with `unit`."""
    return {"matcher": {"id": "byName", "options": column},
            "properties": [{"id": "unit", "value": unit}]}


def column_mappings(column, mappings):
    """A table override: value mappings (e.g. 1 -> "succeeded") for one column only."""
    return {"matcher": {"id": "byName", "options": column},
            "properties": [{"id": "mappings", "value": mappings},
                           {"id": "custom.cellOptions", "value": {"type": "color-text"}}]}


def row(title):
    if not title:
        raise ValueError("every row has a title")
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


def variables():
    """$datasource (any Prometheus, the provisioned one by default) and $job (the scrape jobs
    that have the exporter's metrics, the committed scrape job by default)."""
    query = f"label_values({F.BUILD_INFO}, job)"
    return [
        {"name": config.DATASOURCE_VARIABLE, "label": "Data source", "type": "datasource",
         "query": "prometheus", "regex": "", "hide": 0, "refresh": 1, "options": [],
         "includeAll": False, "multi": False,
         "current": {"selected": True, "text": config.DATASOURCE_UID,
                     "value": config.DATASOURCE_UID}},
        {"name": config.JOB_VARIABLE, "label": "Scrape job", "type": "query",
         "datasource": DATASOURCE, "definition": query,
         "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "regex": "", "hide": 0, "refresh": 2, "sort": 1, "options": [],
         "includeAll": False, "multi": False,
         "current": {"selected": True, "text": config.SCRAPE_JOB, "value": config.SCRAPE_JOB}},
    ]


OK_FAILED = [{"type": "value", "options": {
    "1": {"text": "succeeded", "color": "green", "index": 0},
    "0": {"text": "failed", "color": "red", "index": 1}}}]
UP_DOWN = [{"type": "value", "options": {
    "1": {"text": "up", "color": "green", "index": 0},
    "0": {"text": "down", "color": "red", "index": 1}}}]


class Layout:
    """Places panels left to right in rows of 24 columns; a row panel starts a new line."""

    def __init__(self):
        self.panels, self.x, self.y, self.line_h = [], 0, 0, 0

    def row(self, title):
        self._newline()
        p = row(title)
        p["gridPos"] = {"x": 0, "y": self.y, "w": GRID_WIDTH, "h": 1}
        self.y += 1
        return self._add(p)

    def _newline(self):
        if self.x:
            self.y += self.line_h
        self.x, self.line_h = 0, 0

    def add(self, panel, w=8, h=8):
        if not panel.get("title"):
            raise ValueError("every panel has a title")
        if self.x + w > GRID_WIDTH:
            self._newline()
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.line_h = max(self.line_h, h)
        return self._add(panel)

    def _add(self, panel):
        panel["id"] = len(self.panels) + 1
        self.panels.append(panel)
        return panel


def dashboard(uid, title, description, layout, tags=(), refresh="1m", time_from="now-24h"):
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["ecommerce", *tags],
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": refresh,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "templating": {"list": variables()},
        "links": [{"title": "E-commerce dashboards", "type": "dashboards", "tags": ["ecommerce"],
                   "asDropdown": True, "includeVars": False, "keepTime": True,
                   "targetBlank": False, "icon": "external link", "tooltip": "", "url": ""}],
        "panels": layout.panels,
    }
