"""HDFS through WebHDFS (the ``hdfs`` package): URIs, a client, and small file operations.

ecomsuite.layout's HdfsStore (the landing zone, job outputs and run
records), the generator's snapshot HdfsSink, the cluster manager and the
tests talk to HDFS through here, over the NameNode's HTTP port: no JVM
start per call, unlike ``hadoop fs``.

URIs: ``hdfs:///a/b`` and ``hdfs://host:8020/a/b`` both name the path
``/a/b`` on the cluster's file system. The NameNode's web address comes from
:func:`namenode_web_url`: ``$ECOM_WEBHDFS_URL``, else the URI's host, else
the Hadoop client configuration (``$HADOOP_CONF_DIR``'s hdfs-site.xml or
core-site.xml, or the local cluster's ``.run/hadoop/conf``); with none of
them it raises :class:`NoNameNode` naming what it looked for (never a
silent default).

This module is the transport only (paths, markers and publishing belong to
``ecomsuite.layout``).

WebHDFS acts as one user, the same everywhere: ``$ECOM_HDFS_USER``, else
``$HADOOP_USER_NAME``, else the current login (which is also who submits
the YARN jobs).
"""

import getpass
import io
import os
import posixpath
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlparse

import requests
from hdfs import HdfsError, InsecureClient

from ecomsuite.hadoop import ports
from ecomsuite.hadoop.paths import ROOT

SCHEME = "hdfs"
RPC_PORT = ports.NAMENODE_RPC    # hdfs://host:8020/... names the RPC port: the web port is 9870
WEB_PORT = ports.NAMENODE_HTTP
PART_BUFFER_BYTES = 1 << 20     # WebHDFS uploads go out in chunks of this size
TIMEOUT_SECONDS = 60

_DEFAULT_CONF_DIR = os.path.join(ROOT, ".run", "hadoop", "conf")

__all__ = ["HdfsError", "NoNameNode", "is_hdfs_uri", "hdfs_path", "to_uri", "namenode_web_url",
           "hdfs_user", "client", "exists", "is_dir", "list_names", "write_bytes",
           "read_bytes", "rename", "replace_file", "delete", "open_writer", "makedirs",
           "list_status", "open_reader", "read_range", "open_range_file"]


class NoNameNode(HdfsError):
    """No NameNode address is configured for an hdfs:// path."""


def is_hdfs_uri(path):
    return isinstance(path, str) and path.startswith(SCHEME + "://")


def hdfs_path(uri):
    """``hdfs:///a/b/`` or ``hdfs://nn:8020/a/b`` -> ``/a/b``; a plain absolute path passes."""
    if is_hdfs_uri(uri):
        path = urlparse(uri).path or "/"
    elif isinstance(uri, str) and uri.startswith("/"):
        path = uri
    else:
        raise ValueError(f"not an HDFS URI: {uri!r} (expected hdfs:///path)")
    path = posixpath.normpath(path)
    return "/" if path == "//" else path


def to_uri(path):
    """``/a/b`` -> ``hdfs:///a/b`` (the cluster's default file system)."""
    return f"{SCHEME}://{hdfs_path(path)}"


def _conf_value(conf_dir, filename, name):
    try:
        tree = ET.parse(os.path.join(conf_dir, filename))
    except (OSError, ET.ParseError):
        return None
    for prop in tree.getroot().iter("property"):
        if prop.findtext("name") == name:
            return (prop.findtext("value") or "").strip() or None
    return None


def uri_web_url(uri):
    """``hdfs://nn:8020/x`` -> ``http://nn:9870``; another port is taken as the web port."""
    if not is_hdfs_uri(uri):
        return None
    parts = urlparse(uri)
    if not parts.hostname:
        return None
    port = parts.port if parts.port and parts.port != RPC_PORT else WEB_PORT
    return f"http://{parts.hostname}:{port}"


def namenode_web_url(uri=None):
    """The NameNode's web (WebHDFS) address for `uri` (or the default file system).

    ``$ECOM_WEBHDFS_URL``; else ``dfs.namenode.http-address`` in
    ``$HADOOP_CONF_DIR/hdfs-site.xml`` (default dir: the local cluster's
    ``.run/hadoop/conf``); else the host named in `uri`. Raises
    :class:`NoNameNode` naming every place it looked when none of them says.
    """
    url = os.environ.get("ECOM_WEBHDFS_URL")
    if url:
        return url.rstrip("/")
    from_uri = uri_web_url(uri)
    if from_uri:
        return from_uri
    conf_dir = os.environ.get("HADOOP_CONF_DIR") or _DEFAULT_CONF_DIR
    address = _conf_value(conf_dir, "hdfs-site.xml", "dfs.namenode.http-address")
    if address:
        return f"http://{address}"
    default_fs = _conf_value(conf_dir, "core-site.xml", "fs.defaultFS")
    from_conf = uri_web_url(default_fs)
    if from_conf:
        return from_conf
    raise NoNameNode(
        f"{uri or 'hdfs://'}: no NameNode configured: looked for $ECOM_WEBHDFS_URL, "
        f"dfs.namenode.http-address in {os.path.join(conf_dir, 'hdfs-site.xml')}, "
        f"fs.defaultFS in {os.path.join(conf_dir, 'core-site.xml')} "
        f"(HADOOP_CONF_DIR={os.environ.get('HADOOP_CONF_DIR') or 'unset'}), and a host in "
        "the URI; start the local cluster (`make cluster-up`), set HADOOP_CONF_DIR, or name "
        "the NameNode in the URI (hdfs://namenode:8020/path)")


