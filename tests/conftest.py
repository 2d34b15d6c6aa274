"""Shared pytest set-up: fixtures live in tests/fixtures/ as plugins."""

# Before anything imports mrjob (tests import mrjob modules directly too).
import ecomsuite.mrjob_compat  # noqa: F401

pytest_plugins = ["tests.fixtures.data", "tests.fixtures.hadoop"]
