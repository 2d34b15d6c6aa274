"""Conversion funnel: sessions reaching each funnel stage in time order, per device and overall."""

from fractions import Fraction

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.protocol import JSONProtocol
from mrjob.step import MRStep

from ecomsuite.jobbase import (
    CanonicalJob,
    add_buckets_arg,
    bucket_rows,
    check_buckets_arg,
    group_order,
    group_starts,
    merge_parts,
    pack_array,
    ratio,
    unpack_array,
)
from ecomsuite.rows import buckets_of, np
from ecomsuite.schemas import ACTIONS, CLICKSTREAM, DEVICES

ALL_DEVICES = "all"  # the key of the funnel over every device
STAGES = len(ACTIONS)
TIMESTAMP_WIDTH = len("YYYY-MM-DD HH:MM:SS")
EVENT_WIDTH = TIMESTAMP_WIDTH + 2  # an event: its timestamp, action index, device index
STAGE_NAMES = [a.lower() for a in ACTIONS]


def greedy_matches(starts, actions):
    """Per funnel stage, the index of each session's greedy match of it.

    `actions`: the action index of each event, sorted by (session, event);
    `starts`: where each session's events begin. A session matches stage i at
    its first ACTIONS[i] event after its match of stage i-1 (an ADD_TO_CART
    before any VIEW does not count); len(actions) stands for "no match".
    Yields (stage, that stage's events, each session's match).
    """
    n = len(actions)
    ends = np.append(starts[1:], n)
    previous = starts - 1  # stage -1 is matched before the session's first event
    for stage in range(STAGES):
        candidates = np.flatnonzero(actions == stage)
        matched = np.full(len(starts), n)
        ok = previous < n
        if len(candidates) and ok.any():
            at = np.searchsorted(candidates, previous[ok] + 1)
            found = np.full(len(at), n)
            inside = at < len(candidates)
            found[inside] = candidates[at[inside]]
            found[found >= ends[ok]] = n
            matched[ok] = found
        yield stage, candidates, matched
        previous = matched


def stages_reached(starts, actions):
    """How many funnel stages (0..STAGES) each session reached (see greedy_matches)."""
    reached = np.zeros(len(starts), dtype=np.int64)
    for _, _, matched in greedy_matches(starts, actions):
        reached += matched < len(actions)
    return reached


def events_that_can_count(starts, actions):
    """Which events of a file may count toward their session's funnel (a bool mask).

    Whatever other files hold, a session's whole-input match of stage i is no
    later than this file's own greedy match of it, so of the ACTIONS[i]
    events after this file's stage-i match only the first can ever reach
    stage i+1: the others are dropped. The first event (it decides the
    device) is always kept. The kept events reach the same stage as all of
    them in any merge with other files' events.
    """
    n = len(actions)
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    keep = np.ones(n, dtype=bool)
    for _, candidates, matched in greedy_matches(starts, actions):
        # an event of this stage after this file's match of it can never count
        keep[candidates[candidates > matched[group[candidates]]]] = False
    return keep


def event_actions(events):
    """The action index of each encoded event (``timestamp + action + device``, S21)."""
    return events.view(np.uint8).reshape(len(events), -1)[:, TIMESTAMP_WIDTH] - ord("0")


def event_devices(events):
    return events.view(np.uint8).reshape(len(events), -1)[:, TIMESTAMP_WIDTH + 1] - ord("0")


