"""Just enough PromQL reading for the tests: the metric names an expression selects, and the
expressions of every dashboard panel and alert rule (with Grafana's variables filled in)."""

import glob
import json
import os
import re

import yaml

from grafana import config
from tests.monitoring.conftest import REPO

DASHBOARD_DIR = os.path.join(REPO, "grafana", "dashboards")
RULE_FILES = sorted(glob.glob(os.path.join(REPO, "prometheus", "rules", "*.yaml")))

# Grafana's built-in variables, as a 15 s scrape interval makes them, and the dashboards'
# own ($job) at their default.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h",
                     "$" + config.JOB_VARIABLE: config.SCRAPE_JOB}

KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan", "atan2",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_BRACES = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")


def fill_variables(expr):
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def metric_names(expr):
    """Metric names selected by `expr` (functions, keywords and label names left out)."""
    text = _STRING.sub('""', fill_variables(expr))
    text = _BRACES.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for m in _IDENT.finditer(text):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        names.add(name)
    return names


def dashboards():
    """{file name: dashboard JSON} of grafana/dashboards/."""
    out = {}
    for path in sorted(glob.glob(os.path.join(DASHBOARD_DIR, "*.json"))):
        with open(path, encoding="utf-8") as f:
            out[os.path.basename(path)] = json.load(f)
    return out


def panels(dashboard):
    """Every panel, those nested in collapsed rows included."""
    for p in dashboard["panels"]:
        yield p
        yield from p.get("panels", [])


def panel_targets():
    """[(dashboard file, panel title, target)] of every target of every panel."""
    return [(name, p["title"], t) for name, d in dashboards().items() for p in panels(d)
            for t in p.get("targets", [])]


def rules():
    out = []
    for path in RULE_FILES:
        with open(path, encoding="utf-8") as f:
            for group in yaml.safe_load(f)["groups"]:
                out.extend(group["rules"])
    return out


def landed_only_names():
    """Families a snapshot run cannot have: freshness (landed days) and the backfilled history.
    test_e2e checks the panels without them, test_history the panels with them."""
    from exporters import families as F

    return {m.name for m in F.FRESHNESS + F.HISTORY}


def needs_landed_days(expr):
    return bool(metric_names(expr) & landed_only_names())
