"""Validation blocks of the provider modules, exercised offline. `terraform test` cannot run modules that
use the AWS provider here, so each module is called from a throw-away root and evaluated with tfparse,
which reports a failed validation as `condition: false` on the variable (it does not raise).
(modules/sizing has real `terraform test` runs with expect_failures: test_sizing_module.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.tf_helpers import TERRAFORM_DIR, evaluate, failed_validations

VALID: dict[str, dict[str, Any]] = {
    "reward_lambda": {
        "function_name": "nova-rft-test-math",
        "package_file": "grader-arm64.zip",
        "reward_spec": "math",
        "spec_file": "spec.json",
        "reserved_concurrent_executions": 10,
        "duration_alarm_threshold_ms": 240000,
        "concurrency_alarm_threshold": 8,
        "region": "us-east-1",
        "account_id": "123456789012",
        "judge_model_arns": ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"],
    },
    "dataset_bucket": {"bucket_name": "nova-rft-test-datasets-123456789012"},
    "customization_role": {
        "role_name": "nova-rft-test-customization",
        "dataset_bucket_name": "nova-rft-test-datasets-123456789012",
        "grader_function_arns": ["arn:aws:lambda:us-east-1:123456789012:function:nova-rft-test-math"],
        "region": "us-east-1",
        "account_id": "123456789012",
    },
}

INVALID = [
    ("reward_lambda", "reserved_concurrent_executions", 0),
    ("reward_lambda", "reserved_concurrent_executions", 2.5),
    ("reward_lambda", "timeout", 901),
    ("reward_lambda", "memory_size", 64),
    ("reward_lambda", "architecture", "aarch64"),
    ("reward_lambda", "runtime", "python3.9"),
    ("reward_lambda", "function_name", "bad name!"),
    ("reward_lambda", "package_file", "grader.tar.gz"),
    ("reward_lambda", "judge_model_arns", ["*"]),
    ("reward_lambda", "log_retention_days", 10),
    ("reward_lambda", "duration_alarm_threshold_ms", 300000),  # not below the 300 s timeout
    ("reward_lambda", "concurrency_alarm_threshold", 11),  # above the reservation of 10
    ("reward_lambda", "account_id", "12345"),
    ("reward_lambda", "alarm_period_seconds", 90),
    ("reward_lambda", "judge_model_id", "amazon.titan-text-express-v1"),  # not among judge_model_arns
    ("dataset_bucket", "bucket_name", "Upper_Case"),
    ("dataset_bucket", "kms_key_arn", "alias/aws/s3"),
    ("dataset_bucket", "noncurrent_version_expiration_days", 0),
    ("customization_role", "grader_function_arns", []),
    ("customization_role", "grader_function_arns", ["arn:aws:lambda:us-east-1:123456789012:function:x:*"]),
    ("customization_role", "dataset_prefix", "datasets"),
    ("customization_role", "output_prefix", "/rft-output/"),
    ("customization_role", "max_session_duration", 600),
]


def _evaluate_call(tmp_path: Path, module: str, args: dict[str, Any]) -> dict[str, Any]:
    shutil.copytree(TERRAFORM_DIR / "modules" / module, tmp_path / "modules" / module)
    root = tmp_path / "root"
    root.mkdir()
    (root / "spec.json").write_text(json.dumps({"dimensions": [{"name": "format"}]}), encoding="utf-8")
    (root / "grader-arm64.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    lines = [f'module "under_test" {{\n  source = "../modules/{module}"']
    lines += [f"  {name} = {json.dumps(value)}" for name, value in args.items()]
    (root / "main.tf").write_text("\n".join(lines) + "\n}\n", encoding="utf-8")
    return evaluate(root, vars_file=None)


def _failed_variables(evaluated: dict[str, Any]) -> set[str]:
    return {line.split(":")[0].rsplit(".variable.", 1)[1] for line in failed_validations(evaluated)}


@pytest.mark.parametrize("module", sorted(VALID))
def test_valid_inputs_pass_every_validation(module: str, tmp_path: Path) -> None:
    evaluated = _evaluate_call(tmp_path, module, VALID[module])
    assert failed_validations(evaluated) == []
    assert any(r.get("__tfmeta", {}).get("type") == "resource" for rs in evaluated.values() for r in rs)


def test_judge_model_id_covered_by_the_arns_passes(tmp_path: Path) -> None:
    args = {**VALID["reward_lambda"], "judge_model_id": "amazon.nova-lite-v1:0"}
    assert failed_validations(_evaluate_call(tmp_path, "reward_lambda", args)) == []


@pytest.mark.parametrize(("module", "variable", "value"), INVALID, ids=lambda v: str(v)[:40])
def test_invalid_input_fails_its_validation(module: str, variable: str, value: Any, tmp_path: Path) -> None:
    evaluated = _evaluate_call(tmp_path, module, {**VALID[module], variable: value})
    assert variable in _failed_variables(evaluated)
