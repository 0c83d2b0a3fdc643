"""Module conventions (terraform-aws-modules style): standard files, every variable described and typed,
validation where a range or format exists, every output described, READMEs generated and current."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.terraform.tf_helpers import (
    MODULES,
    TERRAFORM_DIR,
    all_config_dirs,
    load_hcl,
    module_dir,
)


def _tfdocs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tfdocs", TERRAFORM_DIR / "tools" / "tfdocs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blocks(config_dir: Path, kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for tf_file in sorted(config_dir.glob("*.tf")):
        for block in load_hcl(tf_file).get(kind, []):
            found.update({k: v for k, v in block.items() if k != "__is_block__"})
    return found


def _rel(path: Path) -> str:
    return str(path.relative_to(TERRAFORM_DIR))


@pytest.mark.parametrize("name", MODULES)
def test_module_has_standard_files(name: str) -> None:
    present = {p.name for p in module_dir(name).iterdir()}
    assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"} <= present


@pytest.mark.parametrize("config_dir", all_config_dirs(), ids=_rel)
def test_every_variable_is_described_and_typed(config_dir: Path) -> None:
    variables = _blocks(config_dir, "variable")
    assert variables
    for name, body in variables.items():
        assert str(body.get("description", "")).strip(), (
            f"{_rel(config_dir)}: variable {name} has no description"
        )
        assert body.get("type"), f"{_rel(config_dir)}: variable {name} has no type"


@pytest.mark.parametrize("config_dir", all_config_dirs(), ids=_rel)
def test_every_output_is_described(config_dir: Path) -> None:
    for name, body in _blocks(config_dir, "output").items():
        assert str(body.get("description", "")).strip(), (
            f"{_rel(config_dir)}: output {name} has no description"
        )


# Variables whose values have a range or a format; each must carry a validation block.
MUST_VALIDATE = {
    "reward_lambda": {
        "function_name", "package_file", "runtime", "architecture", "memory_size", "timeout",
        "reserved_concurrent_executions", "judge_model_arns", "log_retention_days", "kms_key_arn",
        "alarm_sns_topic_arn", "duration_alarm_threshold_ms", "concurrency_alarm_threshold",
        "error_rate_threshold", "no_spread_threshold", "alarm_period_seconds", "region", "account_id",
    },
    "sizing": {
        "batch_size", "samples_per_prompt", "max_samples_per_invocation", "expected_latency_seconds",
        "safety_factor", "timeout_seconds", "duration_alarm_fraction", "concurrency_alarm_fraction",
    },
    "dataset_bucket": {"bucket_name", "kms_key_arn", "noncurrent_version_expiration_days"},
    "customization_role": {
        "role_name", "grader_function_arns", "dataset_prefix", "output_prefix", "account_id",
    },
    "rft_stack": {"environment", "region", "account_id", "graders", "log_retention_days"},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MUST_VALIDATE))
def test_ranges_and_formats_are_validated(name: str) -> None:
    variables = _blocks(module_dir(name), "variable")
    missing = sorted(v for v in MUST_VALIDATE[name] if not variables[v].get("validation"))
    assert missing == []


def test_reserved_concurrency_is_required() -> None:
    variables = _blocks(module_dir("reward_lambda"), "variable")
    assert "default" not in variables["reserved_concurrent_executions"]
    assert variables["timeout"]["default"] == 300


@pytest.mark.parametrize("config_dir", all_config_dirs(), ids=_rel)
def test_readme_tables_are_current(config_dir: Path) -> None:
    current, expected = _tfdocs().updated_readme(config_dir)
    assert current == expected, f"run: .venv/bin/python terraform/tools/tfdocs.py {_rel(config_dir)}"


def test_readme_check_detects_an_undocumented_change(tmp_path: Path) -> None:
    copy = tmp_path / "sizing"
    shutil.copytree(module_dir("sizing"), copy)
    with (copy / "variables.tf").open("a", encoding="utf-8") as handle:
        handle.write('\nvariable "new_knob" {\n  description = "A new input."\n  type        = number\n}\n')
    tfdocs = _tfdocs()
    current, expected = tfdocs.updated_readme(copy)
    assert current != expected and "`new_knob`" in expected
    assert tfdocs.main(["--check", str(copy)]) == 1
    assert tfdocs.main([str(copy)]) == 0 and tfdocs.main(["--check", str(copy)]) == 0
