"""The report's charts: one matplotlib figure per question, each with the table of the numbers
it draws (the same numbers go into the HTML page, so a reader and a test can check them).

Every chart function takes a :class:`ecomsuite.viz.data.ReportData` and returns a
:class:`Chart`, or None when the outputs hold nothing for it (the page then says so).
"""

import dataclasses
import datetime as dt
import io
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")  # files only: no display, no GUI toolkit
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter  # noqa: E402

TOTAL = "all"          # the jobs' pre-aggregated rows over every region / device
WIDTH, HEIGHT, DPI = 9.0, 4.0, 100   # 900 x 400 px
PALETTE = ("#3274d9", "#e0752d", "#56a64b", "#a352cc", "#f2cc0c", "#8ab8ff", "#de314d",
           "#73bf69", "#ff9830", "#b877d9")
ANOMALY = "#de314d"
QUARANTINE_COLORS = ("#de314d", "#ff9830", "#a352cc", "#f2cc0c", "#3274d9", "#8f3bb8", "#e0752d")

plt.rcParams.update({
    "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 11,
    "axes.titleweight": "bold", "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.3, "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "svg.hashsalt": "ecom-report", "savefig.dpi": DPI,
})


@dataclasses.dataclass
class Table:
    columns: list          # header names
    rows: list             # [[cell, ...]]: numbers stay numbers (the page formats them)


@dataclasses.dataclass
class Chart:
    id: str                # file name stem and HTML id
    title: str
    png: bytes
    table: Table
    note: str = ""         # what the chart shows and from where


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})  # same bytes for same data
    plt.close(fig)
    return buf.getvalue()


def _figure(height=HEIGHT, **kw):
    return plt.subplots(figsize=(WIDTH, height), layout="constrained", **kw)


def _money(x, _=None):
    if abs(x) >= 1e6:
        return f"{x / 1e6:.1f}M"
    if abs(x) >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


def _count(x, _=None):
    return f"{x:,.0f}"


def _label_bars(ax, bars, fmt, horizontal=False):
    for bar in bars:
        value = bar.get_width() if horizontal else bar.get_height()
        if horizontal:
            ax.annotate(fmt(value), (value, bar.get_y() + bar.get_height() / 2),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        else:
            ax.annotate(fmt(value), (bar.get_x() + bar.get_width() / 2, value),
                        xytext=(0, 2), textcoords="offset points", ha="center", fontsize=8)


def _days(strings):
    return [dt.date.fromisoformat(s) for s in strings]


def _date_axis(ax):
    import matplotlib.dates as mdates
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))


# --- business results -----------------------------------------------------------------

def sales_by_region(data):
    rows = data.rows("sales_by_region")
    if not rows:
        return None
    regions = [k for k, _ in rows]
    fig, ax = _figure()
    x = range(len(regions))
    w = 0.4
    gross = ax.bar([i - w / 2 for i in x], [v["gross_sales"] for _, v in rows], w,
                   label="gross sales (all orders)")
    completed = ax.bar([i + w / 2 for i in x], [v["completed_sales"] for _, v in rows], w,
                       label="completed sales")
    _label_bars(ax, gross, _money)
    _label_bars(ax, completed, _money)
    ax.set_xticks(list(x), regions)
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_ylabel("currency units")
    ax.set_title("Sales per region, whole period")
    ax.legend(loc="upper right")
    table = Table(["region", "orders", "gross_sales", "completed_orders", "completed_sales",
                   "average_order_value"],
                  [[k, v["orders"], v["gross_sales"], v["completed_orders"], v["completed_sales"],
                    v["average_order_value"]] for k, v in rows])
    return Chart("sales-by-region", "Sales per region", _png(fig), table,
                 "sales_by_region: every order (gross) and COMPLETED orders, per region.")


def sales_region_day(data):
    """Gross revenue per region and day, from daily_revenue (keyed [day, region])."""
    rows = [(k, v) for k, v in data.rows("daily_revenue") if k[1] != TOTAL]
    if not rows:
        return None
    by_region = defaultdict(dict)
    for (day, region), v in rows:
        by_region[region][day] = v["gross_revenue"]
    days = sorted({day for (day, _), _ in rows})
    regions = sorted(by_region)
    fig, ax = _figure()
    for region in regions:
        series = by_region[region]
        ax.plot(_days([d for d in days if d in series]), [series[d] for d in days if d in series],
                marker="o", markersize=2.5, linewidth=1.4, label=region)
    _date_axis(ax)
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_ylabel("gross revenue (currency units)")
    ax.set_title("Gross revenue per region and day")
    ax.legend(ncol=min(6, len(regions)), loc="upper center", bbox_to_anchor=(0.5, -0.08),
              frameon=False)
    table = Table(["day"] + regions,
                  [[d] + [by_region[r].get(d) for r in regions] for d in days])
    return Chart("sales-region-day", "Sales per region and day", _png(fig), table,
                 "daily_revenue: gross revenue (every order) per day and region.")


