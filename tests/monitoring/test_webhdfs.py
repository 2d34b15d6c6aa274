"""Outputs read from HDFS over WebHDFS (a local stand-in speaking the WebHDFS REST calls)."""

import os

import pytest

from exporters.collector import EcommerceCollector
from exporters.outputs import OutputsCollector
from exporters.stores import WebHDFSStore, hdfs_path
from tests.monitoring.conftest import TABLE_JOBS, make_registry
from tests.monitoring.fakes import FakeWebHDFS


def samples(registry):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for fam in registry.collect()
            for s in fam.samples if "collect_duration" not in s.name}


@pytest.fixture
def webhdfs(outputs):
    """Serves hdfs:///data/output from the private copy of the outputs."""
    root = os.path.dirname(outputs)
    os.makedirs(os.path.join(root, "data"), exist_ok=True)
    os.rename(outputs, os.path.join(root, "data", "output"))
    with FakeWebHDFS(root) as fake:
        yield fake


def test_hdfs_outputs_give_the_same_metrics_as_local_ones(webhdfs, pipeline_output):
    hdfs = make_registry("hdfs://namenode:8020/data/output", webhdfs_url=webhdfs.url)
    local = make_registry(pipeline_output)
    got, expected = samples(hdfs), samples(local)
    assert got == pytest.approx(expected, abs=0.001)  # HDFS keeps milliseconds of the mtimes
    assert got[("ecommerce_exporter_source_up", (("source", "outputs"),))] == 1
    assert webhdfs.requests["OPEN"] > 0


def test_hdfs_help_says_listings_are_cached(webhdfs):
    reg = make_registry("hdfs:///data/output", webhdfs_url=webhdfs.url, hdfs_cache_seconds=45)
    fams = {f.name: f for f in reg.collect()}
    assert "cached for 45s" in fams["ecommerce_sales_orders"].documentation
    assert "cached for 45s" in fams["ecommerce_job_last_success_timestamp_seconds"].documentation
    assert "cached" not in fams["ecommerce_exporter_source_up"].documentation


def test_listings_are_cached_and_files_read_once(webhdfs):
    now = [1000.0]
    store = WebHDFSStore("hdfs:///data/output", webhdfs.url, cache_seconds=30,
                         clock=lambda: now[0])
    collector = EcommerceCollector([OutputsCollector(store, known_jobs=TABLE_JOBS)])
    list(collector.collect())
    first = dict(webhdfs.requests)
    assert first["LISTSTATUS"] > 0 and first["OPEN"] > 0
    now[0] += 10
    list(collector.collect())
    assert dict(webhdfs.requests) == first  # listings from the cache, parsed files cached
    now[0] += 30
    list(collector.collect())
    assert webhdfs.requests["LISTSTATUS"] > first["LISTSTATUS"]
    assert webhdfs.requests["OPEN"] == first["OPEN"]  # complete outputs never change


def test_webhdfs_down_is_the_outputs_source_down(webhdfs):
    webhdfs.down = True
    reg = make_registry("hdfs:///data/output", webhdfs_url=webhdfs.url)
    assert reg.get_sample_value("ecommerce_exporter_source_up", {"source": "outputs"}) == 0
    assert reg.get_sample_value("ecommerce_sales_orders", {"sales_region": "US-EAST"}) is None


def test_a_missing_hdfs_root_is_the_outputs_source_down(webhdfs):
    reg = make_registry("hdfs:///nowhere", webhdfs_url=webhdfs.url)
    assert reg.get_sample_value("ecommerce_exporter_source_up", {"source": "outputs"}) == 0


@pytest.mark.parametrize("uri, path", [("hdfs://nn:8020/ecommerce/output", "/ecommerce/output"),
                                       ("hdfs:///ecommerce/output", "/ecommerce/output"),
                                       ("hdfs://nn", "/")])
def test_hdfs_uris(uri, path):
    assert hdfs_path(uri) == path
