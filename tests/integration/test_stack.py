"""The launcher against real LocalStack processes: health, ownership, CLI lifecycle, refusals."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.errors import LocalStackError
from orchestrator.local_stack import stack as stack_module
from orchestrator.local_stack.stack import LocalStack, free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
REQUIRED_SERVICES = ("s3", "lambda", "iam", "logs", "cloudwatch", "sts")


def orch(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from orchestrator.cli import main; main()", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


def test_stack_is_healthy_and_serves_the_needed_services(local_stack: LocalStack) -> None:
    health = local_stack.health()
    assert health is not None and health["version"].startswith("2026.3")
    for service in REQUIRED_SERVICES:
        assert health["services"][service] in ("available", "running"), service
    assert local_stack.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_second_start_reuses_our_instance(local_stack: LocalStack) -> None:
    again = LocalStack(PROJECT_DIR, port=local_stack.port, state_dir=local_stack.state_dir).start()
    assert again.state == "already-running"
    assert again.pid == local_stack.running_pid()


def test_a_healthy_instance_we_did_not_start_is_used_not_replaced(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    other = LocalStack(PROJECT_DIR, port=local_stack.port, state_dir=tmp_path / "other")
    result = other.start()
    assert result.state == "external" and result.pid is None
    assert "did not start" in result.message
    assert other.stop() is False  # never stops what it did not start
    assert local_stack.is_healthy()


def test_status_and_env_commands(local_stack: LocalStack) -> None:
    env = {"ORCH_LOCAL_STATE_DIR": str(local_stack.state_dir)}
    status = orch("local", "status", "--port", str(local_stack.port), env=env)
    assert status.returncode == 0, status.stderr
    assert f"pid {local_stack.running_pid()}" in status.stdout
    assert "lambda" in status.stdout
    exports = orch("local", "env", "--port", str(local_stack.port)).stdout.splitlines()
    assert f"export AWS_ENDPOINT_URL={local_stack.endpoint_url}" in exports
    assert "export AWS_ACCESS_KEY_ID=test" in exports


def test_up_status_down_lifecycle(tmp_path: Path) -> None:
    port = str(free_port())
    env = {"ORCH_LOCAL_STATE_DIR": str(tmp_path / "state")}
    up = orch("local", "up", "--port", port, env=env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "started on http://127.0.0.1:" in up.stdout
        assert (tmp_path / "state" / "localstack.pid").is_file()
        assert orch("local", "up", "--port", port, env=env).stdout.startswith("LocalStack already running")
        assert orch("local", "status", "--port", port, env=env).returncode == 0
    finally:
        down = orch("local", "down", "--port", port, env=env)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert not (tmp_path / "state" / "localstack.pid").exists()
    assert orch("local", "status", "--port", port, env=env).returncode == 1


def test_port_taken_by_another_program_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = str(server.getsockname()[1])
        result = orch("local", "up", "--port", port, env={"ORCH_LOCAL_STATE_DIR": str(tmp_path)})
    assert result.returncode == 5
    assert "not LocalStack" in result.stderr


def test_startup_crash_reports_the_log_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack_module, "MAIN_MODULE", "localstack.no_such_main_module")
    broken = LocalStack(PROJECT_DIR, port=free_port(), state_dir=tmp_path)
    with pytest.raises(LocalStackError, match="exited during startup") as error:
        broken.start(timeout=60, install_first=False)
    assert "No module named localstack.no_such_main_module" in str(error.value)
    assert not broken.pid_file.exists()


def test_concurrent_ups_start_one_process(tmp_path: Path) -> None:
    port = str(free_port())
    env = {"ORCH_LOCAL_STATE_DIR": str(tmp_path / "state")}
    full_env = {**os.environ, **env}
    command = [
        sys.executable,
        "-c",
        "from orchestrator.cli import main; main()",
        "local",
        "up",
        "--port",
        port,
    ]
    racers = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=full_env) for _ in range(2)]
    try:
        outputs = [racer.communicate(timeout=180)[0] for racer in racers]
        assert [racer.returncode for racer in racers] == [0, 0]
        assert sum("started on" in out for out in outputs) == 1
        assert sum("already running" in out for out in outputs) == 1
    finally:
        assert orch("local", "down", "--port", port, env=env).returncode == 0
