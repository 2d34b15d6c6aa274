"""Peak memory does not grow with the data: chunks are made, written and dropped."""

import subprocess
import sys

# Runs the generator as a child and prints the child's peak RSS (KiB): each
# measurement has its own wrapper process, so RUSAGE_CHILDREN is that child's alone.
WRAPPER = """
import resource, subprocess, sys
subprocess.run([sys.executable, "-m", "datagen", *sys.argv[1:]], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_kib(out, scale, jobs):
    r = subprocess.run([sys.executable, "-c", WRAPPER, "--out", str(out), "--scale", str(scale),
                        "--jobs", str(jobs), "--quiet"],
                       capture_output=True, text=True, timeout=300, check=True)
    return int(r.stdout.split()[-1])


def test_peak_memory_is_flat_in_the_scale(tmp_path):
    small = peak_rss_kib(tmp_path / "small", 0.2, jobs=1)
    large = peak_rss_kib(tmp_path / "large", 2, jobs=1)  # 10x the rows
    assert large < 1.15 * small, (small, large)
