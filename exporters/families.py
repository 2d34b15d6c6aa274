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
JOB_RUNS = _m("job_runs_total", "counter", JOB + ("status",),
              "Runs recorded under _runs/, by runner and status.")
JOB_SCHEDULE_PERIOD = _m("job_schedule_period_seconds", "gauge", ("job_name",),
                         "How often the job is meant to run (exporter setting "
                         "schedule_period_seconds / schedules); alerts fire when it has not "
                         "succeeded for two periods.")
OUTPUT_ROWS = _m("output_rows", "gauge", ("job_name",),
                 "Rows in the job's latest complete output.")
OUTPUT_TIMESTAMP = _m("output_timestamp_seconds", "gauge", ("job_name",),
                      "When the job's latest complete output was published (its _SUCCESS marker "
                      "was written), unix time.")

# --- the exporter itself ---------------------------------------------------------------
SOURCE_UP = _m("exporter_source_up", "gauge", ("source",),
               "1 if the source was read completely in this scrape, 0 if it could not be read "
               "or part of it was garbled (see the exporter's log).")
SCRAPE_ERRORS = _m("exporter_scrape_errors_total", "counter", ("source",),
                   "Scrapes in which the source could not be read completely.")
COLLECT_DURATION = _m("exporter_collect_duration_seconds", "gauge", ("source",),
                      "Time this scrape spent reading the source.")
BUILD_INFO = _m("exporter_build_info", "gauge", ("version", "revision", "python_version"),
                "Always 1: the exporter's version, source revision (unknown outside a git "
                "checkout, or ECOM_REVISION) and Python version as labels.")

JOB_HEALTH = (JOB_LAST_SUCCESS, JOB_LAST_RUN, JOB_LAST_RUN_SUCCESS, JOB_LAST_RUN_DURATION,
              JOB_LAST_RUN_INPUT_ROWS, JOB_LAST_RUN_OUTPUT_ROWS, JOB_LAST_RUN_MALFORMED_ROWS,
              JOB_LAST_RUN_MALFORMED_RATIO, JOB_RUNS, JOB_SCHEDULE_PERIOD, OUTPUT_ROWS,
              OUTPUT_TIMESTAMP)
EXPORTER = (SOURCE_UP, SCRAPE_ERRORS, COLLECT_DURATION, BUILD_INFO)
ALL = JOB_HEALTH + EXPORTER
