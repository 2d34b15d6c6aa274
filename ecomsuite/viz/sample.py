"""A small world that gives every picture something to show: landed days with an anomaly
day, a few bad rows in the landed files (so the quarantine holds reasons), bot sessions,
an order burst and an outlier order (for the fraud flags), every
job run, one run that fails (so the history shows a failure), and device_conversions'
per-day output partitions (``<output>/device_conversions/dt=DAY/<run>/``, which the history's
conversion per device and day is backfilled from). The data root keeps its landing commits
and ingest manifests, so the exporter's freshness gauges (``--data``) have values.
``make pictures`` draws the committed pictures from it, and tests/report checks the report
on it.

Everything goes through the suite's own commands and layout: the generator CLI, the day
commit (:class:`ecomsuite.layout.DataLayout`), ``ecom-run`` (and ``ecom-run --from --to`` for
the day partitions).
"""

import datetime as dt
import os
import subprocess
import sys

from ecomsuite import layout, schemas

START = dt.date(2025, 6, 1)
SEED = 17
# rows the ingest must refuse, each for its own reason (landed beside the generated files)
BAD_ROWS = {
    "orders": [
        "ORD90001,CUST00001,LAPTOP001,Gaming Laptop,1,9.99,9.99,{day} 10:00:00,LOST,US-EAST",
        "ORD90002,CUST00001,LAPTOP001,Gaming Laptop,1,x,9.99,{day} 10:00:00,COMPLETED,US-EAST",
        "ORD90003,CUST00001,LAPTOP001,Gaming Laptop,1,9.99,99999999999999999999.99,{day} 10:00:00,COMPLETED,US-EAST",
        "ORD90004,CUST00001,LAPTOP001,Gaming Laptop,1,9.99,9.99,2025-02-30 10:00:00,COMPLETED,US-EAST",
    ],
    "clickstream": ["{day} 10:00:00,SESSION99,CUST00001,SCROLL,product,P,mobile,1",
                    "{day} 10:00:00,,CUST00001,VIEW,product,P,mobile,1"],
    "customers": ["CUST99999,A,B,e,X,LATAM,2024-01-01,1.00,DIAMOND"],
}
FAILING_JOB = "device_conversions"
# the job whose per-day partitions the history needs (exporters/backfill.py)
PER_DAY_JOB = "device_conversions"


def suspicious_rows(day):
    """Valid rows that the fraud rules flag: two bot-like sessions (12 events in a minute),
    a customer with 12 orders in a day, one of them 40 times the others."""
    d = day.isoformat()
    clicks = [f"{d} 03:00:{s:02d},SESSIONBOT{b},CUST0000{b},VIEW,product,MOUSE001,desktop,1"
              for b in (1, 2) for s in range(0, 48, 4)]
    orders = [f"ORD8{day:%m%d}{i:02d},CUST00007,MOUSE001,Ergonomic Mouse,1,49.99,49.99,"
              f"{d} 04:{i:02d}:00,COMPLETED,US-EAST" for i in range(11)]
    orders.append(f"ORD8{day:%m%d}99,CUST00007,MOUSE001,Ergonomic Mouse,40,49.99,1999.60,"
                  f"{d} 05:00:00,COMPLETED,US-EAST")
    return {"clickstream": clicks, "orders": orders}


def _run(args, quiet=True):
    out = subprocess.run([sys.executable, *args], capture_output=quiet, text=True)
    return out


def day_partitions(data_root, output_root, job=PER_DAY_JOB, days=None, runner="inline"):
    """``ecom-run --from FIRST --to LAST --jobs <job>`` over `days` (default: every ingested
    day): each day's partials in its partition ``<output>/<job>/dt=DAY/<run>/``, which the
    history's backfill answers each day from. Returns the days."""
    data = layout.DataLayout(data_root)
    days = sorted(days) if days is not None else data.canonical_days("clickstream")
    if not days:
        return []
    run = _run(["-m", "ecomsuite.pipeline", "--runner", runner, "--data", data_root,
                "--output", output_root, "--jobs", job, "--from", days[0].isoformat(),
                "--to", days[-1].isoformat(), "--max-malformed-share", "0.5", "--quiet"])
    if run.returncode:
        raise RuntimeError(f"ecom-run --from {days[0]} --to {days[-1]} --jobs {job} failed "
                           f"({run.returncode}): {run.stderr.strip()[-800:]}")
    return days


def make(root, days=30, scale=0.2, bad_days=(3, 11, 12), runner="inline", fail_one=True):
    """Build the world under `root`: returns (data root, output root)."""
    data_root, output_root = os.path.join(root, "data"), os.path.join(root, "output")
    anomaly = START + dt.timedelta(days=min(days - 1, 20))
    gen = _run(["-m", "datagen", "--days", str(days), "--start-date", START.isoformat(),
                "--out", data_root, "--scale", str(scale), "--seed", str(SEED),
                "--anomaly", f"{anomaly.isoformat()}:2.5",
                "--overwrite", "--quiet"])
    if gen.returncode:
        raise RuntimeError(f"datagen failed: {gen.stderr.strip()[-800:]}")
    data = layout.DataLayout(data_root)
    for i in bad_days:
        if i >= days:
            continue
        day = START + dt.timedelta(days=i)
        w = data.begin_day(day)
        for name, lines in BAD_ROWS.items():
            rows = [schemas.DATASETS[name].header] + [x.format(day=day.isoformat())
                                                      for x in lines[: 1 + i % len(lines)]]
            with w.open(name, "late-export.csv") as f:
                f.write(("\r\n".join(rows) + "\r\n").encode())
        w.commit(append=True)
    fraud_day = START + dt.timedelta(days=min(days - 1, 5))
    w = data.begin_day(fraud_day)
    for name, lines in suspicious_rows(fraud_day).items():
        with w.open(name, "suspicious.csv") as f:
            f.write(("\n".join([schemas.DATASETS[name].header] + lines) + "\n").encode())
    w.commit(append=True)
    run = _run(["-m", "ecomsuite.pipeline", "--runner", runner, "--data", data_root,
                "--output", output_root, "--max-malformed-share", "0.5", "--quiet"])
    if run.returncode:
        raise RuntimeError(f"ecom-run failed ({run.returncode}): {run.stderr.strip()[-800:]}")
    day_partitions(data_root, output_root, runner=runner)
    if fail_one:   # a run refused for its bad rows: the history's failure (the newest run)
        _run(["-m", "ecomsuite.pipeline", "--runner", runner, "--data", data_root,
              "--output", output_root, "--jobs", FAILING_JOB, "--max-malformed-share", "0",
              "--quiet"])
    return data_root, output_root


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(prog="python -m ecomsuite.viz.sample",
                                description="Build the pictures' sample world under ROOT "
                                            "(ROOT/data, ROOT/output).")
    p.add_argument("root")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--scale", type=float, default=0.2)
    p.add_argument("--runner", default="inline", choices=("inline", "local"))
    a = p.parse_args()
    try:
        print(*make(a.root, a.days, a.scale, runner=a.runner), sep="\n")
    except RuntimeError as e:
        print(f"sample: {e}", file=sys.stderr)
        sys.exit(2)
