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


def test_every_task_against_the_same_task_at_the_smaller_scale():
    results = {"when": "now", "revision": "abc", "cores": 2, "scales": ["10", "100"],
               "runs": [run("funnel", "10", {"map": 300.0, "reduce": 250.0}, {"reduce": 240.0}),
                        run("funnel", "100", {"map": 310.0, "reduce": 330.0}, {"reduce": 250.0}),
                        # the largest task is 1.4x the largest at S10, but its reducer 1.57x
                        run("device_conversions", "10", {"map": 277.0, "reduce": 200.0}),
                        run("device_conversions", "100", {"map": 277.0, "reduce": 314.0}),
                        run("top_products", "10", {"map": 200.0}),
                        run("top_products", "100", {}, ok=False)]}
    rows = {job: (peaks, worst) for job, peaks, worst in ht.memory_rows(results)}
    assert rows["funnel"][0] == {"10": (300.0, "map 1"), "100": (330.0, "reduce 1")}
    assert rows["funnel"][1] == (330.0 / 250.0, "reduce 1")
    assert rows["device_conversions"][1] == (314.0 / 200.0, "reduce 1")
    assert rows["top_products"][1] is None
    table = ht.memory_markdown(results).splitlines()
    funnel = next(line for line in table if line.startswith("| funnel |"))
    assert "**1.32x** (reduce 1) | yes | yes |" in funnel
    assert "330 (reduce 1; 2/1 + 2/1)" in funnel
    device = next(line for line in table if line.startswith("| device_conversions |"))
    assert "**1.57x** (reduce 1) | **no** |" in device
    top = next(line for line in table if line.startswith("| top_products |"))
    assert "FAILED" in top and "| - | **no** | **no** |" in top
