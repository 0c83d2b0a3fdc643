"""The Bedrock grader contract: read a batch event into samples, and build the response items.

Bedrock sends a JSON array of samples (`id`, `messages`, `metadata` with `reference_answer`);
SageMaker HyperPod puts `reference_answer` at the top level instead. Both are accepted. A single
sample object (not wrapped in a list) is accepted too, as is the batch as a JSON string.

Rule: a per-sample problem never fails the batch. `parse_event` returns one `Slot` per input item;
a slot whose sample could not be read carries `problem` (a short, human-readable reason) and
`sample=None`, and the composition gives it the failure score and an error metric. Only an event
that is not a batch at all raises `EventError`.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nova_rewards.dimensions.base import Sample
from nova_rewards.errors import EventError

__all__ = ["Slot", "parse_event", "response_text", "metric", "response_item", "MetricType"]

log = logging.getLogger("nova_rewards.contract")

MetricType = Literal["Reward", "Metric"]
# Top-level sample keys that are part of the contract, not dataset metadata.
_CONTRACT_KEYS = frozenset({"id", "messages", "metadata", "reference_answer"})


@dataclass(frozen=True, slots=True)
class Slot:
    """One input item of the batch: its id (never empty) and the sample, or why it is unreadable."""

    index: int
    id: str
    sample: Sample | None
    problem: str | None = None


def parse_event(event: Any) -> list[Slot]:
    """The batch as slots, in input order. Raises `EventError` only when `event` is not a batch."""
    items = _as_items(event)
    return [_parse_item(index, item) for index, item in enumerate(items)]


def _as_items(event: Any) -> list[Any]:
    if isinstance(event, bytes | bytearray):
        try:
            event = event.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventError(f"event bytes are not UTF-8: {exc}") from None
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except json.JSONDecodeError as exc:
            raise EventError(f"event is a string but not JSON: {exc}") from None
    if isinstance(event, Mapping):
        return [event]
    if isinstance(event, list | tuple):
        if not event:
            raise EventError("event is an empty batch: expected a JSON array of at least one sample")
        return list(event)
    raise EventError(
        f"event must be a JSON array of samples (or one sample object), got {type(event).__name__}"
    )


def _parse_item(index: int, item: Any) -> Slot:
    positional = f"index-{index}"
    if not isinstance(item, Mapping):
        return _bad(index, positional, f"sample is {type(item).__name__}, not a JSON object")
    sample_id, id_problem = _read_id(item.get("id"), positional)
    if id_problem:
        return _bad(index, sample_id, id_problem)
    messages = item.get("messages")
    if not isinstance(messages, list) or not messages:
        return _bad(index, sample_id, "`messages` is missing or not a non-empty list")
    if not all(isinstance(m, Mapping) for m in messages):
        return _bad(index, sample_id, "`messages` contains an item that is not an object")
    last = messages[-1]
    if last.get("role") != "assistant":
        return _bad(index, sample_id, "the last message is not an assistant message (no response)")
    text = response_text(last.get("content"))
    if text is None:
        return _bad(index, sample_id, "the assistant message content is neither text nor text parts")
    metadata = item.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        return _bad(index, sample_id, "`metadata` is not an object")
    metadata = dict(metadata or {})
    reference = metadata.pop("reference_answer", item.get("reference_answer"))
    for key, value in item.items():  # HyperPod-style top-level extras are metadata too
        if key not in _CONTRACT_KEYS:
            metadata.setdefault(key, value)
    sample = Sample(
        id=sample_id,
        prompt_messages=tuple(messages[:-1]),
        response=text,
        reference=reference,
        metadata=metadata,
    )
    return Slot(index=index, id=sample_id, sample=sample)


def _read_id(raw: Any, positional: str) -> tuple[str, str | None]:
    """The sample id as a string; a missing id gets a positional one (a warning, not a problem)."""
    if raw is None:
        log.warning(
            "sample has no id; answering with the positional id",
            extra={"sample_id": positional},
        )
        return positional, None
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return positional, f"`id` must be a string or integer, got {type(raw).__name__}"
    text = str(raw)
    if not text:
        return positional, "`id` is an empty string"
    return text, None


def _bad(index: int, sample_id: str, problem: str) -> Slot:
    log.warning("unreadable sample", extra={"sample_id": sample_id, "problem": problem})
    return Slot(index=index, id=sample_id, sample=None, problem=problem)


def response_text(content: Any) -> str | None:
    """Text of a message's `content`: a string, or a list of parts (`{"text": ...}` or strings).

    Non-text parts (images, tool calls) are skipped; `None` when the content has no text shape.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        content = [content]
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return None


def metric(name: str, value: float, kind: MetricType = "Metric") -> dict[str, Any]:
    """One `metrics_list` item; a non-finite value is reported as 0.0 (the contract needs numbers)."""
    number = float(value)
    return {"name": name, "value": number if math.isfinite(number) else 0.0, "type": kind}


def response_item(sample_id: str, score: float, metrics: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One item of the grader's response array."""
    return {"id": sample_id, "aggregate_reward_score": float(score), "metrics_list": list(metrics)}
