"""The alert rules (written to prometheus/rules/ecommerce.yaml by grafana.build).

Every alert has a severity, a summary, a description and a runbook link to
its section of docs/monitoring.md; tests/monitoring/rules/ has a promtool
unit test for each.
"""

from exporters import families as F
from exporters.business import tables_by_job
from exporters.hadoop import family as _h
from grafana import config
from grafana.panels import rule_sel as sel

S = sel()


def _name(job, family):
    return tables_by_job()[job].family(family).name


def alert(name, expr, for_, severity, summary, description):
    rule = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    rule["labels"] = {"severity": severity}
    rule["annotations"] = {"summary": summary, "description": description,
                           "runbook_url": config.runbook_url(name)}
    return rule


def job_rules():
    periods = config.STALE_PERIODS
    return [
        alert("EcommerceJobStale",
              f"time() - max by (job_name) ({F.JOB_LAST_SUCCESS}{S})\n"
              f"  > on (job_name)\n"
              f"{periods} * max by (job_name) ({F.JOB_SCHEDULE_PERIOD}{S})",
              "10m", "critical",
              "Batch job {{ $labels.job_name }} has not succeeded for "
              f"{periods} schedule periods.",
              "{{ $labels.job_name }} last succeeded {{ $value | humanizeDuration }} ago, "
              f"more than {periods} times its schedule period "
              f"({F.JOB_SCHEDULE_PERIOD}): the business results of this job are "
              "out of date."),
        alert("EcommerceJobNeverSucceeded",
              f"max by (job_name) ({F.JOB_SCHEDULE_PERIOD}{S})\n"
              f"  unless on (job_name)\n"
              f"{F.JOB_LAST_SUCCESS}{S}",
              config.NEVER_SUCCEEDED_FOR, "warning",
              "Batch job {{ $labels.job_name }} has no successful run on record.",
              "{{ $labels.job_name }} is in the job registry (or the outputs) but no run "
              "record under _runs/ says it ever succeeded, for "
              f"{config.NEVER_SUCCEEDED_FOR}."),
        alert("EcommerceJobFailed",
              f"max by (job_name, runner) ({F.JOB_LAST_RUN_SUCCESS}{S}) == 0",
              "", "warning",
              "The latest run of batch job {{ $labels.job_name }} failed.",
              "The latest {{ $labels.runner }} run of {{ $labels.job_name }} failed; its "
              "previous complete output is still the one published. The run record's "
              "error field says why."),
        alert("EcommerceJobMalformedRowsHigh",
              f"max by (job_name, runner) ({F.JOB_LAST_RUN_MALFORMED_RATIO}{S})\n"
              f"  > {config.MALFORMED_RATIO_WARNING}",
              "", "warning",
              "Batch job {{ $labels.job_name }} skipped many malformed rows.",
              "{{ $value | humanizePercentage }} of the rows read by the latest "
              "{{ $labels.runner }} run of {{ $labels.job_name }} were malformed (warning above "
              f"{config.MALFORMED_RATIO_WARNING:.0%}; the pipeline fails a run above its "
              "--max-malformed-share)."),
    ]


def _hours(seconds):
    return f"{seconds / 3600:g}h"


# The freshness stages, upstream first: (alert, stage, metric, label, what the newest day is).
# A day is ingested only once every dataset's landing is complete (DataLayout.complete_days)
# and processed only once ingested, so a late stage is caused by any dataset late upstream.
FRESHNESS_STAGES = (
    ("EcommerceDayNotLanded", "landed", F.DATA_LANDED_DAY, "dataset",
     "landed (closed commit holding {{ $labels.dataset }})"),
    ("EcommerceDayNotIngested", "ingested", F.DATA_INGESTED_DAY, "dataset",
     "ingested (complete canonical partition of {{ $labels.dataset }})"),
    ("EcommerceDayNotProcessed", "processed", F.JOB_PROCESSED_DAY, "job_name",
     "processed (input of the latest successful run of {{ $labels.job_name }})"),
)


