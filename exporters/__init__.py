"""Prometheus exporter of the e-commerce suite: business results, batch job health, Hadoop health.

    ecom-exporter --outputs output --web.listen-address 127.0.0.1:8398
    ecom-exporter --version

Every scrape reads fresh data from three sources, each of which may be off:

  outputs          the jobs' outputs and run records (a local folder or HDFS)
  namenode         the HDFS NameNode's /jmx servlet
  resourcemanager  the YARN ResourceManager's REST API

See docs/monitoring.md for every metric, and exporters/business.py for the
table that maps each job's output rows to metrics.
"""

PREFIX = "ecommerce_"


def build_info():
    """{version, revision, python_version}: ecommerce_exporter_build_info's labels and
    --version. The revision is the git commit when running from a checkout, else "unknown"."""
    import os
    import platform
    import subprocess

    from ecomsuite import __version__

    revision = os.environ.get("ECOM_REVISION", "")
    if not revision:
        here = os.path.dirname(os.path.abspath(__file__))
        try:
            revision = subprocess.run(["git", "-C", here, "rev-parse", "--short=12", "HEAD"],
                                      capture_output=True, text=True, timeout=5,
                                      check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            revision = ""
    return {"version": __version__, "revision": revision or "unknown",
            "python_version": platform.python_version()}