class MRFunnel(CanonicalJob):
    NAME = "funnel"
    KEY_FIELDS = ("device",)  # names of the output key's parts (Parquet export)
    DATASET = CLICKSTREAM
    COLUMNS = ("timestamp", "session_id", "action", "device")
    OUTPUT_PROTOCOL = JSONProtocol
    # Sessions are split into reduce keys by a stable hash of their id, at least this many
    # (a day partition's keys; over a whole input, sized from it: jobbase.buckets_for);
    # each batch of a file sends one record per key.
    FEWEST_BUCKETS = 4

    def configure_args(self):
        super().configure_args()
        add_buckets_arg(self, "sessions")

    def load_args(self, args):
        super().load_args(args)
        check_buckets_arg(self)

    # A day's partials: per session bucket, its sessions' events that can count (the
    # mapper's record, merged): days' events of a session that spans midnight merge by id.
    PARTIAL_STEP = 0

    def steps(self):
        return self.partial_steps([
            MRStep(mapper_raw=self.mapper_raw_session_buckets,
                   reducer_init=self.reducer_init_stage_counts,
                   reducer=self.reducer_bucket_stages,
                   reducer_final=self.reducer_final_stage_partials),
            MRStep(reducer=self.reducer_device_funnel),
        ])

    def merge_partials(self, bucket, parts):
        """The bucket's records as one: sessions in id order, each one's events that can
        count in time order (events_that_can_count over the merged events)."""
        names, sizes, events = zip(*parts)
        events = np.frombuffer("".join(events).encode("ascii"), dtype=f"S{EVENT_WIDTH}")
        sessions = np.repeat(np.concatenate([unpack_array(n) for n in names]),
                             np.concatenate([unpack_array(n) for n in sizes]))
        order = group_order(sessions, events)
        sessions, events = sessions[order], events[order]
        keep = events_that_can_count(group_starts(sessions), event_actions(events))
        sessions, events = sessions[keep], events[keep]
        starts = group_starts(sessions)
        yield [pack_array(sessions[starts]), pack_array(np.diff(np.append(starts, len(events)))),
               events.tobytes().decode("ascii")]

    def mapper_raw_session_buckets(self, input_path, input_uri):
        """Per batch of this file's rows and bucket of its sessions, one record of their
        events that can count: ``[session ids, events per session, events]`` (the first
        two packed arrays), the events (``timestamp + action + device``, EVENT_WIDTH
        characters each) grouped by session, in time order."""
        for columns in self.iter_columns(input_path):
            yield from self.session_buckets(*columns)

    def session_buckets(self, stamps, sessions, actions, devices):
        events = np.empty((len(stamps), EVENT_WIDTH), dtype=np.uint8)
        events[:, :TIMESTAMP_WIDTH] = stamps.view(np.uint8).reshape(len(stamps), -1)
        events[:, TIMESTAMP_WIDTH] = actions + ord("0")
        events[:, TIMESTAMP_WIDTH + 1] = devices + ord("0")
        events = events.view(f"S{EVENT_WIDTH}").ravel()
        order = group_order(sessions, events)
        sessions, events = sessions[order], events[order]
        keep = events_that_can_count(group_starts(sessions), event_actions(events))
        sessions, events = sessions[keep], events[keep]
        starts = group_starts(sessions)
        sizes = np.diff(np.append(starts, len(events)))
        buckets = buckets_of(sessions[starts], self.bucket_count())
        event_rows = dict(bucket_rows(np.repeat(buckets, sizes), self.bucket_count()))
        for b, mine in bucket_rows(buckets, self.bucket_count()):
            yield b, [pack_array(sessions[starts[mine]]), pack_array(sizes[mine]),
                      events[event_rows[b]].tobytes().decode("ascii")]

    def reducer_init_stage_counts(self):
        # [device index, stages reached] -> sessions
        self.stage_counts = np.zeros((len(DEVICES), STAGES + 1), dtype=np.int64)

    def reducer_bucket_stages(self, bucket, parts):
        """Merge the files' parts of a bucket's sessions; count them by device and stage."""
        names, sizes, events = zip(*parts)
        events = np.frombuffer("".join(events).encode("ascii"), dtype=f"S{EVENT_WIDTH}")
        _, _, session, order = merge_parts(np.concatenate([unpack_array(n) for n in names]),
                                           np.concatenate([unpack_array(n) for n in sizes]),
                                           events)
        if order is not None:
            events = events[order]
        starts = group_starts(session)
        reached = stages_reached(starts, event_actions(events))
        cell = event_devices(events[starts]).astype(np.int64) * (STAGES + 1) + reached
        self.stage_counts += np.bincount(cell, minlength=self.stage_counts.size).reshape(
            self.stage_counts.shape)
        return iter(())

    def reducer_final_stage_partials(self):
        """This task's sessions by device and stages reached (0..STAGES), as one record
        under one key, so the second step is a single small task."""
        yield ALL_DEVICES, self.stage_counts.tolist()

    def reducer_device_funnel(self, _, partials):
        by_device = np.zeros((len(DEVICES), STAGES + 1), dtype=np.int64)
        for partial in partials:
            by_device += np.array(partial, dtype=np.int64)
        for device, by_stage in sorted((*zip(DEVICES, by_device.tolist()),
                                        (ALL_DEVICES, by_device.sum(0).tolist()))):
            yield device, funnel_record(by_stage)  # also a device with no sessions


def funnel_record(by_stage):
    """The output record of sessions by stages reached (by_stage[i]: sessions that
    reached exactly i stages)."""
    reached = [sum(by_stage[i + 1:]) for i in range(STAGES)]
    record = {"sessions": sum(by_stage)}
    for name, n in zip(STAGE_NAMES, reached):
        record[f"reached_{name}"] = n
    worst = None
    for i in range(STAGES - 1):
        record[f"{STAGE_NAMES[i]}_to_{STAGE_NAMES[i + 1]}"] = ratio(reached[i + 1], reached[i])
        if reached[i]:
            lost = Fraction(reached[i] - reached[i + 1], reached[i])
            if worst is None or lost > worst[1]:
                worst = (i, lost)
    record["overall_conversion"] = ratio(reached[-1], reached[0])
    record["biggest_drop_off"] = (
        f"{ACTIONS[worst[0]]}->{ACTIONS[worst[0] + 1]}" if worst else None)
    record["biggest_drop_off_rate"] = round(float(worst[1]), 6) if worst else None
    return record


if __name__ == "__main__":
    MRFunnel.run()
