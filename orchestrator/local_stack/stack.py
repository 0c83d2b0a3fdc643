"""Start, stop and query one LocalStack instance in host mode (no Docker), bound to 127.0.0.1.

Each instance keeps all of its state under one directory (`.orch/localstack/` for `orch local up`,
a temporary directory in tests): LocalStack's volume dir, its temp dir (where it unzips Lambda
code), its cache dir (plux entry-point cache, certificates), the log file and a PID file. So two
instances on different ports do not share files (except S3's fixed spool directory
`/tmp/localstack-s3-storage`, which LocalStack hard-codes; it only holds uniquely named temp files).

Python API::

    stack = LocalStack(project_dir, port=4610)
    stack.start()            # installs on first use, waits for /_localstack/health
    s3 = stack.client("s3")
    stack.stop()
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator import env_vars
from orchestrator.errors import LocalStackError
from orchestrator.local_stack import install

DEFAULT_PORT = 4566
HOST = "127.0.0.1"
REGION = "us-east-1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
HEALTH_PATH = "/_localstack/health"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
LOG_TAIL_LINES = 30
MAIN_MODULE = "localstack.runtime.main"


@dataclass(frozen=True)
class StartResult:
    """How `start` found or left the port: `started`, `already-running` (our PID) or `external`."""

    state: str
    endpoint_url: str
    pid: int | None
    seconds: float
    message: str = field(default="")


def resolve_port(port: int | None, environ: Mapping[str, str] | None = None) -> int:
    """`--port` beats `ORCH_LOCAL_PORT`, which beats 4566 (`LocalStack` also follows a running stack)."""
    env = os.environ if environ is None else environ
    if port is not None:
        return int(port)
    raw = env.get(env_vars.ORCH_LOCAL_PORT, "").strip()
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise LocalStackError(f"{env_vars.ORCH_LOCAL_PORT}={raw!r} is not a TCP port number")
    return int(raw)


def _live_record(directory: Path) -> tuple[int, int] | None:
    """(port, pid) of the PID record in `directory` when it names a live LocalStack process."""
    try:
        record = json.loads((directory / "localstack.pid").read_text())
        pid, port = int(record["pid"]), int(record["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (port, pid) if pid > 0 and _is_localstack_process(pid) else None


def running_instances(project_dir: Path) -> dict[int, int]:
    """{port: pid} of the live LocalStacks that `orch local up` of this checkout started (PID records
    in `.orch/localstack/` and `.orch/localstack/port-N/`)."""
    base = Path(project_dir) / ".orch" / "localstack"
    found = (_live_record(directory) for directory in [base, *sorted(base.glob("port-*"))])
    return dict(record for record in found if record is not None)


def stack_port(project_dir: Path, declared: int, environ: dict[str, str] | None = None) -> tuple[int, str]:
    """The port of the local stack an environment means, and why. In order: `ORCH_LOCAL_PORT`; the
    live instance of `ORCH_LOCAL_STATE_DIR`; a loopback `AWS_ENDPOINT_URL` (`eval "$(orch local env)"`);
    the one instance `orch local up` of this checkout runs (the declared port when several run); the
    port `declared` by the backend."""
    env = os.environ if environ is None else environ
    if env.get(env_vars.ORCH_LOCAL_PORT, "").strip():
        return resolve_port(None, env), env_vars.ORCH_LOCAL_PORT
    if env.get(env_vars.ORCH_LOCAL_STATE_DIR):
        record = _live_record(Path(env[env_vars.ORCH_LOCAL_STATE_DIR]))
        if record is not None:
            return record[0], f"the stack of ORCH_LOCAL_STATE_DIR (pid {record[1]})"
    endpoint = urllib.parse.urlparse(env.get("AWS_ENDPOINT_URL", ""))
    if endpoint.hostname in (HOST, "localhost") and endpoint.port:
        return endpoint.port, "AWS_ENDPOINT_URL"
    running = running_instances(project_dir)
    if len(running) == 1:
        port, pid = next(iter(running.items()))
        return port, f"the stack `orch local up` started (pid {pid})"
    if declared in running:
        return declared, f"the stack `orch local up` started (pid {running[declared]})"
    if running:
        ports = ", ".join(str(p) for p in sorted(running))
        raise LocalStackError(
            f"several local stacks of this checkout run (ports {ports}): "
            "set ORCH_LOCAL_PORT to the one to use (or pass --port to `orch local` and `orch demo`)"
        )
    return declared, "the backend's endpoint (no `orch local up` stack runs)"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class LocalStack:
    """One LocalStack process: its ports, directories, environment and lifecycle."""

    def __init__(
        self,
        project_dir: Path | str,
        port: int | None = None,
        state_dir: Path | str | None = None,
        extra_env: dict[str, str] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.project_dir = Path(project_dir).resolve()
        # No --port: the stack the environment names, else the one this checkout runs (on any port),
        # so `orch local down` after `ORCH_LOCAL_PORT=4700 make demo` finds it; else 4566.
        self.port = int(port) if port is not None else stack_port(self.project_dir, DEFAULT_PORT)[0]
        self.state_dir = Path(state_dir or self._default_state_dir()).resolve()
        self.extra_env = dict(extra_env or {})
        # injected so tests of the waits run without waiting (as `jobs/polling.py`)
        self.sleep, self.clock, self.wall_clock = sleep, clock, wall_clock

    def _default_state_dir(self) -> Path:
        """`ORCH_LOCAL_STATE_DIR`, else `.orch/localstack/` (default port) or `.orch/localstack/port-N/`,
        so instances on different ports never share a PID file, volume or temp dir."""
        if os.environ.get(env_vars.ORCH_LOCAL_STATE_DIR):
            return Path(os.environ[env_vars.ORCH_LOCAL_STATE_DIR])
        base = self.project_dir / ".orch" / "localstack"
        return base if self.port == DEFAULT_PORT else base / f"port-{self.port}"

    # ---- paths and endpoints -------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localstack.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "logs" / "localstack.log"

    @property
    def cache_home(self) -> Path:
        return self.state_dir / "cache"

    def client_env(self) -> dict[str, str]:
        """Environment for boto3/CLI processes that should talk to this instance."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            **DUMMY_CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }

    def server_env(self) -> dict[str, str]:
        """Environment of the LocalStack process (see offline-toolchain.md for each knob)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
        env.update(
            {
                "GATEWAY_LISTEN": f"{HOST}:{self.port}",
                # The default server binds 0.0.0.0 whatever GATEWAY_LISTEN says; hypercorn honours it.
                "GATEWAY_SERVER": "hypercorn",
                "DNS_ADDRESS": "0",
                # Otherwise shutdown can hang on an analytics hook (no network here).
                "DISABLE_EVENTS": "1",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "LOCALSTACK_VOLUME_DIR": str(self.state_dir / "volume"),
                "FILESYSTEM_ROOT": str(self.state_dir / "filesystem"),
                "XDG_CACHE_HOME": str(self.cache_home),
                "TMPDIR": str(self.state_dir / "tmp"),
                "LAMBDA_RUNTIME_EXECUTOR": "host",
                "PROVIDER_OVERRIDE_BEDROCK": "nova_rft",
                "PROVIDER_OVERRIDE_BEDROCK_RUNTIME": "nova_rft",
                env_vars.ORCH_LOCAL_STATE_DIR: str(self.state_dir),
                env_vars.ORCH_PROJECT_DIR: str(self.project_dir),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    # ---- boto3 -----------------------------------------------------------------------------------

    def session(self) -> Any:
        """A boto3 session with the dummy credentials and region of the emulator."""
        import boto3

        return boto3.session.Session(
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for `service` pointed at this instance, with timeouts and bounded retries."""
        from botocore.config import Config

        settings = {
            "connect_timeout": 5,
            "read_timeout": 60,
            "retries": {"max_attempts": 3, "mode": "standard"},
        }
        settings.update(config)
        return self.session().client(service, endpoint_url=self.endpoint_url, config=Config(**settings))

    # ---- health ---------------------------------------------------------------------------------

    def health(self, timeout: float = 2.0) -> dict[str, Any] | None:
        """The health document, or None when nothing (or not LocalStack) answers on the port."""
        try:
            with urllib.request.urlopen(self.endpoint_url + HEALTH_PATH, timeout=timeout) as response:
                document = json.loads(response.read().decode("utf-8"))
        except (OSError, ValueError, urllib.error.URLError):
            return None
        return document if isinstance(document, dict) and "services" in document else None

    def is_healthy(self, timeout: float = 2.0) -> bool:
        return self.health(timeout) is not None

    def port_in_use(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            return sock.connect_ex((HOST, self.port)) == 0

    # ---- lifecycle ------------------------------------------------------------------------------

    def ensure_installed(self, *, force: bool = False) -> install.InstallResult:
        result = install.ensure_installed(self.project_dir, force=force)
        if result.changed:
            install.clear_plux_cache(self.cache_home)
        return result

    def running_pid(self) -> int | None:
        """Our LocalStack's PID when the PID file names a live LocalStack process of ours."""
        record = self._read_pid_record()
        if record is None:
            return None
        pid = int(record.get("pid", 0))
        return pid if pid > 0 and _is_localstack_process(pid) and record.get("port") == self.port else None

    def start(self, timeout: float = START_TIMEOUT_S, *, install_first: bool = True) -> StartResult:
        """Start LocalStack (or find it running) and wait until its health endpoint answers.

        Holds a lock in the state directory, so two concurrent `up`s start one process, not two.
        """
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._start_locked(timeout, install_first)

    def _start_locked(self, timeout: float, install_first: bool) -> StartResult:
        began = self.clock()
        pid = self.running_pid()
        if pid is not None:
            # Ours and alive: healthy now, or still starting (another `up` is waiting for it too).
            self._wait_healthy(None, began + timeout, pid)
            return StartResult("already-running", self.endpoint_url, pid, 0.0, "already running")
        if self.port_in_use():
            if self.is_healthy():
                msg = f"a LocalStack that this checkout did not start already answers on {self.endpoint_url}"
                return StartResult("external", self.endpoint_url, None, 0.0, msg)
            raise LocalStackError(
                f"port {self.port} on {HOST} is taken by something that is not LocalStack: "
                "pick a free one with --port N (or ORCH_LOCAL_PORT=N)"
            )
        if install_first:
            self.ensure_installed()
        elif not install.venv_python(self.project_dir).exists():
            raise LocalStackError("LocalStack is not installed: run `orch local install`")
        process = self._spawn()
        self._write_pid_record(process.pid)
        self._wait_healthy(process, began + timeout)
        return StartResult("started", self.endpoint_url, process.pid, self.clock() - began, "started")

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Stop our LocalStack (SIGTERM to its process group, SIGKILL fallback). False if none ran."""
        pid = self.running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        _signal_group(pid, signal.SIGTERM)
        if not self._wait_gone(pid, timeout):
            _signal_group(pid, signal.SIGKILL)
            self._wait_gone(pid, 5.0)
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> dict[str, Any]:
        """Running? whose? and the health of each service."""
        pid = self.running_pid()
        health = self.health()
        owner = "this checkout" if pid is not None else ("external" if health else None)
        return {
            "endpoint_url": self.endpoint_url,
            "running": health is not None,
            "owner": owner,
            "pid": pid,
            "version": (health or {}).get("version"),
            "services": (health or {}).get("services", {}),
            "state_dir": str(self.state_dir),
            "log_file": str(self.log_file),
        }

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # ---- internals ------------------------------------------------------------------------------

    def _spawn(self) -> subprocess.Popen[bytes]:
        for sub in ("volume", "filesystem", "tmp", "logs", "cache"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        python = install.venv_python(self.project_dir)
        with open(self.log_file, "ab") as log:
            # A new session: `stop` signals the whole group, including Lambda runtime subprocesses.
            return subprocess.Popen(
                [str(python), "-m", MAIN_MODULE],
                cwd=self.state_dir,
                env=self.server_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_healthy(self, process: subprocess.Popen[bytes] | None, deadline: float, pid: int = 0) -> None:
        """Poll the health endpoint (backoff) until it answers; fail with the log tail if it dies."""
        pid = process.pid if process is not None else pid
        delay = 0.05
        while self.clock() < deadline:
            exited = process.poll() is not None if process is not None else not _is_localstack_process(pid)
            if exited:
                self.pid_file.unlink(missing_ok=True)
                code = f"code {process.returncode}" if process is not None else f"pid {pid}"
                raise LocalStackError(
                    f"LocalStack exited during startup ({code}); "
                    f"log tail of {self.log_file}:\n{self.log_tail()}"
                )
            if self.is_healthy(timeout=1.0):
                return
            self.sleep(delay)
            delay = min(delay * 1.5, 0.5)
        _signal_group(pid, signal.SIGKILL)
        if process is not None:
            process.wait(timeout=5)
        self.pid_file.unlink(missing_ok=True)
        raise LocalStackError(
            f"LocalStack did not become healthy on {self.endpoint_url} in time; "
            f"log tail of {self.log_file}:\n{self.log_tail()}"
        )

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = self.clock() + timeout
        while self.clock() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it when we are its parent (tests)
            if not _is_localstack_process(pid):
                return True
            self.sleep(0.1)
        return not _is_localstack_process(pid)

    def _write_pid_record(self, pid: int) -> None:
        record = {"pid": pid, "port": self.port, "started_at": self.wall_clock()}
        self.pid_file.write_text(json.dumps(record) + "\n")

    def _read_pid_record(self) -> dict[str, Any] | None:
        try:
            record = json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None


def _is_localstack_process(pid: int) -> bool:
    """Guard against PID reuse: the process must be alive and run LocalStack's main module."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return MAIN_MODULE.encode() in cmdline


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
