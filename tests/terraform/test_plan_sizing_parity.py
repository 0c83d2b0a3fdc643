"""`orch plan` and terraform/modules/sizing size the grader's concurrency with the same formula.

For each set of inputs, Python computes invocations per step and the reserved concurrency; a generated
`.tftest.hcl` asserts that the real module (Terraform core, provider-free, offline) outputs the same
numbers. A wrong expectation must fail the run (second test), so the comparison cannot pass vacuously.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from orchestrator.preflight.plan import invocations_for, sizing_reserved_concurrency
from tests.terraform.tf_helpers import module_dir, run_terraform

pytestmark = pytest.mark.terraform

# (batch_size, samples_per_prompt, max_samples_per_invocation, safety_factor)
CASES = [
    (32, 4, 1, 1.5),
    (32, 4, 4, 1.5),
    (100, 3, 16, 1.25),
    (100, 2, 2, 1.15),  # 100 x 1.15: exactly 115 in decimal, 114.99999999999999 in binary floats
    (64, 8, 5, 1.1),
    (16, 2, 64, 1.0),
    (256, 16, 7, 2.3),
    (512, 16, 3, 1.7),
]


def _run_block(index: int, case: tuple[int, int, int, float], reserved_offset: int = 0) -> str:
    batch, per_prompt, per_call, safety = case
    invocations = invocations_for(batch * per_prompt, per_call)
    reserved = sizing_reserved_concurrency(invocations, safety) + reserved_offset
    return f"""
run "case_{index}" {{
  command = plan
  variables {{
    batch_size                 = {batch}
    samples_per_prompt         = {per_prompt}
    max_samples_per_invocation = {per_call}
    safety_factor              = {safety}
    expected_latency_seconds   = 1
    account_concurrency_limit  = 100000
  }}
  assert {{
    condition     = output.invocations_per_step == {invocations}
    error_message = "invocations_per_step differs from orch plan ({invocations})"
  }}
  assert {{
    condition     = output.reserved_concurrency == {reserved}
    error_message = "reserved_concurrency differs from orch plan ({reserved})"
  }}
}}
"""


def _terraform_test(workdir: Path, blocks: str) -> tuple[int, str]:
    copy = workdir / "sizing"
    shutil.copytree(module_dir("sizing"), copy, ignore=shutil.ignore_patterns(".terraform*", "tests"))
    (copy / "tests").mkdir()
    (copy / "tests" / "parity.tftest.hcl").write_text(blocks, encoding="utf-8")
    init = run_terraform(f"-chdir={copy}", "init", "-backend=false", "-input=false")
    assert init.returncode == 0, init.stdout + init.stderr
    done = run_terraform(f"-chdir={copy}", "test", "-no-color")
    return done.returncode, done.stdout + done.stderr


def test_plan_and_terraform_sizing_agree(tmp_path: Path) -> None:
    blocks = "".join(_run_block(i, case) for i, case in enumerate(CASES))
    returncode, output = _terraform_test(tmp_path, blocks)
    match = re.search(r"Success! (\d+) passed, 0 failed\.", output)
    assert returncode == 0 and match and int(match.group(1)) == len(CASES), output


def test_a_different_formula_would_be_caught(tmp_path: Path) -> None:
    returncode, output = _terraform_test(tmp_path, _run_block(0, CASES[1], reserved_offset=1))
    assert returncode != 0 and "reserved_concurrency differs" in output, output
