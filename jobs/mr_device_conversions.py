"""Device conversions: sessions, converted sessions, conversion rate and purchases per device."""

import numpy as np
from mrjob.step import MRStep

from ecomsuite.jobbase import CSVJob, ratio
from ecomsuite.rows import RowParser, bucket_of, buckets_of
from ecomsuite.schemas import ACTIONS, CLICKSTREAM, DEVICES

PURCHASE = "PURCHASE"
PURCHASE_CODE = ACTIONS.index(PURCHASE)
# Each device's sessions are split into this many reduce keys by a stable hash
# of the session id, so the reducers share the distinct counting.
SESSION_BUCKETS = 8


def distinct_runs(values):
    """`values` without the repeats of consecutive equal values (sessions come in runs)."""
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


class MRDeviceConversions(CSVJob):
    NAME = "device_conversions"
    DATASET = CLICKSTREAM
    COLUMNS = ("session_id", "action", "device")

    def steps(self):
        return [
            MRStep(mapper_raw=self.mapper_raw_session_sets,
                   reducer_init=self.reducer_init_devices,
                   reducer=self.reducer_count_sessions,
                   reducer_final=self.reducer_final_device_partials),
            MRStep(reducer=self.reducer_device_totals),
        ]

    def mapper_raw_session_sets(self, input_path, input_uri):
        """In-mapper combining: per (device, session bucket) of this file, its distinct
        sessions, those with a PURCHASE event, and (first bucket) the device's PURCHASE events."""
        parser = RowParser(self.DATASET, self.COLUMNS)
        sessions = [set() for _ in DEVICES]
        converted = [set() for _ in DEVICES]
        purchases = [0] * len(DEVICES)
        index = {d: i for i, d in enumerate(DEVICES)}
        for chunk in parser.parse_file_columns(input_path):
            if chunk.size:
                session, action, device = chunk.columns
                bought = action == PURCHASE_CODE
                for d in range(len(DEVICES)):
                    on = device == d
                    sessions[d].update(distinct_runs(session[on]).tolist())
                    converted[d].update(distinct_runs(session[on & bought]).tolist())
                    purchases[d] += int(np.count_nonzero(on & bought))
            for session, action, device in chunk.rows:  # lines parsed one by one
                d = index[device]
                key = session.encode()
                sessions[d].add(key)
                if action == PURCHASE:
                    converted[d].add(key)
                    purchases[d] += 1
        self.count_rows(parser)
        for d, device in enumerate(DEVICES):
            if not sessions[d]:
                continue
            by_bucket = self.split_by_bucket(sessions[d])
            bought_by_bucket = self.split_by_bucket(converted[d])
            n = purchases[d]  # counted once, with the device's first bucket
            for b, ids in enumerate(by_bucket):
                if ids:
                    yield [device, b], [ids, bought_by_bucket[b], n]
                    n = 0

    @staticmethod
    def split_by_bucket(ids):
        """Session ids (bytes) -> per bucket, the ids as str."""
        out = [[] for _ in range(SESSION_BUCKETS)]
        plain = [s for s in ids if s.isascii() and not s.endswith(b"\0")]
        if len(plain) == len(ids):
            values = np.array(plain, dtype=bytes)
            buckets = buckets_of(values, SESSION_BUCKETS)
            text = values.astype(str)
            for b in range(SESSION_BUCKETS):
                out[b] = text[buckets == b].tolist()
            return out
        for s in ids:  # rare: ids numpy's fixed-width bytes cannot hold as they are
            key = s.decode("utf-8")
            out[bucket_of(key, SESSION_BUCKETS)].append(key)
        return out

    def reducer_init_devices(self):
        self.devices = {}

    def reducer_count_sessions(self, key, parts):
        """A bucket of a device's sessions is whole here: count it into the device's
        [sessions, converted, purchases]."""
        device = key[0]
        sessions, converted, purchases = set(), set(), 0
        for ids, bought, n in parts:
            sessions.update(ids)
            converted.update(bought)
            purchases += n
        t = self.devices.get(device)
        if t is None:
            t = self.devices[device] = [0, 0, 0]
        t[0] += len(sessions)
        t[1] += len(converted)
        t[2] += purchases
        return iter(())

    def reducer_final_device_partials(self):
        yield from self.devices.items()

    def reducer_device_totals(self, device, partials):
        sessions, converted, purchases = (sum(col) for col in zip(*partials))
        yield device, {
            "sessions": sessions,
            "converted_sessions": converted,
            "conversion_rate": ratio(converted, sessions),
            "purchases": purchases,
        }


if __name__ == "__main__":
    MRDeviceConversions.run()
