"""The exporter's top collector: runs each source's collector, never lets one break a scrape."""

import logging
import threading
import time

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters import build_info
from exporters import families as F

log = logging.getLogger(__name__)


class EcommerceCollector:
    """Every source's metrics, plus the exporter's own health per source.

    Exposition of the health part::

        ecommerce_exporter_source_up{source="outputs"} 1.0
        ecommerce_exporter_source_up{source="namenode"} 0.0
        ecommerce_exporter_scrape_errors_total{source="namenode"} 3.0
        ecommerce_exporter_skipped_items_total{reason="bad_run_record",source="outputs"} 2.0
        ecommerce_exporter_collect_duration_seconds{source="outputs"} 0.004
        ecommerce_exporter_build_info{python_version="3.11.7",revision="526c123d2e0f",version="0.1.0"} 1.0

    A source whose collector raises (its root or endpoint cannot be read) contributes only
    ``source_up 0`` (its partial results are dropped) and one more scrape error. A source
    made of items (``outputs``: files) degrades per item instead: it lists what it skipped
    in ``skipped`` as (reason, message) pairs, keeps everything else, and stays up; each
    skipped item counts in ``skipped_items_total`` under its reason (the source's
    ``skip_reasons`` are all exported from the start, at 0). Sources that are switched off
    (no URL) are not listed at all.
    """

    def __init__(self, sources, info=None):
        self.sources = list(sources)
        self.info = info if info is not None else build_info()
        self.errors = {s.source: 0 for s in self.sources}
        self.skipped = {(s.source, reason): 0 for s in self.sources
                        for reason in getattr(s, "skip_reasons", ())}
        self._last_error = {}
        self._lock = threading.Lock()  # scrapes may overlap; counters and caches are shared

    def collect(self):
        with self._lock:
            families, up, durations = [], {}, {}
            for src in self.sources:
                start = time.perf_counter()
                try:
                    got = list(src.collect())
                    ok = True
                except Exception as e:  # any failure of one source must leave the others served
                    message = f"{type(e).__name__}: {e}"
                    if message != self._last_error.get(src.source):  # once while it lasts
                        log.warning("%s: cannot be read: %s", src.source, message,
                                    exc_info=log.isEnabledFor(logging.DEBUG))
                    self._last_error[src.source] = message
                    got, ok = [], False
                else:
                    if self._last_error.pop(src.source, None):
                        log.info("%s: readable again", src.source)
                    for reason, _ in getattr(src, "skipped", ()):
                        key = (src.source, reason)
                        self.skipped[key] = self.skipped.get(key, 0) + 1
                durations[src.source] = time.perf_counter() - start
                up[src.source] = 1 if ok else 0
                if not ok:
                    self.errors[src.source] += 1
                families.extend(got)
            errors, skipped = dict(self.errors), dict(self.skipped)

        yield from families
        up_fam = GaugeMetricFamily(F.SOURCE_UP.name, F.SOURCE_UP.help, labels=["source"])
        err_fam = CounterMetricFamily(F.SCRAPE_ERRORS.name, F.SCRAPE_ERRORS.help,
                                      labels=["source"])
        skip_fam = CounterMetricFamily(F.SKIPPED_ITEMS.name, F.SKIPPED_ITEMS.help,
                                       labels=list(F.SKIPPED_ITEMS.labels))
        dur_fam = GaugeMetricFamily(F.COLLECT_DURATION.name, F.COLLECT_DURATION.help,
                                    labels=["source"])
        for src in self.sources:
            up_fam.add_metric([src.source], up[src.source])
            err_fam.add_metric([src.source], errors[src.source])
            dur_fam.add_metric([src.source], durations[src.source])
        for (source, reason), n in sorted(skipped.items()):
            skip_fam.add_metric([source, reason], n)
        info = GaugeMetricFamily(F.BUILD_INFO.name, F.BUILD_INFO.help,
                                 labels=list(F.BUILD_INFO.labels))
        info.add_metric([self.info[k] for k in F.BUILD_INFO.labels], 1)
        yield from (up_fam, err_fam, skip_fam, dur_fam, info)
