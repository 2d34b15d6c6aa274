"""Dashboards and alert rules as code: `python -m grafana.build` writes
grafana/dashboards/*.json and prometheus/rules/ecommerce.yaml from the
selectors and thresholds in grafana/config.py."""
