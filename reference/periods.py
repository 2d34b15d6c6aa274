"""Period answers (runs by day, docs/days.md) from the canonical partitions of a period's
days, with the same DuckDB references as every other test: what ``ecomsuite.periods``
merges from daily partials must equal a fresh computation over those days' rows.

A period is a list of days; ``files_of(dataset, day)`` gives that day's canonical parts
of a dataset. daily_revenue's answer for a day depends on the week before it (the
anomaly rule's window): the reference reads those days too and keeps the period's rows,
as a full computation over the whole history keeps them."""

import datetime

from reference import analytics, core

WINDOW_DAYS = 7   # daily_revenue's trailing week (docs/analytics.md)


def _read(files_of, dataset, days):
    return [f for d in days for f in files_of(dataset, d)]


def sales_by_region(files_of, days):
    return core.sales_by_region(_read(files_of, "orders", days))


def device_conversions(files_of, days):
    """Distinct sessions (and converted ones) over every event of the period's days: a
    session with events on two days of the period counts once."""
    return core.device_conversions(_read(files_of, "clickstream", days))


def customer_tiers(files_of, days):
    """The customers landed on the period's days (each customer is landed once)."""
    return core.customer_tiers(_read(files_of, "customers", days))


def top_products(files_of, days):
    return analytics.top_products(_read(files_of, "orders", days))


def customer_segments(files_of, days, landed):
    """RFM as of the period's last day: every landed day up to it (`landed`: the days
    that hold data)."""
    read = sorted({*[d for d in landed if d <= max(days)], *days})
    return analytics.customer_segments(*(_read(files_of, name, read)
                                         for name in ("customers", "orders", "clickstream")))


def funnel(files_of, days):
    """Sessions by stages reached over every event of the period's days (a session's
    events on two days of the period are one session)."""
    return analytics.funnel(_read(files_of, "clickstream", days))


def daily_revenue(files_of, days, landed):
    """The period's (day, region) rows; `landed`: the days that hold data (the window
    reads those of the week before the period's first day)."""
    first = min(days)
    window = [first - datetime.timedelta(i) for i in range(WINDOW_DAYS, 0, -1)]
    read = [d for d in window if d in set(landed)] + sorted(days)
    wanted = {d.isoformat() for d in days}
    return {k: v for k, v in analytics.daily_revenue(_read(files_of, "orders", read)).items()
            if k[0] in wanted}


def fraud_signals(files_of, days):
    """The three rules over every event and order of the period's days: a session with
    events on two days of the period is one session (its busiest minute may cross
    midnight), a customer's orders of one order day count together whichever day landed
    them, and each order is judged against the customer's other orders of the period."""
    return analytics.fraud_signals(_read(files_of, "clickstream", days),
                                   _read(files_of, "orders", days))


REFERENCES = {
    "sales_by_region": sales_by_region,
    "device_conversions": device_conversions,
    "daily_revenue": daily_revenue,
    "funnel": funnel,
    "customer_tiers": customer_tiers,
    "top_products": top_products,
    "customer_segments": customer_segments,
    "fraud_signals": fraud_signals,
}
