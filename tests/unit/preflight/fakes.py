"""Scriptable fakes of the Lambda and bedrock-runtime clients (botocore's own ClientError shapes)."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


def client_error(code: str, status: int, operation: str = "Invoke") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} happened"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


def echo_scores(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A grader: score = length of the response / 100 (deterministic, depends on the sample only)."""
    return [
        {
            "id": sample["id"],
            "aggregate_reward_score": min(1.0, len(sample["messages"][-1]["content"]) / 100),
            "metrics_list": [
                {"name": "len", "value": len(sample["messages"][-1]["content"]), "type": "Metric"}
            ],
        }
        for sample in batch
    ]


class FakeLambda:
    """`invoke` runs `script(call_number, batch)`, which returns items or raises; counts concurrency."""

    def __init__(
        self, script: Callable[[int, list[dict[str, Any]]], Any] | None = None, delay_s: float = 0.0
    ):
        self.script = script or (lambda n, batch: echo_scores(batch))
        self.delay_s = delay_s
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.log_tail: str | None = None
        self.function_error: str | None = None
        self._lock = threading.Lock()

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:  # noqa: N803
        return {
            "Timeout": 60,
            "MemorySize": 512,
            "Architectures": ["arm64"],
            "Environment": {"Variables": {"REWARD_SPEC": "math"}},
        }

    def get_function_concurrency(self, FunctionName: str) -> dict[str, Any]:  # noqa: N803
        return {"ReservedConcurrentExecutions": 5}

    def invoke(self, FunctionName: str, Payload: bytes, LogType: str = "None") -> dict[str, Any]:  # noqa: N803
        with self._lock:
            self.calls += 1
            number = self.calls
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay_s)
            result = self.script(number, json.loads(Payload))
        finally:
            with self._lock:
                self.in_flight -= 1
        response: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result).encode())}
        if self.function_error:
            response["FunctionError"] = self.function_error
        if LogType == "Tail" and self.log_tail is not None:
            response["LogResult"] = base64.b64encode(self.log_tail.encode()).decode()
        return response


class FakeRuntime:
    """`converse` answers from `script(call_number, request)`, which returns text or raises."""

    def __init__(self, script: Callable[[int, dict[str, Any]], str]):
        self.script = script
        self.calls = 0
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def converse(self, **request: Any) -> dict[str, Any]:
        with self._lock:
            self.calls += 1
            number = self.calls
            self.requests.append(request)
        text = self.script(number, request)
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 10, "outputTokens": len(text)},
        }