def hdfs_user():
    return (os.environ.get("ECOM_HDFS_USER") or os.environ.get("HADOOP_USER_NAME")
            or getpass.getuser())


def client(url=None, user=None, uri=None):
    """A WebHDFS client acting as :func:`hdfs_user` (NameNode: `url`, else for `uri`)."""
    return InsecureClient(url or namenode_web_url(uri), user=user or hdfs_user(),
                          timeout=TIMEOUT_SECONDS)


def status(c, path):
    """The FileStatus dict of `path`, or None when nothing is there."""
    return c.status(hdfs_path(path), strict=False)


def exists(c, path):
    return status(c, path) is not None


def is_dir(c, path):
    st = status(c, path)
    return st is not None and st["type"] == "DIRECTORY"


def list_names(c, path):
    """Sorted names in directory `path`."""
    return sorted(c.list(hdfs_path(path)))


def write_bytes(c, path, data, overwrite=False):
    c.write(hdfs_path(path), data=data, overwrite=overwrite)


def read_bytes(c, path):
    with c.read(hdfs_path(path)) as reader:
        return reader.read()


def rename(c, src, dst):
    """Rename `src` to `dst`; `dst` must not exist (HDFS would move into a directory)."""
    if exists(c, dst):
        raise HdfsError(f"cannot rename {src} to {dst}: the destination exists")
    c.rename(hdfs_path(src), hdfs_path(dst))


def replace_file(c, src, dst):
    """Rename file `src` over file `dst` in one step (WebHDFS RENAME, renameoptions=OVERWRITE).

    The ``hdfs`` package's ``rename`` takes no options, so this is the REST call itself.
    """
    response = requests.put(
        f"{c.url.rstrip('/')}/webhdfs/v1{quote(hdfs_path(src))}",
        params={"op": "RENAME", "destination": hdfs_path(dst), "renameoptions": "OVERWRITE",
                "user.name": getattr(c, "user", None) or hdfs_user()},
        timeout=TIMEOUT_SECONDS)
    if response.status_code != 200:
        try:
            message = response.json()["RemoteException"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise HdfsError(f"cannot rename {src} over {dst}: {message}")
    # RENAME with options (rename2) answers 200 with no body; plain RENAME {"boolean": ...}.
    if response.text.strip() and response.json().get("boolean") is False:
        raise HdfsError(f"cannot rename {src} over {dst}: the NameNode refused")


def makedirs(c, path):
    c.makedirs(hdfs_path(path))


def list_status(c, path):
    """[(name, FileStatus dict)] of directory `path`, sorted by name."""
    return sorted(c.list(hdfs_path(path), status=True))


def open_reader(c, path, chunk_size=PART_BUFFER_BYTES):
    """A context manager yielding a file-like reader of `path` (streamed)."""
    return c.read(hdfs_path(path), chunk_size=0)


def read_range(c, path, offset, length):
    """`length` bytes of `path` from `offset` (fewer at its end): one WebHDFS OPEN."""
    with c.read(hdfs_path(path), offset=offset, length=length) as reader:
        return reader.read()


class RangeFile(io.RawIOBase):
    """A seekable read-only file over WebHDFS: each read is a ranged OPEN, so a reader
    that wants a file's tail (a Parquet footer) fetches that, not the file."""

    def __init__(self, c, path):
        super().__init__()
        st = status(c, path)
        if st is None or st["type"] != "FILE":
            raise HdfsError(f"File does not exist: {hdfs_path(path)} "
                            "(FileNotFoundException)")
        self._c, self._path, self.size, self._pos = c, path, int(st["length"]), 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, b):
        n = min(len(b), self.size - self._pos)
        if n <= 0:
            return 0
        try:
            data = read_range(self._c, self._path, self._pos, n)
        except HdfsError as e:      # callers see an OSError, as from a local file
            raise OSError(f"HDFS: {self._path}: {e}") from e
        b[:len(data)] = data
        self._pos += len(data)
        return len(data)


def open_range_file(c, path):
    """A seekable reader of file `path` (RangeFile), buffered in 64 KiB reads."""
    return io.BufferedReader(RangeFile(c, path), buffer_size=1 << 16)


def delete(c, path, recursive=False):
    """Delete `path`; False when it was not there."""
    return c.delete(hdfs_path(path), recursive=recursive)


class _UploadStream(io.RawIOBase):
    """The raw end of a streaming WebHDFS upload (one HTTP request per file)."""

    def __init__(self, c, path, overwrite):
        super().__init__()
        self._writer = c.write(hdfs_path(path), overwrite=overwrite)
        self._writer.__enter__()

    def writable(self):
        return True

    def write(self, b):
        self._writer.write(bytes(b))
        return len(b)

    def close(self):
        if not self.closed:
            try:
                self._writer.__exit__(None, None, None)   # waits for the upload
            finally:
                super().close()


def open_writer(c, path, overwrite=False, buffer_size=PART_BUFFER_BYTES):
    """A buffered binary file writing `path` over WebHDFS as it goes (a context manager).

    The file is complete on HDFS when ``close()`` returns; an upload error is
    raised from ``close()`` (or from the ``with`` block's exit).
    """
    return io.BufferedWriter(_UploadStream(c, path, overwrite), buffer_size=buffer_size)
