"""How each job's output rows become metrics: one table, one entry per job.

A job's output is mrjob JSON protocol lines, ``key TAB {field: value}``. An
entry here names the metric families the job's latest complete output
feeds and how its rows map to samples. Most jobs emit one row per value of a
small vocabulary (a region, a tier, a device): :func:`keyed` covers those,
with the row key as one label and each field as one family. A job whose rows
are keyed by something unbounded (a date, a customer) must aggregate instead
of becoming a label: give it a ``to_samples`` function of its own (see
:func:`latest_row` for the "only the newest day" case).

To add a job: append an entry to ``OUTPUT_TABLES`` (the dashboards' business
panels are generated from this table too, so the new metrics get panels and
docs/monitoring.md's table must list them: tests/monitoring checks both).
Jobs without an entry still get ``ecommerce_output_rows`` and
``ecommerce_output_timestamp_seconds``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from exporters import PREFIX

# Above this many rows in one output, a job's business metrics are not
# exported (and the outputs source reports a problem): a label per row would
# explode the series count.
MAX_ROWS_PER_OUTPUT = 1000


class OutputFormatError(ValueError):
    """An output row that does not have the shape its table expects."""


@dataclass(frozen=True)
class Family:
    """A business metric family (always a gauge: the value in the latest output)."""

    name: str                  # full metric name
    help: str
    labels: tuple
    unit: str = "short"        # Grafana unit for the panels that show it
    field: str = ""            # the output field it comes from (docs)


@dataclass(frozen=True)
class OutputTable:
    job: str                   # the job's NAME (ecomsuite.registry)
    title: str                 # dashboard row title
    families: tuple            # (Family, ...)
    to_samples: Callable = field(repr=False)  # rows -> iterable of (name, label values, value)

    def samples(self, rows):
        if len(rows) > MAX_ROWS_PER_OUTPUT:
            raise OutputFormatError(
                f"{self.job}: {len(rows)} output rows, more than the {MAX_ROWS_PER_OUTPUT} "
                "a labelled metric may have; aggregate in its to_samples function")
        return list(self.to_samples(rows))


def number(value, where):
    """A JSON number as a float; booleans, strings and the like are format errors."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OutputFormatError(f"{where}: expected a number, got {value!r}")
    return float(value)


def label_value(key, where):
    if not isinstance(key, str) or not key:
        raise OutputFormatError(f"{where}: expected a non-empty string key, got {key!r}")
    return key


def keyed(job, title, label, columns):
    """A table whose output has one row per `label` value.

    `columns`: ((output field, metric name without prefix, help, unit), ...).
    A field that is null in a row (e.g. no completed orders, so no average)
    gives no sample for that row; a field that is missing is a format error.
    """
    families = tuple(Family(PREFIX + name, help_, (label,), unit, fld)
                     for fld, name, help_, unit in columns)

    def to_samples(rows):
        for key, obj in rows:
            value_label = label_value(key, f"{job} key")
            for fam in families:
                if fam.field not in obj:
                    raise OutputFormatError(f"{job} row {key!r}: no field {fam.field!r}")
                if obj[fam.field] is None:
                    continue
                yield fam.name, (value_label,), number(obj[fam.field], f"{job} {key}.{fam.field}")

    return OutputTable(job, title, families, to_samples)


def latest_row(job, title, columns):
    """A table keyed by a sortable, unbounded key (a date): only the newest row is exported.

    `columns` as in :func:`keyed`; the families carry no label.
    """
    families = tuple(Family(PREFIX + name, help_, (), unit, fld)
                     for fld, name, help_, unit in columns)

    def to_samples(rows):
        if not rows:
            return
        key, obj = max(rows, key=lambda kv: str(kv[0]))
        for fam in families:
            if obj.get(fam.field) is not None:
                yield fam.name, (), number(obj[fam.field], f"{job} {key}.{fam.field}")

    return OutputTable(job, title, families, to_samples)


AMOUNT = "short"          # money: currency units of the shop (two decimals)

OUTPUT_TABLES = (
    keyed("sales_by_region", "Sales by region", "region", (
        ("orders", "sales_orders", "Orders per region in the latest complete sales_by_region output.", "short"),
        ("gross_sales", "sales_gross_amount", "Gross sales per region (all orders, currency units), latest output.", AMOUNT),
        ("completed_orders", "sales_completed_orders", "Orders with status COMPLETED per region, latest output.", "short"),
        ("completed_sales", "sales_completed_amount", "Sales of COMPLETED orders per region (currency units), latest output.", AMOUNT),
        ("average_order_value", "sales_average_order_value", "Average COMPLETED order value per region (currency units); absent for a region without completed orders.", AMOUNT),
    )),
    keyed("customer_tiers", "Customers by tier", "tier", (
        ("customers", "customer_tier_customers", "Customers per tier in the latest complete customer_tiers output.", "short"),
        ("share", "customer_tier_ratio", "Share of all customers in each tier (0-1), latest output.", "percentunit"),
        ("average_lifetime_value", "customer_tier_average_lifetime_value", "Average customer lifetime value per tier (currency units), latest output.", AMOUNT),
    )),
    keyed("device_conversions", "Device conversions", "device", (
        ("sessions", "device_sessions", "Sessions per device in the latest complete device_conversions output.", "short"),
        ("converted_sessions", "device_converted_sessions", "Sessions with at least one purchase per device, latest output.", "short"),
        ("conversion_rate", "device_conversion_ratio", "Converted sessions / sessions per device (0-1), latest output.", "percentunit"),
        ("purchases", "device_purchases", "PURCHASE events per device, latest output.", "short"),
    )),
)


def tables_by_job(tables=OUTPUT_TABLES):
    return {t.job: t for t in tables}


def all_families(tables=OUTPUT_TABLES):
    return [fam for t in tables for fam in t.families]
