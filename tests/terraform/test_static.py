"""Real Terraform with the real AWS provider over every module and root: formatting, then `init` and
`validate` (provider schemas included: unknown arguments, wrong types and bad references all fail)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.terraform.tf_helpers import TERRAFORM_DIR, all_config_dirs, copy_tree, init, run_terraform

pytestmark = pytest.mark.terraform


def _rel(path: Path) -> str:
    return str(path.relative_to(TERRAFORM_DIR))


def test_fmt_check_recursive() -> None:
    result = run_terraform("fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR))
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


def test_fmt_check_detects_bad_formatting(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('locals {\n  a="x"\n}\n', encoding="utf-8")
    assert run_terraform("fmt", "-check", "-recursive", str(tmp_path)).returncode != 0


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_tree(tmp_path_factory.mktemp("validate"))


def validate(directory: Path) -> dict:
    init(directory)
    return json.loads(run_terraform(f"-chdir={directory}", "validate", "-json").stdout)


@pytest.mark.parametrize("config_dir", all_config_dirs(), ids=_rel)
def test_validate_with_the_provider(config_dir: Path, tree: Path) -> None:
    report = validate(tree / config_dir.relative_to(TERRAFORM_DIR))
    errors = [
        f"{d['summary']}: {d.get('detail', '')}" for d in report["diagnostics"] if d["severity"] == "error"
    ]
    assert report["valid"] is True and errors == [], errors


def test_validate_catches_an_argument_the_provider_does_not_know(tmp_path: Path) -> None:
    """The check above can fail: the provider schema rejects an unknown argument."""
    tree = copy_tree(tmp_path)
    main = tree / "modules" / "dataset_bucket" / "main.tf"
    main.write_text(
        main.read_text(encoding="utf-8").replace(
            "force_destroy = var.force_destroy", "force_destroy = var.force_destroy\n  no_such_argument = 1"
        ),
        encoding="utf-8",
    )
    report = validate(tree / "modules" / "dataset_bucket")
    assert report["valid"] is False
    assert "Unsupported argument" in [d["summary"] for d in report["diagnostics"]]
