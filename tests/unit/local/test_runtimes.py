"""Which host interpreter runs which Lambda runtime."""

from __future__ import annotations

import sys

import pytest

from nova_rft_localstack.runtimes import RuntimeNotSupported, find_interpreter


def test_version_specific_override_wins() -> None:
    env = {"ORCH_LAMBDA_PYTHON_3_12": sys.executable, "PATH": ""}
    assert find_interpreter("python3.12", env) == sys.executable


def test_non_python_runtime_is_refused() -> None:
    with pytest.raises(RuntimeNotSupported, match="Python runtimes only"):
        find_interpreter("nodejs20.x", {})


def test_missing_interpreter_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("glob.glob", lambda pattern: [])
    with pytest.raises(RuntimeNotSupported, match="ORCH_LAMBDA_PYTHON_3_99"):
        find_interpreter("python3.99", {"PATH": ""})
