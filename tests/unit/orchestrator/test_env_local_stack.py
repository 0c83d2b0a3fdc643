"""`--env local` follows the running stack: its port (ORCH_LOCAL_PORT, ORCH_LOCAL_STATE_DIR, a loopback
AWS_ENDPOINT_URL, the instance `orch local up` started, else the backend's), the backend block's
credentials for the state and every AWS client, and `--env` on the job commands."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.environment import EnvironmentResolver, _default_s3_client
from orchestrator.errors import LocalStackError
from orchestrator.factory import EnvOptions, OrchFactory
from orchestrator.local_stack.stack import MAIN_MODULE, running_instances, stack_port
from orchestrator.tfstate import S3Backend, find_backend
from tests.unit.orchestrator.orch_helpers import run_orch

LOCAL_BACKEND = """
terraform {
  backend "s3" {
    bucket         = "state-local"
    key            = "local/terraform.tfstate"
    region         = "us-east-1"
    endpoints      = { s3 = "http://127.0.0.1:4566" }
    use_path_style = true
    access_key     = "test"
    secret_key     = "test"
  }
}
"""
DEV_BACKEND = """
terraform {
  backend "s3" {
    bucket = "state-dev"
    key    = "dev/terraform.tfstate"
    region = "eu-west-1"
  }
}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for env, backend in (("local", LOCAL_BACKEND), ("dev", DEV_BACKEND)):
        directory = tmp_path / "terraform" / "environments" / env
        directory.mkdir(parents=True)
        (directory / "backend.tf").write_text(backend)
    return tmp_path


def _wait_for_exec(pid: int, timeout_s: float = 10.0) -> None:
    """Until the child's command line is its own: before exec it is still this test's (a race under load)."""
    deadline = time.monotonic() + timeout_s
    while MAIN_MODULE.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "the fake LocalStack process did not start"
        time.sleep(0.01)


@pytest.fixture
def fake_stack(project: Path) -> Iterator[Any]:
    """A live process whose command line names LocalStack's main module, recorded like `orch local up`."""

    def start(port: int, state_dir: Path | None = None) -> subprocess.Popen[bytes]:
        code = "import time; time.sleep(60)"
        process = subprocess.Popen([sys.executable, "-c", code, MAIN_MODULE])
        _wait_for_exec(process.pid)
        directory = state_dir or project / ".orch" / "localstack" / f"port-{port}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "localstack.pid").write_text(json.dumps({"pid": process.pid, "port": port}))
        started.append(process)
        return process

    started: list[subprocess.Popen[bytes]] = []
    yield start
    for process in started:
        process.kill()
        process.wait()


def test_no_stack_running_keeps_the_backends_port(project: Path) -> None:
    assert stack_port(project, 4566, {}) == (4566, "the backend's endpoint (no `orch local up` stack runs)")


def test_the_one_running_stack_is_used(project: Path, fake_stack: Any) -> None:
    process = fake_stack(4610)
    assert running_instances(project) == {4610: process.pid}
    port, reason = stack_port(project, 4566, {})
    assert port == 4610 and str(process.pid) in reason


def test_explicit_settings_beat_the_running_stack(project: Path, fake_stack: Any, tmp_path: Path) -> None:
    fake_stack(4610)
    assert stack_port(project, 4566, {"ORCH_LOCAL_PORT": "4700"})[0] == 4700
    assert stack_port(project, 4566, {"AWS_ENDPOINT_URL": "http://127.0.0.1:4800"})[0] == 4800
    fake_stack(4900, state_dir=tmp_path / "session")
    assert stack_port(project, 4566, {"ORCH_LOCAL_STATE_DIR": str(tmp_path / "session")})[0] == 4900


def test_several_running_stacks_need_a_choice(project: Path, fake_stack: Any) -> None:
    fake_stack(4610)
    fake_stack(4620)
    with pytest.raises(LocalStackError, match="ports 4610, 4620.*ORCH_LOCAL_PORT"):
        stack_port(project, 4566, {})
    fake_stack(4566, state_dir=project / ".orch" / "localstack")
    assert stack_port(project, 4566, {})[0] == 4566  # the backend's own port, when it is among them


def test_a_dead_pid_record_is_ignored(project: Path) -> None:
    directory = project / ".orch" / "localstack"
    directory.mkdir(parents=True)
    (directory / "localstack.pid").write_text(json.dumps({"pid": 2**22 + 7, "port": 4999}))
    assert running_instances(project) == {}


def test_local_environment_targets_the_stack_with_the_backend_credentials(project: Path) -> None:
    resolver = EnvironmentResolver("local", project_dir=project, environ={"ORCH_LOCAL_PORT": "4610"})
    target = resolver.stack_target()
    assert target is not None
    assert target.endpoint_url == "http://127.0.0.1:4610" and target.port == 4610
    assert (target.access_key, target.secret_key, target.region) == ("test", "test", "us-east-1")
    assert "orch local up --port 4610" in target.hint()
    assert EnvironmentResolver("dev", project_dir=project, environ={}).stack_target() is None


def test_state_is_read_from_the_stacks_port(project: Path) -> None:
    seen: list[S3Backend] = []

    class Client:
        def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
            import io

            return {"Body": io.BytesIO(json.dumps({"outputs": {"region": {"value": "us-east-1"}}}).encode())}

    def factory(backend: S3Backend) -> Client:
        seen.append(backend)
        return Client()

    resolver = EnvironmentResolver(
        "local",
        project_dir=project,
        environ={"ORCH_LOCAL_PORT": "4610", "PATH": ""},
        s3_client_factory=factory,
    )
    outputs = resolver.resolve()
    assert outputs.region == "us-east-1"
    assert seen[0].endpoint == "http://127.0.0.1:4610" and seen[0].access_key == "test"
    assert "http://127.0.0.1:4610" in outputs.source


