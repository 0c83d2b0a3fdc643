"""LocalStack Lambda runtime executor `host`: runs Python functions as host subprocesses (no Docker).

Loaded by LocalStack (plux entry point `localstack.lambda.runtime_executor`, selected with
`LAMBDA_RUNTIME_EXECUTOR=host`) inside LocalStack's own Python 3.13; it imports LocalStack internals,
so it is tied to the pinned LocalStack version (orchestrator/local_stack/install.py).

LocalStack keeps doing what the Lambda service does: the control plane, reserved concurrency and
throttling, one execution environment per concurrent invoke, keep-alive and reuse of warm
environments, shipping each invoke's log to CloudWatch Logs, the AWS/Lambda Invocations/Errors
metrics. This executor does what the Lambda sandbox does: it starts one runtime subprocess per
execution environment (`host_runtime.py`, run by a host Python matching the function's runtime),
with the function's code directory, environment and a memory cap; enforces the timeout; returns
results and errors in Lambda's shapes; writes START/END/REPORT log lines; and, since LocalStack's
CloudWatch Logs does not, turns EMF log lines into CloudWatch metrics as AWS does on ingestion.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import math
import os
import select
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from localstack import config
from localstack.aws.connect import connect_to
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

from nova_rft_localstack import emf, host_runtime
from nova_rft_localstack.runtimes import RuntimeNotSupported, find_interpreter
from orchestrator.env_vars import (
    ORCH_LAMBDA_MEMORY_HEADROOM_MB,
    ORCH_LOCAL_STATE_DIR,
    ORCH_RUNTIME_FDS,
    ORCH_RUNTIME_SDK_PATH,
)

LOG = logging.getLogger(__name__)
HOST = "127.0.0.1"
RUNTIME_SCRIPT = Path(host_runtime.__file__).resolve()
# What the AWS Python runtime ships besides the standard library: boto3 and its dependencies.
SDK_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# Host environment variables a runtime needs to find its interpreter's libraries; nothing else leaks in.
PASSTHROUGH_ENV = (
    "PATH",
    "LANG",
    "LC_ALL",
    "HOME",
    "PYENV_ROOT",
    "LD_LIBRARY_PATH",
    ORCH_LAMBDA_MEMORY_HEADROOM_MB,
)
STOP_GRACE_S = 2.0
_EMF_SHIPPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orch-emf")
_SDK_LOCK = threading.Lock()


class HostRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    """plux plugin: `LAMBDA_RUNTIME_EXECUTOR=host` selects `HostRuntimeExecutor`."""

    name = "host"

    def load(self, *args: Any, **kwargs: Any) -> type[RuntimeExecutor]:
        return HostRuntimeExecutor


class RuntimeProcess:
    """One runtime subprocess and the two pipes of its frame protocol."""

    def __init__(self, process: subprocess.Popen[bytes], read_fd: int, write_fd: int, log_path: Path) -> None:
        self.process = process
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.log_path = log_path

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next frame, None if the runtime exited; raises TimeoutError after `timeout` seconds."""
        poller = select.poll()  # not select(): LocalStack may hold more than FD_SETSIZE descriptors
        poller.register(self.read_fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        if not poller.poll(max(timeout, 0.0) * 1000):
            raise TimeoutError
        return host_runtime.read_frame(self.read_fd)

    def send(self, message: dict[str, Any]) -> bool:
        try:
            host_runtime.write_frame(self.write_fd, message)
        except (BrokenPipeError, OSError):
            return False
        return True

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def read_log(self, offset: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(offset)
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_GRACE_S)

    def exit_description(self) -> str:
        code = self.process.poll()
        if code is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.process.wait(timeout=1.0)
        if code is not None and code < 0:
            return f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}"
        return f"exit status {code}"


