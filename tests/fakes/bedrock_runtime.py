"""A scriptable stand-in for the Bedrock runtime Converse API, served on 127.0.0.1 (free port).

Point boto3 at it with `AWS_ENDPOINT_URL_BEDROCK_RUNTIME=server.url` (dummy credentials): the
real botocore request signing, serialisation and response parsing run, only the model is fake.

A test scripts the judge with a `responder(request) -> FakeReply` callable:

    with FakeBedrockRuntime(lambda req: FakeReply.text('{"score": 4, "reason": "ok"}')) as fake:
        ...
        assert fake.request_count == 1

`FakeReply` covers what the judge dimension must survive: fixed scores, latency (`delay_s`),
throttling (HTTP 429 `ThrottlingException`), other service errors, malformed text, and hangs
(`hang=True` blocks until the server stops, for client timeout tests).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

__all__ = ["ConverseRequest", "FakeReply", "FakeBedrockRuntime", "score_reply", "user_text"]

_PATH_RE = re.compile(r"^/model/(?P<model>[^/]+)/converse$")


@dataclass(frozen=True)
class ConverseRequest:
    """One Converse call as the server received it (body already JSON-decoded)."""

    model_id: str
    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float

    @property
    def user_text(self) -> str:
        return user_text(self.body)

    @property
    def system_text(self) -> str:
        return "\n".join(block.get("text", "") for block in self.body.get("system", []))


def user_text(body: dict[str, Any]) -> str:
    """The text of every user message of a Converse request body, joined."""
    parts = []
    for message in body.get("messages", []):
        if message.get("role") == "user":
            parts.extend(block.get("text", "") for block in message.get("content", []))
    return "\n".join(parts)


@dataclass(frozen=True)
class FakeReply:
    """What the fake answers to one request."""

    text: str | None = None  # assistant text (status 200)
    status: int = 200
    error_code: str | None = None  # x-amzn-ErrorType for status >= 400
    delay_s: float = 0.0  # emulated model latency before answering
    hang: bool = False  # never answer (until the server stops)
    stop_reason: str = "end_turn"
    usage: dict[str, int] = field(default_factory=lambda: {"inputTokens": 100, "outputTokens": 12})

    @classmethod
    def score(cls, score: Any, reason: str = "fake judge", delay_s: float = 0.0) -> FakeReply:
        return cls(text=json.dumps({"score": score, "reason": reason}), delay_s=delay_s)

    @classmethod
    def throttle(cls, delay_s: float = 0.0) -> FakeReply:
        return cls(status=429, error_code="ThrottlingException", delay_s=delay_s)

    @classmethod
    def error(cls, status: int, code: str) -> FakeReply:
        return cls(status=status, error_code=code)


def score_reply(score: Any, reason: str = "fake judge") -> Callable[[ConverseRequest], FakeReply]:
    """A responder that always answers with the same score."""
    return lambda _request: FakeReply.score(score, reason)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    # Headers and body in one segment, no Nagle: otherwise delayed ACKs add ~40 ms to every call.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr access log
        return

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        match = _PATH_RE.match(self.path.split("?", 1)[0])
        if not match:
            self._send(404, {"message": f"no route {self.path}"}, "UnknownOperationException")
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"message": "body is not JSON"}, "ValidationException")
            return
        request = ConverseRequest(
            model_id=unquote(match["model"]),
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
            received_at=time.monotonic(),
        )
        reply = self.server.fake.record_and_reply(request)
        if reply.hang:
            self.server.fake.stopping.wait()
            return
        if reply.delay_s and self.server.fake.stopping.wait(reply.delay_s):
            return
        if reply.status >= 400:
            self._send(reply.status, {"message": f"fake {reply.error_code}"}, reply.error_code)
            return
        usage = dict(reply.usage)
        usage.setdefault("totalTokens", usage.get("inputTokens", 0) + usage.get("outputTokens", 0))
        self._send(
            200,
            {
                "output": {"message": {"role": "assistant", "content": [{"text": reply.text or ""}]}},
                "stopReason": reply.stop_reason,
                "usage": usage,
                "metrics": {"latencyMs": int(reply.delay_s * 1000)},
            },
        )

    def _send(self, status: int, payload: dict[str, Any], error_code: str | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if error_code:
                self.send_header("x-amzn-ErrorType", error_code)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a 64-way concurrent batch must not overflow the listen backlog
    fake: FakeBedrockRuntime


class FakeBedrockRuntime:
    """The fake endpoint: start with `with FakeBedrockRuntime(responder) as fake:`; `fake.url`."""

    def __init__(self, responder: Callable[[ConverseRequest], FakeReply] | None = None) -> None:
        self.responder = responder or score_reply(3)
        self.requests: list[ConverseRequest] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeBedrockRuntime:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-bedrock", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases hanging and delayed requests
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBedrockRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- requests --------------------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def record_and_reply(self, request: ConverseRequest) -> FakeReply:
        with self._lock:
            self.requests.append(request)
        return self.responder(request)
