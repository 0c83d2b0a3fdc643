"""`orch reward verify`: invoke a DEPLOYED grader Lambda with AWS's sample event shapes and check its answer
strictly against the grader contract, before a job depends on it.

Modelled on `verify_reward_function` of AWS's Nova customization SDK (PyPI `amzn-nova-forge` 1.4.10,
amzn_nova_forge/util/reward_verifier.py): one synchronous invoke per batch with the samples as a JSON
array, a Lambda `FunctionError` reported as such, and each output checked for `id`, a numeric
`aggregate_reward_score` and `metrics_list` items `{name, value, type: "Reward"|"Metric"}`. Stricter
than the SDK: the answer must have one item per sample, in order, with the sample's id; numbers must be
finite (booleans are not numbers); no keys beyond the three; and a batch holding an unreadable sample
must still be answered item by item (one bad sample never fails a batch, docs/architecture.md).

The cases are the event shapes AWS publishes (transcribed in ../shared/contract-samples, README there):
`reference_answer` under `metadata` (Bedrock user guide, GSM8K notebook) and at the top level
(SageMaker, the SDK's docstring, FinQA notebook), and a last role of `nova_assistant` (FinQA/PandaLM
graders accept it). The scores themselves depend on the grader's spec and are reported, not judged.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.aws import translate_errors

__all__ = ["VerifyCase", "CaseResult", "VerifyReport", "verify_cases", "verify_grader", "contract_problems"]

ITEM_KEYS = frozenset({"id", "aggregate_reward_score", "metrics_list"})
METRIC_TYPES = ("Reward", "Metric")


@dataclass(frozen=True)
class VerifyCase:
    """One batch sent to the grader, and what it exercises."""

    name: str
    event: list[dict[str, Any]]


@dataclass
class CaseResult:
    name: str
    problems: list[str]
    scores: list[float | None]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.name,
            "ok": self.ok,
            "problems": self.problems,
            "scores": self.scores,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class VerifyReport:
    function: str
    results: list[CaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"function": self.function, "ok": self.ok, "cases": [r.to_dict() for r in self.results]}


def _turns(question: str, answer: str, role: str = "assistant") -> list[dict[str, str]]:
    return [{"role": "user", "content": question}, {"role": role, "content": answer}]


def verify_cases() -> list[VerifyCase]:
    """The batches `orch reward verify` sends (ids prefixed `verify-`, so logs show where they came from)."""
    question, answer = "What is 2 + 2?", "Let me solve this step by step.\n\n2 + 2 = 4\n\nThe answer is 4."
    return [
        VerifyCase(
            "reference under metadata (Bedrock)",
            [
                {
                    "id": "verify-metadata-1",
                    "messages": _turns(question, answer),
                    "metadata": {"reference_answer": {"final_answer": "4"}, "my_key": "sample-001"},
                },
                {
                    "id": "verify-metadata-2",
                    "messages": _turns(question, "I think it is 5."),
                    "metadata": {"reference_answer": "4"},
                },
            ],
        ),
        VerifyCase(
            "reference at top level (SageMaker, AWS SDK)",
            [
                {"id": "verify-top-1", "reference_answer": "4", "messages": _turns(question, answer)},
                {
                    "id": "verify-top-2",
                    "reference_answer": {"answer": "4"},
                    "messages": _turns(question, "ANSWER: 4"),
                },
            ],
        ),
        VerifyCase(
            "last role nova_assistant (FinQA, PandaLM)",
            [
                {
                    "id": "verify-nova-assistant-1",
                    "reference_answer": {"answer": "4"},
                    "messages": _turns(question, answer, role="nova_assistant"),
                }
            ],
        ),
        VerifyCase(
            "one unreadable sample in the batch",
            [
                {"id": "verify-batch-ok", "reference_answer": "4", "messages": _turns(question, answer)},
                {
                    "id": "verify-batch-no-response",
                    "reference_answer": "4",
                    "messages": _turns(question, "")[:1],
                },
            ],
        ),
    ]


def contract_problems(event: Sequence[Mapping[str, Any]], payload: Any) -> list[str]:
    """What is wrong with `payload` as the grader's answer to `event` (empty when it keeps the contract)."""
    if not isinstance(payload, list):
        return [f"answer is a JSON {type(payload).__name__}, not an array of results"]
    problems = []
    if len(payload) != len(event):
        problems.append(f"answer has {len(payload)} items for {len(event)} samples")
    for index, (sample, item) in enumerate(zip(event, payload, strict=False)):
        problems.extend(f"item {index}: {p}" for p in _item_problems(sample, item))
    return problems