class HostRuntimeExecutor(RuntimeExecutor):
    """Runs one execution environment of a Python function as a host subprocess."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self._runtime: RuntimeProcess | None = None
        self._env: dict[str, str] = {}
        self._init_ms: float | None = None
        self._log_path = _work_dir() / "lambda-logs" / f"{id}.log"

    # ---- RuntimeExecutor interface -------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        self._env = self._runtime_env(env_vars)
        self._spawn()

    def stop(self) -> None:
        if self._runtime is not None:
            self._runtime.kill()
            self._runtime = None
        self._log_path.unlink(missing_ok=True)  # LocalStack reads get_logs() before stopping

    def get_address(self) -> str:
        return HOST

    def get_endpoint_from_executor(self) -> str:
        return HOST

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://{HOST}:{port}/_localstack_lambda/{self.id}"

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        if self._runtime is None or self._runtime.process.poll() is not None:
            self._spawn()  # the previous runtime timed out or crashed: a fresh init, as on AWS
        runtime = self._runtime
        assert runtime is not None
        timeout_s = float(self.function_version.config.timeout)
        offset = runtime.log_size()
        started = time.perf_counter()
        deadline_ms = int(time.time() * 1000 + timeout_s * 1000)
        request = {
            "type": "invoke",
            "request_id": request_id,
            "invoked_function_arn": payload.get("invoked-function-arn", ""),
            "payload": payload.get("payload", ""),
            "trace_id": payload.get("trace-id", ""),
            "deadline_ms": deadline_ms,
        }
        response: dict[str, Any] | None = None
        error: dict[str, Any] | None = None
        try:
            response = runtime.receive(timeout_s) if runtime.send(request) else None
        except TimeoutError:
            runtime.kill()
            error = _sandbox_error(
                "Sandbox.Timedout", request_id, f"Task timed out after {timeout_s:.2f} seconds"
            )
        if response is None and error is None:
            reason = runtime.exit_description()
            runtime.kill()
            error = _sandbox_error("Runtime.ExitError", request_id, f"Runtime exited with error: {reason}")
        duration_ms = (time.perf_counter() - started) * 1000
        function_output = runtime.read_log(offset)
        if response is not None and not response.get("ok"):
            error = dict(response.get("error") or {})
            error["requestId"] = request_id
        if error is not None:
            result_payload = json.dumps(error)
        else:
            assert response is not None  # no error means the runtime answered
            result_payload = response["payload"]
        logs = self._log_text(request_id, function_output, duration_ms, (response or {}).get("max_rss_mb"))
        _ship_emf(function_output, self.function_version)
        return InvocationResult(request_id, result_payload.encode("utf-8"), error is not None, logs)

    def get_logs(self) -> str:
        return self._runtime.read_log() if self._runtime is not None else ""

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        """Check the runtime is runnable here and unzip the code (LocalStack caches it on disk)."""
        try:
            find_interpreter(function_version.config.runtime or "")
        except RuntimeNotSupported as exc:
            raise LambdaRuntimeException(str(exc)) from exc
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """Nothing to undo: LocalStack deletes the unzipped code itself."""

    @classmethod
    def validate_environment(cls) -> bool:
        return True

    # ---- internals ------------------------------------------------------------------------------

    def _runtime_env(self, env_vars: dict[str, str]) -> dict[str, str]:
        code = self.function_version.config.code
        if code is None:
            raise LambdaRuntimeException("host executor: container-image functions are not supported")
        task_root = str(code.get_unzipped_code_location())
        env = {key: os.environ[key] for key in PASSTHROUGH_ENV if key in os.environ}
        env.update({key: str(value) for key, value in env_vars.items()})
        env.update(
            {
                "LAMBDA_TASK_ROOT": task_root,
                ORCH_RUNTIME_SDK_PATH: str(_sdk_dir()),
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.function_version.config.runtime}",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        return env

    def _spawn(self) -> None:
        try:
            python = find_interpreter(self.function_version.config.runtime or "")
        except RuntimeNotSupported as exc:
            raise LambdaRuntimeException(str(exc)) from exc
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = {**self._env, ORCH_RUNTIME_FDS: f"{to_child_r},{from_child_w}"}
        with open(self._log_path, "ab") as log:
            # -S: no site-packages of the host interpreter; like the Lambda runtime, the function sees
            # the standard library, its own package and the SDK directory only.
            process = subprocess.Popen(
                [python, "-u", "-S", str(RUNTIME_SCRIPT)],
                env=env,
                cwd=env["LAMBDA_TASK_ROOT"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(to_child_r, from_child_w),
                close_fds=True,
            )
        os.close(to_child_r)
        os.close(from_child_w)
        self._runtime = RuntimeProcess(process, from_child_r, to_child_w, self._log_path)
        self._await_init()

    def _await_init(self) -> None:
        runtime = self._runtime
        assert runtime is not None
        try:
            frame = runtime.receive(float(config.LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT))
        except TimeoutError:
            frame = None
        if frame is None or frame.get("type") != "init":
            tail = runtime.read_log()[-2000:]
            runtime.kill()
            self._runtime = None
            raise LambdaRuntimeException(
                f"host runtime of {self.function_version.qualified_arn} failed to start:\n{tail}"
            )
        self._init_ms = float(frame.get("init_ms") or 0.0)

    def _log_text(self, request_id: str, output: str, duration_ms: float, max_rss_mb: int | None) -> str:
        """The function's output framed by the START/END/REPORT lines Lambda writes."""
        version = self.function_version.id.qualifier
        memory = self.function_version.config.memory_size
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {memory} MB\t"
            f"Max Memory Used: {max_rss_mb or 0} MB"
        )
        if self._init_ms is not None:
            report += f"\tInit Duration: {self._init_ms:.2f} ms"
            self._init_ms = None  # reported on the first invoke of an environment only
        body = output if output.endswith("\n") or not output else output + "\n"
        return (
            f"START RequestId: {request_id} Version: {version}\n{body}END RequestId: {request_id}\n{report}\n"
        )


