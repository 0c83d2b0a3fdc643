"""Shared helpers of the Terraform tests: paths, the real Terraform with the real AWS provider
(found like `orch local provision` finds them: `orchestrator.local_stack.terraform.Toolchain`), copies
of the tree to run in (so `.terraform/` and `.terraform.lock.hcl` never land in the source tree), and
readers of the contract tables in docs/architecture.md.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2

from orchestrator.local_stack.terraform import Toolchain

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "terraform"
MODULES = ("sizing", "reward_lambda", "dataset_bucket", "customization_role", "rft_stack")
ENVIRONMENTS = ("dev", "staging", "prod", "local")
ARCHITECTURE_MD = REPO / "docs" / "architecture.md"
SPEC_DIR = REPO / "functions" / "nova_rewards" / "specs"
BUILD_DIR = REPO / "build"
TERRAFORM_TIMEOUT_S = 600

_HCL_OPTIONS = hcl2.SerializationOptions(
    with_comments=False, strip_string_quotes=True, preserve_heredocs=False
)


def module_dir(name: str) -> Path:
    return TERRAFORM_DIR / "modules" / name


def env_dir(name: str) -> Path:
    return TERRAFORM_DIR / "environments" / name


def all_config_dirs() -> list[Path]:
    return [module_dir(m) for m in MODULES] + [env_dir(e) for e in ENVIRONMENTS]


@functools.cache
def toolchain() -> Toolchain:
    """Terraform and the provider source, as `orch` finds them (orch's CLI config under .orch/)."""
    return Toolchain.discover(REPO)


def run_terraform(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run Terraform with orch's CLI configuration (provider mirror or registry) and capture it."""
    tools = toolchain()
    return subprocess.run(
        [*tools.command, *args],
        cwd=cwd or REPO,
        env=tools.env(NO_COLOR="1"),
        capture_output=True,
        text=True,
        timeout=TERRAFORM_TIMEOUT_S,
        check=False,
    )


def copy_tree(workdir: Path) -> Path:
    """A copy of terraform/ in `workdir`, beside links to build/ and functions/ (the paths the roots
    and module tests use), so Terraform's working files stay out of the source tree."""
    copy = workdir / "terraform"
    shutil.copytree(
        TERRAFORM_DIR,
        copy,
        ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"),
    )
    for name in ("build", "functions"):
        (workdir / name).symlink_to(REPO / name, target_is_directory=True)
    return copy


def init(directory: Path, *, backend: bool = False) -> None:
    flags = [] if backend else ["-backend=false"]
    done = run_terraform(f"-chdir={directory}", "init", *flags, "-input=false", "-no-color")
    assert done.returncode == 0, f"terraform init failed in {directory}:\n{done.stdout}{done.stderr}"


def load_hcl(path: Path) -> dict[str, Any]:
    """One .tf/.tfvars file parsed by python-hcl2 (quotes stripped, no comments)."""
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=_HCL_OPTIONS)


def tfvars(env: str) -> dict[str, Any]:
    """The environment's terraform.tfvars as plain Python values (without hcl2's block markers)."""
    return _strip_markers(load_hcl(env_dir(env) / "terraform.tfvars"))


def _strip_markers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_markers(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_strip_markers(v) for v in value]
    return value


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _markdown_table_after(heading: str) -> list[list[str]]:
    """Rows (cells, backticks stripped) of the first table after a heading of architecture.md."""
    lines = ARCHITECTURE_MD.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and heading in line)
    rows, in_table = [], False
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            in_table = True
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif in_table:
            break
    return rows[1:]  # without the header row


def contract_outputs() -> list[str]:
    """Output names `orch` reads, from docs/architecture.md."""
    return [row[0] for row in _markdown_table_after("Terraform outputs that `orch` reads")]


def contract_metrics() -> set[str]:
    """Grader metric names (Dim.<dimension>.* kept as patterns), from docs/architecture.md."""
    names: set[str] = set()
    for row in _markdown_table_after("Metrics"):
        names.update(n.strip().strip("`") for n in row[0].split(","))
    return names


def contract_namespace() -> str:
    text = ARCHITECTURE_MD.read_text(encoding="utf-8")
    match = re.search(r"Namespace `([^`]+)`", text)
    assert match, "docs/architecture.md no longer names the metrics namespace"
    return match.group(1)
