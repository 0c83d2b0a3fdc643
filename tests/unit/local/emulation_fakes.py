"""In-memory stand-ins for the AWS calls of the Bedrock emulator (S3, Lambda, CloudWatch)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from nova_rft_localstack.rft_emulation import DatasetReadError, GraderMissingError, InvokeResult


def math_record(index: int, answer: int | None = None) -> dict[str, Any]:
    answer = index * 3 if answer is None else answer
    return {
        "id": f"rec-{index}",
        "messages": [
            {"role": "system", "content": "You are a careful math tutor."},
            {"role": "user", "content": f"What is {index} times 3?"},
        ],
        "reference_answer": {"final_answer": str(answer)},
        "task_id": f"t-{index}",
    }


def dataset_bytes(count: int = 100, make: Callable[[int], dict[str, Any]] = math_record) -> bytes:
    return ("\n".join(json.dumps(make(i)) for i in range(count)) + "\n").encode()


def reference_grader(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A tiny grader: 1.0 when the response states the reference final answer, else 0.0."""
    out = []
    for sample in samples:
        response = sample["messages"][-1]["content"]
        answer = sample["metadata"]["reference_answer"]["final_answer"]
        correct = (
            f"answer is {answer}." in response or f"{{{answer}}}" in response or f"#### {answer}" in response
        )
        score = 1.0 if correct else 0.0
        out.append(
            {
                "id": sample["id"],
                "aggregate_reward_score": score,
                "metrics_list": [
                    {"name": "correctness", "value": score, "type": "Reward"},
                    {"name": "length_chars", "value": len(response), "type": "Metric"},
                ],
            }
        )
    return out


class FakePorts:
    """EmulationPorts over dicts; the grader is a Python function of the decoded event."""

    def __init__(
        self,
        objects: dict[str, bytes] | None = None,
        grader: Callable[[list[dict[str, Any]]], Any] | None = reference_grader,
        function_error: Callable[[int], str | None] = lambda call: None,
        spec: dict[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.objects = dict(objects or {})
        self.grader = grader
        self.function_error = function_error
        self.invocations: list[list[dict[str, Any]]] = []
        self.metrics: list[tuple[str, str, dict[str, float]]] = []
        self.lock = threading.Lock()

    def read_object(self, s3_uri: str) -> bytes:
        if s3_uri not in self.objects:
            raise DatasetReadError(f"{s3_uri} does not exist")
        return self.objects[s3_uri]

    def put_object(self, s3_uri: str, body: bytes) -> None:
        self.objects[s3_uri] = body

    def grader_problem(self, lambda_arn: str) -> str | None:
        return None if self.grader is not None else f"The grader Lambda function {lambda_arn} does not exist"

    def invoke_grader(self, lambda_arn: str, payload: bytes) -> InvokeResult:
        if self.grader is None:
            raise GraderMissingError(f"The grader Lambda function {lambda_arn} does not exist")
        event = json.loads(payload)
        with self.lock:
            self.invocations.append(event)
            call = len(self.invocations)
        error = self.function_error(call)
        if error:
            return InvokeResult(json.dumps({"errorMessage": error}).encode(), "Unhandled")
        return InvokeResult(json.dumps(self.grader(event)).encode())

    def grader_spec(self, lambda_arn: str) -> tuple[dict[str, Any] | None, str]:
        return (self.spec, "fake spec") if self.spec is not None else (None, "no spec (fake)")

    def put_metrics(self, namespace: str, job_name: str, values: Mapping[str, float]) -> None:
        self.metrics.append((namespace, job_name, dict(values)))


class RecordingEvents:
    """JobEvents that records phase transitions; `stop_after_calls` requests a stop from a predicate."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, str]] = []
        self.stop = threading.Event()

    def phase(self, phase: str, status: str) -> None:
        self.phases.append((phase, status))

    def stop_requested(self) -> bool:
        return self.stop.is_set()

    def wait_for_stop(self, seconds: float) -> bool:
        return self.stop.wait(seconds)