def daily_revenue(data):
    rows = sorted(((k[0], v) for k, v in data.rows("daily_revenue") if k[1] == TOTAL))
    if not rows:
        return None
    days = _days([d for d, _ in rows])
    fig, ax = _figure()
    ax.plot(days, [v["net_revenue"] for _, v in rows], color=PALETTE[0], linewidth=1.6,
            label="net revenue")
    ax.plot(days, [v["gross_revenue"] for _, v in rows], color=PALETTE[0], alpha=0.35,
            linewidth=1, linestyle="--", label="gross revenue")
    flagged = [(d, v) for d, (_, v) in zip(days, rows) if v["anomaly"]]
    if flagged:
        ax.scatter([d for d, _ in flagged], [v["net_revenue"] for _, v in flagged], s=60,
                   color=ANOMALY, zorder=3, label="anomaly (breaks from the trailing week)")
        for d, v in flagged:
            ax.annotate(d.isoformat(), (d, v["net_revenue"]), xytext=(0, 8),
                        textcoords="offset points", ha="center", fontsize=8, color=ANOMALY)
    _date_axis(ax)
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_ylabel("currency units")
    ax.set_title(f"Daily revenue, every region ({len(flagged)} anomaly day"
                 f"{'' if len(flagged) == 1 else 's'})")
    ax.legend(loc="lower left")
    table = Table(["day", "orders", "gross_revenue", "net_revenue", "refunded_amount", "anomaly"],
                  [[d, v["orders"], v["gross_revenue"], v["net_revenue"], v["refunded_amount"],
                    v["anomaly"]] for d, v in rows])
    return Chart("daily-revenue", "Daily revenue and anomalies", _png(fig), table,
                 "daily_revenue, region \"all\": net revenue (every order but CANCELLED and "
                 "RETURNED) per day; red dots are the days the job flagged.")


TIER_ORDER = ("BRONZE", "SILVER", "GOLD", "PLATINUM")


def customer_tiers(data):
    rows = data.rows("customer_tiers")
    if not rows:
        return None
    rank = {t: i for i, t in enumerate(TIER_ORDER)}
    rows = sorted(rows, key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    fig, (ax, ax2) = _figure(ncols=2)
    bars = ax.bar([k for k, _ in rows], [v["customers"] for _, v in rows], color=PALETTE[:len(rows)])
    for bar, (_, v) in zip(bars, rows):
        ax.annotate(f"{v['customers']:,} ({v['share']:.1%})",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()), xytext=(0, 2),
                    textcoords="offset points", ha="center", fontsize=8)
    ax.set_title("Customers per tier")
    ax.yaxis.set_major_formatter(FuncFormatter(_count))
    bars2 = ax2.bar([k for k, _ in rows], [v["average_lifetime_value"] for _, v in rows],
                    color=PALETTE[:len(rows)])
    _label_bars(ax2, bars2, _money)
    ax2.set_title("Average lifetime value")
    ax2.yaxis.set_major_formatter(FuncFormatter(_money))
    table = Table(["tier", "customers", "share", "average_lifetime_value"],
                  [[k, v["customers"], v["share"], v["average_lifetime_value"]] for k, v in rows])
    return Chart("customer-tiers", "Tier distribution", _png(fig), table,
                 "customer_tiers: customers and their average lifetime value per tier.")


def device_conversions(data):
    rows = data.rows("device_conversions")
    if not rows:
        return None
    fig, ax = _figure()
    bars = ax.bar([k for k, _ in rows], [v["conversion_rate"] for _, v in rows],
                  color=PALETTE[:len(rows)])
    for bar, (_, v) in zip(bars, rows):
        ax.annotate(f"{v['conversion_rate']:.1%}\n{v['converted_sessions']:,} of "
                    f"{v['sessions']:,} sessions",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()), xytext=(0, 2),
                    textcoords="offset points", ha="center", fontsize=8)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, max(v["conversion_rate"] for _, v in rows) * 1.3 or 1)
    ax.set_title("Session conversion per device")
    table = Table(["device", "sessions", "converted_sessions", "conversion_rate", "purchases"],
                  [[k, v["sessions"], v["converted_sessions"], v["conversion_rate"],
                    v["purchases"]] for k, v in rows])
    return Chart("device-conversion", "Device conversion", _png(fig), table,
                 "device_conversions: sessions with a PURCHASE / sessions, per device.")


STAGES = ("view", "add_to_cart", "checkout", "purchase")


