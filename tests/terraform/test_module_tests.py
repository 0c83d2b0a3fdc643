"""Real `terraform test` of every module that has tests (`modules/<name>/tests/*.tftest.hcl`), reported
through pytest. The AWS modules use `mock_provider "aws"`: plan-level asserts on IAM, alarms, sizing,
bucket hardening and outputs, and `expect_failures` for the validations; no account, no network.

Each run must end with "Success! N passed, 0 failed." where N is the number of `run` blocks, so a run
that is silently skipped is caught too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.terraform.tf_helpers import MODULES, copy_tree, init, module_dir, run_terraform

pytestmark = pytest.mark.terraform

SUMMARY = re.compile(r"Success! (\d+) passed, (\d+) failed\.")
TESTED = [name for name in MODULES if any(module_dir(name).glob("tests/*.tftest.hcl"))]


def run_blocks(module: Path) -> int:
    return sum(
        len(re.findall(r'(?m)^run "', p.read_text(encoding="utf-8")))
        for p in module.glob("tests/*.tftest.hcl")
    )


def terraform_test(module: Path) -> tuple[int, str]:
    init(module)
    result = run_terraform(f"-chdir={module}", "test", "-no-color")
    return result.returncode, result.stdout + result.stderr


def test_the_provider_modules_have_tests() -> None:
    assert {"sizing", "reward_lambda", "dataset_bucket", "customization_role", "rft_stack"} <= set(TESTED)


@pytest.mark.parametrize("name", TESTED)
def test_terraform_test_passes(name: str, tmp_path: Path) -> None:
    module = copy_tree(tmp_path) / "modules" / name
    expected_runs = run_blocks(module)
    assert expected_runs >= 5, f"the {name} tests lost their run blocks"
    returncode, output = terraform_test(module)
    match = SUMMARY.search(output)
    assert returncode == 0 and match, output
    assert (int(match.group(1)), int(match.group(2))) == (expected_runs, 0), output


@pytest.mark.parametrize(
    ("name", "right", "wrong"),
    [
        ("sizing", "output.reserved_concurrency == 192", "output.reserved_concurrency == 191"),
        (
            "customization_role",
            '"aws:SourceAccount" = "123456789012"',
            '"aws:SourceAccount" = "999999999999"',
        ),
        ("dataset_bucket", "noncurrent_days == 30", "noncurrent_days == 31"),
    ],
)
def test_a_wrong_expectation_fails_the_run(name: str, right: str, wrong: str, tmp_path: Path) -> None:
    """The wrapper and the asserts can fail: one changed expectation makes `terraform test` fail."""
    module = copy_tree(tmp_path) / "modules" / name
    (test_file,) = module.glob("tests/*.tftest.hcl")
    text = test_file.read_text(encoding="utf-8")
    assert right in text
    test_file.write_text(text.replace(right, wrong, 1), encoding="utf-8")
    returncode, output = terraform_test(module)
    assert returncode != 0
    assert "1 failed" in output, output
