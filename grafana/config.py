"""The one place for what the dashboards and the alert rules share: selectors and thresholds.

Change a value here, run `make monitoring-build` (python -m grafana.build),
commit the regenerated JSON and YAML; tests/monitoring fails while the
committed files differ from what this produces.
"""

from ecomsuite.jobbase import DEFAULT_MAX_MALFORMED_SHARE

# --- where the data is ------------------------------------------------------

DATASOURCE_UID = "ecommerce-prometheus"   # grafana/provisioning/datasources/prometheus.yaml
SCRAPE_JOB = "ecommerce-exporter"         # job_name of the exporter in prometheus/prometheus.yml
# Dashboards: the data source and the scrape job are template variables ($datasource, $job,
# defaulting to the two above), as in the mixins; every panel query carries this selector.
DATASOURCE_VARIABLE = "datasource"
JOB_VARIABLE = "job"
DATASOURCE = {"type": "prometheus", "uid": "${" + DATASOURCE_VARIABLE + "}"}
SELECTOR = f'job=~"${JOB_VARIABLE}"'
# Alert rules have no variables: they select the scrape job itself.
RULE_SELECTOR = f'job="{SCRAPE_JOB}"'
# The exporter's default address (exporters/cli.py), as the rule unit tests' `instance`.
EXPORTER_ADDRESS = "127.0.0.1:8398"

# --- batch jobs ---------------------------------------------------------------

# A job is stale when it has not succeeded for this many schedule periods.
# The period itself is per job, exported as ecommerce_job_schedule_period_seconds
# (exporter settings schedule_period_seconds / schedules; default one day).
STALE_PERIODS = 2
# A job that has never succeeded alerts after this long (two default periods).
NEVER_SUCCEEDED_FOR = "2d"
# Malformed share of a run that deserves a look. Runs above the pipeline's own
# gate (--max-malformed-share, DEFAULT_MAX_MALFORMED_SHARE) fail outright and
# raise EcommerceJobFailed; this warns well before that.
MALFORMED_RATIO_WARNING = 0.01
assert MALFORMED_RATIO_WARNING < DEFAULT_MAX_MALFORMED_SHARE

# --- freshness of the days -------------------------------------------------------
# Day D is complete at midnight D+1 (UTC). With D the newest day at a stage, day D+1 is due
# at midnight D+2 plus the stage's grace below; after that (and FRESHNESS_FOR) the stage's
# alert fires. The Terraform timer starts the daily run at 00:30 UTC (terraform/modules/
# cluster-config, ecom-daily.timer): landing by 01:00, ingest and jobs done by 04:00 / 06:00.
DAY_DUE_AFTER = {                 # seconds after the end of the day that is due
    "landed": 1 * 3600,
    "ingested": 4 * 3600,
    "processed": 6 * 3600,
}
FRESHNESS_FOR = "10m"

# --- business alerts --------------------------------------------------------------
# Fraud entities flagged on the newest day with signals, per rule, above which
# EcommerceFraudSignalsHigh fires (jobs/mr_fraud_signals.py RULES).
FRAUD_SIGNALS_PER_DAY_MAX = {"bot_session": 20, "order_burst": 5, "amount_outlier": 5}

# --- Hadoop -------------------------------------------------------------------

HDFS_REMAINING_RATIO_MIN = 0.20   # the apache-hadoop mixin's threshold (20 %)
HDFS_USED_RATIO_WARNING = 0.70    # dashboard colour steps
HADOOP_FOR = "5m"                 # DataNode dead, blocks missing, no NodeManager

# --- the exporter itself ------------------------------------------------------

SOURCE_DOWN_FOR = "10m"
EXPORTER_DOWN_FOR = "5m"

# --- links ----------------------------------------------------------------------

# Alerts link to the runbook sections of docs/monitoring.md (anchor
# "runbook-<alert name in lower case>"). Point this at the repository's web
# view when it has one, e.g. https://git.example.com/shop/analytics/blob/main/docs/monitoring.md
RUNBOOK_BASE = "docs/monitoring.md"


def runbook_url(alert):
    return f"{RUNBOOK_BASE}#runbook-{alert.lower()}"
