"""HDFS through WebHDFS (the ``hdfs`` package): URIs, a client, and small file operations.

The generator's HdfsSink, the pipeline's HdfsStore, the cluster manager and
the tests talk to HDFS through here, over the NameNode's HTTP port: no JVM
start per call, unlike ``hadoop fs``.

URIs: ``hdfs:///a/b`` and ``hdfs://host:8020/a/b`` both name the path
``/a/b`` on the cluster's file system (the host part is not used: the
NameNode's web address comes from :func:`namenode_web_url`).

WebHDFS acts as one user, the same everywhere: ``$ECOM_HDFS_USER``, else
``$HADOOP_USER_NAME``, else the current login (which is also who submits
the YARN jobs).
"""

import getpass
import io
import os
import posixpath
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

from hdfs import HdfsError, InsecureClient

SCHEME = "hdfs"
DEFAULT_WEB_ADDRESS = "127.0.0.1:9870"
PART_BUFFER_BYTES = 1 << 20     # WebHDFS uploads go out in chunks of this size
TIMEOUT_SECONDS = 60

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEFAULT_CONF_DIR = os.path.join(_ROOT, ".run", "hadoop", "conf")

__all__ = ["HdfsError", "is_hdfs_uri", "hdfs_path", "to_uri", "namenode_web_url",
           "hdfs_user", "client", "exists", "is_dir", "list_names", "write_bytes",
           "read_bytes", "rename", "replace_file", "delete", "open_writer"]


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


def namenode_web_url():
    """The NameNode's web (WebHDFS) address: ``$ECOM_WEBHDFS_URL``, else the
    rendered hdfs-site.xml's ``dfs.namenode.http-address``, else 127.0.0.1:9870."""
    url = os.environ.get("ECOM_WEBHDFS_URL")
    if url:
        return url.rstrip("/")
    conf_dir = os.environ.get("HADOOP_CONF_DIR") or _DEFAULT_CONF_DIR
    address = _conf_value(conf_dir, "hdfs-site.xml", "dfs.namenode.http-address")
    return f"http://{address or DEFAULT_WEB_ADDRESS}"


def hdfs_user():
    return (os.environ.get("ECOM_HDFS_USER") or os.environ.get("HADOOP_USER_NAME")
            or getpass.getuser())


def client(url=None, user=None):
    """A WebHDFS client acting as :func:`hdfs_user`."""
    return InsecureClient(url or namenode_web_url(), user=user or hdfs_user(),
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
    """Rename file `src` over file `dst` in one step (WebHDFS RENAME with OVERWRITE)."""
    # hdfs's Client.rename() has no options; its request method passes them through.
    c._rename(hdfs_path(src), destination=hdfs_path(dst), renameoptions="OVERWRITE")


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