def _sandbox_error(error_type: str, request_id: str, detail: str) -> dict[str, Any]:
    stamp = datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "errorType": error_type,
        "errorMessage": f"{stamp} {request_id} {detail}",
        "requestId": request_id,
    }


def _work_dir() -> Path:
    """Per-instance working directory (the launcher sets ORCH_LOCAL_STATE_DIR; else LocalStack's tmp)."""
    state = os.environ.get(ORCH_LOCAL_STATE_DIR)
    root = Path(state) / "executor" if state else Path(config.dirs.tmp) / "orch-executor"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _sdk_dir() -> Path:
    """A directory of links to this interpreter's boto3 & co: the SDK the Lambda Python runtime ships."""
    target = _work_dir() / "runtime-sdk"
    with _SDK_LOCK:
        target.mkdir(parents=True, exist_ok=True)
        for name in SDK_MODULES:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                continue
            source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
            link = target / source.name
            if not link.exists():
                with contextlib.suppress(FileExistsError):
                    link.symlink_to(source)
    return target


def _ship_emf(output: str, function_version: FunctionVersion) -> None:
    """Send the EMF metrics of an invoke's output to CloudWatch, off the invoke's critical path."""
    requests = [request for line in output.splitlines() for request in emf.metric_requests(line)]
    if requests:
        _EMF_SHIPPER.submit(_put_metrics, requests, function_version.id.account, function_version.id.region)


def _put_metrics(requests: list[dict[str, Any]], account: str, region: str) -> None:
    try:
        cloudwatch = connect_to(aws_access_key_id=account, region_name=region).cloudwatch
        for request in requests:
            cloudwatch.put_metric_data(**request)
    except Exception:  # metrics are best effort, as in AWS: never fail the invoke for them
        LOG.warning("host executor: could not put EMF metrics", exc_info=True)