def late_condition(stage, metric, label):
    """The stage is late: the day after its newest day is not there DAY_DUE_AFTER after that
    day's end. Its value is how long ago the newest day ended."""
    return (f"time() - 86400 - max by ({label}) ({metric}{S})\n"
            f"  > 86400 + {config.DAY_DUE_AFTER[stage]}")


def freshness_rules():
    """One alert per stage, which does not fire while a stage upstream of it is late (for
    any dataset): a late landing fires EcommerceDayNotLanded alone, not also the ingest and
    processing of the day it holds up. No Alertmanager runs with the suite (on the cluster
    neither), so the inhibition is in the expressions: `unless on ()` the upstream
    conditions, without their `for`, so the downstream alert stays silent from the moment
    the upstream stage is late."""
    rules = []
    for i, (name, stage, metric, label, what) in enumerate(FRESHNESS_STAGES):
        expr = late_condition(stage, metric, label)
        upstream = [late_condition(s, m, lab) for _, s, m, lab, _ in FRESHNESS_STAGES[:i]]
        if upstream:
            causes = "\nor\n".join(f"({c})" for c in upstream)
            expr += f"\nunless on ()\n(\n{causes}\n)"
        rules.append(alert(
            name, expr, config.FRESHNESS_FOR, "warning",
            f"No new day {stage} for {{{{ $labels.{label} }}}}.",
            f"The newest day {what} ended {{{{ $value | humanizeDuration }}}} ago: the next "
            f"day was due {_hours(config.DAY_DUE_AFTER[stage])} after its end and is not "
            f"{stage}."))
    return rules


def business_rules():
    day = f"max({_name('daily_revenue', 'daily_revenue_day_timestamp_seconds')}{S})"
    fraud = _name("fraud_signals", "fraud_newest_day_signals")
    limits = config.FRAUD_SIGNALS_PER_DAY_MAX
    fraud_expr = "\nor\n".join(
        f'max by (rule) ({fraud}{sel(f"rule={rule!r}".replace(chr(39), chr(34)))}) > {n}'
        for rule, n in limits.items())
    return [
        alert("EcommerceRevenueAnomaly",
              f"{day}\n  and on ()\n"
              f"max({_name('daily_revenue', 'daily_revenue_total_anomaly')}{S}) == 1",
              "", "warning",
              "Orders or net revenue broke from the trailing week.",
              "The newest day of daily_revenue ({{ $value | humanizeTimestamp }}) is flagged: "
              "orders or net revenue over every sales region are more than 2 standard "
              "deviations from the trailing week."),
        alert("EcommerceRegionRevenueAnomaly",
              f"(max by (sales_region) ({_name('daily_revenue', 'daily_revenue_anomaly')}{S}) "
              f"== 1)\n  * on () group_left ()\n{day}",
              "", "warning",
              "Orders or net revenue in {{ $labels.sales_region }} broke from the trailing "
              "week.",
              "The newest day of daily_revenue ({{ $value | humanizeTimestamp }}) is flagged "
              "in {{ $labels.sales_region }}: its orders or net revenue are more than 2 "
              "standard deviations from the region's trailing week."),
        alert("EcommerceFraudSignalsHigh", fraud_expr, "", "warning",
              "Many {{ $labels.rule }} fraud signals on the newest day.",
              "{{ $value }} entities were flagged by {{ $labels.rule }} on the newest day with "
              "fraud signals, above the threshold ("
              + ", ".join(f"{r} {n}" for r, n in limits.items()) + ")."),
    ]


