"""`orch reward verify` against the graders deployed on the local stack: every bundled grader keeps the
contract for AWS's sample event shapes (both placements of reference_answer, nova_assistant, a bad
sample in the batch), through the real CLI, Lambda invoke and grader package."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from orchestrator.local_stack.provision import ProvisionResult
from orchestrator.local_stack.stack import LocalStack

GRADERS = ("math", "json_extraction", "code", "support")


@pytest.mark.parametrize("name", GRADERS)
def test_deployed_grader_passes_verify(
    local_stack: LocalStack, provisioned_local: ProvisionResult, name: str
) -> None:
    if name not in provisioned_local.outputs["grader_arns"]:
        pytest.skip(f"grader {name} is not in the local environment")
    env = {**os.environ, **local_stack.client_env()}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from orchestrator.cli import main; main()",
            "reward",
            "verify",
            "--outputs",
            str(provisioned_local.outputs_file),
            "--grader",
            name,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["function"] == provisioned_local.outputs["grader_arns"][name]
    assert len(report["cases"]) == 4
