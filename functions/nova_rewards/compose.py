"""Composition: run a spec's dimensions over a batch and combine them into one reward per sample.

Order of work, per chunk of at most `spec.chunk_size` samples (the deadline is checked between
chunks; under a deadline, chunk sizes adapt so that a chunk fits the time left, see `_ChunkSizer`):

1. guards (`nova_rewards.guards`): an empty response gets the bottom of the range and no dimension
   runs; other guards give a multiplier and flags;
2. dimensions in dependency order. A dimension with `requires` is skipped, and counts 0, for samples
   whose required dimensions scored below their minimum (or returned no value): gates also save the
   cost of an expensive dimension (a judge) on answers that already failed a cheap check;
3. aggregate = lo + (hi - lo) * weighted mean * guard multiplier, where the weighted mean runs over
   the Reward dimensions (weight > 0) that returned a value, normalised by their total weight.
   No value at all -> the failure score and an `unscored` metric. The result is clamped and finite.
4. a Reward dimension (weight > 0) that returned no value for more than half of the batch's scored
   samples is almost always a misconfiguration (a reference key the dataset lacks): it is logged as a
   warning and reported in `BatchOutcome.no_value` (the `NoValueDimensions` metric).

Failures never fail the batch: a dimension that raises for a sample (or returns a non-finite value)
gives that sample the failure score and an `error` metric (a `TimeoutError`, e.g. a judge call cut at
the deadline, a `timeout` metric); samples left when the deadline passes get the failure score and a
`timeout` metric.

Time budget: each dimension call (`score_batch` on one chunk) runs in a daemon worker thread and the
composition waits for it only until `ctx.deadline`. A dimension that overruns is abandoned (Python
cannot kill a thread; its late result is discarded) and its chunk and every later sample time out,
so the handler always answers before the Lambda deadline. Consequences for dimension authors: do not
rely on signals (SIGALRM does not work off the main thread), bound your own work per sample, and check
`ctx.remaining()` between expensive steps (an I/O-bound dimension should pass it as its timeout).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from nova_rewards.contract import Slot, metric, response_item
from nova_rewards.dimensions.base import DimensionResult, Sample, ScoringContext
from nova_rewards.guards import GuardVerdict, check_guards
from nova_rewards.spec import CompiledDimension, CompiledSpec

__all__ = ["SampleOutcome", "BatchOutcome", "score_slots", "Status"]

log = logging.getLogger("nova_rewards.compose")

Status = Literal["ok", "empty", "error", "invalid", "timeout", "unscored"]


@dataclass(slots=True)
class SampleOutcome:
    """The verdict on one input item."""

    id: str
    score: float
    metrics: list[dict[str, Any]]
    status: Status
    dimension_values: dict[str, float] = field(default_factory=dict)
    hacking: bool = False
    group_key: str | None = None

    def item(self) -> dict[str, Any]:
        return response_item(self.id, self.score, self.metrics)


@dataclass(slots=True)
class BatchOutcome:
    """Every sample's outcome, in input order."""

    samples: list[SampleOutcome]
    no_value: dict[str, float] = field(default_factory=dict)  # dimension -> share of scored samples

    def response(self) -> list[dict[str, Any]]:
        return [s.item() for s in self.samples]

    def count(self, *statuses: Status) -> int:
        return sum(1 for s in self.samples if s.status in statuses)


@dataclass(slots=True)
class _Work:
    """Scoring state of one readable sample while the batch is composed."""

    slot: Slot
    sample: Sample
    values: dict[str, float | None] = field(default_factory=dict)
    extra: list[dict[str, Any]] = field(default_factory=list)
    gated: set[str] = field(default_factory=set)
    flags: list[str] = field(default_factory=list)
    verdict: GuardVerdict | None = None
    failed: Literal["error", "timeout"] | None = None  # set once a dimension raised for this sample

    @property
    def alive(self) -> bool:
        return self.failed is None and not (self.verdict is not None and self.verdict.empty)


class _Deadline(Exception):
    """The time budget ran out while a chunk was being scored."""


def score_slots(compiled: CompiledSpec, slots: Sequence[Slot], ctx: ScoringContext) -> BatchOutcome:
    """Score every slot of a batch under the spec; never raises for a per-sample problem."""
    outcomes: dict[int, SampleOutcome] = {}
    work: list[_Work] = []
    for slot in slots:
        if slot.sample is None:
            outcomes[slot.index] = _failed(compiled, slot.id, "invalid", None)
        else:
            work.append(_Work(slot=slot, sample=slot.sample))
    sizer = _ChunkSizer(compiled.spec.chunk_size, ctx)
    start = 0
    while start < len(work):
        chunk = work[start : start + sizer.next_size()]
        started = time.monotonic()
        try:
            _score_chunk(compiled, chunk, ctx)
        except _Deadline:
            for item in work[start:]:
                outcomes[item.slot.index] = _failed(compiled, item.slot.id, "timeout", item.sample)
            log.warning(
                "time budget exhausted; remaining samples get the failure score",
                extra={"timed_out": len(work) - start, "batch_size": len(slots)},
            )
            break
        sizer.observe(len(chunk), time.monotonic() - started)
        for item in chunk:
            outcomes[item.slot.index] = _finish_or_fail(compiled, item)
        start += len(chunk)
    ordered = [outcomes[slot.index] for slot in slots]
    return BatchOutcome(ordered, no_value=_warn_no_value(compiled, ordered))


