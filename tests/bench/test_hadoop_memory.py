"""bench.hadoop_timings' memory comparison (make bench-hadoop-memory): the peaks read from
the JobHistory server's per-task counters, and the S100-against-S10 verdict. The documents
have the REST API's shape (a one-element list may come as the element itself); the real
measurement runs against the local cluster in `make bench-hadoop-memory`."""

from bench import hadoop_timings as ht

MIB = 2 ** 20


def counters(*pairs):
    return {"jobTaskCounters": {"id": "task_1_0001_m_000000", "taskCounterGroup": [
        {"counterGroupName": "org.apache.hadoop.mapreduce.FileSystemCounter",
         "counter": [{"name": "HDFS_BYTES_READ", "value": 10 ** 9}]},
        {"counterGroupName": "org.apache.hadoop.mapreduce.TaskCounter",
         "counter": [{"name": n, "value": v} for n, v in pairs]}]}}


def test_a_task_peak_is_its_process_trees_peak_physical_memory():
    task = counters(("PHYSICAL_MEMORY_BYTES", 500 * MIB),     # a snapshot, not the peak
                    ("MAP_PHYSICAL_MEMORY_BYTES_MAX", 300 * MIB),
                    ("MAP_VIRTUAL_MEMORY_BYTES_MAX", 3000 * MIB))
    assert ht.task_peaks(task) == {"map": 300 * MIB}
    single = {"jobTaskCounters": {"taskCounterGroup": {"counter": {
        "name": "REDUCE_PHYSICAL_MEMORY_BYTES_MAX", "value": 7 * MIB}}}}
    assert ht.task_peaks(single) == {"reduce": 7 * MIB}
    assert ht.task_peaks({"jobTaskCounters": {}}) == {}


def run(job, scale, *steps, ok=True):
    return {"job": job, "scale": scale, "ok": ok, "equal": ok, "label": f"{job} S{scale}",
            "steps": [{"maps": 2, "reduces": 1, "peak_mib": p} for p in steps]}


def test_the_largest_task_at_the_largest_scale_against_the_smallest():
    results = {"when": "now", "revision": "abc", "cores": 2, "scales": ["10", "100"],
               "runs": [run("funnel", "10", {"map": 300.0, "reduce": 250.0}, {"reduce": 240.0}),
                        run("funnel", "100", {"map": 310.0}, {"reduce": 420.0}),
                        run("fraud_signals", "10", {"map": 200.0, "reduce": 210.0}),
                        run("fraud_signals", "100", {"map": 220.0, "reduce": 320.0}),
                        run("top_products", "10", {"map": 200.0}),
                        run("top_products", "100", {}, ok=False)]}
    rows = {job: (peaks, ratio) for job, peaks, ratio in ht.memory_rows(results)}
    assert rows["funnel"][0] == {"10": (300.0, "map 1"), "100": (420.0, "reduce 2")}
    assert rows["funnel"][1] == 1.4
    assert round(rows["fraud_signals"][1], 3) == round(320 / 210, 3)
    assert rows["top_products"][1] is None
    table = ht.memory_markdown(results).splitlines()
    funnel = next(line for line in table if line.startswith("| funnel |"))
    assert "**1.40x** | yes | yes |" in funnel and "420 (reduce 2; 2/1 + 2/1)" in funnel
    fraud = next(line for line in table if line.startswith("| fraud_signals |"))
    assert "**1.52x** | **no** |" in fraud
    top = next(line for line in table if line.startswith("| top_products |"))
    assert "FAILED" in top and "| - | **no** | **no** |" in top
