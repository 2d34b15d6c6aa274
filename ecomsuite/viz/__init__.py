"""Pictures of the suite's results: the HTML report (``ecom-report``) and sketches of the
Grafana dashboards drawn from a real Prometheus (``python -m ecomsuite.viz.pictures``).

Both draw with matplotlib's Agg backend: PNG files, no display, no browser, no network.
"""


class VizError(Exception):
    """Something the user can fix (no outputs, a missing folder, Prometheus not answering):
    the command prints it as one line and exits 2."""
