"""The exporter's top collector: runs each source's collector, never lets one break a scrape."""

import logging
import threading
import time

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters import PREFIX, build_info
from exporters import families as F

log = logging.getLogger(__name__)


class EcommerceCollector:
    """Every source's metrics, plus the exporter's own health per source.

    Exposition of the health part::

        ecommerce_exporter_source_up{source="outputs"} 1.0
        ecommerce_exporter_source_up{source="namenode"} 0.0
        ecommerce_exporter_scrape_errors_total{source="namenode"} 3.0
        ecommerce_exporter_collect_duration_seconds{source="outputs"} 0.004
        ecommerce_exporter_build_info{python_version="3.11.7",revision="526c123d2e0f",version="0.1.0"} 1.0

    A source whose collector raises contributes only ``source_up 0`` (its
    partial results are dropped); one that reports ``problems`` (a garbled
    file among good ones) keeps what it could read and also gets ``up 0``.
    Either way the scrape-errors counter of that source goes up by one.
    Sources that are switched off (no URL) are not listed at all.
    """

    def __init__(self, sources, info=None):
        self.sources = list(sources)
        self.info = info if info is not None else build_info()
        self.errors = {s.source: 0 for s in self.sources}
        self._last_error = {}
        self._lock = threading.Lock()  # scrapes may overlap; counters and caches are shared

    def collect(self):
        with self._lock:
            families, up, durations = [], {}, {}
            for src in self.sources:
                start = time.perf_counter()
                try:
                    got = list(src.collect())
                    ok = not getattr(src, "problems", None)
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
                durations[src.source] = time.perf_counter() - start
                up[src.source] = 1 if ok else 0
                if not ok:
                    self.errors[src.source] += 1
                families.extend(got)
            errors = dict(self.errors)

        yield from families
        up_fam = GaugeMetricFamily(
            PREFIX + "exporter_source_up",
            "1 if the source was read completely in this scrape, 0 if it could not be read "
            "or part of it was garbled (see the exporter's log).", labels=["source"])
        err_fam = CounterMetricFamily(
            PREFIX + "exporter_scrape_errors",
            "Scrapes in which the source could not be read completely.", labels=["source"])
        dur_fam = GaugeMetricFamily(
            PREFIX + "exporter_collect_duration_seconds",
            "Time this scrape spent reading the source.", labels=["source"])
        for src in self.sources:
            up_fam.add_metric([src.source], up[src.source])
            err_fam.add_metric([src.source], errors[src.source])
            dur_fam.add_metric([src.source], durations[src.source])
        info = GaugeMetricFamily(F.BUILD_INFO.name, F.BUILD_INFO.help,
                                 labels=list(F.BUILD_INFO.labels))
        info.add_metric([self.info[k] for k in F.BUILD_INFO.labels], 1)
        yield from (up_fam, err_fam, dur_fam, info)
