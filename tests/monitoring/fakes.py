"""Tiny local HTTP servers (127.0.0.1, port 0) standing in for Hadoop in unit tests.

FakeHadoop serves a NameNode's /jmx and a ResourceManager's
/ws/v1/cluster/metrics from the JSON in tests/monitoring/data/ (``*_captured.json``:
captured from the local single-node Hadoop 3.5 cluster just after it started,
so mostly zeros; the others: the same beans and fields with busier values),
and can be
switched to fail in the ways a real one does (HTTP 500, garbage, a missing
bean). FakeWebHDFS serves a local folder over the WebHDFS REST calls the
`hdfs` package makes (LISTSTATUS, GETFILESTATUS, OPEN) and counts them.
"""

import json
import os
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

DATA = os.path.join(os.path.dirname(__file__), "data")


def load(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return json.load(f)


class _Server:
    def __init__(self, handler):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.owner = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _HadoopHandler(_Handler):
    def do_GET(self):
        fake = self.server.owner
        fake.requests[urlsplit(self.path).path] += 1
        if fake.mode == "error":
            return self.reply(500, b"<html>Internal Server Error</html>", "text/html")
        if fake.mode == "garbage":
            return self.reply(200, b"\x00\xff not json at all")
        parts = urlsplit(self.path)
        if parts.path == "/jmx":
            query = parse_qs(parts.query).get("qry", [""])[0]
            beans = [b for b in fake.jmx["beans"] if b["name"] == query
                     and b["name"].rsplit("=", 1)[-1] not in fake.missing_beans]
            return self.reply(200, {"beans": beans})
        if parts.path == "/ws/v1/cluster/metrics":
            return self.reply(200, fake.cluster_metrics)
        return self.reply(404, {"error": "not found"})


class FakeHadoop(_Server):
    """NameNode /jmx and ResourceManager REST on one port. mode: ok | error | garbage."""

    def __init__(self, captured=False):
        super().__init__(_HadoopHandler)
        suffix = "_captured" if captured else ""
        self.jmx = load(f"namenode_jmx{suffix}.json")
        self.cluster_metrics = load(f"resourcemanager_cluster_metrics{suffix}.json")
        self.mode = "ok"
        self.missing_beans = set()
        self.requests = Counter()

    def bean(self, name):
        return next(b for b in self.jmx["beans"] if b["name"].endswith("name=" + name))


class _WebHDFSHandler(_Handler):
    PREFIX = "/webhdfs/v1"

    def not_found(self, path):
        self.reply(404, {"RemoteException": {
            "exception": "FileNotFoundException",
            "javaClassName": "java.io.FileNotFoundException",
            "message": f"File does not exist: {path}"}})

    @staticmethod
    def status(name, local):
        st = os.stat(local)
        is_dir = os.path.isdir(local)
        return {"pathSuffix": name, "type": "DIRECTORY" if is_dir else "FILE",
                "length": 0 if is_dir else st.st_size, "modificationTime": int(st.st_mtime * 1000),
                "permission": "755", "owner": "hadoop", "group": "supergroup",
                "replication": 0 if is_dir else 1, "blockSize": 134217728}

    def do_GET(self):
        fake = self.server.owner
        parts = urlsplit(self.path)
        op = parse_qs(parts.query).get("op", [""])[0]
        fake.requests[op] += 1
        if fake.down:
            return self.reply(503, b"unavailable", "text/plain")
        path = unquote(parts.path[len(self.PREFIX):]) or "/"
        local = os.path.join(fake.root, path.lstrip("/"))
        if not os.path.exists(local):
            return self.not_found(path)
        if op == "LISTSTATUS":
            if not os.path.isdir(local):
                return self.reply(200, {"FileStatuses": {"FileStatus": [self.status("", local)]}})
            statuses = [self.status(n, os.path.join(local, n)) for n in sorted(os.listdir(local))]
            return self.reply(200, {"FileStatuses": {"FileStatus": statuses}})
        if op == "GETFILESTATUS":
            return self.reply(200, {"FileStatus": self.status("", local)})
        if op == "OPEN":
            with open(local, "rb") as f:
                return self.reply(200, f.read(), "application/octet-stream")
        return self.reply(400, {"RemoteException": {"exception": "IllegalArgumentException",
                                                    "message": f"op {op}"}})


class FakeWebHDFS(_Server):
    """WebHDFS over a local folder: hdfs:///<path> is <root>/<path>."""

    def __init__(self, root):
        super().__init__(_WebHDFSHandler)
        self.root = root
        self.down = False
        self.requests = Counter()
