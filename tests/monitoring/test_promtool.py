"""promtool on the committed config and rules, on the rule unit tests and on real /metrics output."""

import glob
import os
import subprocess

import pytest
import yaml

from grafana.alerts import alert_names
from tests.monitoring.conftest import REPO
from tests.monitoring.fakes import FakeHadoop
from tests.monitoring.processes import http_get, need, start_exporter

pytestmark = pytest.mark.prometheus

RULE_TESTS = sorted(glob.glob(os.path.join(REPO, "tests", "monitoring", "rules", "*.yaml")))


def promtool(*args, stdin=None):
    result = subprocess.run([need("promtool"), *args], input=stdin, capture_output=True,
                            cwd=REPO, timeout=120)
    out = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{out}"
    return out


def test_promtool_check_config():
    out = promtool("check", "config", "prometheus/prometheus.yml")
    assert "1 rule files found" in out


def test_promtool_check_rules():
    rules = sorted(glob.glob(os.path.join(REPO, "prometheus", "rules", "*.yaml")))
    assert rules
    out = promtool("check", "rules", *rules)
    assert f"{len(alert_names())} rules found" in out


def test_promtool_test_rules():
    assert RULE_TESTS
    promtool("test", "rules", *RULE_TESTS)


def test_every_alert_has_a_unit_test_named_after_its_behaviour():
    tested, names = set(), []
    for path in RULE_TESTS:
        with open(path, encoding="utf-8") as f:
            for case in yaml.safe_load(f)["tests"]:
                names.append(case["name"])
                for t in case.get("alert_rule_test", []):
                    if t["exp_alerts"]:
                        tested.add(t["alertname"])
    assert set(alert_names()) <= tested, set(alert_names()) - tested
    for alert in alert_names():
        assert any(n.startswith(alert + " fires when") for n in names), alert


def test_promtool_check_metrics_on_the_real_exporter(pipeline_output, tmp_path):
    with FakeHadoop() as hadoop:
        proc, url = start_exporter(str(tmp_path), "--outputs", pipeline_output,
                                   "--namenode-url", hadoop.url,
                                   "--resourcemanager-url", hadoop.url)
        try:
            body = http_get(url)
        finally:
            proc.stop()
    text = body.decode()
    assert 'ecommerce_exporter_source_up{source="namenode"} 1.0' in text
    assert "hadoop_namenode_capacitytotal" in text and "ecommerce_sales_orders" in text
    promtool("check", "metrics", stdin=body)