NO_VALUE_SHARE = 0.5  # a Reward dimension without a value for more than this share of a batch is reported


def _warn_no_value(compiled: CompiledSpec, samples: list[SampleOutcome]) -> dict[str, float]:
    """Reward dimensions that returned no value for more than half of the scored samples."""
    scored = [s for s in samples if s.status in ("ok", "unscored")]
    if not scored:
        return {}
    found: dict[str, float] = {}
    for dim_spec in compiled.spec.dimensions:
        if dim_spec.type != "Reward" or dim_spec.weight <= 0:
            continue
        missing = sum(1 for s in scored if dim_spec.name not in s.dimension_values)
        if missing / len(scored) > NO_VALUE_SHARE:
            found[dim_spec.name] = missing / len(scored)
            log.warning(
                "reward dimension returned no value for most samples: check the dataset's references "
                "(orch reward check SPEC --dataset FILE)",
                extra={
                    "dimension": dim_spec.name,
                    "kind": dim_spec.kind,
                    "no_value": missing,
                    "scored": len(scored),
                },
            )
    return found


class _ChunkSizer:
    """Chunk sizes: `chunk_size` without a deadline; with one, a small probe chunk first, then chunks
    that fit the remaining time at the slowest per-sample pace seen so far (never above `chunk_size`).

    A chunk cut by the deadline loses all of its work, so near the deadline chunks shrink and as many
    samples as possible are scored. Without a deadline (local runs) chunking never changes results.
    """

    PROBE = 4
    SAFETY = 1.25

    def __init__(self, limit: int, ctx: ScoringContext) -> None:
        self.limit = limit
        self.ctx = ctx
        self.per_sample: float | None = None

    def next_size(self) -> int:
        if math.isinf(self.ctx.deadline):
            return self.limit
        if self.per_sample is None:
            return min(self.limit, self.PROBE)
        if self.per_sample <= 0:
            return self.limit
        fits = int(self.ctx.remaining() / (self.per_sample * self.SAFETY))
        return max(1, min(self.limit, fits))

    def observe(self, samples: int, seconds: float) -> None:
        pace = seconds / max(1, samples)
        self.per_sample = pace if self.per_sample is None else max(pace, self.per_sample)


def _score_chunk(compiled: CompiledSpec, chunk: list[_Work], ctx: ScoringContext) -> None:
    if ctx.remaining() <= 0:
        raise _Deadline
    guards = compiled.spec.guards
    for item in chunk:
        try:
            item.verdict = check_guards(item.sample, guards)
        except Exception as exc:  # noqa: BLE001 - one bad sample never fails the batch
            _mark_error_in("guards", item, exc)
    for dim in compiled.dimensions:
        eligible = []
        for item in chunk:
            if not item.alive:
                continue
            if _gate_passes(dim, item):
                eligible.append(item)
            else:
                item.values[dim.name] = 0.0
                item.gated.add(dim.name)
        if eligible:
            _run_dimension(dim, eligible, ctx)


def _gate_passes(dim: CompiledDimension, item: _Work) -> bool:
    for required, minimum in dim.spec.requires.items():
        value = item.values.get(required)
        if value is None or value < minimum:
            return False
    return True


def _run_dimension(dim: CompiledDimension, items: list[_Work], ctx: ScoringContext) -> None:
    samples = [item.sample for item in items]
    status, payload = _call_before_deadline(lambda: dim.dimension.score_batch(samples, ctx), ctx)
    if status == "timeout":
        raise _Deadline
    if status == "raised":
        results: Sequence[Any] = [payload] * len(items)
    elif not isinstance(payload, Sequence) or len(payload) != len(items):
        error = TypeError(f"score_batch returned {_describe(payload)} for {len(items)} samples")
        results = [error] * len(items)
    else:
        results = payload
    for item, result in zip(items, results, strict=True):
        _record(dim, item, result)


def _describe(payload: Any) -> str:
    if isinstance(payload, Sequence):
        return f"{len(payload)} results"
    return type(payload).__name__


