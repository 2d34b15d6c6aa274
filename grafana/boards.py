"""The three dashboards: business results, batch jobs, Hadoop cluster.

The business dashboard's per-job sections come from exporters.business.OUTPUT_TABLES,
so a job added to that table gets its panels here without further edits.
"""

from exporters import families as F
from exporters.business import AMOUNT, OUTPUT_TABLES, tables_by_job
from exporters.hadoop import family as _h
from grafana import config
from grafana.panels import (
    OK_FAILED,
    UP_DOWN,
    Layout,
    bargauge,
    column_mappings,
    column_unit,
    dashboard,
    sel,
    stat,
    table,
    target,
    thresholds,
    timeseries,
)

S = sel()
FAILED = sel('status="failed"')


def _name(job, family):
    """A business family's full name, looked up in the table (a rename there fails here)."""
    return tables_by_job()[job].family(family).name


def business():
    lay = Layout()
    lay.row("Overview")
    gross = _name("sales_by_region", "sales_gross_amount")
    orders = _name("sales_by_region", "sales_orders")
    customers = _name("customer_tiers", "customer_tier_customers")
    converted = _name("device_conversions", "device_converted_sessions")
    sessions = _name("device_conversions", "device_sessions")
    lay.add(stat("Gross sales, all regions", target(f"sum({gross}{S})"),
                 description="Sum of gross sales over the sales regions in the latest "
                             "sales_by_region output (currency units).", decimals=2), w=5, h=4)
    lay.add(stat("Orders", target(f"sum({orders}{S})"),
                 description="Orders in the latest sales_by_region output."), w=4, h=4)
    lay.add(stat("Customers", target(f"sum({customers}{S})"),
                 description="Customers in the latest customer_tiers output."), w=4, h=4)
    lay.add(stat("Session conversion, all devices",
                 target(f"sum({converted}{S}) / sum({sessions}{S})"),
                 unit="percentunit", decimals=1,
                 description="Converted sessions / sessions over every device."), w=5, h=4)
    lay.add(stat("Oldest result", target(f"time() - min({F.OUTPUT_TIMESTAMP}{S})"),
                 unit="s", description="Age of the oldest of the jobs' latest complete outputs "
                 "shown here (see the Batch jobs dashboard for each job).",
                 th=thresholds("green", (86400 * config.STALE_PERIODS, "red"))), w=6, h=4)

    for tbl in OUTPUT_TABLES:
        lay.row(tbl.title)
        n = len(tbl.families)
        for fam in tbl.families:
            lay.add(_family_panel(fam), w=24 // n if n <= 4 else 8, h=7)
        same_labels = {f.labels for f in tbl.families}
        if len(same_labels) == 1 and len(tbl.families[0].labels) == 1 \
                and all(f.panel_by is None for f in tbl.families):
            (label,) = tbl.families[0].labels
            cols = [target(f"sum by ({label}) ({fam.name}{S})", instant=True)
                    for fam in tbl.families]
            rename = {f"Value #{chr(65 + i)}": _title(f.field) for i, f in enumerate(tbl.families)}
            overrides = [column_unit(_title(f.field), f.unit) for f in tbl.families]
            lay.add(table(f"{tbl.title}: latest output", cols, rename=rename,
                          overrides=overrides, description=f"Every field of the latest complete "
                          f"{tbl.job} output, one row per {label}."), w=12, h=8)
            history_width = 12
        else:
            history_width = 24
        first = next(f for f in tbl.families if not f.name.endswith("_timestamp_seconds"))
        expr, legend = _family_query(first)
        lay.add(timeseries(f"{first.title or _title(first.field)} over time", target(expr, legend),
                           unit=first.unit, description="The value in the latest output at each "
                           "moment: it steps when a new output is published."),
                w=history_width, h=8)
    return dashboard("ecommerce-business", "E-commerce business",
                     "Business results from each job's latest complete output "
                     "(ecom-exporter, ecommerce_* metrics).", lay, tags=("business",))


def _panel_labels(fam):
    """The labels the family's panel shows (sums by); () for one total."""
    return fam.labels if fam.panel_by is None else fam.panel_by


def _family_query(fam):
    """(expression, legend) of a business family's panel."""
    by = _panel_labels(fam)
    if by:
        return (f"sum by ({', '.join(by)}) ({fam.name}{S})",
                " ".join("{{" + label + "}}" for label in by))
    if fam.labels:  # an additive family shown as one total
        return f"sum({fam.name}{S})", fam.field
    return f"max({fam.name}{S})", fam.field


def _family_panel(fam):
    expr, legend = _family_query(fam)
    description = fam.help
    if fam.labels and not _panel_labels(fam):
        description += f" Shown summed over {', '.join(fam.labels)}."
    elif fam.panel_by:
        description += f" Shown summed by {', '.join(fam.panel_by)}."
    title = fam.title or _title(fam.field)
    if fam.name.endswith("_timestamp_seconds"):  # Grafana's date units take milliseconds
        return stat(title, target(f"{expr} * 1000", legend), unit="dateTimeAsIso",
                    description=description)
    if _panel_labels(fam):
        return bargauge(title, target(expr, legend, instant=True), unit=fam.unit,
                        description=description, min_=0,
                        max_=1 if fam.unit == "percentunit" else None)
    return stat(title, target(expr, legend), unit=fam.unit, description=description)


def _title(field):
    return field.replace("_", " ").capitalize()


def batch_jobs():
    lay = Layout()
    periods = config.STALE_PERIODS
    lay.row("Freshness")
    lay.add(stat("Time since last success", target(
        f"time() - max by (job_name) ({F.JOB_LAST_SUCCESS}{S})",
        "{{job_name}}"), unit="s",
        description="The key metric of a batch job: how long ago it last succeeded."),
        w=12, h=6)
    lay.add(bargauge("Staleness in schedule periods", target(
        f"(time() - max by (job_name) ({F.JOB_LAST_SUCCESS}{S})) / "
        f"max by (job_name) ({F.JOB_SCHEDULE_PERIOD}{S})", "{{job_name}}",
        instant=True), unit="none", decimals=2, min_=0, max_=periods + 1,
        th=thresholds("green", (1, "orange"), (periods, "red")),
        description=f"Time since last success / the job's schedule period: EcommerceJobStale "
                    f"fires above {periods}."), w=12, h=6)
    lay.add(stat("Last run", target(
        f"max by (job_name) ({F.JOB_LAST_RUN_SUCCESS}{S})", "{{job_name}}"),
        mappings=OK_FAILED, th=thresholds("red", (1, "green")),
        description="Whether each job's latest run succeeded."), w=12, h=5)
    lay.add(table("Latest run of each job", [
        target(f"max by (job_name, runner) ({F.JOB_LAST_RUN_SUCCESS}{S})"),
        target(f"max by (job_name, runner) ({F.JOB_LAST_RUN_DURATION}{S})"),
        target(f"max by (job_name, runner) ({F.JOB_LAST_RUN_INPUT_ROWS}{S})"),
        target(f"max by (job_name, runner) ({F.JOB_LAST_RUN_MALFORMED_RATIO}{S})"),
        target(f"time() - max by (job_name, runner) ({F.JOB_LAST_RUN}{S})"),
    ], rename={"Value #A": "Status", "Value #B": "Duration", "Value #C": "Input rows",
               "Value #D": "Malformed share", "Value #E": "Finished"},
        overrides=[column_unit("Duration", "s"), column_unit("Malformed share", "percentunit"),
                   column_unit("Finished", "s"), column_mappings("Status", OK_FAILED)],
        description="Status, duration, rows and age of each job's latest run (Finished: "
                    "seconds ago)."), w=12, h=5)

    lay.row("Runs")
    lay.add(timeseries("Last run duration", target(
        f"max by (job_name) ({F.JOB_LAST_RUN_DURATION}{S})", "{{job_name}}"),
        unit="s", description="Wall time of each job's latest run."), w=12)
    lay.add(timeseries("Runs finished", target(
        f"sum by (job_name) (changes({F.JOB_LAST_RUN}{S}[$__rate_interval]))",
        "{{job_name}}"), unit="short", draw="bars", stack=True, min_=0,
        description="Runs that finished per interval (changes of the latest run's finish "
                    "time), by job."), w=12)
    lay.add(stat("Failed runs among the recent records", target(
        f"sum by (job_name) ({F.JOB_RECENT_RUNS}{FAILED})",
        "{{job_name}}"), th=thresholds("green", (1, "orange")),
        description="Failed runs among the newest run records the exporter reads "
                    "(run_records_limit per job)."), w=24, h=4)

    lay.row("Rows")
    lay.add(timeseries("Input rows (latest run)", target(
        f"max by (job_name) ({F.JOB_LAST_RUN_INPUT_ROWS}{S})", "{{job_name}}"),
        description="Data rows read (valid + malformed)."), w=12)
    lay.add(timeseries("Output rows (latest run)", target(
        f"max by (job_name) ({F.JOB_LAST_RUN_OUTPUT_ROWS}{S})", "{{job_name}}"),
        description="Rows written by the latest run (absent when it failed)."), w=12)
    lay.add(timeseries("Malformed rows by reason (latest run)", target(
        f"sum by (job_name, reason) ({F.JOB_LAST_RUN_MALFORMED_ROWS}{S})",
        "{{job_name}} {{reason}}"), description="Rows skipped as malformed, by reason."), w=12)
    lay.add(timeseries("Malformed share (latest run)", target(
        f"max by (job_name) ({F.JOB_LAST_RUN_MALFORMED_RATIO}{S})", "{{job_name}}"),
        unit="percentunit", threshold_line=True, min_=0,
        th=thresholds("green", (config.MALFORMED_RATIO_WARNING, "orange")),
        description=f"Malformed / input rows; EcommerceJobMalformedRowsHigh fires above "
                    f"{config.MALFORMED_RATIO_WARNING:.0%}."), w=12)

    _freshness_row(lay)
    _exporter_row(lay, "outputs", "data")
    return dashboard("ecommerce-batch-jobs", "E-commerce batch jobs",
                     "Freshness, durations, rows, malformed rows and failures of the suite's "
                     "jobs, from their run records.", lay, tags=("batch",))


def _exporter_row(lay, *sources):
    lay.row("Exporter")
    only = sel('source=~"' + "|".join(sources) + '"')
    lay.add(stat("Sources", target(f"max by (source) ({F.SOURCE_UP}{only})", "{{source}}"),
                 mappings=UP_DOWN, th=thresholds("red", (1, "green")),
                 description="1 when the exporter read the source completely in its last "
                             "scrape (EcommerceExporterSourceDown)."), w=6, h=6)
    lay.add(stat("Exporter scraped", target(f"max(up{S})", "up"), mappings=UP_DOWN,
                 th=thresholds("red", (1, "green")),
                 description="Prometheus' own up metric for the exporter (EcommerceExporterDown)."),
            w=4, h=6)
    errors = [target(f"sum by (source) (increase({F.SCRAPE_ERRORS}{only}[$__rate_interval]))",
                     "{{source}} unreadable")]
    if "outputs" in sources:  # the source made of items (files): it skips bad ones
        errors.append(target(f"sum by (source, reason) (increase({F.SKIPPED_ITEMS}{only}"
                             f"[$__rate_interval]))", "{{source}} skipped {{reason}}"))
    lay.add(timeseries("Source read errors" + (" and skipped items" if len(errors) > 1 else ""),
                       errors, description="Scrapes in which a source could not be read"
                       + (", and items skipped (EcommerceExporterItemsSkipped)."
                          if len(errors) > 1 else "."), min_=0), w=7, h=6)
    lay.add(timeseries("Collection time", target(
        f"max by (source) ({F.COLLECT_DURATION}{only})", "{{source}}"), unit="s",
        description="Time each scrape spends reading a source."), w=7, h=6)


def _history_query(metric, extra=""):
    """A backfilled family (one sample per day at its midnight) as a step line over days:
    last_over_time bridges the day between two samples, without a label per day."""
    by = ", ".join(metric.labels)
    agg = "avg" if metric.name.endswith("_ratio") else "sum"
    inner = f"last_over_time({metric.name}{sel(extra)}[1d])"
    if by:
        return f"{agg} by ({by}) ({inner})", " ".join("{{" + lb + "}}" for lb in metric.labels)
    return f"max({inner})", metric.name.removeprefix("ecommerce_history_").replace("_", " ")


def _history_unit(metric):
    if metric.name.endswith("_ratio"):
        return "percentunit"
    return AMOUNT if metric.name.endswith("_amount") else "short"


def history():
    """Every processed day: the HISTORY families (written by `ecom-exporter backfill`), one
    panel each, plus totals over every region; anomaly days marked as annotations."""
    lay = Layout()
    lay.row("Every processed day")
    orders, net = F.HISTORY_ORDERS, F.HISTORY_NET_AMOUNT
    lay.add(timeseries("Orders per day, every region", target(
        f"sum(last_over_time({orders.name}{S}[1d]))", "orders"), min_=0,
        description="Orders per day over every sales region (daily_revenue, backfilled)."),
        w=12, h=8)
    lay.add(timeseries("Net revenue per day, every region", target(
        f"sum(last_over_time({net.name}{S}[1d]))", "net revenue"), unit=AMOUNT, min_=0,
        description="Net revenue per day over every sales region (currency units)."),
        w=12, h=8)
    for metric in F.HISTORY:
        expr, legend = _history_query(metric)
        anomaly = "anomaly" in metric.name
        lay.add(timeseries(_history_title(metric), target(expr, legend), unit=_history_unit(metric),
                           draw="bars" if anomaly else "line", min_=0,
                           description=metric.help + " Each day's value holds until the next "
                           "day's (last_over_time over 1d)."), w=12, h=8)
    board = dashboard("ecommerce-history", "E-commerce history",
                      "KPIs of every processed day, backfilled into Prometheus at each day's "
                      "UTC midnight by `ecom-exporter backfill` (no label per day); anomaly "
                      "days are marked.", lay, tags=("business", "history"), refresh="1h",
                      time_from="now-90d")
    board["annotations"]["list"].append({
        "datasource": config.DATASOURCE, "enable": True, "hide": False,
        "iconColor": "red", "name": "Anomaly days",
        "expr": f"max({F.HISTORY_TOTAL_ANOMALY.name}{S}) == 1", "step": "1d",
        "titleFormat": "Revenue anomaly", "textFormat": "orders or net revenue over every "
        "region broke from the trailing week", "useValueForTime": False})
    return board


def _history_title(metric):
    words = metric.name.removeprefix("ecommerce_history_").replace("_", " ")
    by = f", by {', '.join(lb.replace('_', ' ') for lb in metric.labels)}" if metric.labels else ""
    return f"{words.capitalize()} per day{by}"


def _freshness_row(lay):
    """The newest complete day at each stage (landed, ingested, processed) and the ingestion
    rate; the thresholds are the alerts' (DAY_DUE_AFTER)."""
    lay.row("Data freshness")
    due = config.DAY_DUE_AFTER
    for metric, stage, label in ((F.DATA_LANDED_DAY, "landed", "dataset"),
                                 (F.DATA_INGESTED_DAY, "ingested", "dataset"),
                                 (F.JOB_PROCESSED_DAY, "processed", "job_name")):
        lay.add(bargauge(f"Since the newest {stage} day ended, by {label.replace('_', ' ')}",
                         target(f"time() - 86400 - max by ({label}) ({metric}{S})",
                                "{{" + label + "}}", instant=True),
                         unit="s", min_=0, th=thresholds(
                             "green", (86400, "orange"), (86400 + due[stage], "red")),
                         description=f"{metric.help} Shown as the time since that day ended: "
                                     f"above a day the next day is due; the alert fires "
                                     f"{due[stage] / 3600:g}h later."), w=8, h=6)
    rows = F.DATA_INGESTED_DAY_ROWS
    lay.add(bargauge("Records of the newest ingested day", target(
        f"sum by (dataset, status) ({rows}{S})", "{{dataset}} {{status}}", instant=True),
        min_=0, description=rows.help), w=12, h=6)
    valid = sel('status="valid"')
    lay.add(timeseries("Records ingested per day", target(
        f"sum by (dataset) (last_over_time({F.HISTORY_INGESTED_ROWS}{valid}[1d]))",
        "{{dataset}}"), min_=0,
        description="Valid records ingested per day, by dataset (the ingestion rate; "
                    "backfilled by `ecom-exporter backfill`)."), w=12, h=6)


def hadoop():
    lay = Layout()
    fs = sel('name="FSNamesystem"')
    jvm = sel('name="JvmMetrics"')
    nms = sel('name="ClusterMetrics"')
    queue = sel('name="QueueMetrics"')
    lay.row("HDFS")
    lay.add(stat("HDFS used", target(
        f"max({_h('hadoop_namenode_capacityused')}{fs}) / max({_h('hadoop_namenode_capacitytotal')}{fs})"),
        unit="percentunit", decimals=1, th=thresholds(
            "green", (config.HDFS_USED_RATIO_WARNING, "orange"),
            (1 - config.HDFS_REMAINING_RATIO_MIN, "red")),
        description="HDFS capacity used / total."), w=4, h=5)
    lay.add(stat("Live DataNodes", target(f"max({_h('hadoop_namenode_numlivedatanodes')}{fs})"),
                 th=thresholds("red", (1, "green"))), w=4, h=5)
    lay.add(stat("Dead DataNodes", target(f"max({_h('hadoop_namenode_numdeaddatanodes')}{fs})"),
                 th=thresholds("green", (1, "red")),
                 description="HadoopDataNodeDown fires when this is above 0."), w=4, h=5)
    lay.add(stat("Under-replicated blocks",
                 target(f"max({_h('hadoop_namenode_underreplicatedblocks')}{fs})"),
                 th=thresholds("green", (1, "orange"))), w=4, h=5)
    lay.add(stat("Missing blocks", target(f"max({_h('hadoop_namenode_missingblocks')}{fs})"),
                 th=thresholds("green", (1, "red"))), w=4, h=5)
    lay.add(stat("NameNode heap used", target(
        f"max({_h('hadoop_namenode_memheapusedm')}{jvm}) / max({_h('hadoop_namenode_memheapmaxm')}{jvm})"),
        unit="percentunit", decimals=1, th=thresholds("green", (0.8, "orange"), (0.9, "red"))),
        w=4, h=5)
    lay.add(timeseries("HDFS capacity", [
        target(f"max({_h('hadoop_namenode_capacitytotal')}{fs})", "total"),
        target(f"max({_h('hadoop_namenode_capacityused')}{fs})", "used"),
        target(f"max({_h('hadoop_namenode_capacityremaining')}{fs})", "remaining")], unit="bytes",
        min_=0, description=f"HadoopHDFSCapacityLow fires when remaining is below "
                            f"{config.HDFS_REMAINING_RATIO_MIN:.0%} of total."), w=8)
    lay.add(timeseries("Blocks needing attention", [
        target(f"max({_h('hadoop_namenode_underreplicatedblocks')}{fs})", "under-replicated"),
        target(f"max({_h('hadoop_namenode_missingblocks')}{fs})", "missing"),
        target(f"max({_h('hadoop_namenode_corruptblocks')}{fs})", "corrupt")], min_=0), w=8)
    lay.add(timeseries("NameNode heap", [
        target(f"max({_h('hadoop_namenode_memheapusedm')}{jvm})", "used"),
        target(f"max({_h('hadoop_namenode_memheapcommittedm')}{jvm})", "committed"),
        target(f"max({_h('hadoop_namenode_memheapmaxm')}{jvm})", "max")], unit="mbytes", min_=0), w=8)

    lay.row("YARN")
    lay.add(stat("Active NodeManagers", target(f"max({_h('hadoop_resourcemanager_numactivenms')}{nms})"),
                 th=thresholds("red", (1, "green"))), w=4, h=5)
    lay.add(stat("Lost NodeManagers", target(f"max({_h('hadoop_resourcemanager_numlostnms')}{nms})"),
                 th=thresholds("green", (1, "red"))), w=4, h=5)
    lay.add(stat("Unhealthy NodeManagers",
                 target(f"max({_h('hadoop_resourcemanager_numunhealthynms')}{nms})"),
                 th=thresholds("green", (1, "red"))), w=4, h=5)
    lay.add(stat("Apps running", target(f"max({_h('hadoop_resourcemanager_appsrunning')}{queue})")),
            w=4, h=5)
    lay.add(stat("Apps pending", target(f"max({_h('hadoop_resourcemanager_appspending')}{queue})"),
                 th=thresholds("green", (1, "orange"))), w=4, h=5)
    lay.add(stat("Memory allocated", target(
        f"max({_h('hadoop_resourcemanager_allocatedmb')}{queue}) / (max({_h('hadoop_resourcemanager_allocatedmb')}"
        f"{queue}) + max({_h('hadoop_resourcemanager_availablemb')}{queue}))"), unit="percentunit",
        decimals=1, th=thresholds("green", (0.8, "orange"))), w=4, h=5)
    lay.add(timeseries("Applications", [
        target(f"max({_h('hadoop_resourcemanager_appsrunning')}{queue})", "running"),
        target(f"max({_h('hadoop_resourcemanager_appspending')}{queue})", "pending")], min_=0), w=8)
    lay.add(bargauge("Applications finished since the ResourceManager started", [
        target(f"max({_h('hadoop_resourcemanager_appscompleted')}{queue})", "completed", instant=True),
        target(f"max({_h('hadoop_resourcemanager_appsfailed')}{queue})", "failed", instant=True),
        target(f"max({_h('hadoop_resourcemanager_appskilled')}{queue})", "killed", instant=True)],
        min_=0), w=8)
    lay.add(timeseries("Memory", [
        target(f"max({_h('hadoop_resourcemanager_allocatedmb')}{queue})", "allocated"),
        target(f"max({_h('hadoop_resourcemanager_availablemb')}{queue})", "available")],
        unit="mbytes", stack=True, min_=0), w=8)
    lay.add(timeseries("Virtual cores", [
        target(f"max({_h('hadoop_resourcemanager_allocatedvcores')}{queue})", "allocated"),
        target(f"max({_h('hadoop_resourcemanager_availablevcores')}{queue})", "available")],
        stack=True, min_=0), w=8)
    lay.add(timeseries("NodeManagers", [
        target(f"max({_h('hadoop_resourcemanager_numactivenms')}{nms})", "active"),
        target(f"max({_h('hadoop_resourcemanager_numlostnms')}{nms})", "lost"),
        target(f"max({_h('hadoop_resourcemanager_numunhealthynms')}{nms})", "unhealthy")], min_=0), w=8)

    _exporter_row(lay, "namenode", "resourcemanager")
    return dashboard("ecommerce-hadoop", "E-commerce Hadoop cluster",
                     "HDFS and YARN health from the NameNode /jmx and the ResourceManager REST "
                     "API (ecom-exporter; metric names of the apache-hadoop mixin).", lay,
                     tags=("hadoop",))


DASHBOARDS = {"ecommerce-business.json": business,
              "ecommerce-batch-jobs.json": batch_jobs,
              "ecommerce-hadoop.json": hadoop,
              "ecommerce-history.json": history}
