"""The funnel job: against a SQL funnel, hand-made orderings, and a property over file splits."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomsuite.schemas import ACTIONS, DEVICES
from jobs.mr_funnel import MRFunnel
from reference import analytics as reference
from tests.canonical_inputs import to_canonical
from tests.helpers import append_lines, copy_dataset, dataset_files, run_job, write_lines

pytestmark = pytest.mark.usefixtures("parse_path")  # both row parser paths

CLICK = "2025-06-24 10:{m:02d}:{s:02d},{session},CUST00001,{action},product,LAPTOP001,{device},5"
KEYS = {*DEVICES, "all"}


def click(session, action, s, device="mobile", m=0):
    return CLICK.format(session=session, action=action, s=s, device=device, m=m)


def test_equals_sql_funnel(generated_data):
    files = dataset_files(generated_data, "clickstream")
    got, counters = run_job(MRFunnel, files)
    want = reference.funnel(files)
    assert got == want
    assert "malformed" not in counters
    assert counters["rows"]["header"] == len(files)
    # the data must exercise the funnel: every device, every stage, some drop-off
    assert all(want[d]["reached_purchase"] > 0 for d in DEVICES)
    assert want["all"]["reached_view"] > want["all"]["reached_purchase"]


def test_local_runner_agrees(generated_data):
    """-r local: several map and reduce tasks, buckets spread over them."""
    files = dataset_files(generated_data, "clickstream")
    job = MRFunnel(["--no-conf", "-r", "local", *to_canonical(files)[0]])
    with job.make_runner() as runner:
        runner.run()
        local = dict(job.parse_output(runner.cat_output()))
    assert local == run_job(MRFunnel, files)[0]


def test_session_split_across_files_out_of_order(tmp_path):
    """Events of one session arrive in two files, each out of time order."""
    a = write_lines(str(tmp_path / "a.csv"), [
        click("S1", "PURCHASE", 9), click("S1", "ADD_TO_CART", 3),
        click("S2", "ADD_TO_CART", 1),          # before S2's VIEW: does not count
        click("S2", "VIEW", 2),
        click("S3", "VIEW", 0, "tablet"), click("S3", "VIEW", 5, "tablet"),
    ], header_of="clickstream")
    b = write_lines(str(tmp_path / "b.csv"), [
        click("S1", "CHECKOUT", 7), click("S1", "VIEW", 1),
        click("S2", "CHECKOUT", 4),             # S2 never reached ADD_TO_CART after VIEW
        click("S3", "ADD_TO_CART", 5, "tablet"),  # same second as a VIEW: counts
        click("S3", "PURCHASE", 6, "tablet"),   # no CHECKOUT: stops at ADD_TO_CART
    ])
    got, _ = run_job(MRFunnel, [a, b])
    assert got["mobile"] == {
        "sessions": 2, "reached_view": 2, "reached_add_to_cart": 1, "reached_checkout": 1,
        "reached_purchase": 1, "view_to_add_to_cart": 0.5, "add_to_cart_to_checkout": 1.0,
        "checkout_to_purchase": 1.0, "overall_conversion": 0.5,
        "biggest_drop_off": "VIEW->ADD_TO_CART", "biggest_drop_off_rate": 0.5}
    assert got["tablet"]["reached_add_to_cart"] == 1 and got["tablet"]["reached_checkout"] == 0
    assert got["tablet"]["biggest_drop_off"] == "ADD_TO_CART->CHECKOUT"
    assert got["desktop"]["sessions"] == 0  # a device with no rows is still reported
    assert got["desktop"]["biggest_drop_off"] is None
    assert got["all"]["sessions"] == 3 and got["all"]["reached_purchase"] == 1


def test_device_of_a_session_is_that_of_its_first_event(tmp_path):
    a = write_lines(str(tmp_path / "a.csv"), [click("S1", "ADD_TO_CART", 9, "desktop")])
    b = write_lines(str(tmp_path / "b.csv"), [click("S1", "VIEW", 2, "tablet")])
    got, _ = run_job(MRFunnel, [a, b])
    assert got["tablet"]["reached_add_to_cart"] == 1 and got["desktop"]["sessions"] == 0


def test_empty_header_only_and_malformed_inputs(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header = write_lines(str(tmp_path / "h.csv"), [], header_of="clickstream")
    bad = write_lines(str(tmp_path / "bad.csv"), [
        "2025-06-24 25:00:00,S1,CUST1,VIEW,product,P,mobile,5",      # bad_timestamp
        "2025-06-24 10:00:00,S1,CUST1,LOOK,product,P,mobile,5",      # unknown_action
        "2025-06-24 10:00:00,S1,CUST1,VIEW,product,P,watch,5",       # unknown_device
        "2025-06-24 10:00:00,,CUST1,VIEW,product,P,mobile,5",        # missing_session_id
        "2025-06-24 10:00:00,S1,CUST1,VIEW,product,P,mobile",        # wrong_column_count
        b"2025-06-24 10:00:00,S1,CUST1,VIEW,product,\xff,mobile,5",  # invalid_utf8
    ], newline=b"\r\n")
    got, counters = run_job(MRFunnel, [empty, header, bad])
    assert set(got) == KEYS and all(v["sessions"] == 0 for v in got.values())
    assert counters["malformed"] == {
        "bad_timestamp": 1, "unknown_action": 1, "unknown_device": 1,
        "missing_session_id": 1, "wrong_column_count": 1, "invalid_utf8": 1}
    assert counters["rows"] == {"valid": 0, "header": 1}


def test_counts_injected_malformed_rows_on_generated_data(generated_data, tmp_path):
    root = copy_dataset(generated_data, tmp_path, "clickstream")
    files = dataset_files(root, "clickstream")
    append_lines(files[1], [
        "2025-13-01 10:00:00,SESSION99999,CUST00001,VIEW,product,LAPTOP001,mobile,5",
        '"2025-06-24 10:00:00","SESSION99999","CUST00001","VIEW","product","LAPTOP,001","mobile",5',
        "",
    ])
    got, counters = run_job(MRFunnel, files)
    assert counters["malformed"] == {"bad_timestamp": 1}
    assert counters["rows"]["blank"] == 1
    want = reference.funnel(dataset_files(generated_data, "clickstream"))
    assert got["mobile"]["sessions"] == want["mobile"]["sessions"] + 1  # the quoted row is valid


# Property: however a session's events are shuffled over files, the job's funnel is
# the SQL funnel's (this checks the mapper's dropping of events that cannot count).
event = st.tuples(st.sampled_from(["S1", "S2", "S3"]), st.sampled_from(ACTIONS),
                  st.integers(min_value=0, max_value=6), st.sampled_from(DEVICES[:2]))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event, min_size=1, max_size=30),
       files=st.lists(st.integers(min_value=0, max_value=2), min_size=30, max_size=30))
def test_any_split_over_files_gives_the_sql_funnel(tmp_path_factory, events, files):
    d = tmp_path_factory.mktemp("split")
    lines = [[], [], []]
    for (session, action, s, device), f in zip(events, files):
        lines[f].append(click(session, action, s, device))
    paths = [write_lines(os.path.join(d, f"{i}.csv"), part, header_of="clickstream")
             for i, part in enumerate(lines)]
    got, _ = run_job(MRFunnel, paths)
    assert got == reference.funnel(paths)


def test_bucket_count_does_not_change_the_funnel(generated_data):
    """Sessions are spread over --buckets reduce keys; any count gives the same answer."""
    files = dataset_files(generated_data, "clickstream")
    want = reference.funnel(files)
    for buckets in ("1", "3", "16"):
        assert run_job(MRFunnel, files, "--buckets", buckets)[0] == want


def test_stages_reached_matches_a_per_event_walk():
    """The vectorised greedy match against a plain walk over each session's events."""
    import numpy as np

    from jobs.mr_funnel import STAGES, stages_reached

    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 9, size=500)
    actions = rng.integers(0, STAGES, size=int(sizes.sum()))
    starts = np.cumsum(sizes) - sizes
    want = []
    for start, size in zip(starts.tolist(), sizes.tolist()):
        stage = 0
        for action in actions[start:start + size].tolist():
            stage += stage < STAGES and action == stage
        want.append(stage)
    assert stages_reached(starts, actions).tolist() == want


def test_buckets_must_be_positive():
    with pytest.raises(ValueError, match="--buckets must be at least 1"):
        MRFunnel(["--no-conf", "--buckets", "0"])
