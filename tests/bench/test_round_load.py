"""bench.harness.round_load: the load recorded before a round, after waiting (--settle)
for the machine to fall quiet; a fake clock and load average, no real waiting."""

import pytest

from bench import harness


@pytest.fixture
def machine(monkeypatch):
    """A load average that falls by 0.2 a second from 1.5, and a clock that sleep moves."""
    clock = {"t": 0.0, "slept": 0}

    def sleep(seconds):
        clock["t"] += seconds
        clock["slept"] += 1

    monkeypatch.setattr(harness.time, "monotonic", lambda: clock["t"])
    monkeypatch.setattr(harness.time, "sleep", sleep)
    monkeypatch.setattr(harness.os, "getloadavg",
                        lambda: (max(0.0, 1.5 - 0.2 * clock["t"]), 0.0, 0.0))
    monkeypatch.setattr(harness, "LOAD_LIMIT", 1.0)
    return clock


def test_no_wait_by_default(machine, monkeypatch):
    monkeypatch.setattr(harness, "SETTLE_S", 0)
    assert harness.round_load() == 1.5 and machine["slept"] == 0


def test_waits_until_the_load_falls_below_the_limit(machine, monkeypatch):
    monkeypatch.setattr(harness, "SETTLE_S", 30)
    load = harness.round_load()
    assert load < 1.0 and machine["slept"] == 3        # 1.5, 1.3, 1.1, 0.9


def test_gives_up_after_the_settle_time(machine, monkeypatch):
    monkeypatch.setattr(harness, "SETTLE_S", 2)
    assert harness.round_load() == pytest.approx(1.1) and machine["slept"] == 2


def test_a_quiet_machine_does_not_wait(machine, monkeypatch):
    monkeypatch.setattr(harness, "SETTLE_S", 30)
    monkeypatch.setattr(harness, "LOAD_LIMIT", 2.0)
    assert harness.round_load() == 1.5 and machine["slept"] == 0


def test_a_load_recorded_as_the_limit_is_waited_out(monkeypatch):
    """0.996 is recorded as 1.0 (two decimals), which reaches --max-load 1: not quiet."""
    loads = iter([0.996, 0.9951, 0.994])
    monkeypatch.setattr(harness.os, "getloadavg", lambda: (next(loads), 0.0, 0.0))
    monkeypatch.setattr(harness.time, "sleep", lambda s: None)
    monkeypatch.setattr(harness, "SETTLE_S", 30)
    monkeypatch.setattr(harness, "LOAD_LIMIT", 1.0)
    assert harness.round_load() == 0.994