def funnel(data):
    rows = data.rows("funnel")
    if not rows:
        return None
    devices = [k for k, _ in rows if k != TOTAL]
    fig, ax = _figure()
    n = len(devices)
    w = 0.8 / max(1, n)
    for i, device in enumerate(devices):
        v = dict(rows)[device]
        ax.bar([s + (i - (n - 1) / 2) * w for s in range(len(STAGES))],
               [v[f"reached_{s}"] for s in STAGES], w, label=device)
    total = dict(rows).get(TOTAL)
    if total:
        ax.plot(range(len(STAGES)), [total[f"reached_{s}"] for s in STAGES], color="#444",
                marker="o", linewidth=1.2, label="every device")
        for i, s in enumerate(STAGES):
            ax.annotate(f"{total[f'reached_{s}']:,}", (i, total[f"reached_{s}"]), xytext=(6, 4),
                        textcoords="offset points", fontsize=8)
        ax.set_title(f"Funnel: sessions reaching each stage in order\n(overall conversion "
                     f"{total['overall_conversion']:.1%}; biggest drop-off "
                     f"{total['biggest_drop_off']})")
    else:
        ax.set_title("Funnel: sessions reaching each stage in order")
    ax.set_xticks(range(len(STAGES)), [s.replace("_", " ") for s in STAGES])
    ax.yaxis.set_major_formatter(FuncFormatter(_count))
    ax.legend(loc="upper right")
    fields = ["sessions"] + [f"reached_{s}" for s in STAGES] + ["overall_conversion",
                                                                "biggest_drop_off_rate"]
    table = Table(["device"] + fields, [[k] + [v[f] for f in fields] for k, v in rows])
    return Chart("funnel", "Conversion funnel", _png(fig), table,
                 "funnel: sessions per device that reach VIEW, ADD_TO_CART, CHECKOUT, PURCHASE "
                 "in time order.")


def top_products(data):
    rows = data.rows("top_products")
    overall = sorted(((k[2], v) for k, v in rows if k[0] == TOTAL and k[1] == "revenue"),
                     key=lambda kv: kv[0])
    if not overall:
        return None
    fig, ax = _figure()
    names = [f"{v.get('product_name') or v['product_id']}" for _, v in overall]
    bars = ax.barh(names[::-1], [v["revenue"] for _, v in overall][::-1], color=PALETTE[0])
    _label_bars(ax, bars, _money, horizontal=True)
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_xlabel("completed revenue (currency units)")
    ax.set_title("Top products by completed revenue, every region")
    table = Table(["rank", "product_id", "product_name", "revenue", "units"],
                  [[rank, v["product_id"], v.get("product_name"), v["revenue"], v["units"]]
                   for rank, v in overall])
    return Chart("top-products", "Top products", _png(fig), table,
                 "top_products, region \"all\", ranking by revenue (COMPLETED orders).")


FRAUD_RULES = ("bot_session", "order_burst", "amount_outlier")
FRAUD_WHAT = {"bot_session": "sessions", "order_burst": "customers", "amount_outlier": "orders"}


def fraud_signals(data):
    if "fraud_signals" not in data.outputs:
        return None
    counts = dict.fromkeys(FRAUD_RULES, 0)
    for (rule, _), _ in data.rows("fraud_signals"):
        counts[rule] = counts.get(rule, 0) + 1
    fig, ax = _figure()
    labels = [f"{rule}\n({FRAUD_WHAT.get(rule, 'entities')})" for rule in counts]
    bars = ax.bar(labels, list(counts.values()), color=[ANOMALY, PALETTE[4], PALETTE[1]][:len(counts)]
                  + list(PALETTE[:max(0, len(counts) - 3)]))
    _label_bars(ax, bars, _count)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(_count))
    ax.set_ylim(0, max(1, max(counts.values())) * 1.15)
    ax.set_title(f"Fraud flags by rule ({sum(counts.values()):,} in all)")
    table = Table(["rule", "flagged"], [[rule, n] for rule, n in counts.items()])
    return Chart("fraud-flags", "Fraud flags", _png(fig), table,
                 "fraud_signals: entities flagged by each rule (bot-like sessions, customers "
                 "ordering in bursts, orders far above the customer's usual).")


# --- data quality (ingest manifests) and job history (run records) -------------------

