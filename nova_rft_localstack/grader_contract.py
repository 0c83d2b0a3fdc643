"""Strict check of a grader Lambda's response against the Nova RFT reward contract.

Bedrock's behaviour on a malformed grader response is not documented, so the emulator is strict on
purpose: a response that a lenient reader might accept (ids out of order, a score given as a string,
NaN) fails the emulated job with a message that says exactly what was wrong, which is what a grader
author wants to learn before paying for a real training run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeGuard

METRIC_TYPES = ("Reward", "Metric")


class GraderContractError(ValueError):
    """The grader's response breaks the reward contract; the message says where."""


@dataclass(frozen=True)
class ScoredSample:
    """One checked item of a grader response."""

    id: str
    score: float
    metrics: tuple[tuple[str, float, str], ...]  # (name, value, type)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_metrics(item: dict[str, Any], where: str) -> tuple[tuple[str, float, str], ...]:
    metrics = item.get("metrics_list")
    if metrics is None:
        return ()
    if not isinstance(metrics, list):
        raise GraderContractError(f"{where}: metrics_list must be an array, got {type(metrics).__name__}")
    checked = []
    for position, metric in enumerate(metrics):
        at = f"{where}.metrics_list[{position}]"
        if not isinstance(metric, dict):
            raise GraderContractError(f"{at}: must be an object")
        name, value, kind = metric.get("name"), metric.get("value"), metric.get("type")
        if not isinstance(name, str) or not name:
            raise GraderContractError(f"{at}: 'name' must be a non-empty string")
        if not _is_number(value):
            raise GraderContractError(f"{at} ({name}): 'value' must be a finite number, got {value!r}")
        if kind not in METRIC_TYPES:
            raise GraderContractError(f"{at} ({name}): 'type' must be 'Reward' or 'Metric', got {kind!r}")
        checked.append((name, float(value), kind))
    return tuple(checked)


def check_grader_response(response: Any, expected_ids: list[str]) -> list[ScoredSample]:
    """Check `response` (the decoded Lambda payload) for a batch whose sample ids were `expected_ids`.

    Raises GraderContractError naming the first violation: not an array, wrong length, an id missing,
    extra or out of order, a non-finite or non-numeric aggregate_reward_score, a bad metrics_list.
    """
    if not isinstance(response, list):
        raise GraderContractError(f"response must be a JSON array, got {type(response).__name__}")
    if len(response) != len(expected_ids):
        raise GraderContractError(f"response has {len(response)} items for {len(expected_ids)} samples")
    scored = []
    for position, (item, expected) in enumerate(zip(response, expected_ids, strict=True)):
        where = f"item {position}"
        if not isinstance(item, dict):
            raise GraderContractError(f"{where}: must be an object, got {type(item).__name__}")
        if item.get("id") != expected:
            raise GraderContractError(f"{where}: id {item.get('id')!r} where {expected!r} was expected")
        score = item.get("aggregate_reward_score")
        if not _is_number(score):
            raise GraderContractError(
                f"{where} (id {expected}): aggregate_reward_score must be a finite number, got {score!r}"
            )
        scored.append(ScoredSample(expected, float(score), _check_metrics(item, f"{where} (id {expected})")))
    return scored
