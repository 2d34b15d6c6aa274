"""Device conversions: sessions, converted sessions, conversion rate and purchases per device."""

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import (
    CanonicalJob,
    add_buckets_arg,
    bucket_rows,
    check_buckets_arg,
    ratio,
)
from ecomsuite.rows import buckets_of, np
from ecomsuite.schemas import ACTIONS, CLICKSTREAM, DEVICES

PURCHASE = "PURCHASE"
PURCHASE_CODE = ACTIONS.index(PURCHASE)
ALL_DEVICES = "all"  # step 2's one key: the devices' partials from every reduce task


def distinct_runs(values):
    """`values` without the repeats of consecutive equal values (sessions come in runs)."""
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


class MRDeviceConversions(CanonicalJob):
    NAME = "device_conversions"
    DATASET = CLICKSTREAM
    COLUMNS = ("session_id", "action", "device")
    # The sessions are split into reduce keys by a stable hash of the session id, each
    # carrying every device's share: at least two (the local runner's two cores, and a
    # day partition's keys), over a whole input one per jobbase.ROWS_PER_BUCKET rows.
    FEWEST_BUCKETS = 2

    def configure_args(self):
        super().configure_args()
        add_buckets_arg(self, "sessions", "--session-buckets")

    def load_args(self, args):
        super().load_args(args)
        check_buckets_arg(self)

    # A day's partials: per session bucket and device, the sorted ids of its sessions and
    # of its converted sessions, and its PURCHASE events: days' id sets unite exactly.
    PARTIAL_STEP = 0

    def steps(self):
        return self.partial_steps([
            MRStep(mapper_raw=self.mapper_raw_session_sets,
                   reducer_init=self.reducer_init_devices,
                   reducer=self.reducer_count_sessions,
                   reducer_final=self.reducer_final_device_partials),
            MRStep(reducer=self.reducer_device_totals),
        ])

    def merge_partials(self, bucket, parts):
        by_device = {}
        for part in parts:
            for device, (ids, bought, n) in part.items():
                d = by_device.setdefault(device, [set(), set(), 0])
                d[0].update(ids.split("\n"))
                if bought:
                    d[1].update(bought.split("\n"))
                d[2] += n
        if by_device:
            yield {device: ["\n".join(sorted(ids)), "\n".join(sorted(bought)), n]
                   for device, (ids, bought, n) in sorted(by_device.items())}

    def mapper_raw_session_sets(self, input_path, input_uri):
        """In-mapper combining: per session bucket of this file and per device, its
        distinct sessions, those with a PURCHASE event, and (first bucket) its PURCHASE events,
        one batch of rows at a time. Ids travel newline-joined (no id holds a newline:
        lines are split on them)."""
        for columns in self.iter_columns(input_path):
            yield from self.session_sets(*columns)

    def session_sets(self, session, action, device):
        buckets = self.bucket_count()
        # [bucket][device] -> session ids (UTF-8 bytes)
        sessions = [[set() for _ in DEVICES] for _ in range(buckets)]
        converted = [[set() for _ in DEVICES] for _ in range(buckets)]
        purchases = [0] * len(DEVICES)

        def add(sets, d, ids):
            ids = distinct_runs(ids)
            if buckets == 1:
                sets[0][d].update(ids.tolist())
                return
            for b, rows in bucket_rows(buckets_of(ids, buckets), buckets):
                sets[b][d].update(ids[rows].tolist())

        bought = action == PURCHASE_CODE
        for d in range(len(DEVICES)):
            on = device == d
            add(sessions, d, session[on])
            add(converted, d, session[on & bought])
            purchases[d] += int(np.count_nonzero(on & bought))
        for b in range(buckets):
            part = {}
            for d, name in enumerate(DEVICES):
                if sessions[b][d]:
                    part[name] = [b"\n".join(sessions[b][d]).decode(),
                                    b"\n".join(converted[b][d]).decode(), purchases[d]]
                    purchases[d] = 0  # counted once, with the device's first bucket
            if part:
                yield b, part

    def reducer_init_devices(self):
        self.devices = {}

    def reducer_count_sessions(self, bucket, parts):
        """A bucket of sessions is whole here: count it into each device's
        [sessions, converted, purchases]."""
        by_device = {}
        for part in parts:
            for device, (ids, bought, n) in part.items():
                d = by_device.get(device)
                if d is None:
                    d = by_device[device] = [set(), set(), 0]
                d[0].update(ids.split("\n"))
                if bought:
                    d[1].update(bought.split("\n"))
                d[2] += n
        for device, (sessions, converted, n) in by_device.items():
            t = self.devices.get(device)
            if t is None:
                t = self.devices[device] = [0, 0, 0]
            t[0] += len(sessions)
            t[1] += len(converted)
            t[2] += n
        return iter(())

    def reducer_final_device_partials(self):
        if self.devices:  # one record per task, so step 2 is one small task
            yield ALL_DEVICES, self.devices

    def reducer_device_totals(self, _, partials):
        totals = {}
        for partial in partials:
            for device, counts in partial.items():
                t = totals.setdefault(device, [0, 0, 0])
                for i, n in enumerate(counts):
                    t[i] += n
        for device, (sessions, converted, purchases) in sorted(totals.items()):
            yield device, {
                "sessions": sessions,
                "converted_sessions": converted,
                "conversion_rate": ratio(converted, sessions),
                "purchases": purchases,
            }


if __name__ == "__main__":
    MRDeviceConversions.run()