def data_quality(data):
    if not data.manifests:
        return None
    datasets = sorted({m.dataset for m in data.manifests})
    reasons = sorted({r for m in data.manifests for r in m.rejected_by_reason})
    fig, axes = _figure(height=1.6 + 1.5 * len(datasets), nrows=len(datasets), sharex=True,
                        squeeze=False)
    handles, labels = [], []
    for ax, dataset in zip(axes[:, 0], datasets):
        ms = sorted((m for m in data.manifests if m.dataset == dataset), key=lambda m: m.day)
        days = _days([m.day for m in ms])
        ax.bar(days, [m.valid for m in ms], color="#cfe8cc", label="valid (left axis)",
               width=0.8)
        ax.plot(days, [m.records for m in ms], color="#444", linewidth=1, marker=".",
                label="records read (left axis)")
        # the quarantined are a few rows among thousands: their own axis, on the right
        qx = ax.twinx()
        bottom = [0] * len(ms)
        for i, reason in enumerate(reasons):
            values = [m.rejected_by_reason.get(reason, 0) for m in ms]
            qx.bar(days, values, bottom=bottom, width=0.35, label=f"quarantined: {reason}",
                   color=QUARANTINE_COLORS[i % len(QUARANTINE_COLORS)])
            bottom = [b + v for b, v in zip(bottom, values)]
        qx.set_ylim(0, max(bottom + [1]) * 1.25)
        qx.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        qx.set_ylabel("quarantined", fontsize=8)
        qx.grid(False)
        qx.spines["right"].set_visible(True)
        handles += [h for h in qx.get_legend_handles_labels()[0]]
        labels += qx.get_legend_handles_labels()[1]
        rejected = sum(m.rejected for m in ms)
        records = sum(m.records for m in ms)
        ax.set_title(f"{dataset}: {records:,} records read, {rejected:,} quarantined "
                     f"({rejected / records if records else 0:.3%})", fontsize=10)
        ax.yaxis.set_major_formatter(FuncFormatter(_money))
    _date_axis(axes[-1, 0])
    first = axes[0, 0].get_legend_handles_labels()
    seen = dict(zip(labels, handles))
    for h, lbl in zip(*first):
        seen.setdefault(lbl, h)
    order = [lbl for lbl in first[1]] + sorted(k for k in seen if k not in first[1])
    handles, labels = [seen[k] for k in order], order
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)),
               frameon=False, fontsize=8)
    table = Table(["dataset", "day", "records", "valid", "rejected"] + reasons,
                  [[m.dataset, m.day, m.records, m.valid, m.rejected]
                   + [m.rejected_by_reason.get(r, 0) for r in reasons]
                   for m in sorted(data.manifests, key=lambda m: (m.dataset, m.day))])
    return Chart("data-quality", "Data quality", _png(fig), table,
                 "ingest manifests (newest complete version of each dataset and day): records "
                 "read = valid + quarantined, the quarantined by reason.")


def _when(ts):
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None)


def job_history(data):
    records = {job: [r for r in recs if r.finished_at is not None]
               for job, recs in data.records.items()}
    records = {job: recs for job, recs in records.items() if recs}
    if not records:
        return None
    fig, (ax, ax2) = _figure(height=4.5, ncols=2, width_ratios=(1, 1.4))
    jobs = sorted(records)
    latest = [records[j][-1] for j in jobs]
    colors = [PALETTE[2] if r.status == "succeeded" else ANOMALY for r in latest]
    bars = ax.barh(jobs[::-1], [r.duration_seconds or 0 for r in latest][::-1],
                   color=colors[::-1])
    _label_bars(ax, bars, lambda v: f"{v:.1f} s", horizontal=True)
    ax.set_xlabel("seconds")
    ax.set_title("Latest run of each job (red: failed)")
    for i, job in enumerate(jobs):
        recs = records[job]
        ok = [r for r in recs if r.status == "succeeded"]
        bad = [r for r in recs if r.status != "succeeded"]
        color = PALETTE[i % len(PALETTE)]
        ax2.plot([_when(r.finished_at) for r in ok], [r.duration_seconds or 0 for r in ok],
                 marker="o", markersize=4, linewidth=1, color=color, label=job)
        if bad:
            ax2.scatter([_when(r.finished_at) for r in bad], [r.duration_seconds or 0 for r in bad],
                        marker="x", s=50, color=ANOMALY, zorder=3)
    ax2.set_ylabel("duration (s)")
    ax2.set_title(f"Run history ({sum(len(r) for r in records.values())} runs; x: failed)")
    ax2.legend(fontsize=7, ncol=2, loc="upper left")
    import matplotlib.dates as mdates
    locator = mdates.AutoDateLocator(maxticks=6)
    ax2.xaxis.set_major_locator(locator)
    ax2.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    table = Table(["job", "run_id", "runner", "status", "finished_at", "duration_seconds",
                   "input_rows", "output_rows"],
                  [[r.job, r.run_id, r.runner, r.status,
                    _when(r.finished_at).strftime("%Y-%m-%d %H:%M:%S"), r.duration_seconds,
                    r.input_rows, r.output_rows]
                   for job in jobs for r in records[job]])
    return Chart("job-history", "Job durations and history", _png(fig), table,
                 "run records: the latest run of each job, and every recorded run's duration.")


CHARTS = (sales_by_region, sales_region_day, daily_revenue, customer_tiers, device_conversions,
          funnel, top_products, fraud_signals, data_quality, job_history)


def all_charts(data):
    """[(function name, Chart or None)] in page order."""
    return [(f.__name__, f(data)) for f in CHARTS]
