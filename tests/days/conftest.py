"""Landed days for the runs-by-day tests (made once per session)."""

import subprocess
import sys

import pytest

from ecomsuite import layout
from ecomsuite.schemas import DATASETS
from tests.fixtures.data import generate

DAYS = 12
SCALE = 0.1   # about 170 orders and 670 clicks a day
SEED = 4242


# Fraud actors landed beside the generated rows (the generator injects them in snapshots
# only), each on fixed days (indexes into the landed days), most spanning two days, so that
# each of tests/days' periods has flags and some flags exist only when two days merge:
# - SESSIONF0001: 5 events at 23:59:40-56 landed on day 0 (customer CUSTF0002), 5 at
#   00:00:00-16 of the next day landed on day 1 (CUSTF0001): 10 events in a minute
#   that crosses midnight, a bot only over both days;
# - SESSIONF0002: 12 events in 33 s on day 8 (a bot on that day alone);
# - CUSTF0003: 12 orders dated day 9, 6 landed on day 9 and 6 landed late on day 10: a
#   burst (> 10 a day) only over both landed days;
# - CUSTF0004: 6 orders at 23:50-23:55 of day 10 and 6 at 00:00-00:05 of day 11: no
#   burst (orders are counted per calendar day);
# - CUSTF0005: 3 orders of 10.00 on day 10, one of 900.00 on day 11: an outlier only
#   over both days (alone, day 11 has no other order to judge it against).
CLICK = "{stamp},{session},{customer},VIEW,product,LAPTOP001,desktop,3"
ORDER = "{order},{customer},MOUSE001,Ergonomic Mouse,1,{amount},{amount},{stamp},COMPLETED,LATAM"
CUSTOMER = "{customer},Fraud,Actor,{customer}@example.com,Córdoba,LATAM,2024-06-21,10.00,BRONZE"
FRAUD_CUSTOMERS = [f"CUSTF{i:04d}" for i in range(1, 6)]


def _stamp(day, hour, minute, second):
    return f"{day.isoformat()} {hour:02d}:{minute:02d}:{second:02d}"


def fraud_actor_lines(days):
    """{day index: {dataset: [CSV lines]}} of the actors above (`days`: the landed days)."""
    lines = {}

    def add(i, dataset, line):
        lines.setdefault(i, {}).setdefault(dataset, []).append(line)
    for c in FRAUD_CUSTOMERS:
        add(0, "customers", CUSTOMER.format(customer=c))
    for s in range(40, 60, 4):
        add(0, "clickstream", CLICK.format(stamp=_stamp(days[0], 23, 59, s),
                                           session="SESSIONF0001", customer="CUSTF0002"))
    for s in range(0, 20, 4):
        add(1, "clickstream", CLICK.format(stamp=_stamp(days[1], 0, 0, s),
                                           session="SESSIONF0001", customer="CUSTF0001"))
    for n in range(12):
        add(8, "clickstream", CLICK.format(stamp=_stamp(days[8], 12, 0, 3 * n),
                                           session="SESSIONF0002", customer="CUSTF0002"))
    for n in range(12):
        add(9 + n // 6, "orders", ORDER.format(order=f"ORDF3-{n:02d}", customer="CUSTF0003",
                                               amount="25.00", stamp=_stamp(days[9], 10, n, 0)))
    for n in range(6):
        add(10, "orders", ORDER.format(order=f"ORDF4-{n:02d}", customer="CUSTF0004",
                                       amount="20.00", stamp=_stamp(days[10], 23, 50 + n, 0)))
        add(11, "orders", ORDER.format(order=f"ORDF4-{6 + n:02d}", customer="CUSTF0004",
                                       amount="20.00", stamp=_stamp(days[11], 0, n, 0)))
    for n in range(3):
        add(10, "orders", ORDER.format(order=f"ORDF5-{n:02d}", customer="CUSTF0005",
                                       amount="10.00", stamp=_stamp(days[10], 9, n, 0)))
    add(11, "orders", ORDER.format(order="ORDF5-03", customer="CUSTF0005", amount="900.00",
                                   stamp=_stamp(days[11], 9, 0, 0)))
    return lines


def land_fraud_actors(root):
    """Add the actors' rows to the landed days, one more file per dataset and day."""
    data = layout.DataLayout(str(root))
    days = [d for d, _ in data.complete_days()[0]]
    for i, by_dataset in sorted(fraud_actor_lines(days).items()):
        writer = data.begin_day(days[i])
        for dataset, rows in by_dataset.items():
            header = ",".join(DATASETS[dataset].names)
            with writer.open(dataset, "fraud-actors.csv", count_rows=True) as f:
                f.write("\n".join([header, *rows, ""]).encode())
        writer.commit(append=True)


@pytest.fixture(scope="session")
def landed(tmp_path_factory):
    """A data root with DAYS landed days (and the fraud actors above), ingested
    (canonical partitions)."""
    root = generate(tmp_path_factory.mktemp("days-data"), "--days", str(DAYS),
                    "--scale", str(SCALE), "--seed", str(SEED))
    land_fraud_actors(root)
    subprocess.run([sys.executable, "-m", "ecomsuite.ingest", "--data", str(root)],
                   check=True, capture_output=True)
    return root


@pytest.fixture(scope="session")
def landed_days(landed):
    return [d for d, _ in layout.DataLayout(str(landed)).complete_days()[0]]


def ecom_run(*args, check=True):
    """ecom-run as a user runs it (its own process): (exit code, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "ecomsuite.pipeline", *map(str, args)],
                          capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"ecom-run {' '.join(map(str, args))} exited "
                             f"{done.returncode}:\n{done.stderr[-3000:]}")
    return done.returncode, done.stdout, done.stderr
