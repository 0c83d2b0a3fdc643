"""Real `terraform test` of modules/sizing (provider-free, so Terraform core runs it offline), reported
through pytest: the run must end with "Success! N passed, 0 failed." where N is the number of `run`
blocks in the module's tests, so a run that is silently skipped is caught too."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.terraform.tf_helpers import module_dir, run_terraform

pytestmark = pytest.mark.terraform

SUMMARY = re.compile(r"Success! (\d+) passed, (\d+) failed\.")


def _run_blocks(module: Path) -> int:
    return sum(
        len(re.findall(r'(?m)^run "', p.read_text(encoding="utf-8")))
        for p in module.glob("tests/*.tftest.hcl")
    )


def _terraform_test(module: Path, workdir: Path) -> tuple[int, str]:
    """init + test on a copy, so .terraform/ never lands in the source tree."""
    copy = workdir / module.name
    shutil.copytree(module, copy, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl"))
    init = run_terraform(f"-chdir={copy}", "init", "-backend=false", "-input=false")
    assert init.returncode == 0, init.stdout + init.stderr
    result = run_terraform(f"-chdir={copy}", "test", "-no-color")
    return result.returncode, result.stdout + result.stderr


def test_sizing_terraform_test_passes(tmp_path: Path) -> None:
    module = module_dir("sizing")
    expected_runs = _run_blocks(module)
    assert expected_runs >= 10, "the sizing tests lost their run blocks"
    returncode, output = _terraform_test(module, tmp_path)
    match = SUMMARY.search(output)
    assert returncode == 0 and match, output
    assert (int(match.group(1)), int(match.group(2))) == (expected_runs, 0), output


def test_a_wrong_expectation_fails_the_run(tmp_path: Path) -> None:
    """The wrapper can fail: a run whose assertion is false makes `terraform test` fail."""
    module = tmp_path / "src" / "sizing"
    shutil.copytree(module_dir("sizing"), module)
    test_file = module / "tests" / "sizing.tftest.hcl"
    test_file.write_text(
        test_file.read_text(encoding="utf-8").replace(
            "output.reserved_concurrency == 192", "output.reserved_concurrency == 191"
        ),
        encoding="utf-8",
    )
    returncode, output = _terraform_test(module, tmp_path / "run")
    assert returncode != 0
    assert "1 failed" in output, output
