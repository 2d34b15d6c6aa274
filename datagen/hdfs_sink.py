"""The generator's HDFS sink: datasets streamed into HDFS over WebHDFS, all or nothing.

    python -m datagen --out hdfs:///ecommerce/raw            # or make generate-data TARGET=hdfs

Same protocol and layout as :class:`datagen.sinks.LocalSink` (see that
module), on HDFS through the NameNode's WebHDFS port (``ecomsuite.hadoop.webhdfs``):

- ``begin`` refuses (:class:`~datagen.sinks.DatasetExists`) when the dataset
  is there and ``overwrite`` was not asked for, and creates the hidden
  ``ROOT/.<dataset>.tmp-<host>-<pid>/``: Hadoop's input formats, the
  pipeline and ``hadoop fs -ls ROOT/<dataset>`` never look there.
- ``open_part`` streams one part file into it as the generator writes
  (one HTTP upload per part, sent in 1 MiB chunks; nothing is held whole).
- ``commit`` writes ``_SUCCESS`` into the finished temporary directory and
  renames it to ``ROOT/<dataset>``; with ``overwrite`` the previous dataset
  is first renamed aside to ``.<dataset>.old-<host>-<pid>`` and deleted
  only once the new one is in place. A reader finds either the previous
  complete dataset or the new complete one, never a part of one.
- ``abort`` deletes the temporary directory; a run killed outright leaves it
  behind, and the next ``begin`` of that dataset from this host removes
  leftovers whose process is gone.
- ``write_json`` writes a temporary file and renames it over the target in
  one step (WebHDFS RENAME with OVERWRITE).

The WebHDFS address comes from the URI when it names a host
(``hdfs://nn:8020/path`` -> ``http://nn:9870``; a port other than the RPC
port 8020 is taken as the web port), else from ``ecomsuite.hadoop.webhdfs``
(``$ECOM_WEBHDFS_URL`` or the rendered hdfs-site.xml); the HDFS user is
``ecomsuite.hadoop.webhdfs.hdfs_user()``, the same one the jobs run as.
"""

import os
import socket

from datagen.plan import PlanError
from datagen.sinks import SUCCESS, DatasetExists, Sink, pid_alive
from ecomsuite import layout
from ecomsuite.hadoop import webhdfs


def web_url_for(uri):
    """The WebHDFS base URL an ``hdfs://`` URI names (None: it names no host)."""
    return webhdfs.uri_web_url(uri)


class HdfsSink(Sink):
    """Datasets in directories under an HDFS root, written through WebHDFS."""

    def __init__(self, url, overwrite=False, client=None):
        self.url = url
        self.root = webhdfs.hdfs_path(url)
        self.overwrite = overwrite
        self.layout = layout.DataLayout(url, layout.HdfsStore(client, uri=url))
        try:
            self.client = client or webhdfs.client(uri=url)
        except webhdfs.NoNameNode as e:
            raise PlanError(f"--out {url}: {e}") from None
        self.owner = f"{socket.gethostname()}-{os.getpid()}"
        try:
            self.client.status("/")
        except (webhdfs.HdfsError, OSError) as e:
            raise PlanError(f"--out {url}: cannot reach HDFS through WebHDFS at "
                            f"{self.client.url} ({e.__class__.__name__}); is the cluster up? "
                            "(`make cluster-up`)") from e

    def __repr__(self):
        return f"HdfsSink({self.url!r}, overwrite={self.overwrite})"

    def final_dir(self, dataset):
        return webhdfs.hdfs_path(self.layout.snapshot_dir(dataset))

    def temp_dir(self, dataset):
        return webhdfs.hdfs_path(self.layout.snapshot_temp(dataset, self.owner))

    def old_dir(self, dataset):
        return webhdfs.hdfs_path(self.layout.snapshot_old(dataset, self.owner))

    def _uri(self, path):
        return webhdfs.to_uri(path)

    def _remove_stale(self, dataset):
        """Delete this host's leftovers of killed runs (their process is gone)."""
        self.layout.store._client = self.client
        host = socket.gethostname()
        for path, owner in self.layout.snapshot_leftovers(dataset):
            pid = owner[len(host) + 1:]
            if owner.startswith(f"{host}-") and pid.isdigit() and not pid_alive(int(pid)):
                webhdfs.delete(self.client, path, recursive=True)

    def begin(self, dataset):
        final = self.final_dir(dataset)
        if webhdfs.exists(self.client, final) and not self.overwrite:
            raise DatasetExists(self._uri(final))
        self.client.makedirs(self.root)
        self._remove_stale(dataset)
        temp = self.temp_dir(dataset)
        webhdfs.delete(self.client, temp, recursive=True)
        self.client.makedirs(temp)

    def open_part(self, dataset, filename):
        if "/" in filename or filename.startswith((".", "_")):
            raise ValueError(f"bad part file name {filename!r}")
        return webhdfs.open_writer(self.client,
                                  self.layout.store.join(self.temp_dir(dataset), filename))

    def commit(self, dataset):
        final, temp, old = self.final_dir(dataset), self.temp_dir(dataset), None
        webhdfs.write_bytes(self.client, self.layout.store.join(temp, SUCCESS), b"")
        if webhdfs.exists(self.client, final):
            if not self.overwrite:
                raise DatasetExists(self._uri(final))
            old = self.old_dir(dataset)
            webhdfs.delete(self.client, old, recursive=True)
            webhdfs.rename(self.client, final, old)
        webhdfs.rename(self.client, temp, final)
        if old:
            webhdfs.delete(self.client, old, recursive=True)

    def abort(self, dataset):
        webhdfs.delete(self.client, self.temp_dir(dataset), recursive=True)

    def remove_json(self, filename):
        webhdfs.delete(self.client, webhdfs.hdfs_path(self.layout.snapshot_file(filename)))

    def write_json(self, filename, obj):
        self.client.makedirs(self.root)
        path = self.layout.snapshot_file(filename)
        temp = self.layout.snapshot_temp(filename, self.owner)
        webhdfs.write_bytes(self.client, temp, self.json_bytes(obj), overwrite=True)
        webhdfs.replace_file(self.client, temp, path)
