"""Launcher behaviour that needs no running LocalStack: ports, environments, PID records, refusals."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.errors import LocalStackError
from orchestrator.local_stack import install
from orchestrator.local_stack.stack import DEFAULT_PORT, LocalStack, free_port, resolve_port


def test_port_precedence() -> None:
    assert resolve_port(4610, {"ORCH_LOCAL_PORT": "4700"}) == 4610
    assert resolve_port(None, {"ORCH_LOCAL_PORT": "4700"}) == 4700
    assert resolve_port(None, {}) == DEFAULT_PORT
    with pytest.raises(LocalStackError, match="ORCH_LOCAL_PORT"):
        resolve_port(None, {"ORCH_LOCAL_PORT": "http"})


def test_server_env_binds_loopback_and_keeps_state_per_instance(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, port=4619, state_dir=tmp_path / "state")
    env = stack.server_env()
    assert env["GATEWAY_LISTEN"] == "127.0.0.1:4619"
    assert env["GATEWAY_SERVER"] == "hypercorn"
    assert env["LAMBDA_RUNTIME_EXECUTOR"] == "host"
    for key in ("LOCALSTACK_VOLUME_DIR", "TMPDIR", "XDG_CACHE_HOME", "ORCH_LOCAL_STATE_DIR"):
        assert env[key].startswith(str(tmp_path / "state"))
    assert stack.client_env() == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4619",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }


def test_port_taken_by_something_else_is_refused(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        stack = LocalStack(tmp_path, port=server.getsockname()[1], state_dir=tmp_path / "state")
        with pytest.raises(LocalStackError, match="taken by something that is not LocalStack"):
            stack.start(timeout=2, install_first=False)


def test_stale_or_foreign_pid_file_is_not_ours(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, port=free_port(), state_dir=tmp_path / "state")
    stack.pid_file.parent.mkdir(parents=True)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        stack.pid_file.write_text(json.dumps({"pid": sleeper.pid, "port": stack.port}))
        assert stack.running_pid() is None  # alive, but not LocalStack: never signalled
        assert stack.stop() is False
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_status_when_nothing_runs(tmp_path: Path) -> None:
    info = LocalStack(tmp_path, port=free_port(), state_dir=tmp_path / "s").status()
    assert info["running"] is False and info["owner"] is None and info["services"] == {}


def test_start_without_install_names_the_command(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, port=free_port(), state_dir=tmp_path / "s")
    with pytest.raises(LocalStackError, match="orch local install"):
        stack.start(timeout=1, install_first=False)


def test_install_stamp_tracks_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    venv = install.venv_dir(tmp_path)
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    assert not install.is_installed(tmp_path)
    (venv / install.STAMP_NAME).write_text(json.dumps(install.expected_stamp(tmp_path)))
    assert install.is_installed(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname='y'\n")
    assert not install.is_installed(tmp_path)


def _installed_checkout(root: Path) -> Path:
    """A checkout whose LocalStack venv stamp is current (no real venv behind it)."""
    (root / "pyproject.toml").write_text("[project]\nname='x'\n")
    venv = install.venv_dir(root)
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / install.STAMP_NAME).write_text(json.dumps(install.expected_stamp(root)))
    return root


def test_the_installer_runs_without_the_project_venv(tmp_path: Path) -> None:
    """`make demo` runs it with the bare system Python, beside the venv's install: standard library only.
    -I -S: no site-packages, no user site, no PYTHONPATH; a third-party import would fail here."""
    root = Path(__file__).resolve().parents[3]
    checkout = _installed_checkout(tmp_path)
    probe = (
        f"import sys; sys.path.insert(0, {str(root)!r}); "
        "import orchestrator.local_stack.install as m; "
        f"sys.exit(m.main([{str(checkout)!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"LocalStack is installed and current in {install.venv_dir(tmp_path)}"


def test_the_installer_reports_a_failure_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(project_dir: Path, force: bool) -> None:
        raise LocalStackError("Python 3.13 not found (LocalStack 2026.3.0 needs it)")

    monkeypatch.setattr(install, "ensure_installed", fail)
    assert install.main([str(tmp_path)]) == LocalStackError.exit_code
    assert capsys.readouterr().err == "Error: Python 3.13 not found (LocalStack 2026.3.0 needs it)\n"


def test_install_report_says_what_was_done(tmp_path: Path) -> None:
    current = install.InstallResult(tmp_path, changed=False, steps=())
    assert current.report() == [f"LocalStack is installed and current in {tmp_path}"]
    fresh = install.InstallResult(tmp_path, changed=True, steps=("created", "installed"))
    assert fresh.report() == ["created", "installed"]


def test_missing_python313_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(install.glob, "glob", lambda pattern: [])
    with pytest.raises(LocalStackError, match="Python 3.13 not found"):
        install.find_python313({"PATH": ""})


def test_clear_plux_cache_removes_entry_point_lists(tmp_path: Path) -> None:
    (tmp_path / "plux").mkdir()
    (tmp_path / "plux" / "abc.entry_points.txt").write_text("x")
    (tmp_path / "plux" / "keep.txt").write_text("x")
    assert install.clear_plux_cache(tmp_path) == 1
    assert sorted(p.name for p in (tmp_path / "plux").iterdir()) == ["keep.txt"]


def test_default_state_dir_is_per_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCH_LOCAL_STATE_DIR", raising=False)
    assert LocalStack(tmp_path, port=DEFAULT_PORT).state_dir == (tmp_path / ".orch" / "localstack").resolve()
    assert (
        LocalStack(tmp_path, port=4611).state_dir
        == (tmp_path / ".orch" / "localstack" / "port-4611").resolve()
    )
    monkeypatch.setenv("ORCH_LOCAL_STATE_DIR", str(tmp_path / "elsewhere"))
    assert LocalStack(tmp_path, port=4611).state_dir == (tmp_path / "elsewhere").resolve()


class _FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_start_that_never_gets_healthy_times_out_on_the_injected_clock(tmp_path: Path) -> None:
    clock = _FakeClock()
    stack = LocalStack(
        tmp_path, port=free_port(), state_dir=tmp_path / "state", sleep=clock.sleep, clock=clock
    )
    # a live process of ours that never answers on the port (its own session: the timeout kills its group)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        with pytest.raises(LocalStackError, match="did not become healthy"):
            stack._wait_healthy(process, deadline=10.0)
    finally:
        process.kill()
        process.wait(timeout=5)
    assert sum(clock.sleeps) >= 10.0 and clock.now < 10.5  # stopped at the deadline, never slept past it much
    assert clock.sleeps[:3] == pytest.approx([0.05, 0.075, 0.1125])  # backoff, capped at 0.5 s
    assert max(clock.sleeps) == 0.5
