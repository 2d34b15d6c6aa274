"""Write a dataset's chunks into part files through a sink.

The rows are one stream, cut into ``parts`` files of (almost) equal row
counts: part ``p`` holds rows ``p * total // parts`` up to the next part's
first row, after its own header line. The chunks do not depend on the
number of parts, so the parts' rows put back together are the same bytes
for any ``--parts``.
"""

import collections
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from datagen import clickstream, customers, orders
from ecomsuite import schemas

GENERATORS = {"customers": customers, "orders": orders, "clickstream": clickstream}
NEWLINE = 10


def part_names(parts):
    return [f"part-{p:05d}.csv" for p in range(parts)]


def chunk_jobs(plan, dataset):
    """The (dataset, chunk) pairs of a dataset, in order."""
    return [(dataset, k) for k in range(GENERATORS[dataset].chunk_count(plan))]


def make_chunk(plan, dataset, k):
    """(rows, CSV bytes without header) of one chunk."""
    return GENERATORS[dataset].chunk(plan, k)


_worker_plan = None


def _init_worker(plan):
    global _worker_plan
    _worker_plan = plan


def _make_in_worker(dataset, k):
    return make_chunk(_worker_plan, dataset, k)


class ChunkMaker:
    """Makes a dataset's chunks in order: here, or in `jobs` worker processes.

    Chunks do not depend on who makes them (each has its own random stream),
    so the output is the same for any number of jobs. With workers, at most
    2 x jobs chunks are in flight, so memory stays flat.
    """

    def __init__(self, plan, jobs=1):
        self.plan, self.jobs = plan, jobs
        self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def chunks(self, dataset):
        tasks = chunk_jobs(self.plan, dataset)
        if self.jobs < 2 or len(tasks) < 2:
            for d, k in tasks:
                yield make_chunk(self.plan, d, k)
            return
        if self.pool is None:  # forked on first use: the workers inherit the plan
            self.pool = ProcessPoolExecutor(
                self.jobs, mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker, initargs=(self.plan,))
        pending = collections.deque()
        for task in tasks:
            pending.append(self.pool.submit(_make_in_worker, *task))
            if len(pending) >= 2 * self.jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def write_dataset(sink, plan, dataset, chunks, on_rows=None):
    """Write the (rows, bytes) `chunks` of `dataset` into its part files.

    `on_rows(n)` is called after each piece written. Returns the part file names.
    """
    total = plan.write_rows(dataset)
    parts = plan.options.parts
    names = part_names(parts)
    bounds = [p * total // parts for p in range(parts + 1)]
    header = (schemas.DATASETS[dataset].header + "\n").encode()
    state = {"part": -1, "file": None}
    written = 0

    def next_part():
        if state["file"] is not None:
            state["file"].close()
        state["part"] += 1
        state["file"] = sink.open_part(dataset, names[state["part"]])
        state["file"].write(header)

    try:
        next_part()
        for rows, data in chunks:
            row = at = 0
            newlines = None
            while rows - row > bounds[state["part"] + 1] - written:
                room = bounds[state["part"] + 1] - written
                if room:
                    if newlines is None:
                        newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == NEWLINE)
                    end = int(newlines[row + room - 1]) + 1
                    state["file"].write(data[at:end])
                    written += room
                    row += room
                    at = end
                next_part()
            state["file"].write(data[at:] if at else data)
            written += rows - row
            if on_rows:
                on_rows(rows)
        while state["part"] < parts - 1:
            next_part()
    finally:
        if state["file"] is not None:
            state["file"].close()
    if written != total:
        raise RuntimeError(f"{dataset}: wrote {written} rows, planned {total}")
    return names
