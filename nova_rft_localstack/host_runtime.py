"""The Python Lambda runtime that the host executor runs as a subprocess (one per execution environment).

Run as a script (`python host_runtime.py`) by a Python matching the function's runtime, it imports the
handler once (the "init" phase) and then serves invocations, as the AWS runtime interface client does,
so warm invokes reuse module state. Standard library only: it runs beside the function's own code.

Protocol (file descriptors given in ORCH_RUNTIME_FDS="<read>,<write>"): length-prefixed JSON frames
(4-byte big-endian length, UTF-8 JSON). The runtime sends `{"type": "init", ...}` once, then for each
`{"type": "invoke", ...}` request one `{"type": "result", ...}`. Its stdout and stderr are the
function's log (the executor points them at a file), so a frame is sent only after flushing both.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import struct
import sys
import time
import traceback
from typing import Any

# Spelled here, not imported: this file runs as a script in the function's interpreter, without this
# project on its path. tests/unit/test_env_vars.py checks they match orchestrator/env_vars.py.
RUNTIME_FDS_ENV = "ORCH_RUNTIME_FDS"
RUNTIME_SDK_PATH_ENV = "ORCH_RUNTIME_SDK_PATH"
MEMORY_HEADROOM_ENV = "ORCH_LAMBDA_MEMORY_HEADROOM_MB"

HEADER = struct.Struct(">I")
MIB = 1024 * 1024


def read_frame(fd: int) -> dict[str, Any] | None:
    """Read one frame; None when the executor closed the pipe (it stopped or died)."""
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    body = _read_exact(fd, HEADER.unpack(header)[0])
    return None if body is None else json.loads(body.decode("utf-8"))


def write_frame(fd: int, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode("utf-8")
    data = HEADER.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data) :]


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def error_document(exc: BaseException, error_type: str | None = None, message: str | None = None) -> dict:
    """The error shape Lambda returns for an unhandled exception."""
    # Like AWS, show the function's frames only, not the runtime's own.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    return {
        "errorMessage": message if message is not None else str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(frames),
    }


class LambdaContext:
    """The `context` argument of a Python handler (the attributes AWS documents)."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = request.get("invoked_function_arn", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request["request_id"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def limit_memory() -> None:
    """Best effort for the function's memory size: cap the address space (RLIMIT_AS).

    Lambda limits resident memory; the address space of a Python process is larger than its resident
    set (thread stacks, mapped libraries), so the cap adds ORCH_LAMBDA_MEMORY_HEADROOM_MB (default 512).
    """
    size_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 0)
    headroom_mb = int(os.environ.get(MEMORY_HEADROOM_ENV) or 512)
    if size_mb <= 0:
        return
    limit = (size_mb + headroom_mb) * MIB
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError) as exc:
        print(f"[host runtime] could not cap memory: {exc}", file=sys.stderr)


def load_handler(handler: str, task_root: str) -> Any:
    """Import `module.path.function` from the task root, mapping failures to Lambda's error types."""
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise HandlerError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': not enough values")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HandlerError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    except SyntaxError as exc:
        raise HandlerError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        ) from exc
    function = getattr(module, function_name, None)
    if function is None:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise HandlerError("Runtime.HandlerNotFound", message)
    return function


class HandlerError(Exception):
    """An init failure with the Lambda error type it maps to."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def invoke(function: Any, request: dict[str, Any]) -> dict[str, Any]:
    """Run the handler once; the result frame carries the JSON payload or the error document."""
    try:
        event = json.loads(request["payload"]) if request.get("payload") else {}
        result = function(event, LambdaContext(request))
    except Exception as exc:  # an unhandled exception is the function's error, as on AWS
        traceback.print_exc()
        return {"type": "result", "ok": False, "error": error_document(exc)}
    try:
        payload = json.dumps(result)
    except (TypeError, ValueError) as exc:
        message = f"Unable to marshal response: {exc}"
        return {"type": "result", "ok": False, "error": error_document(exc, "Runtime.MarshalError", message)}
    return {"type": "result", "ok": True, "payload": payload}


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _max_rss_mb() -> int:
    """Peak resident memory of this process (VmHWM; ru_maxrss would include the forking parent's)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> int:
    read_fd, write_fd = (int(fd) for fd in os.environ[RUNTIME_FDS_ENV].split(","))
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    # The function's code comes first, then the SDK the Lambda Python runtime provides (boto3).
    sys.path[0:1] = [task_root]
    sdk = os.environ.get(RUNTIME_SDK_PATH_ENV)
    if sdk:
        sys.path.append(sdk)
    os.chdir(task_root)
    limit_memory()
    started = time.perf_counter()
    function, init_error = None, None
    try:
        function = load_handler(os.environ["_HANDLER"], task_root)
    except HandlerError as exc:
        init_error = error_document(exc, exc.error_type)
        init_error["stackTrace"] = []
        print(f"[ERROR] {exc.error_type}: {exc}", file=sys.stderr)
    except Exception as exc:  # code that raises at import time
        traceback.print_exc()
        init_error = error_document(exc)
    _flush()
    init_ms = (time.perf_counter() - started) * 1000
    write_frame(write_fd, {"type": "init", "init_ms": init_ms, "error": init_error})
    while True:
        request = read_frame(read_fd)
        if request is None:
            return 0
        if init_error is not None:
            response = {"type": "result", "ok": False, "error": init_error}
        else:
            response = invoke(function, request)
        _flush()
        response["max_rss_mb"] = _max_rss_mb()
        write_frame(write_fd, response)


if __name__ == "__main__":
    sys.exit(main())
