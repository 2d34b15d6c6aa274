"""The exporter's families other than the business ones: job health and the exporter itself.

exporters/business.py is the table of the business families (one entry per job output);
this is the table of the rest, so that the dashboards, the alert rules and the docs take
every ecommerce_* name from a table, never from a literal. tests/monitoring checks that the
exporter serves exactly these families with these types and labels.
"""

from dataclasses import dataclass

from exporters import PREFIX


@dataclass(frozen=True)
class Metric:
    name: str          # full name as exposed (a counter with its _total)
    type: str          # gauge, counter, info-style gauge
    labels: tuple
    help: str

    def __str__(self):
        return self.name


def _m(name, type_, labels, help_):
    return Metric(PREFIX + name, type_, tuple(labels), help_)


JOB = ("job_name", "runner")

# --- job health, from the run records ------------------------------------------------
JOB_LAST_SUCCESS = _m("job_last_success_timestamp_seconds", "gauge", JOB,
                      "When the job's latest successful run finished, unix time (runner: that "
                      "run's): the key metric of a batch job.")
JOB_LAST_RUN = _m("job_last_run_timestamp_seconds", "gauge", JOB,
                  "When the job's latest run (good or bad) finished, unix time.")
JOB_LAST_RUN_SUCCESS = _m("job_last_run_success", "gauge", JOB,
                          "1 if the job's latest run succeeded, 0 if it failed.")
JOB_LAST_RUN_DURATION = _m("job_last_run_duration_seconds", "gauge", JOB,
                           "Wall time of the job's latest run.")
JOB_LAST_RUN_INPUT_ROWS = _m("job_last_run_input_rows", "gauge", JOB,
                             "Data rows the job's latest run read (valid + malformed).")
JOB_LAST_RUN_OUTPUT_ROWS = _m("job_last_run_output_rows", "gauge", JOB,
                              "Rows the job's latest run wrote (absent when it failed).")
JOB_LAST_RUN_MALFORMED_ROWS = _m("job_last_run_malformed_rows", "gauge", JOB + ("reason",),
                                 "Rows the job's latest run skipped as malformed, by reason.")
JOB_LAST_RUN_MALFORMED_RATIO = _m("job_last_run_malformed_ratio", "gauge", JOB,
                                  "Malformed rows / input rows of the job's latest run (0-1).")
JOB_RECENT_RUNS = _m("job_recent_runs", "gauge", JOB + ("status",),
                     "Run records by runner and status among the newest ones the exporter reads "
                     "(run_records_limit per job, none older than run_records_max_age_seconds).")
JOB_SCHEDULE_PERIOD = _m("job_schedule_period_seconds", "gauge", ("job_name",),
                         "How often the job is meant to run (exporter setting "
                         "schedule_period_seconds / schedules); alerts fire when it has not "
                         "succeeded for two periods.")
OUTPUT_ROWS = _m("output_rows", "gauge", ("job_name",),
                 "Rows in the job's latest complete output.")
OUTPUT_TIMESTAMP = _m("output_timestamp_seconds", "gauge", ("job_name",),
                      "When the job's latest complete output was published (its _SUCCESS marker "
                      "was written), unix time.")

# --- freshness: the newest complete day at each stage ----------------------------------
# Days are UTC midnights (unix time), as ecommerce_daily_revenue_day_timestamp_seconds.
DATA_LANDED_DAY = _m("data_landed_day_timestamp_seconds", "gauge", ("dataset",),
                     "The newest day (UTC midnight, unix time) whose landing commit is closed and "
                     "holds the dataset's files (landing/_commits).")
DATA_INGESTED_DAY = _m("data_ingested_day_timestamp_seconds", "gauge", ("dataset",),
                       "The newest day (UTC midnight, unix time) with a complete canonical "
                       "partition of the dataset (ingested).")
DATA_INGESTED_DAY_ROWS = _m("data_ingested_day_rows", "gauge", ("dataset", "status"),
                            "Records of the newest ingested day of the dataset, by status "
                            "(valid: in the canonical partition; rejected: quarantined), from "
                            "its ingest manifest: the ingestion rate in rows per day.")
DATA_INGESTED_DAYS = _m("data_ingested_days", "gauge", ("dataset",),
                        "Days with a complete canonical partition of the dataset.")
JOB_PROCESSED_DAY = _m("job_processed_day_timestamp_seconds", "gauge", ("job_name",),
                       "The newest input day (UTC midnight, unix time) of the job's latest "
                       "successful run (its run record's input_days).")

# --- history: one sample per day at that day's UTC midnight (ecom-exporter backfill) ---
# Written by `ecom-exporter backfill` into Prometheus' TSDB (promtool tsdb
# create-blocks-from openmetrics), never served live: no label carries a day, the day is
# the sample's timestamp. Query them with last_over_time(...[1d]).
HISTORY_ORDERS = _m("history_orders", "gauge", ("sales_region",),
                    "Orders of the day (sample time: the day's UTC midnight) per sales region, "
                    "from daily_revenue (backfilled).")
