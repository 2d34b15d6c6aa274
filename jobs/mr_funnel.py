"""Conversion funnel: sessions reaching each funnel stage in time order, per device and overall."""

from fractions import Fraction

from mrjob.protocol import JSONProtocol, RawProtocol
from mrjob.step import MRStep

from ecomsuite.jobbase import CSVJob, group_starts, ratio
from ecomsuite.rows import RowParser, decode, np
from ecomsuite.schemas import ACTIONS, CLICKSTREAM, DEVICES

ALL_DEVICES = "all"  # the key of the funnel over every device
STAGES = len(ACTIONS)
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
            device = event[TIMESTAMP_WIDTH + 1]  # not [-1]: Hadoop ends the line with a tab
        if stage < STAGES and ord(event[TIMESTAMP_WIDTH]) - 48 == stage:
            stage += 1
    return stage, device


def events_that_can_count(starts, actions):
    """Which events of a file may count toward their session's funnel (a bool mask).

    `actions`: the action index of each event, sorted by (session, event);
    `starts`: where each session's events begin. Whatever other files hold,
    a session's whole-input match of stage i is no later than this file's own
    greedy match of it, so of the ACTIONS[i] events after this file's
    stage-i match only the first can ever reach stage i+1: the others are
    dropped. The first event (it decides the device) is always kept. The
    kept events reach the same stage as all of them in any merge with other
    files' events.
    """
    n = len(actions)
    sizes = np.diff(np.append(starts, n))
    group = np.repeat(np.arange(len(starts)), sizes)
    ends = starts + sizes
    none = n  # "no match" (an index past every event)
    previous = starts - 1  # stage -1 is matched before the session's first event
    keep = np.ones(n, dtype=bool)
    for stage in range(STAGES):
        candidates = np.flatnonzero(actions == stage)
        matched = np.full(len(starts), none)
        ok = previous < none
        if len(candidates):
            at = np.searchsorted(candidates, previous[ok] + 1)
            found = np.full(len(at), none)
            inside = at < len(candidates)
            found[inside] = candidates[at[inside]]
            found[found >= ends[ok]] = none
            matched[ok] = found
        # an event of this stage after this file's match of it can never count
        events = candidates[ok[group[candidates]]]
        keep[events[events > matched[group[events]]]] = False
        previous = matched
    return keep


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
    # (With two key fields, Hadoop hands the reducer "key<TAB>value<TAB>": the
    # value is read by position, never to its end.)
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
        stamps, sessions, actions, devices = self.read_columns(
            input_path, RowParser(self.DATASET, self.COLUMNS))
        if not len(sessions):
            return
        events = np.empty((len(stamps), TIMESTAMP_WIDTH + 2), dtype=np.uint8)
        events[:, :TIMESTAMP_WIDTH] = stamps.view(np.uint8).reshape(len(stamps), -1)
        events[:, TIMESTAMP_WIDTH] = actions + ord("0")
        events[:, TIMESTAMP_WIDTH + 1] = devices + ord("0")
        events = events.view(f"S{TIMESTAMP_WIDTH + 2}").ravel()
        # by session, then event (files usually hold a session's events together, in order)
        order = np.argsort(sessions, kind="stable")
        sessions, events = sessions[order], events[order]
        starts = group_starts(sessions)
        same = sessions[1:] == sessions[:-1]
        if (events[1:][same] < events[:-1][same]).any():
            group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(events))))
            order = np.lexsort((events, group))
            sessions, events = sessions[order], events[order]
        keep = events_that_can_count(starts, events.view(np.uint8).reshape(
            len(events), -1)[:, TIMESTAMP_WIDTH] - ord("0"))
        names = decode(sessions[keep]).tolist()
        if any("\t" in s or "\\" in s for s in decode(sessions[starts]).tolist()):
            names = [s.replace("\\", "\\\\").replace("\t", "\\t") for s in names]
        yield from zip(names, decode(events[keep]).tolist())

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
