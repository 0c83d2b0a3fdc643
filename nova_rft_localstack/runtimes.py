"""Which host Python runs a Lambda function of a given runtime (`python3.12` -> a Python 3.12).

The grader zip carries compiled wheels (pydantic-core) for the Lambda runtime's Python version, so the
host executor runs each function with the same minor version. Standard library only: this module is
imported inside LocalStack's Python 3.13 as well as by `orch`.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from collections.abc import Mapping

from orchestrator.env_vars import ORCH_LAMBDA_PYTHON, orch_lambda_python

RUNTIME_PATTERN = re.compile(r"^python(\d)\.(\d+)$")


class RuntimeNotSupported(Exception):
    """The runtime is not a Python runtime or no matching interpreter exists on this host."""


def find_interpreter(runtime: str, environ: Mapping[str, str] | None = None) -> str:
    """Path of a host interpreter for `runtime`.

    Order: `ORCH_LAMBDA_PYTHON_3_12` (per version), `ORCH_LAMBDA_PYTHON` (any runtime), pyenv's
    `~/.pyenv/versions/3.12*/bin/python` and `/root/.pyenv/...`, then `python3.12` on PATH.
    """
    env = os.environ if environ is None else environ
    match = RUNTIME_PATTERN.match(runtime or "")
    if match is None:
        raise RuntimeNotSupported(
            f"runtime {runtime!r}: the host Lambda executor runs Python runtimes only (python3.x)"
        )
    major, minor = match.groups()
    candidates = [env.get(orch_lambda_python(major, minor), ""), env.get(ORCH_LAMBDA_PYTHON, "")]
    for root in (os.path.expanduser("~/.pyenv"), "/root/.pyenv"):
        candidates += sorted(glob.glob(f"{root}/versions/{major}.{minor}.*/bin/python"), reverse=True)
    candidates.append(shutil.which(f"python{major}.{minor}", path=env.get("PATH")) or "")
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeNotSupported(
        f"runtime {runtime!r}: no Python {major}.{minor} on this host; install it or set "
        f"{orch_lambda_python(major, minor)} to its interpreter"
    )