HISTORY_NET_AMOUNT = _m("history_net_amount", "gauge", ("sales_region",),
                        "Net revenue of the day (currency units) per sales region, from "
                        "daily_revenue (backfilled).")
HISTORY_GROSS_AMOUNT = _m("history_gross_amount", "gauge", ("sales_region",),
                          "Gross revenue of the day (currency units) per sales region, from "
                          "daily_revenue (backfilled).")
HISTORY_ANOMALY = _m("history_anomaly", "gauge", ("sales_region",),
                     "1 if the day's orders or net revenue in the sales region broke from the "
                     "trailing week, else 0, from daily_revenue (backfilled).")
HISTORY_TOTAL_ANOMALY = _m("history_total_anomaly", "gauge", (),
                           "1 if the day's orders or net revenue over every sales region broke "
                           "from the trailing week, else 0, from daily_revenue (backfilled).")
HISTORY_FRAUD_SIGNALS = _m("history_fraud_signals", "gauge", ("rule",),
                           "Entities flagged by each fraud rule on the day (a bot session by its "
                           "window's day, a burst customer on each busy day, an outlier order "
                           "by its order day), from fraud_signals (backfilled).")
HISTORY_CONVERSION_RATIO = _m("history_conversion_ratio", "gauge", ("device",),
                              "Converted sessions / sessions of the day per device (0-1), from "
                              "device_conversions' per-day outputs (backfilled; absent "
                              "without them).")
HISTORY_INGESTED_ROWS = _m("history_ingested_rows", "gauge", ("dataset", "status"),
                           "Records ingested for the day by status (valid, rejected), from "
                           "its ingest manifest (backfilled).")

# --- the exporter itself ---------------------------------------------------------------
SOURCE_UP = _m("exporter_source_up", "gauge", ("source",),
               "1 if the source could be read in this scrape (items in it may still have been "
               "skipped: ecommerce_exporter_skipped_items_total), 0 if it could not.")
SCRAPE_ERRORS = _m("exporter_scrape_errors_total", "counter", ("source",),
                   "Scrapes in which the source could not be read.")
SKIPPED_ITEMS = _m("exporter_skipped_items_total", "counter", ("source", "reason"),
                   "Items (a run record, an output, a directory entry, a value) skipped while "
                   "reading the source, by reason; counted again in every scrape they are "
                   "still there.")
COLLECT_DURATION = _m("exporter_collect_duration_seconds", "gauge", ("source",),
                      "Time this scrape spent reading the source.")
BUILD_INFO = _m("exporter_build_info", "gauge", ("version", "revision", "python_version"),
                "Always 1: the exporter's version, source revision (unknown outside a git "
                "checkout, or ECOM_REVISION) and Python version as labels.")

JOB_HEALTH = (JOB_LAST_SUCCESS, JOB_LAST_RUN, JOB_LAST_RUN_SUCCESS, JOB_LAST_RUN_DURATION,
              JOB_LAST_RUN_INPUT_ROWS, JOB_LAST_RUN_OUTPUT_ROWS, JOB_LAST_RUN_MALFORMED_ROWS,
              JOB_LAST_RUN_MALFORMED_RATIO, JOB_RECENT_RUNS, JOB_SCHEDULE_PERIOD, OUTPUT_ROWS,
              OUTPUT_TIMESTAMP)
FRESHNESS = (DATA_LANDED_DAY, DATA_INGESTED_DAY, DATA_INGESTED_DAY_ROWS, DATA_INGESTED_DAYS,
             JOB_PROCESSED_DAY)
HISTORY = (HISTORY_ORDERS, HISTORY_GROSS_AMOUNT, HISTORY_NET_AMOUNT, HISTORY_ANOMALY,
           HISTORY_TOTAL_ANOMALY, HISTORY_FRAUD_SIGNALS, HISTORY_CONVERSION_RATIO,
           HISTORY_INGESTED_ROWS)
EXPORTER = (SOURCE_UP, SCRAPE_ERRORS, SKIPPED_ITEMS, COLLECT_DURATION, BUILD_INFO)
ALL = JOB_HEALTH + FRESHNESS + EXPORTER  # served live (HISTORY is backfilled)

# Reasons of ecommerce_exporter_skipped_items_total{source="outputs"}: all exported from the
# first scrape on (0 until one happens), so that increase() sees the first one.
SKIP_REASONS = {
    "unreadable": "a directory or file the exporter may not read (permissions, I/O error)",
    "symlink_loop": "a directory entry that is a symbolic link loop",
    "bad_run_record": "a run record that is not JSON or lacks its fields",
    "bad_output": "a complete output whose part files are garbled or truncated, or do not fit "
                  "its table",
    "non_finite_value": "a NaN or +-Inf value in an output or a run record (not exported)",
}
