"""Where the generator writes: the sink protocol and the local-filesystem sink.

A sink stores datasets under one root (``OUT``) laid out as::

    OUT/<dataset>/part-00000.csv, part-00001.csv, ...   (each with the header)
    OUT/<dataset>/_SUCCESS                              (empty, written last)
    OUT/_injected.json, OUT/_manifest.json

The generator drives a sink through this protocol, for every dataset:

``begin(dataset)``
    Prepare to write `dataset` somewhere readers do not look (a hidden
    temporary sibling). Raises :class:`DatasetExists` if `dataset` is already
    there and the sink was not made with ``overwrite=True``. The generator
    calls ``begin`` for every dataset before writing any, so a refusal
    leaves everything as it was.
``open_part(dataset, filename)``
    A binary writable file object (a context manager) for one part file.
``commit(dataset)``
    The dataset is complete: put it under its real name (replacing any
    previous one) and then write its empty ``_SUCCESS``.
``abort(dataset)``
    The run failed: remove what ``begin``/``open_part`` wrote. A previous
    dataset under the real name is left untouched. Safe to call twice.
``write_json(filename, obj)`` / ``write_manifest(manifest)``
    Write a small JSON file at the root (atomically where the store allows);
    ``write_manifest`` writes ``_manifest.json`` and comes last in a run.

Another store (e.g. HDFS, ``datagen/hdfs_sink.py``) subclasses :class:`Sink`
and implements the same five methods; the CLI picks it for ``--out hdfs://...``.
"""

import json
import os
import shutil

from ecomsuite import layout

MANIFEST = layout.MANIFEST
SUCCESS = layout.SUCCESS
TEMP_MARK = layout.SNAPSHOT_TEMP_MARK
OLD_MARK = layout.SNAPSHOT_OLD_MARK


class DatasetExists(Exception):
    """The dataset is already in the sink and overwriting was not asked for."""

    def __init__(self, location):
        super().__init__(f"{location} already exists; pass --overwrite to replace it")
        self.location = location


class Sink:
    """Base of the sinks: see the module docstring for the protocol."""

    def begin(self, dataset):
        raise NotImplementedError

    def open_part(self, dataset, filename):
        raise NotImplementedError

    def commit(self, dataset):
        raise NotImplementedError

    def abort(self, dataset):
        raise NotImplementedError

    def write_json(self, filename, obj):
        raise NotImplementedError

    def write_manifest(self, manifest):
        self.write_json(MANIFEST, manifest)

    def remove_json(self, filename):
        """Remove a JSON file at the root (the previous run's manifest), if there."""
        raise NotImplementedError

    @staticmethod
    def json_bytes(obj):
        return (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode()


pid_alive = layout.pid_alive  # whether a temp dir's writer may still be at work


class LocalSink(Sink):
    """Datasets in directories under `root` on the local filesystem.

    A dataset is written into ``root/.<dataset>.tmp-<pid>`` and renamed to
    ``root/<dataset>`` by ``commit``; readers (and Hadoop's input formats)
    skip names starting with a dot. A directory cannot be replaced by a
    rename in one step, so with ``overwrite`` the previous dataset is first
    renamed to ``.<dataset>.old-<pid>`` and removed after the new one is in
    place. Leftovers of a killed run (temporary directories whose process
    is gone) are removed by the next ``begin`` of the same dataset.
    """

    def __init__(self, root, overwrite=False):
        self.root = os.fspath(root)
        self.layout = layout.DataLayout(self.root, layout.LocalStore())
        self.overwrite = overwrite
        self.pid = os.getpid()

    def __repr__(self):
        return f"LocalSink({self.root!r}, overwrite={self.overwrite})"

    def final_dir(self, dataset):
        return self.layout.snapshot_dir(dataset)

    def temp_dir(self, dataset):
        return self.layout.snapshot_temp(dataset, self.pid)

    def _remove_stale(self, dataset):
        for path, owner in self.layout.snapshot_leftovers(dataset):
            if owner.isdigit() and not pid_alive(int(owner)):
                shutil.rmtree(path, ignore_errors=True)

    def begin(self, dataset):
        final = self.final_dir(dataset)
        if os.path.lexists(final) and not self.overwrite:
            raise DatasetExists(final)
        os.makedirs(self.root, exist_ok=True)
        self._remove_stale(dataset)
        temp = self.temp_dir(dataset)
        shutil.rmtree(temp, ignore_errors=True)
        os.mkdir(temp)

    def open_part(self, dataset, filename):
        if os.sep in filename or filename.startswith("."):
            raise ValueError(f"bad part file name {filename!r}")
        return open(self.layout.store.join(self.temp_dir(dataset), filename), "wb")

    def commit(self, dataset):
        final, temp = self.final_dir(dataset), self.temp_dir(dataset)
        old = None
        if os.path.lexists(final):
            if not self.overwrite:
                raise DatasetExists(final)
            old = self.layout.snapshot_old(dataset, self.pid)
            shutil.rmtree(old, ignore_errors=True)
            os.rename(final, old)
        os.rename(temp, final)
        with open(self.layout.store.join(final, SUCCESS), "wb"):
            pass
        if old:
            if os.path.isdir(old) and not os.path.islink(old):
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.remove(old)

    def abort(self, dataset):
        shutil.rmtree(self.temp_dir(dataset), ignore_errors=True)

    def remove_json(self, filename):
        path = self.layout.snapshot_file(filename)
        if os.path.lexists(path):
            os.remove(path)

    def write_json(self, filename, obj):
        os.makedirs(self.root, exist_ok=True)
        path = self.layout.snapshot_file(filename)
        temp = self.layout.snapshot_temp(filename, self.pid)
        with open(temp, "wb") as f:
            f.write(self.json_bytes(obj))
        os.replace(temp, path)
