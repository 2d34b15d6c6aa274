"""Freshness of the data root: the newest complete day landed and ingested, per dataset.

Read through ecomsuite.layout (the owner of the landing commits and the ingest
manifests), never by path patterns of its own::

    <data>/landing/_commits/dt=YYYY-MM-DD/<seq>.json    a day's commits (the newest counts)
    <data>/canonical/<dataset>/dt=YYYY-MM-DD/<v>/_manifest.json   an ingested partition

Exposition::

    ecommerce_data_landed_day_timestamp_seconds{dataset="orders"} 1.7644896e+09
    ecommerce_data_ingested_day_timestamp_seconds{dataset="orders"} 1.7644032e+09
    ecommerce_data_ingested_day_rows{dataset="orders",status="valid"} 1667.0
    ecommerce_data_ingested_days{dataset="orders"} 30.0

The newest processed day of each job is in the run records (exporters.outputs).
A scrape reads the commit folders' names and the newest commit and manifest of each
dataset only (both cached: a published commit or manifest never changes), so its cost does
not grow with the number of days.
"""

import calendar
import logging
import posixpath

from prometheus_client.core import GaugeMetricFamily

from ecomsuite import layout, schemas
from exporters import families as F

log = logging.getLogger(__name__)


def day_seconds(day):
    """A date (or YYYY-MM-DD) -> its UTC midnight in unix seconds."""
    return float(calendar.timegm(layout.as_date(day).timetuple()))


class DataCollector:
    """Freshness gauges of a data root (local folder or hdfs:// URI)."""

    source = "data"

    def __init__(self, data_layout, datasets=schemas.DATASETS):
        self.layout = data_layout
        self.datasets = tuple(datasets)
        self._cache = {}

    def _cached(self, kind, key, read, *args):
        if (kind, key) not in self._cache:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[(kind, key)] = read(*args)
        return self._cache[(kind, key)]

    def newest_landed(self):
        """{dataset: newest day} of days whose newest commit is closed and holds the dataset."""
        found = {}
        for day in reversed(self.layout.days()):
            seqs = self.layout.commit_seqs(day)
            if not seqs:
                continue
            commit = self._cached("commit", (day, seqs[-1]), self.layout.latest_commit, day)
            if commit is None or not commit.closed:
                continue
            for dataset in self.datasets:
                if dataset not in found and commit.datasets.get(dataset):
                    found[dataset] = day
            if len(found) == len(self.datasets):
                break
        return found

    def ingested_days(self, dataset):
        """Days with a complete canonical version of `dataset`, oldest first (as
        DataLayout.canonical_days). A complete version stays complete, so each day is checked
        until it is found complete, then only its partition folder's name is listed."""
        days = []
        partitions = posixpath.dirname(self.layout.canonical_dir(dataset, None))  # <d>/snapshot
        for name in self.layout.store.names(partitions):
            if not name.startswith(layout.DAY_PREFIX):
                continue
            try:
                day = layout.as_date(name[len(layout.DAY_PREFIX):])
            except layout.LayoutError:
                continue
            key = ("complete", (dataset, day))
            if key not in self._cache:
                if self.layout.canonical_versions(dataset, day).latest() is None:
                    continue
                self._cache[key] = True
            days.append(day)
        return sorted(days)

    def collect(self):
        if not self.layout.store.is_dir(self.layout.root):
            raise FileNotFoundError(f"data root {self.layout.store.describe(self.layout.root)} "
                                    "does not exist")
        landed = GaugeMetricFamily(F.DATA_LANDED_DAY.name, F.DATA_LANDED_DAY.help,
                                   labels=list(F.DATA_LANDED_DAY.labels))
        ingested = GaugeMetricFamily(F.DATA_INGESTED_DAY.name, F.DATA_INGESTED_DAY.help,
                                     labels=list(F.DATA_INGESTED_DAY.labels))
        rows = GaugeMetricFamily(F.DATA_INGESTED_DAY_ROWS.name, F.DATA_INGESTED_DAY_ROWS.help,
                                 labels=list(F.DATA_INGESTED_DAY_ROWS.labels))
        days = GaugeMetricFamily(F.DATA_INGESTED_DAYS.name, F.DATA_INGESTED_DAYS.help,
                                 labels=list(F.DATA_INGESTED_DAYS.labels))
        if self.layout.has_landing():
            for dataset, day in sorted(self.newest_landed().items()):
                landed.add_metric([dataset], day_seconds(day))
        for dataset in self.datasets:
            ingested_days = self.ingested_days(dataset)
            days.add_metric([dataset], len(ingested_days))
            if not ingested_days:
                continue
            newest = ingested_days[-1]
            ingested.add_metric([dataset], day_seconds(newest))
            version = self.layout.canonical_versions(dataset, newest).latest()
            manifest = self._cached("manifest", version, self.layout.ingest_manifest,
                                    dataset, newest)
            if manifest is not None:
                rows.add_metric([dataset, "valid"], manifest.valid)
                rows.add_metric([dataset, "rejected"], manifest.rejected)
        yield from (landed, ingested, rows, days)
