"""Helpers shared by the tests: run a job inline, write CSV fixtures."""

import os

from ecomsuite.schemas import DATASETS
from tests.canonical_inputs import to_canonical


def run_inline(job_cls, paths, *args):
    """Ingest CSV `paths` (tests/canonical_inputs.py), run a job on the inline runner over
    the canonical parts; return ({key: value}, [the ingest's counts, then each step's])."""
    parts, ingested = to_canonical(paths)
    if not parts:  # only empty files: nothing to run on
        return {}, [ingested]
    job = job_cls(["--no-conf", *args, *parts])
    with job.make_runner() as runner:
        runner.run()
        out = dict(job.parse_output(runner.cat_output()))
        counters = runner.counters()
    read = sum(c.get("rows", {}).get("valid", 0) for c in counters)
    assert read == ingested["rows"]["valid"], (read, ingested)
    return out, [ingested] + [{g: v for g, v in c.items() if g != "rows"} for c in counters]


def merged_counters(step_counters):
    """{group: {name: n}} summed over the steps."""
    merged = {}
    for counters in step_counters:
        for group, names in counters.items():
            for name, n in names.items():
                merged.setdefault(group, {})
                merged[group][name] = merged[group].get(name, 0) + n
    return merged


def write_lines(path, lines, header_of=None, newline=b"\n"):
    """Write byte/str lines (with an optional dataset header first) to `path`."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        if header_of:
            f.write(DATASETS[header_of].header.encode() + newline)
        for line in lines:
            f.write((line.encode() if isinstance(line, str) else line) + newline)
    return path


def part_files(root, dataset):
    directory = os.path.join(root, dataset)
    return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                  if f.startswith("part-"))
