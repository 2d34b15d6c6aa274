"""Read-only views of the output root: a local folder, or HDFS read through WebHDFS.

Both offer the same two calls on paths relative to the root:

  list(*parts) -> [Entry]   FileNotFoundError when the directory does not exist
  read(*parts) -> bytes     FileNotFoundError when the file does not exist

Anything else (HDFS unreachable, permission denied) raises another OSError
or the client's own error, which the exporter reports as the source being down.
"""

import os
import posixpath
import stat
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int
    mtime: float  # unix seconds
    error: OSError = None  # set when the entry itself cannot be read (a symlink loop, EACCES)


class LocalStore:
    """The output root on the local file system."""

    kind = "local"

    def __init__(self, root):
        self.root = root

    def describe(self):
        return os.path.abspath(self.root)

    def help_note(self):
        """What the HELP of metrics read from this store should add (nothing: read live)."""
        return ""

    def _path(self, parts):
        return os.path.join(self.root, *parts)

    def list(self, *parts):
        entries = []
        with os.scandir(self._path(parts)) as it:
            for e in it:
                try:
                    st = e.stat()
                except FileNotFoundError:  # removed while we listed (or a dangling link)
                    continue
                except OSError as err:  # one bad entry must not hide the others
                    entries.append(Entry(e.name, False, 0, 0.0, error=err))
                    continue
                entries.append(Entry(e.name, stat.S_ISDIR(st.st_mode), st.st_size, st.st_mtime))
        return entries

    def read(self, *parts):
        with open(self._path(parts), "rb") as f:
            return f.read()


def hdfs_path(uri):
    """hdfs://namenode:8020/ecommerce/output or hdfs:///ecommerce/output -> /ecommerce/output."""
    parts = urlsplit(uri)
    if parts.scheme != "hdfs":
        raise ValueError(f"not an hdfs:// URI: {uri}")
    return parts.path or "/"


class WebHDFSStore:
    """The output root in HDFS, read over WebHDFS with the `hdfs` package.

    Directory listings are cached for `cache_seconds` (one LISTSTATUS per
    directory and period, whatever the scrape rate); file contents are not
    cached here (the collector caches parsed files, which never change once
    complete).
    """

    kind = "hdfs"

    def __init__(self, uri, webhdfs_url, user=None, timeout=5.0, cache_seconds=30.0,
                 clock=time.monotonic):
        from hdfs import InsecureClient  # imported here: only HDFS users need it

        self.uri = uri
        self.root = hdfs_path(uri)
        self.webhdfs_url = webhdfs_url
        self.client = InsecureClient(webhdfs_url, user=user, timeout=timeout)
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._listings = {}
        self._lock = threading.Lock()

    def describe(self):
        return f"{self.uri} (WebHDFS {self.webhdfs_url})"

    def help_note(self):
        return (f" Read from HDFS over WebHDFS; directory listings are cached for "
                f"{self.cache_seconds:g}s.")

    def _path(self, parts):
        return posixpath.join(self.root, *parts)

    @staticmethod
    def _translate(error, path):
        from hdfs.util import HdfsError

        if isinstance(error, HdfsError) and "FileNotFoundException" in (
                f"{getattr(error, 'exception', '')} {error}"):
            return FileNotFoundError(2, "no such file or directory in HDFS", path)
        return error

    def list(self, *parts):
        path = self._path(parts)
        now = self.clock()
        with self._lock:
            cached = self._listings.get(path)
        if cached and now - cached[0] < self.cache_seconds:
            return cached[1]
        try:
            statuses = self.client.list(path, status=True)
        except Exception as e:
            raise self._translate(e, path) from e
        entries = [Entry(name, st.get("type") == "DIRECTORY", int(st.get("length", 0)),
                         st.get("modificationTime", 0) / 1000.0) for name, st in statuses]
        with self._lock:
            self._listings[path] = (now, entries)
            if len(self._listings) > 10_000:
                self._listings.clear()
        return entries

    def read(self, *parts):
        path = self._path(parts)
        try:
            with self.client.read(path) as reader:
                return reader.read()
        except Exception as e:
            raise self._translate(e, path) from e


def make_store(outputs, webhdfs_url=None, user=None, timeout=5.0, cache_seconds=30.0):
    """The store for an --outputs value: a local folder or an hdfs:// URI."""
    if outputs.startswith("hdfs://"):
        return WebHDFSStore(outputs, webhdfs_url or "http://127.0.0.1:9870", user=user,
                            timeout=timeout, cache_seconds=cache_seconds)
    return LocalStore(outputs)
