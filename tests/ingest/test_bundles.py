"""Work items grouped into map tasks (ingest.bundle), and the runner the ingest picks when
none is given (ingest.choose_runner): many small landed files make a few tasks of about
--split-bytes, balanced over the cores, and the answer is the one a task per file gives."""

import os

import pytest

from ecomsuite import ingest
from tests.ingest.support import ORDER, canonical_rows, csv_bytes, land, manifest, quarantine


def ceil(a, b):
    return -(-a // b)


def items(sizes):
    return [{"id": i, "bytes": n} for i, n in enumerate(sizes)]


def test_everything_in_one_task_when_it_fits():
    tasks = ingest.bundle(items([10, 20, 30]), 60, cores=2)
    assert [[i["id"] for i in t] for t in tasks] == [[0, 1, 2]]


@pytest.mark.parametrize("sizes, split, cores", [
    ([80, 80, 27, 27, 3, 3], 128, 2),          # S10's snapshot: two clickstream parts ...
    ([5] * 312, 100, 2),                       # thirty days of small parts
    ([300, 1, 1, 1], 100, 4),                  # one huge range beside small files
    ([7, 3, 9, 1, 4, 4, 8, 2], 10, 3),
])
def test_tasks_are_balanced_whole_and_in_order(sizes, split, cores):
    tasks = ingest.bundle(items(sizes), split, cores=cores)
    total = sum(sizes)
    want = min(len(sizes), ceil(ceil(total, split), cores) * cores)
    assert ceil(total, split) > 1 and len(tasks) == want
    ids = [i["id"] for t in tasks for i in t]
    assert sorted(ids) == list(range(len(sizes)))                 # each item once
    assert all([i["id"] for i in t] == sorted(i["id"] for i in t) for t in tasks)
    loads = [sum(i["bytes"] for i in t) for t in tasks]
    # the largest item first into the lightest task: no task exceeds the mean by more
    # than the largest item
    assert max(loads) <= total / len(tasks) + max(sizes)


def test_s10_snapshot_splits_evenly_over_two_cores():
    tasks = ingest.bundle(items([80, 80, 27, 27, 3, 3]), 128, cores=2)
    assert sorted(sum(i["bytes"] for i in t) for t in tasks) == [110, 110]


def test_the_runner_follows_the_tasks():
    assert ingest.choose_runner("/data", [[{}]]) == "inline"
    assert ingest.choose_runner("/data", [[{}], [{}]]) == "local"
    assert ingest.choose_runner("hdfs:///data", [[{}]]) == "hadoop"


def test_many_small_files_on_the_runner_it_picks(tmp_path):
    """Forty small files of one day, a split size that makes several tasks: the ingest picks
    the local runner, runs fewer tasks than files, and publishes exactly what the inline
    runner publishes from a task per file."""
    files = []
    for f in range(40):
        lines = [ORDER.format(n=f * 100 + i, amount=f"{i}.{f:02d}", status="PENDING")
                 for i in range(20)] + [f"ORD{f:05d}X,short"]
        files.append((f"part-{f:05d}.csv", csv_bytes("orders", lines)))
    size = sum(len(b) for _, b in files)
    answers = {}
    for how, runner, split in (("inline", "inline", 1 << 30), ("auto", None, size // 5)):
        root = tmp_path / how
        land(root, {"orders": files})
        counters, said = [], []
        published, refused, _ = ingest.ingest(str(root), runner, datasets=["orders"],
                                              split_bytes=split, counters=counters,
                                              progress=said.append)
        assert refused == [] and len(published) == 1
        jobs = {g.strip(): c for g, c in counters[0].items()}
        content = manifest(root, "orders").content()
        for key in ("parts", "landing_commit"):
            content.pop(key)
        for source in content["sources"]:
            source.pop("path")
        rejected = [(q["line"], q["reason"], q["record"]) for q in quarantine(root, "orders")]
        answers[how] = (canonical_rows(root, "orders"), rejected, content)
        if runner is None:
            assert published[0].run["runner"] == "local"
            cores = os.cpu_count()
            tasks = ceil(ceil(size, split), cores) * cores       # 6 on 2 cores
            assert any(f"40 work item(s) in {tasks} map task(s), on the local runner" in s
                       for s in said), said
            assert jobs["ingest"]["files"] == 40
    assert sorted(answers["auto"][0], key=repr) == sorted(answers["inline"][0], key=repr)
    assert sorted(answers["auto"][1]) == sorted(answers["inline"][1])
    assert answers["auto"][2] == answers["inline"][2]
    assert len(answers["inline"][0]) == 40 * 20 and len(answers["inline"][1]) == 40
