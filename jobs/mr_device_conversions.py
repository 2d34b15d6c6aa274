"""Device conversions: sessions, converted sessions, conversion rate and purchases per device."""

from mrjob.step import MRStep

from ecomsuite.jobbase import CSVJob, ratio
from ecomsuite.schemas import CLICKSTREAM

PURCHASE = "PURCHASE"


class MRDeviceConversions(CSVJob):
    NAME = "device_conversions"
    DATASET = CLICKSTREAM
    COLUMNS = ("session_id", "action", "device")

    def steps(self):
        return [
            MRStep(mapper_raw=self.mapper_raw_session_purchases,
                   reducer_init=self.reducer_init_devices,
                   reducer=self.reducer_session_to_device,
                   reducer_final=self.reducer_final_device_partials),
            MRStep(reducer=self.reducer_device_totals),
        ]

    def mapper_raw_session_purchases(self, input_path, input_uri):
        """In-mapper combining: PURCHASE events per (device, session) in this file."""
        purchases = {}
        for session, action, device in self.read_rows(input_path):
            key = (device, session)
            purchases[key] = purchases.get(key, 0) + (action == PURCHASE)
        for key, n in purchases.items():
            yield key, n

    def reducer_init_devices(self):
        self.devices = {}

    def reducer_session_to_device(self, key, counts):
        """A session is whole here: fold it into its device's [sessions, converted, purchases]."""
        device = key[0]
        n = sum(counts)
        t = self.devices.get(device)
        if t is None:
            t = self.devices[device] = [0, 0, 0]
        t[0] += 1
        t[1] += n > 0
        t[2] += n
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
