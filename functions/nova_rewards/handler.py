"""The Bedrock grader Lambda: `nova_rewards.handler.lambda_handler` (see docs/architecture.md).

Parse the batch, compose the rewards, emit one EMF record, return the response array. The spec named
by `REWARD_SPEC` is loaded once per execution environment (warm invocations reuse it).
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any

from nova_rewards import env_vars
from nova_rewards.compose import score_slots
from nova_rewards.contract import parse_event
from nova_rewards.dimensions.base import ScoringContext
from nova_rewards.errors import EventError, SpecError
from nova_rewards.observability import configure_logging, emf_record, emit_emf, invocation_metrics
from nova_rewards.spec import SPEC_ENV, CompiledSpec, load_spec

__all__ = [
    "lambda_handler",
    "handle",
    "get_spec",
    "reset_spec_cache",
    "deadline_from_context",
    "prepare_execution_environment",
]

log = logging.getLogger("nova_rewards.handler")
configure_logging()

_SPEC_CACHE: dict[str, CompiledSpec] = {}


def get_spec() -> CompiledSpec:
    """The spec of `$REWARD_SPEC`, loaded on first use and cached per value of the variable."""
    ref = os.environ.get(SPEC_ENV, "").strip()
    compiled = _SPEC_CACHE.get(ref)
    if compiled is None:
        compiled = load_spec(ref or None)
        _SPEC_CACHE[ref] = compiled
        log.info("reward spec loaded", extra={"spec": compiled.name, "source": compiled.source})
    return compiled


def reset_spec_cache() -> None:
    """Forget loaded specs (tests, or a process that changes `REWARD_SPEC`)."""
    _SPEC_CACHE.clear()


def deadline_from_context(context: Any, margin_ms: int, now: float | None = None) -> float:
    """A `time.monotonic()` deadline: the Lambda's remaining time minus the spec's margin.

    No context (local runs) or no `get_remaining_time_in_millis` means no deadline.
    """
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return math.inf
    start = time.monotonic() if now is None else now
    return start + (float(remaining()) - margin_ms) / 1000.0


def prepare_execution_environment() -> None:
    """Lambda init phase: load the spec and warm dimensions that have `warm_up()` (the judge's boto3
    client, ~0.3 s), so the first invocation does not pay for them. Only inside Lambda
    (`AWS_LAMBDA_FUNCTION_NAME` set); a spec error is left for the invocation to report loudly.
    """
    if not os.environ.get(env_vars.AWS_LAMBDA_FUNCTION_NAME) or not os.environ.get(SPEC_ENV, "").strip():
        return
    try:
        compiled = get_spec()
    except SpecError:
        return
    for dim in compiled.dimensions:
        warm_up = getattr(dim.dimension, "warm_up", None)
        if callable(warm_up):
            try:
                warm_up()
            except Exception as exc:  # a warm-up failure must not break init; scoring reports it
                log.warning("dimension warm-up failed", extra={"dimension": dim.name, "error": str(exc)})


def lambda_handler(event: Any, context: Any = None) -> list[dict[str, Any]]:
    """Score a Bedrock RFT batch under `$REWARD_SPEC`: one response item per input sample, in order."""
    try:
        compiled = get_spec()
    except SpecError as exc:  # misconfiguration: fail the invocation loudly, with the field paths
        log.error("reward spec cannot be loaded", extra={"error": str(exc)})
        raise
    return handle(event, context, compiled)


def handle(event: Any, context: Any, compiled: CompiledSpec) -> list[dict[str, Any]]:
    """The handler's work under an explicit spec (`orch reward score` calls this with its spec)."""
    started = time.monotonic()
    deadline = deadline_from_context(context, compiled.spec.time_budget_margin_ms, started)
    try:
        slots = parse_event(event)
    except EventError as exc:
        log.error("event is not a batch", extra={"error": str(exc)})
        raise
    outcome = score_slots(compiled, slots, ScoringContext(deadline=deadline))
    duration_ms = (time.monotonic() - started) * 1000.0
    values = invocation_metrics(outcome, duration_ms)
    request_id = getattr(context, "aws_request_id", None)
    properties = {"SpecName": compiled.name, **({"RequestId": request_id} if request_id else {})}
    emit_emf(emf_record(values, properties=properties))
    return outcome.response()


prepare_execution_environment()
