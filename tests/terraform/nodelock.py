"""Write the hashed requirements the cluster's nodes install the suite's
dependencies from (terraform/modules/cluster-config/files/requirements-node.txt):
`python -m tests.terraform.nodelock` (make tf-lock).

The nodes run Debian 12's Python 3.11 on x86_64. pip resolves setup.cfg's pins
(plus the build requirements of pyproject.toml) for this interpreter without
installing anything (`pip install --dry-run --ignore-installed --report`), and
each chosen file's SHA-256 from that report becomes a `--hash`. Run it on the
nodes' platform (Debian 12, Python 3.11, x86_64) so the wheels chosen are
theirs; the file says where it was made.
"""

import configparser
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "terraform" / "modules" / "cluster-config" / "files" / "requirements-node.txt"


def suite_requirements():
    """setup.cfg's install_requires, and the build system's requirements."""
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    install = [r.strip() for r in cfg["options"]["install_requires"].splitlines() if r.strip()]
    import tomllib  # the nodes' Python (3.11) has it; main() refuses any other
    build = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    return install + build + ["wheel"]


def main():
    if sys.version_info[:2] != (3, 11) or platform.machine() != "x86_64":
        print(f"error: run this with Python 3.11 on x86_64 (the nodes' platform), not "
              f"{platform.python_version()} on {platform.machine()}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
                        "--report", str(report), *suite_requirements()], check=True)
        installs = json.loads(report.read_text())["install"]
    lines = [
        "# The suite's dependencies as the cluster's nodes install them (Debian 12,",
        "# Python 3.11, x86_64): every file pinned by its SHA-256 (pip --require-hashes).",
        "# Written by `make tf-lock` (tests/terraform/nodelock.py) from setup.cfg's pins;",
        "# a test fails when they differ.",
    ]
    for item in sorted(installs, key=lambda i: i["metadata"]["name"].lower()):
        sha = item["download_info"]["archive_info"]["hashes"]["sha256"]
        lines.append(f"{item['metadata']['name']}=={item['metadata']['version']} --hash=sha256:{sha}")
    LOCK.write_text("\n".join(lines) + "\n")
    print(f"wrote {LOCK.relative_to(REPO)} ({len(installs)} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
