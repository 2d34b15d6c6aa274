"""Generated datasets for the generator's tests, made in-process once per session."""

import pytest

from datagen import cli

SCALE = "0.2"         # 10,000 orders, 1,000 customers, 40,000 clicks: enough for the shares
SEED = "2024"
FRAUD_ACTORS = 4
ANOMALIES = (("2025-06-10", 3.0), ("2025-06-21", 0.2))


def generate(out, *args):
    """Run the CLI in this process; assert it succeeded; return `out` as str."""
    assert cli.main(["--out", str(out), "--quiet", *map(str, args)]) == 0
    return str(out)


@pytest.fixture(scope="session")
def clean_data(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("clean"), "--scale", SCALE, "--seed", SEED,
                    "--parts", "3")


@pytest.fixture(scope="session")
def injected_data(tmp_path_factory):
    args = ["--scale", SCALE, "--seed", SEED, "--fraud-actors", FRAUD_ACTORS]
    for day, factor in ANOMALIES:
        args += ["--anomaly", f"{day}:{factor}"]
    return generate(tmp_path_factory.mktemp("injected"), *args)


@pytest.fixture(scope="session", params=["clean", "injected"])
def any_data(request):
    """Both datasets: every coherence rule holds with and without injections."""
    return request.getfixturevalue(f"{request.param}_data")