def _item_problems(sample: Mapping[str, Any], item: Any) -> list[str]:
    if not isinstance(item, dict):
        return [f"is a {type(item).__name__}, not an object"]
    problems = []
    missing = sorted({"id", "aggregate_reward_score"} - set(item))
    extra = sorted(set(item) - ITEM_KEYS)
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected keys {', '.join(extra)}")
    if "id" in item and item["id"] != sample.get("id"):
        problems.append(
            f"id {item['id']!r} is not the sample's id {sample.get('id')!r} (answers go in order)"
        )
    if "aggregate_reward_score" in item and not _finite_number(item["aggregate_reward_score"]):
        problems.append(f"aggregate_reward_score {item['aggregate_reward_score']!r} is not a finite number")
    metrics = item.get("metrics_list", [])
    if not isinstance(metrics, list):
        return [*problems, f"metrics_list is a {type(metrics).__name__}, not an array"]
    for position, entry in enumerate(metrics):
        problems.extend(f"metrics_list[{position}]: {p}" for p in _metric_problems(entry))
    return problems


def _metric_problems(entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return [f"is a {type(entry).__name__}, not an object"]
    problems = []
    if not isinstance(entry.get("name"), str) or not entry.get("name"):
        problems.append("name is not a non-empty string")
    if not _finite_number(entry.get("value")):
        problems.append(f"value {entry.get('value')!r} is not a finite number")
    if entry.get("type") not in METRIC_TYPES:
        problems.append(f"type {entry.get('type')!r} is not Reward or Metric")
    return problems


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def verify_grader(
    lambda_client: Any,
    function: str,
    cases: Sequence[VerifyCase] | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> VerifyReport:
    """Invoke `function` once per case and check each answer. Raises `AwsError` when a call fails."""
    report = VerifyReport(function=function)
    for case in cases if cases is not None else verify_cases():
        started = clock()
        with translate_errors(f"invoke the grader {function}"):
            response = lambda_client.invoke(
                FunctionName=function,
                InvocationType="RequestResponse",
                Payload=json.dumps(case.event).encode("utf-8"),
            )
            raw = response["Payload"].read()
        report.results.append(_result(case, response, raw, clock() - started))
    return report


def _result(case: VerifyCase, response: Mapping[str, Any], raw: bytes, seconds: float) -> CaseResult:
    try:
        payload = json.loads(raw or b"null")
    except ValueError:
        return CaseResult(case.name, [f"answer is not JSON: {raw[:120]!r}"], [], seconds)
    if response.get("FunctionError"):
        detail = payload if isinstance(payload, dict) else {}
        message = f"{detail.get('errorType', 'error')}: {detail.get('errorMessage', raw[:200])}"
        return CaseResult(
            case.name, [f"the function failed ({response['FunctionError']}): {message}"], [], seconds
        )
    scores = [
        item.get("aggregate_reward_score") if isinstance(item, dict) else None
        for item in (payload if isinstance(payload, list) else [])
    ]
    return CaseResult(case.name, contract_problems(case.event, payload), scores, seconds)


def report_lines(report: VerifyReport) -> list[str]:
    """The human-readable report: one line per case, its problems indented under it."""
    lines = [f"verifying {report.function}"]
    for result in report.results:
        scores = ", ".join("?" if s is None else f"{s:g}" for s in result.scores)
        verdict = "ok  " if result.ok else "FAIL"
        lines.append(f"  {verdict} {result.name} ({result.seconds:.2f} s; scores: {scores or '-'})")
        lines.extend(f"         {problem}" for problem in result.problems)
    passed = sum(result.ok for result in report.results)
    lines.append(f"{passed}/{len(report.results)} cases keep the grader contract")
    return lines
