"""The host Lambda runtime subprocess, driven over its pipe protocol without LocalStack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nova_rft_localstack import host_runtime

HANDLER = """
import json, os
CALLS = 0
def handler(event, context):
    global CALLS
    CALLS += 1
    print("log line", CALLS)
    if event.get("raise"):
        raise KeyError("missing")
    if event.get("unserialisable"):
        return {1, 2}
    remaining = context.get_remaining_time_in_millis()
    return {"calls": CALLS, "name": context.function_name, "remaining": remaining,
            "request": context.aws_request_id, "event": event}
"""


class Runtime:
    def __init__(self, task_root: Path, handler: str, log: Path) -> None:
        to_child_r, self.write_fd = os.pipe()
        self.read_fd, from_child_w = os.pipe()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "LAMBDA_TASK_ROOT": str(task_root),
            "_HANDLER": handler,
            "AWS_LAMBDA_FUNCTION_NAME": "fn",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "ORCH_RUNTIME_FDS": f"{to_child_r},{from_child_w}",
        }
        self.log = open(log, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-u", host_runtime.__file__],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            pass_fds=(to_child_r, from_child_w),
        )
        os.close(to_child_r)
        os.close(from_child_w)

    def frame(self) -> dict:
        frame = host_runtime.read_frame(self.read_fd)
        assert frame is not None
        return frame

    def invoke(self, event: object, request_id: str = "req-1") -> dict:
        deadline = int(time.time() * 1000) + 3000
        message = {
            "type": "invoke",
            "request_id": request_id,
            "payload": json.dumps(event),
            "deadline_ms": deadline,
        }
        host_runtime.write_frame(self.write_fd, message)
        return self.frame()

    def close(self) -> int:
        os.close(self.write_fd)
        code = self.process.wait(timeout=10)
        os.close(self.read_fd)
        self.log.close()
        return code


@pytest.fixture()
def task_root(tmp_path: Path) -> Path:
    root = tmp_path / "task"
    root.mkdir()
    (root / "app.py").write_text(HANDLER)
    (root / "broken.py").write_text("import not_a_module_anywhere\n")
    return root


@pytest.fixture()
def runtime(task_root: Path, tmp_path: Path) -> Iterator[Runtime]:
    rt = Runtime(task_root, "app.handler", tmp_path / "log.txt")
    yield rt
    if rt.process.poll() is None:
        rt.close()


def test_init_then_warm_invokes_share_module_state(runtime: Runtime, tmp_path: Path) -> None:
    init = runtime.frame()
    assert init["type"] == "init" and init["error"] is None and init["init_ms"] > 0
    first = runtime.invoke({"x": 1}, "r1")
    second = runtime.invoke({"x": 2}, "r2")
    assert first["ok"] and second["ok"]
    body = json.loads(second["payload"])
    assert body["calls"] == 2 and body["name"] == "fn" and body["request"] == "r2"
    assert 0 < body["remaining"] <= 3000
    assert second["max_rss_mb"] > 0
    assert runtime.close() == 0  # closing the pipe ends the runtime
    assert "log line 1\nlog line 2" in (tmp_path / "log.txt").read_text()


def test_exception_becomes_lambda_error_document(runtime: Runtime, tmp_path: Path) -> None:
    runtime.frame()
    result = runtime.invoke({"raise": True})
    assert result["ok"] is False
    error = result["error"]
    assert error["errorType"] == "KeyError" and error["errorMessage"] == "'missing'"
    assert error["stackTrace"] and all("host_runtime.py" not in frame for frame in error["stackTrace"])
    assert any("app.py" in frame for frame in error["stackTrace"])
    assert runtime.invoke({})["ok"]  # the environment survives a handler exception


def test_unserialisable_result_is_a_marshal_error(runtime: Runtime) -> None:
    runtime.frame()
    result = runtime.invoke({"unserialisable": True})
    assert result["error"]["errorType"] == "Runtime.MarshalError"


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("broken.handler", "Runtime.ImportModuleError"),
        ("app.nope", "Runtime.HandlerNotFound"),
        ("nodots", "Runtime.MalformedHandlerName"),
    ],
)
def test_init_errors_are_reported_on_every_invoke(
    task_root: Path, tmp_path: Path, handler: str, error_type: str
) -> None:
    rt = Runtime(task_root, handler, tmp_path / "log.txt")
    try:
        init = rt.frame()
        assert init["error"]["errorType"] == error_type
        assert rt.invoke({})["error"]["errorType"] == error_type
    finally:
        rt.close()