def _call_before_deadline(
    fn: Callable[[], Any], ctx: ScoringContext
) -> tuple[Literal["ok", "raised", "timeout"], Any]:
    """Run `fn` in a daemon thread; give up on it when the deadline passes."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported as per-sample errors
            box["error"] = exc

    thread = threading.Thread(target=run, name="nova-rewards-dimension", daemon=True)
    thread.start()
    thread.join(None if math.isinf(ctx.deadline) else ctx.remaining())
    if thread.is_alive():
        return "timeout", None
    if "error" in box:
        return "raised", box["error"]
    return "ok", box.get("value")


def _record(dim: CompiledDimension, item: _Work, result: Any) -> None:
    if isinstance(result, BaseException):
        _mark_error(dim, item, result)
        return
    if not isinstance(result, DimensionResult):
        _mark_error(dim, item, TypeError(f"expected DimensionResult, got {type(result).__name__}"))
        return
    value = result.value
    if value is not None:
        try:
            value = float(value)
        except (TypeError, ValueError):
            _mark_error(dim, item, TypeError(f"value {result.value!r} is not a number"))
            return
        if not math.isfinite(value):
            _mark_error(dim, item, ValueError(f"non-finite value {value}"))
            return
        value = min(1.0, max(0.0, value))
    item.values[dim.name] = value
    for key, number in result.metrics.items():
        item.extra.append(metric(f"{dim.name}.{key}", _finite_or_zero(number)))
    item.flags.extend(f"{dim.name}:{flag}" for flag in result.flags)


def _finite_or_zero(number: Any) -> float:
    try:
        value = float(number)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def _mark_error(dim: CompiledDimension, item: _Work, exc: BaseException) -> None:
    _mark_error_in(dim.name, item, exc, kind=dim.spec.kind)


def _mark_error_in(stage: str, item: _Work, exc: BaseException, kind: str = "") -> None:
    # A dimension that ran out of its share of the budget (a judge call cut at the deadline)
    # is a timeout, counted under SampleTimeouts, not a grader error.
    item.failed = "timeout" if isinstance(exc, TimeoutError) else "error"
    log.warning(
        "dimension failed for a sample",
        extra={"sample_id": item.slot.id, "dimension": stage, "kind": kind, "error": _describe_error(exc)},
    )


def _describe_error(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"[:500]
    except Exception:  # noqa: BLE001 - an exception whose str() raises (e.g. a too-long int)
        return type(exc).__name__


def _finish_or_fail(compiled: CompiledSpec, item: _Work) -> SampleOutcome:
    """`_finish`, or the failure score with an error metric: the last per-sample step cannot raise."""
    try:
        return _finish(compiled, item)
    except Exception as exc:  # noqa: BLE001 - one bad sample never fails the batch
        log.warning(
            "composing a sample failed", extra={"sample_id": item.slot.id, "error": _describe_error(exc)}
        )
        return _failed(compiled, item.slot.id, "error", None)


def _finish(compiled: CompiledSpec, item: _Work) -> SampleOutcome:
    spec = compiled.spec
    lo, hi = spec.score_range
    verdict = item.verdict or GuardVerdict()
    metrics = _dimension_metrics(compiled, item)
    metrics += [metric(f"guard.{flag}", 1.0) for flag in verdict.flags]
    metrics += [metric(f"flag.{flag}", 1.0) for flag in item.flags]
    hacking = verdict.hacking or bool(item.flags)
    base: dict[str, Any] = {"id": item.slot.id, "group_key": item.sample.group_key, "hacking": hacking}
    if item.failed:
        return SampleOutcome(
            score=spec.failure_value,
            metrics=[*metrics, metric(item.failed, 1.0)],
            status=item.failed,
            **base,
        )
    values = {k: v for k, v in item.values.items() if v is not None}
    if verdict.empty:
        return SampleOutcome(score=lo, metrics=metrics, status="empty", dimension_values=values, **base)
    mean = _weighted_mean(compiled, item.values)
    if mean is None:
        metrics.append(metric("unscored", 1.0))
        return SampleOutcome(
            score=spec.failure_value, metrics=metrics, status="unscored", dimension_values=values, **base
        )
    score = _clamp(lo + (hi - lo) * mean * verdict.multiplier, lo, hi)
    return SampleOutcome(score=score, metrics=metrics, status="ok", dimension_values=values, **base)


def _dimension_metrics(compiled: CompiledSpec, item: _Work) -> list[dict[str, Any]]:
    metrics = []
    for dim_spec in compiled.spec.dimensions:  # spec order reads better than dependency order
        value = item.values.get(dim_spec.name)
        if value is not None:
            metrics.append(metric(dim_spec.name, value, dim_spec.type))
        if dim_spec.name in item.gated:
            metrics.append(metric(f"{dim_spec.name}.gated", 1.0))
    return metrics + item.extra


def _weighted_mean(compiled: CompiledSpec, values: dict[str, float | None]) -> float | None:
    total = weight_sum = 0.0
    for dim_spec in compiled.spec.dimensions:
        value = values.get(dim_spec.name)
        if dim_spec.type != "Reward" or dim_spec.weight <= 0 or value is None:
            continue
        total += dim_spec.weight * value
        weight_sum += dim_spec.weight
    return total / weight_sum if weight_sum > 0 else None


def _clamp(value: float, lo: float, hi: float) -> float:
    if not math.isfinite(value):
        return lo
    return min(hi, max(lo, value))


def _failed(compiled: CompiledSpec, sample_id: str, status: Status, sample: Sample | None) -> SampleOutcome:
    name = "timeout" if status == "timeout" else "error"
    return SampleOutcome(
        id=sample_id,
        score=compiled.spec.failure_value,
        metrics=[metric(name, 1.0)],
        status=status,
        group_key=sample.group_key if sample is not None else None,
    )
