"""Environment variable names are spelled once: in `functions/nova_rewards/env_vars.py` (the grader) and
`orchestrator/env_vars.py` (the CLI, the launcher and the LocalStack extension)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import ModuleType

import pytest
from nova_rewards import env_vars as grader_env

from nova_rft_localstack import host_runtime
from orchestrator import env_vars as orch_env

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("functions/nova_rewards", "orchestrator", "nova_rft_localstack")
OWN_NAME = re.compile(r"(ORCH|REWARD)_[A-Z0-9_]+")
CONSTANT_MODULES = {ROOT / "functions/nova_rewards/env_vars.py", ROOT / "orchestrator/env_vars.py"}
# runs as a script without this project on its path: spells its three names (checked below)
SCRIPT = ROOT / "nova_rft_localstack/host_runtime.py"


def _constants(module: ModuleType) -> dict[str, str]:
    return {name: value for name, value in vars(module).items() if name.isupper() and isinstance(value, str)}


@pytest.mark.parametrize("module", [grader_env, orch_env], ids=["grader", "orch"])
def test_each_constant_is_the_variable_it_names(module: ModuleType) -> None:
    constants = _constants(module)
    assert constants and all(name == value for name, value in constants.items())


def test_no_module_spells_a_project_variable_outside_the_constant_modules() -> None:
    spelled = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path in CONSTANT_MODULES or path == SCRIPT:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
                if OWN_NAME.fullmatch(text.rstrip("_")):  # "ORCH_X", or an f-string's "ORCH_X_{...}"
                    spelled.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text!r}")
    assert spelled == [], "use the env_vars modules:\n" + "\n".join(spelled)


def test_the_runtime_script_spells_its_variables_as_the_executor_does() -> None:
    assert host_runtime.RUNTIME_FDS_ENV == orch_env.ORCH_RUNTIME_FDS
    assert host_runtime.RUNTIME_SDK_PATH_ENV == orch_env.ORCH_RUNTIME_SDK_PATH
    assert host_runtime.MEMORY_HEADROOM_ENV == orch_env.ORCH_LAMBDA_MEMORY_HEADROOM_MB


def test_the_per_runtime_interpreter_variable() -> None:
    assert orch_env.orch_lambda_python("3", "12") == "ORCH_LAMBDA_PYTHON_3_12"
