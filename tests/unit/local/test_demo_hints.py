"""The commands `orch demo` tells the user to run next must run as printed in a new shell: `make demo`
runs `.venv/bin/orch`, which is not on PATH there."""

from __future__ import annotations

from pathlib import Path

from orchestrator.local_stack.demo import orch_command


def venv(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "checkout" / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "orch").write_text("#!/bin/sh\n")
    return bin_dir


def test_plain_orch_when_this_venvs_orch_is_on_path(tmp_path: Path) -> None:
    bin_dir = venv(tmp_path)
    found = str(bin_dir / "orch")
    assert orch_command(str(bin_dir / "python"), tmp_path, lambda name: found) == "orch"


def test_the_venv_path_when_orch_is_not_on_path(tmp_path: Path) -> None:
    bin_dir = venv(tmp_path)
    checkout = tmp_path / "checkout"
    assert orch_command(str(bin_dir / "python"), checkout, lambda name: None) == ".venv/bin/orch"
    assert orch_command(str(bin_dir / "python"), tmp_path / "elsewhere", lambda name: None) == str(
        bin_dir / "orch"
    )


def test_another_orch_on_path_is_not_this_checkouts(tmp_path: Path) -> None:
    bin_dir = venv(tmp_path)
    other = tmp_path / "other" / "orch"
    other.parent.mkdir()
    other.write_text("")
    checkout = tmp_path / "checkout"
    assert orch_command(str(bin_dir / "python"), checkout, lambda name: str(other)) == ".venv/bin/orch"


def test_a_misspelt_bundled_grader_is_named(tmp_path: Path) -> None:
    import pytest

    from orchestrator.errors import ConfigError
    from orchestrator.local_stack.demo import dataset_path

    with pytest.raises(ConfigError, match=r"did you mean --grader math\? Else pass --dataset FILE"):
        dataset_path(tmp_path, "maths")
    with pytest.raises(ConfigError) as caught:
        dataset_path(tmp_path, "triage")  # a grader of the user's: no guess, only --dataset
    assert "did you mean" not in str(caught.value) and "pass --dataset FILE" in str(caught.value)
