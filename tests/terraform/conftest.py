"""Fixtures of the Terraform tests: plans of every environment root that need no AWS account.

`root_plan(env)` plans `terraform/environments/<env>` on a copy of the tree with an override file:
a local backend instead of the S3 one, and a provider that makes no AWS call (static dummy keys, no
account lookup, `allowed_account_ids` lifted). A plan without state only reads the configuration, so it
checks everything `apply` would send: every validation, every function and file call (the grader zips
of `make package`), the provider's argument checks. The result is `terraform show -json` of the plan,
also scanned by checkov (test_checkov.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.tf_helpers import BUILD_DIR, copy_tree, init, run_terraform

PLAN_OVERRIDE = """\
# Written by tests/terraform/conftest.py: plan without an AWS account.
terraform {
  backend "local" {}
}

provider "aws" {
  access_key                  = "mock-access-key"
  secret_key                  = "mock-secret-key"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  allowed_account_ids         = null
}
"""


@pytest.fixture(scope="session")
def root_plan(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, Any]]:
    """env -> the plan JSON of that root (planned once per session)."""
    missing = [
        f"grader-{arch}.zip"
        for arch in ("x86_64", "arm64")
        if not (BUILD_DIR / f"grader-{arch}.zip").is_file()
    ]
    if missing:
        pytest.fail(f"build/{', build/'.join(missing)} missing: run `make package` first")
    tree = copy_tree(tmp_path_factory.mktemp("plans"))
    plans: dict[str, dict[str, Any]] = {}

    def plan(env: str) -> dict[str, Any]:
        if env not in plans:
            plans[env] = plan_root(tree / "environments" / env)
        return plans[env]

    return plan


def plan_root(root: Path) -> dict[str, Any]:
    (root / "zz_plan_override.tf").write_text(PLAN_OVERRIDE, encoding="utf-8")
    init(root, backend=True)  # the override's local backend
    done = run_terraform(f"-chdir={root}", "plan", "-input=false", "-no-color", "-out=plan.tfplan")
    assert done.returncode == 0, f"terraform plan of {root.name} failed:\n{done.stdout}{done.stderr}"
    shown = run_terraform(f"-chdir={root}", "show", "-json", "plan.tfplan")
    assert shown.returncode == 0, shown.stderr
    (root / "plan.json").write_text(shown.stdout, encoding="utf-8")
    return json.loads(shown.stdout)
