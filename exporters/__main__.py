"""`python -m exporters` runs the exporter (same as `ecom-exporter`)."""

import sys

from exporters.cli import main

if __name__ == "__main__":
    sys.exit(main())