def test_unreachable_stack_hint_names_the_port(project: Path) -> None:
    from orchestrator.errors import ConfigError

    resolver = EnvironmentResolver("local", project_dir=project, environ={"ORCH_LOCAL_PORT": "1", "PATH": ""})
    with pytest.raises(ConfigError, match=r"orch local up --port 1\b"):
        resolver.resolve()


def test_backend_block_credentials_win_like_in_terraform(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    backend = find_backend(project / "terraform" / "environments" / "local")
    assert isinstance(backend, S3Backend) and backend.on_loopback
    client = _default_s3_client(backend)
    assert client._request_signer._credentials.access_key == "test"
    dev = find_backend(project / "terraform" / "environments" / "dev")
    assert isinstance(dev, S3Backend) and not dev.on_loopback
    assert _default_s3_client(dev)._request_signer._credentials.access_key == "from-the-environment"


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port something listens on, standing in for a running stack."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def test_every_client_of_a_local_command_goes_to_the_stack(project: Path, listening_port: int) -> None:
    environ = {"ORCH_LOCAL_PORT": str(listening_port)}
    factory = OrchFactory(EnvOptions(env="local", project_dir=project), environ=environ)
    client = factory.client("bedrock")
    assert client.meta.endpoint_url == f"http://127.0.0.1:{listening_port}"
    assert client._request_signer._credentials.access_key == "test"
    assert client.meta.region_name == "us-east-1"
    other = OrchFactory(EnvOptions(env="", project_dir=project), environ={"AWS_REGION": "eu-west-1"})
    assert other.stack_target() is None


@pytest.mark.parametrize("command", ["status", "wait", "list-jobs", "stop-job"])
def test_job_commands_take_env(command: str) -> None:
    assert "--env" in run_orch([command, "--help"]).stdout


def test_an_explicit_unknown_env_is_an_error(project: Path) -> None:
    result = run_orch(["status", "some-job", "--env", "nosuch", "--project-dir", str(project)])
    assert result.exit_code == 2
    assert "no environment 'nosuch'" in result.stdout + result.stderr


def test_clients_with_their_own_timeouts_still_go_to_the_stack(project: Path, listening_port: int) -> None:
    """`orch baseline`'s Converse client and the scoring Lambda client (no botocore retries, longer
    read timeouts) reached AWS's real endpoints with no credentials on `--env local`."""
    from orchestrator.commands.preflight import _runtime_client
    from orchestrator.preflight.lambda_grader import lambda_client_settings

    environ = {"ORCH_LOCAL_PORT": str(listening_port)}
    factory = OrchFactory(EnvOptions(env="local", project_dir=project), environ=environ)
    runtime = _runtime_client(None, factory, None, 7.0)
    invoker = factory.client("lambda", None, lambda_client_settings(95.0))
    for client, read_timeout in ((runtime, 7.0), (invoker, 95.0)):
        assert client.meta.endpoint_url == f"http://127.0.0.1:{listening_port}"
        assert client._request_signer._credentials.access_key == "test"
        assert client.meta.config.read_timeout == read_timeout
        assert client.meta.config.retries["total_max_attempts"] == 1


def test_only_the_factories_build_aws_clients() -> None:
    """A command that builds its own AwsFactory skips the local-stack routing of `OrchFactory.client`."""
    root = Path(__file__).resolve().parents[3] / "orchestrator"
    allowed = {root / "aws.py", root / "factory.py", root / "environment.py"}
    builders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path not in allowed and "AwsFactory(" in path.read_text()
    ]
    assert builders == []


def test_local_commands_without_port_follow_the_running_stack(
    project: Path, fake_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `ORCH_LOCAL_PORT=4737 make demo`, a new shell's `orch local down` / `status` / `provision`
    looked at 4566 and said nothing runs."""
    from orchestrator.local_stack.stack import LocalStack

    for name in ("ORCH_LOCAL_PORT", "ORCH_LOCAL_STATE_DIR", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    assert LocalStack(project).port == 4566
    process = fake_stack(4737)
    stack = LocalStack(project)
    assert stack.port == 4737 and stack.running_pid() == process.pid
    assert LocalStack(project, 4610).port == 4610
    monkeypatch.setenv("ORCH_LOCAL_PORT", "4700")
    assert LocalStack(project).port == 4700
    monkeypatch.delenv("ORCH_LOCAL_PORT")
    fake_stack(4738)
    with pytest.raises(LocalStackError, match=r"ports 4737, 4738.*--port"):
        LocalStack(project)


MATH = Path(__file__).resolve().parents[3] / "datasets" / "math.jsonl"


@pytest.mark.parametrize("command", [["status", "some-job"], ["list-jobs"], ["upload-dataset", str(MATH)]])
def test_a_local_command_with_the_stack_down_says_how_to_start_it(project: Path, command: list[str]) -> None:
    """`orch status x --env local` with no stack printed botocore's "Could not connect to the endpoint URL"
    after its retries, with no word of the stack."""
    from orchestrator.local_stack.stack import free_port

    port = free_port()
    environ = {"ORCH_LOCAL_PORT": str(port), "PATH": ""}
    result = run_orch([*command, "--env", "local", "--project-dir", str(project)], obj={"environ": environ})
    assert result.exit_code == 5, result.stderr
    assert result.stderr.strip() == (
        f"Error: no local stack answers on http://127.0.0.1:{port} (port from ORCH_LOCAL_PORT): "
        f"start it with `orch local up --port {port}` (or `make demo`)"
    )
