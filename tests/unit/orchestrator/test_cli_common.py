"""What every dataset/job command shares: help with examples, --json, one-line errors, completion,
and the AWS plumbing (client timeouts/retries, error translation)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError

from orchestrator.aws import (
    AwsAccessDeniedError,
    AwsConflictError,
    AwsFactory,
    AwsNotFoundError,
    AwsThrottledError,
    translate_errors,
)
from orchestrator.errors import AwsError, ConfigError
from orchestrator.output import to_json
from tests.unit.orchestrator.orch_helpers import run_orch, write_dataset

REPO_ROOT = Path(__file__).resolve().parents[3]
ORCH = [sys.executable, "-c", "from orchestrator.cli import main; main()"]
COMMANDS = ["validate-dataset", "upload-dataset", "start-job", "status", "wait", "list-jobs", "stop-job"]


def orch_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real entry point (`cli.main`) in a subprocess, as a user would."""
    return subprocess.run(
        [*ORCH, *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_examples(command: str) -> None:
    run = run_orch([command, "--help"])
    assert run.exit_code == 0
    assert "Examples:" in run.stdout
    assert f"orch {command}" in run.stdout


@pytest.mark.parametrize("command", ["start-job", "wait"])
def test_exit_codes_are_documented_in_help(command: str) -> None:
    text = run_orch([command, "--help"]).stdout
    for line in ("0   Completed", "10  Failed", "11  Stopped", "12  timed out"):
        assert line in text


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "wait"])
def test_every_command_has_json(command: str) -> None:
    assert "--json" in run_orch([command, "--help"]).stdout


def test_json_mode_prints_only_json_even_on_failure(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": "x"}\n')
    run = orch_process("validate-dataset", str(bad), "--json")
    assert run.returncode == 3
    document = json.loads(run.stdout)  # nothing but JSON on stdout
    assert document["valid"] is False
    assert document["errors"][0]["line"] == 1
    assert run.stderr.strip().splitlines() == [
        f"Error: {bad}: 3 errors; first: line 1: reference_answer: missing "
        "[kit: the graders score against it; AWS's validator makes it optional]"
    ]


def test_errors_are_one_line_without_traceback_unless_debug(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n")
    plain = orch_process("validate-dataset", str(bad))
    assert plain.returncode == 3
    assert "Traceback" not in plain.stderr
    assert plain.stderr.count("\n") == 1
    debug = orch_process("--debug", "validate-dataset", str(bad))
    assert "Traceback" in debug.stderr
    assert "DatasetError" in debug.stderr


def test_human_report_lists_line_numbers_and_stats(tmp_path: Path) -> None:
    path = write_dataset(tmp_path / "d.jsonl", 100)
    lines = path.read_text().splitlines()
    lines[41] = '{"messages": [{"role": "user", "content": [{"image": {}}]}], "reference_answer": 1}'
    path.write_text("\n".join(lines) + "\n")
    run = run_orch(["validate-dataset", str(path)])
    assert run.exit_code == 3
    assert "error: line 42: messages[0].content[0]:" in run.stdout
    assert "Statistics" in run.stdout
    assert "records" in run.stdout


def test_valid_dataset_exits_zero_with_stats(tmp_path: Path) -> None:
    path = write_dataset(tmp_path / "d.jsonl", 100)
    run = run_orch(["validate-dataset", str(path), "--json"])
    assert run.exit_code == 0
    assert run.json()["stats"]["records"] == 100


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    run = run_orch(["validate-dataset", str(tmp_path / "nope.jsonl")])
    assert run.exit_code == 2
    assert "does not exist" in run.stderr


def test_version() -> None:
    run = orch_process("--version")
    assert run.returncode == 0
    assert run.stdout.startswith("orch, version ")


def completions(stdout: str) -> set[str]:
    """Values of click's bash completion protocol ("type,value" lines)."""
    return {line.split(",", 1)[1] for line in stdout.splitlines() if "," in line}


def test_shell_completion_of_commands_and_choices() -> None:
    commands = orch_process(
        env={"_ORCH_COMPLETE": "bash_complete", "COMP_WORDS": "orch list-j", "COMP_CWORD": "1"}
    )
    assert completions(commands.stdout) == {"list-jobs"}
    choices = orch_process(
        env={"_ORCH_COMPLETE": "bash_complete", "COMP_WORDS": "orch list-jobs --status ", "COMP_CWORD": "3"}
    )
    assert completions(choices.stdout) == {"InProgress", "Completed", "Failed", "Stopping", "Stopped"}


# -- AWS plumbing -------------------------------------------------------------------------------------------
def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "details"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ResourceNotFoundException", 404, AwsNotFoundError),
        ("NoSuchKey", 404, AwsNotFoundError),
        ("ConflictException", 409, AwsConflictError),
        ("AccessDeniedException", 403, AwsAccessDeniedError),
        ("ThrottlingException", 400, AwsThrottledError),
        ("ValidationException", 400, AwsError),
    ],
)
def test_client_errors_become_domain_errors(code: str, status: int, kind: type) -> None:
    with pytest.raises(kind) as info, translate_errors("bedrock:Thing x"):
        raise client_error(code, status)
    assert str(info.value) == f"bedrock:Thing x failed: {code}: details"
    assert info.value.exit_code == 4


def test_configuration_problems_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="AWS credentials.*--env local"), translate_errors("op"):
        raise NoCredentialsError()
    with pytest.raises(ConfigError, match="no AWS region.*add --env local"), translate_errors("op"):
        raise NoRegionError()
    with pytest.raises(AwsError, match="op failed: Could not connect"), translate_errors("op"):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")


def test_clients_have_timeouts_and_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    client = AwsFactory(region="eu-west-1").client("bedrock")
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (10, 60)
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert client.meta.region_name == "eu-west-1"


def test_endpoint_comes_from_standard_boto3_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert AwsFactory(region="us-east-1").client("s3").meta.endpoint_url == "http://127.0.0.1:4566"


def test_to_json_is_deterministic() -> None:
    assert to_json({"b": datetime(2026, 1, 2, tzinfo=UTC), "a": {1, 2} & {2}}) == (
        '{\n  "a": [\n    2\n  ],\n  "b": "2026-01-02T00:00:00+00:00"\n}'
    )


def test_network_failures_are_transient() -> None:
    from botocore.exceptions import ReadTimeoutError

    from orchestrator.aws import AwsUnavailableError

    with pytest.raises(AwsUnavailableError), translate_errors("op"):
        raise ReadTimeoutError(endpoint_url="http://127.0.0.1:1")
    with pytest.raises(AwsUnavailableError), translate_errors("op"):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    with pytest.raises(AwsUnavailableError, match="InternalServerException"), translate_errors("op"):
        raise client_error("InternalServerException", 500)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["demoo"], "No such command 'demoo'. Did you mean 'demo'?"),  # lazy group: click named nothing
        (["reward", "scor"], "No such command 'scor'. Did you mean 'score'?"),
        (["local", "stop"], "No such command 'stop'. Did you mean 'down'?"),  # LocalStack's CLI word
        (["local", "start"], "No such command 'start'. Did you mean 'up'?"),
        (["local", "xyz"], "No such command 'xyz'."),
    ],
)
def test_an_unknown_sub_command_names_the_one_meant(args: list[str], expected: str) -> None:
    from click.testing import CliRunner

    from orchestrator.cli import cli

    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"Error: {expected}"
