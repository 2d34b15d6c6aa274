"""Read-only views of the output root for the exporter: ecomsuite.layout's stores.

The paths (``<job>/<run_id>/``, ``_runs/<job>/``) come from ``store.outputs``, an
:class:`ecomsuite.layout.OutputLayout` over the store; the store offers
``list(path) -> [Entry]`` (FileNotFoundError when the directory does not exist) and
``read_bytes(path)``. Anything else (HDFS unreachable, permission denied) raises
another OSError or the client's own error, which the exporter reports as the
source being down.
"""

import threading
import time

from ecomsuite import layout
from ecomsuite.hadoop import webhdfs
from ecomsuite.layout import Entry

__all__ = ["Entry", "LocalStore", "WebHDFSStore", "hdfs_path", "make_store"]

hdfs_path = webhdfs.hdfs_path


class LocalStore(layout.LocalStore):
    """The output root on the local file system."""

    def __init__(self, root):
        self.root = root
        self.outputs = layout.OutputLayout(root, self)

    def describe(self, path=None):
        return super().describe(path or self.root)

    def help_note(self):
        """What the HELP of metrics read from this store should add (nothing: read live)."""
        return ""


class WebHDFSStore(layout.HdfsStore):
    """The output root in HDFS, read over WebHDFS.

    Directory listings are cached for `cache_seconds` (one LISTSTATUS per
    directory and period, whatever the scrape rate); file contents are not
    cached here (the collector caches parsed files, which never change once
    complete).
    """

    def __init__(self, uri, webhdfs_url, user=None, timeout=5.0, cache_seconds=30.0,
                 clock=time.monotonic):
        from hdfs import InsecureClient  # imported here: only HDFS users need it

        super().__init__(InsecureClient(webhdfs_url, user=user, timeout=timeout), uri)
        self.uri = uri
        self.root = hdfs_path(uri)
        self.webhdfs_url = webhdfs_url
        self.outputs = layout.OutputLayout(uri, self)
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._listings = {}
        self._lock = threading.Lock()

    def describe(self, path=None):
        return f"{path or self.uri} (WebHDFS {self.webhdfs_url})"

    def help_note(self):
        return (f" Read from HDFS over WebHDFS; directory listings are cached for "
                f"{self.cache_seconds:g}s.")

    def list(self, path):
        now = self.clock()
        with self._lock:
            cached = self._listings.get(path)
        if cached and now - cached[0] < self.cache_seconds:
            return cached[1]
        entries = super().list(path)
        with self._lock:
            self._listings[path] = (now, entries)
            if len(self._listings) > 10_000:
                self._listings.clear()
        return entries


def make_store(outputs, webhdfs_url=None, user=None, timeout=5.0, cache_seconds=30.0):
    """The store for an --outputs value: a local folder or an hdfs:// URI.

    For HDFS the NameNode's web address is `webhdfs_url`, else what
    ecomsuite.hadoop.webhdfs finds (HADOOP_CONF_DIR, the URI's host); with none it raises
    webhdfs.NoNameNode naming what it looked for.
    """
    if layout.is_hdfs(outputs):
        return WebHDFSStore(outputs, webhdfs_url or webhdfs.namenode_web_url(outputs),
                            user=user, timeout=timeout, cache_seconds=cache_seconds)
    return LocalStore(outputs)
