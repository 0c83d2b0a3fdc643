"""The Bedrock grader contract: read a batch event into samples, and build the response items.

Bedrock sends a JSON array of samples (`id`, `messages`, `metadata` with `reference_answer`);
SageMaker HyperPod puts `reference_answer` at the top level instead. Both are accepted. A single
sample object (not wrapped in a list) is accepted too, as is the batch as a JSON string.

Rule: a per-sample problem never fails the batch. `parse_event` returns one `Slot` per input item;
a slot whose sample could not be read carries `problem` (a short, human-readable reason) and
`sample=None`, and the composition gives it the failure score and an error metric. Only an event
that is not a batch at all raises `EventError`.

Each item is cleaned once here (`nova_rewards.jsonsafe.clean`): lone surrogates become U+FFFD, and an
item nested deeper than 64 levels or holding an unprintable integer is unreadable. A non-finite
number in the reference makes the sample unreadable too (a NaN reference would match the text "nan").
Everything downstream can therefore encode, hash and walk a sample without guarding against it.

The response is the last message, whose role is `assistant` or `nova_assistant` (AWS's own FinQA and
PandaLM sample graders accept both: aws-samples/amazon-bedrock-samples,
custom-models/bedrock-reinforcement-fine-tuning/models/nova/nova_{finqa,pandalm}_rft.ipynb).
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
from nova_rewards.jsonsafe import UnsafeJSON, clean
from nova_rewards.text import content_text

__all__ = ["Slot", "parse_event", "response_text", "metric", "response_item", "MetricType", "RESPONSE_ROLES"]

log = logging.getLogger("nova_rewards.contract")

MetricType = Literal["Reward", "Metric"]
# Top-level sample keys that are part of the contract, not dataset metadata.
_CONTRACT_KEYS = frozenset({"id", "messages", "metadata", "reference_answer"})
# Roles of the last message (the response to score); see the module docstring for the source.
RESPONSE_ROLES = frozenset({"assistant", "nova_assistant"})


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
    return [_parse_item_or_bad(index, item) for index, item in enumerate(items)]


def _parse_item_or_bad(index: int, item: Any) -> Slot:
    """`_parse_item`, and should it ever raise, an unreadable slot: reading cannot fail the batch."""
    try:
        return _parse_item(index, item)
    except Exception as exc:  # noqa: BLE001 - one bad sample never fails the batch
        return _bad(index, f"index-{index}", f"sample cannot be read: {type(exc).__name__}")


def _as_items(event: Any) -> list[Any]:
    if isinstance(event, bytes | bytearray):
        try:
            event = event.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventError(f"event bytes are not UTF-8: {exc}") from None
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except (ValueError, RecursionError) as exc:  # bad syntax, too deep, a too-long integer
            raise EventError(f"event is a string but not JSON: {type(exc).__name__}: {exc}") from None
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
    try:
        raw_id = clean(item.get("id"), max_depth=1, path="id")
    except UnsafeJSON as exc:
        return _bad(index, positional, f"`id` cannot be read: {exc}")
    sample_id, id_problem = _read_id(raw_id, positional)
    if id_problem:
        return _bad(index, sample_id, id_problem)
    try:
        item = clean(item)
    except UnsafeJSON as exc:
        return _bad(index, sample_id, f"sample cannot be read safely: {exc}")
    except Exception as exc:  # noqa: BLE001 - e.g. a Mapping whose items() raises; one sample only
        return _bad(index, sample_id, f"sample cannot be read: {type(exc).__name__}")
    messages = item.get("messages")
    if not isinstance(messages, list) or not messages:
        return _bad(index, sample_id, "`messages` is missing or not a non-empty list")
    if not all(isinstance(m, Mapping) for m in messages):
        return _bad(index, sample_id, "`messages` contains an item that is not an object")
    last = messages[-1]
    role = last.get("role")
    if not isinstance(role, str) or role not in RESPONSE_ROLES:
        return _bad(index, sample_id, "the last message is not an assistant message (no response)")
    text = response_text(last.get("content"))
    if text is None:
        return _bad(index, sample_id, "the assistant message content is neither text nor text parts")
    metadata = item.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        return _bad(index, sample_id, "`metadata` is not an object")
    metadata = dict(metadata or {})
    reference = metadata.pop("reference_answer", item.get("reference_answer"))
    try:
        clean(reference, finite=True, path="reference_answer")
    except UnsafeJSON as exc:
        return _bad(index, sample_id, f"unusable reference: {exc}")
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
    return content_text(content)


def metric(name: str, value: float, kind: MetricType = "Metric") -> dict[str, Any]:
    """One `metrics_list` item; a non-finite value is reported as 0.0 (the contract needs numbers)."""
    number = float(value)
    return {"name": name, "value": number if math.isfinite(number) else 0.0, "type": kind}


def response_item(sample_id: str, score: float, metrics: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One item of the grader's response array."""
    return {"id": sample_id, "aggregate_reward_score": float(score), "metrics_list": list(metrics)}
