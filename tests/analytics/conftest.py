"""Generated datasets with injected anomalies and fraud actors (made once per session)."""

import pytest

from ecomsuite import rows
from tests.fixtures.data import generate

END_DATE = "2025-06-30"  # orders 2025-06-01 .. 06-30, clicks 06-24 .. 06-30
# A spike and a dip ten days apart: each is judged against a trailing week that
# holds neither, and each day has a full week before it.
ANOMALIES = {"2025-06-12": 3.0, "2025-06-22": 0.2}
FRAUD_ACTORS = 5


@pytest.fixture(scope="session")
def anomaly_data(tmp_path_factory):
    """Half the demo scale (25,000 orders) with a 3x spike and a 0.2x dip."""
    args = [arg for day, factor in ANOMALIES.items() for arg in ("--anomaly", f"{day}:{factor}")]
    return generate(tmp_path_factory.mktemp("anomalies"), "--scale", "0.5", "--seed", "2024",
                    "--end-date", END_DATE, *args)


@pytest.fixture(scope="session")
def fraud_data(tmp_path_factory):
    """Half the demo scale with FRAUD_ACTORS bots, burst customers and outlier orders."""
    return generate(tmp_path_factory.mktemp("fraud"), "--scale", "0.5", "--seed", "77",
                    "--end-date", END_DATE, "--fraud-actors", str(FRAUD_ACTORS))


@pytest.fixture(params=["bulk", "per-line"])
def parse_path(request, monkeypatch):
    """Run a test with every file parsed in bulk (numpy), then with every file parsed line
    by line: the row parser picks by file size, and the test files are small."""
    monkeypatch.setattr(rows, "BULK_MIN_BYTES", 0 if request.param == "bulk" else 1 << 62)
    return request.param
