"""Conversion funnel: sessions reaching each funnel stage in time order, per device and overall."""

from fractions import Fraction

from mrjob.protocol import JSONProtocol, RawProtocol
from mrjob.step import MRStep

from ecomsuite.jobbase import CSVJob, ratio
from ecomsuite.schemas import ACTIONS, CLICKSTREAM, DEVICES

ALL_DEVICES = "all"  # the key of the funnel over every device
STAGES = len(ACTIONS)
ACTION_INDEX = {a: str(i) for i, a in enumerate(ACTIONS)}
DEVICE_INDEX = {d: str(i) for i, d in enumerate(DEVICES)}
TIMESTAMP_WIDTH = len("YYYY-MM-DD HH:MM:SS")
STAGE_NAMES = [a.lower() for a in ACTIONS]


def furthest_stage(events):
    """How many funnel stages a session reached, from its events in time order.

    `events`: encoded events (``timestamp + action index + device index``),
    sorted. A session reaches stage i+1 at its first ACTIONS[i] event after it
    reached stage i: an ADD_TO_CART before any VIEW does not count.
    Returns (stages reached 0..STAGES, device index of the first event).
    """
    stage = 0
    device = None
    for event in events:
        if device is None:
            device = event[-1]
        if stage < STAGES and ord(event[TIMESTAMP_WIDTH]) - 48 == stage:
            stage += 1
    return stage, device


def events_that_can_count(events):
    """The events of one session in one file that some reading of the whole session may use.

    `events` sorted. Whatever other files hold, the session's whole-input
    match of stage i is no later than this file's own (greedy) match of it,
    so of the ACTIONS[i] events after this file's stage-i match only the
    first can ever be the one that reaches stage i+1; the first event (which
    decides the device) is always kept. The result reaches the same stage
    as `events` in any merge with other files' events.
    """
    matched = [None] * STAGES  # this file's own greedy match per stage
    stage = 0
    for event in events:
        if stage < STAGES and ord(event[TIMESTAMP_WIDTH]) - 48 == stage:
            matched[stage] = event
            stage += 1
    kept = []
    closed = [False] * STAGES  # an action whose later events can never count
    for event in events:
        a = ord(event[TIMESTAMP_WIDTH]) - 48
        if closed[a]:
            continue
        kept.append(event)
        if a == 0 or (matched[a - 1] is not None and event > matched[a - 1]):
            closed[a] = True
    return kept


class MRFunnel(CSVJob):
    NAME = "funnel"
    KEY_FIELDS = ("device",)  # names of the output key's parts (Parquet export)
    CALENDAR_CHECKED = True  # dates are used as days: 2025-02-30 is malformed
    DATASET = CLICKSTREAM
    COLUMNS = ("timestamp", "session_id", "action", "device")

    # Each session's events reach its reducer sorted by (timestamp, action):
    # the value sorts with the key (Hadoop: stream.num.map.output.key.fields=2).
    SORT_VALUES = True
    # Between steps: plain "key<TAB>value" text, cheaper than JSON per event.
    INTERNAL_PROTOCOL = RawProtocol
    OUTPUT_PROTOCOL = JSONProtocol

    def steps(self):
        return [
            MRStep(mapper_raw=self.mapper_raw_session_events,
                   reducer_init=self.reducer_init_stage_counts,
                   reducer=self.reducer_session_stage,
                   reducer_final=self.reducer_final_stage_partials),
            MRStep(reducer=self.reducer_device_funnel),
        ]

    def mapper_raw_session_events(self, input_path, input_uri):
        """Per session of this file, its events that can count, as ``timestamp+action+device``."""
        sessions = {}
        actions, devices = ACTION_INDEX, DEVICE_INDEX
        for timestamp, session, action, device in self.read_rows(input_path):
            if "\t" in session or "\\" in session:  # keep the raw key<TAB>value line whole
                session = session.replace("\\", "\\\\").replace("\t", "\\t")
            event = timestamp + actions[action] + devices[device]
            events = sessions.get(session)
            if events is None:
                sessions[session] = [event]
            else:
                events.append(event)
        for session, events in sessions.items():
            if len(events) > 1:
                events.sort()
                events = events_that_can_count(events)
            for event in events:
                yield session, event

    def reducer_init_stage_counts(self):
        # (device index, stages reached) -> sessions
        self.stage_counts = {}

    def reducer_session_stage(self, session, events):
        """Only the session's funnel state is kept while its events stream by."""
        key = furthest_stage(events)[::-1]
        self.stage_counts[key] = self.stage_counts.get(key, 0) + 1
        return iter(())

    def reducer_final_stage_partials(self):
        """Sessions by stages reached (0..STAGES), per device and for all devices."""
        totals = {}
        for (device, stage), n in self.stage_counts.items():
            for key in (DEVICES[int(device)], ALL_DEVICES):
                counts = totals.setdefault(key, [0] * (STAGES + 1))
                counts[stage] += n
        for key in (*DEVICES, ALL_DEVICES):  # every device, also one with no sessions
            yield key, " ".join(map(str, totals.get(key, [0] * (STAGES + 1))))

    def reducer_device_funnel(self, device, partials):
        by_stage = [0] * (STAGES + 1)
        for partial in partials:
            for i, n in enumerate(partial.split()):
                by_stage[i] += int(n)
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
        yield device, record


if __name__ == "__main__":
    MRFunnel.run()