def hadoop_rules():
    fs = sel('name="FSNamesystem"')
    nms = sel('name="ClusterMetrics"')
    return [
        alert("HadoopDataNodeDown",
              f"{_h('hadoop_namenode_numdeaddatanodes')}{fs} > 0",
              config.HADOOP_FOR, "critical",
              "HDFS has dead DataNodes.",
              "The NameNode counts {{ $value }} dead DataNode(s): blocks on them are "
              "under-replicated (or missing if it was the only replica)."),
        alert("HadoopHDFSCapacityLow",
              f"{_h('hadoop_namenode_capacityremaining')}{fs}\n"
              f"  / clamp_min({_h('hadoop_namenode_capacitytotal')}{fs}, 1)\n"
              f"  < {config.HDFS_REMAINING_RATIO_MIN}",
              "15m", "warning",
              "HDFS is running out of space.",
              "Only {{ $value | humanizePercentage }} of the HDFS capacity is left (threshold "
              f"{config.HDFS_REMAINING_RATIO_MIN:.0%}); DataNodes refuse writes when full and "
              "job outputs fail."),
        alert("HadoopHDFSMissingBlocks",
              f"{_h('hadoop_namenode_missingblocks')}{fs} > 0",
              config.HADOOP_FOR, "critical",
              "HDFS has missing blocks.",
              "{{ $value }} HDFS block(s) have no live replica: files that contain them "
              "cannot be read."),
        alert("HadoopNoActiveNodeManagers",
              f"{_h('hadoop_resourcemanager_numactivenms')}{nms} == 0",
              config.HADOOP_FOR, "critical",
              "YARN has no active NodeManager.",
              "The ResourceManager has no active NodeManager: hadoop-runner jobs wait "
              "forever for containers."),
        alert("HadoopNodeManagersUnhealthy",
              f"{_h('hadoop_resourcemanager_numlostnms')}{nms}\n"
              f"  + {_h('hadoop_resourcemanager_numunhealthynms')}{nms}\n"
              f"  > 0",
              config.HADOOP_FOR, "warning",
              "YARN has lost or unhealthy NodeManagers.",
              "{{ $value }} NodeManager(s) are lost or unhealthy: the cluster runs with less "
              "capacity than it has."),
    ]


def exporter_rules():
    return [
        alert("EcommerceExporterSourceDown",
              f"{F.SOURCE_UP}{S} == 0",
              config.SOURCE_DOWN_FOR, "warning",
              "ecom-exporter cannot read its {{ $labels.source }} source.",
              "ecom-exporter on {{ $labels.instance }} has not been able to read "
              f"{{{{ $labels.source }}}} for {config.SOURCE_DOWN_FOR}: the metrics that come "
              "from it are missing. Its log names the file or URL."),
        alert("EcommerceExporterItemsSkipped",
              f"sum by (instance, source, reason) (increase({F.SKIPPED_ITEMS}{S}[5m])) > 0",
              config.SOURCE_DOWN_FOR, "warning",
              "ecom-exporter skips {{ $labels.reason }} items of its {{ $labels.source }} "
              "source.",
              "ecom-exporter on {{ $labels.instance }} has skipped {{ $labels.reason }} items "
              f"of {{{{ $labels.source }}}} in every scrape for {config.SOURCE_DOWN_FOR}: the "
              "metrics of those items (a job's output or run records, a value) are missing, "
              "the rest is served. Its log names each item."),
        alert("EcommerceExporterDown",
              f"up{S} == 0",
              config.EXPORTER_DOWN_FOR, "critical",
              "Prometheus cannot scrape ecom-exporter.",
              "The scrape of {{ $labels.instance }} has failed for "
              f"{config.EXPORTER_DOWN_FOR}: no business, job or cluster metrics are coming in "
              "and the other alerts cannot fire."),
    ]


def rule_groups():
    return {"groups": [
        {"name": "ecommerce-jobs", "rules": job_rules()},
        {"name": "ecommerce-freshness", "rules": freshness_rules()},
        {"name": "ecommerce-business", "rules": business_rules()},
        {"name": "ecommerce-hadoop", "rules": hadoop_rules()},
        {"name": "ecommerce-exporter", "rules": exporter_rules()},
    ]}


def alert_names():
    return [r["alert"] for g in rule_groups()["groups"] for r in g["rules"]]
