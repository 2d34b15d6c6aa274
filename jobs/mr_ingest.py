"""Ingest: landed CSV files -> canonical Parquet parts, quarantined records and per-file
counts, as tagged lines (ecomsuite.ingest splits them into partitions after the job).

A map-only job over work items (``mapper_raw``: one map task per input): each input is a
small JSON file listing work items, each a landed file, whole, or one range of whole
records of a large plain file (``ecomsuite.ingest.work_items``, grouped into tasks of
about ``--split-bytes`` by ``ecomsuite.ingest.bundle``); the task reads them itself.
Run it through ``ecom-ingest``, which plans the items and publishes the partitions.
"""

import json

from ecomsuite.mrjob_compat import FixedLocalRunner  # before mrjob: what newer Pythons lack

# isort: split
from mrjob.job import MRJob
from mrjob.protocol import RawValueProtocol
from mrjob.step import MRStep

from ecomsuite import ingest

COUNTERS = "ingest"


class MRIngest(FixedLocalRunner, MRJob):
    NAME = "ingest"
    OUTPUT_PROTOCOL = RawValueProtocol

    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg(
            "--part-rows", type=int, default=ingest.PART_ROWS,
            help="rows per canonical Parquet part at most (default: %(default)s)")
        # the suite (and mrjob) are installed where the tasks run: no mrjob zip per task
        self.arg_parser.set_defaults(bootstrap_mrjob=False)

    def load_args(self, args):
        super().load_args(args)
        if self.options.part_rows < 1:
            self.arg_parser.error("--part-rows must be at least 1")

    def steps(self):
        return [MRStep(mapper_raw=self.mapper_raw_ingest)]

    def mapper_raw_ingest(self, input_path, input_uri):
        with open(input_path, encoding="utf-8") as f:
            items = json.load(f)
        for item in items:
            for line in ingest.ingest_item(item, self.options.part_rows):
                if line.startswith('{"kind": "file"'):
                    self.increment_counter(COUNTERS,
                                           "files" if item["ranges"] == 1 else "ranges", 1)
                yield None, line


if __name__ == "__main__":
    MRIngest.run()
