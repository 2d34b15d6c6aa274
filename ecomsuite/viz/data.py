"""What the report shows, read through the suite's own readers.

Job outputs and run records: :class:`ecomsuite.layout.OutputLayout` (the newest complete
output of each job, its run records); ingest manifests: :class:`ecomsuite.layout.DataLayout`
(the newest complete canonical version of each dataset and day). No path is joined here.
"""

import dataclasses

from ecomsuite import layout, schemas
from ecomsuite.report import parse_output_lines
from ecomsuite.viz import VizError


@dataclasses.dataclass
class JobOutput:
    job: str
    run_id: str
    path: str
    rows: list          # [(key, {field: value})], sorted as parse_output_lines sorts them


@dataclasses.dataclass
class ReportData:
    output_root: str
    data_root: str | None
    outputs: dict       # {job: JobOutput}
    records: dict       # {job: [RunRecord]} oldest first
    manifests: list     # [IngestManifest] by dataset, then day
    notes: list         # what could not be read, one line each

    def rows(self, job):
        out = self.outputs.get(job)
        return out.rows if out else []


def load(output_root, data_root=None):
    """Read every job's newest complete output and its run records under `output_root`, and
    the ingest manifests under `data_root` (None: no data-quality section)."""
    outputs_layout = layout.OutputLayout(output_root)
    store = outputs_layout.store
    if not store.exists(outputs_layout.root):
        raise VizError(f"no output folder {store.describe(outputs_layout.root)}: run the jobs "
                       "first (`make demo`, or `ecom-run --output ...`), or give --output")
    if not store.is_dir(outputs_layout.root):
        raise VizError(f"{store.describe(outputs_layout.root)} is a file, not an output folder")
    notes, outputs, records = [], {}, {}
    for job in outputs_layout.jobs():
        recs, problems = outputs_layout.read_records(job)
        records[job] = recs
        for name, err in problems:
            notes.append(f"{job}: run record {name} skipped ({err})")
        latest = outputs_layout.latest_output(job)
        if latest is None:
            notes.append(f"{job}: no complete output")
            continue
        try:
            rows = parse_output_lines(outputs_layout.read_output_lines(latest))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            notes.append(f"{job}: output {latest} skipped ({e})")
            continue
        outputs[job] = JobOutput(job, latest.rstrip("/").rsplit("/", 1)[-1], latest, rows)
    if not outputs and not any(records.values()):
        raise VizError(f"no job outputs or run records in {store.describe(outputs_layout.root)}: "
                       "run the jobs first (`make demo`, or `ecom-run`)")
    manifests = load_manifests(data_root, notes) if data_root else []
    return ReportData(outputs_layout.root, data_root, outputs, records, manifests, notes)


def load_manifests(data_root, notes):
    data = layout.DataLayout(data_root)
    if not data.store.exists(data.root):
        notes.append(f"data quality: no data folder {data.store.describe(data.root)}")
        return []
    manifests = []
    for dataset in schemas.DATASETS:
        for day in data.canonical_days(dataset):
            try:
                manifest = data.ingest_manifest(dataset, day)
            except (OSError, ValueError) as e:
                notes.append(f"data quality: {dataset} {day}: manifest skipped ({e})")
                continue
            if manifest is not None:
                manifests.append(manifest)
    if not manifests:
        notes.append(f"data quality: no ingested days in {data.store.describe(data.root)} "
                     "(`make ingest`)")
    return manifests
