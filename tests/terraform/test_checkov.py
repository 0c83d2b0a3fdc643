"""checkov (its own venv: its bc-python-hcl2 would replace python-hcl2 8.x here), offline, over
terraform/ (HCL) and over the plan JSON of dev, staging and prod (conftest.py's `root_plan`: the values
Terraform would really send, after variables, conditionals and for_each).

HCL: zero failed checks; every skipped check carries a written reason next to the resource
(`#checkov:skip=CKV_...:reason`). Plan JSON has no comments, so a plan finding is accepted only when the
same check is skipped with a reason in the HCL (the plan scan sees evaluated values: a `kms_key_arn`
left null fails there, where the HCL scan could not evaluate the conditional). A check id is matched
across resource types because the plan scan folds some settings into the parent resource (the bucket's
encryption is reported on `aws_s3_bucket`, its HCL skip sits on the encryption configuration).
When the venv is missing the test installs it with scripts/install-checkov.sh (needs PyPI) and fails
with the installer's output if that does not work.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.tf_helpers import REPO, TERRAFORM_DIR

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

CHECKOV = REPO / ".orch" / "checkov-venv" / "bin" / "checkov"
INSTALLER = REPO / "scripts" / "install-checkov.sh"
CHECKOV_TIMEOUT_S = 600
MIN_REASON_CHARS = 20


def _ensure_checkov() -> None:
    if CHECKOV.exists():
        return
    result = subprocess.run(
        ["bash", str(INSTALLER)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=CHECKOV_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0 or not CHECKOV.exists():
        pytest.fail(
            f"checkov is not installed and `bash scripts/install-checkov.sh` failed "
            f"(exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )


def _checkov(*target: str) -> list[dict[str, Any]]:
    _ensure_checkov()
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    result = subprocess.run(
        [str(CHECKOV), *target, "--skip-download", "--compact", "--output", "json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=CHECKOV_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), (
        f"checkov crashed (exit {result.returncode}):\n{result.stderr[-3000:]}"
    )
    parsed = json.loads(result.stdout)
    return parsed if isinstance(parsed, list) else [parsed]


@cache
def _scan() -> dict[str, Any]:
    reports = _checkov("-d", str(TERRAFORM_DIR), "--framework", "terraform")
    (terraform,) = [r for r in reports if r.get("check_type") == "terraform"]
    return terraform


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return _scan()


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_checkov_over_the_plan_finds_only_documented_skips(
    env: str, report: dict[str, Any], root_plan: Callable[[str], dict[str, Any]], tmp_path: Path
) -> None:
    plan_file = tmp_path / f"{env}.plan.json"
    plan_file.write_text(json.dumps(root_plan(env)), encoding="utf-8")
    reports = _checkov(
        "-f", str(plan_file), "--framework", "terraform_plan", "--repo-root-for-plan-enrichment", str(REPO)
    )
    (plan_report,) = [r for r in reports if r.get("check_type") == "terraform_plan"]
    summary = plan_report["summary"]
    assert summary["parsing_errors"] == 0 and summary["resource_count"] >= 40 and summary["passed"] >= 50, (
        summary
    )
    documented = {c["check_id"] for c in report["results"]["skipped_checks"]}
    undocumented = sorted(
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in plan_report["results"]["failed_checks"]
        if c["check_id"] not in documented
    )
    assert undocumented == [], "\n".join(undocumented)


def test_checkov_scanned_the_configuration(report: dict[str, Any]) -> None:
    """Guard against a scan that silently saw nothing (wrong path, parser failure)."""
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 20
    assert summary["passed"] >= 50


def test_checkov_has_no_failed_checks(report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']}): {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert failed == [], "\n".join(failed)


def test_every_skip_has_a_reason_next_to_the_resource(report: dict[str, Any]) -> None:
    skipped = report["results"]["skipped_checks"]
    assert skipped, "expected the documented skips (e.g. CKV_AWS_116 on the synchronous grader)"
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment") or ""
        assert len(reason.strip()) >= MIN_REASON_CHARS, (
            f"{check['check_id']} on {check['resource']}: {reason!r}"
        )
        source = (TERRAFORM_DIR / check["file_path"].lstrip("/")).read_text(encoding="utf-8")
        assert f"#checkov:skip={check['check_id']}:" in source, check["file_path"]
