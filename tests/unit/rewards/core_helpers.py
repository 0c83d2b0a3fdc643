"""Small test dimensions and builders shared by the reward-core tests (not a test module).

The kinds are registered under `t_*` names so they never collide with the library's own kinds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from nova_rewards.dimensions import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
    register_dimension,
)
from nova_rewards.spec import CompiledSpec, compile_spec


class ConstParams(DimensionParams):
    value: float | None = 1.0


@register_dimension
class ConstDim(Dimension):
    """Always the same value."""

    kind = "t_const"
    Params = ConstParams

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        return DimensionResult(self.params.value)


class KeywordParams(DimensionParams):
    word: str


@register_dimension
class KeywordDim(Dimension):
    """1 when the response contains `word`, else 0; reports the response length as a metric."""

    kind = "t_keyword"
    Params = KeywordParams

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        hit = self.params.word in sample.response
        return DimensionResult(1.0 if hit else 0.0, {"chars": float(len(sample.response))})


class RaiseParams(DimensionParams):
    trigger: str = "boom"
    as_timeout: bool = False  # raise TimeoutError (a judge call cut at the deadline) instead


@register_dimension
class RaiseDim(Dimension):
    """Raises for responses containing `trigger`, else 1."""

    kind = "t_raise"
    Params = RaiseParams

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        if self.params.trigger in sample.response:
            if self.params.as_timeout:
                raise TimeoutError(f"no time left for {sample.id}")
            raise RuntimeError(f"cannot score {sample.id}")
        return DimensionResult(1.0)


class SlowParams(DimensionParams):
    seconds: float = 0.2


@register_dimension
class SlowDim(Dimension):
    """Sleeps per sample and ignores the deadline (the composition must cut it off)."""

    kind = "t_slow"
    Params = SlowParams

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        time.sleep(self.params.seconds)
        return DimensionResult(1.0)


class RawParams(DimensionParams):
    raw: Any = None
    flags: list[str] = []


@register_dimension
class RawDim(Dimension):
    """Returns `raw` as the value unchecked (for NaN / out-of-range tests) and raises `flags`."""

    kind = "t_raw"
    Params = RawParams

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        value = float(self.params.raw) if isinstance(self.params.raw, str) else self.params.raw
        return DimensionResult(value, flags=tuple(self.params.flags))


def spec_dict(*dimensions: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"name": settings.pop("name", "test"), **settings, "dimensions": list(dimensions)}


def build_spec(*dimensions: dict[str, Any], **settings: Any) -> CompiledSpec:
    return compile_spec(spec_dict(*dimensions, **settings), source="test")


def write_spec(path: Path, *dimensions: dict[str, Any], **settings: Any) -> Path:
    path.write_text(json.dumps(spec_dict(*dimensions, **settings)), encoding="utf-8")
    return path


def raw_sample(
    sample_id: Any = "s1",
    response: Any = "The answer is 4",
    prompt: str = "What is 2 + 2?",
    reference: Any = "4",
    **extra: Any,
) -> dict[str, Any]:
    """A Bedrock-shaped sample."""
    item: dict[str, Any] = {
        "id": sample_id,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": response},
        ],
        "metadata": {"reference_answer": reference, **extra},
    }
    return item


class FakeContext:
    """A Lambda context whose remaining time starts at `remaining_ms` and counts down in real time."""

    def __init__(self, remaining_ms: float, request_id: str = "req-1") -> None:
        self._end = time.monotonic() + remaining_ms / 1000.0
        self.aws_request_id = request_id
        self.function_name = "fake"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._end - time.monotonic()) * 1000))


class ShortParams(DimensionParams):
    drop: int = 1


@register_dimension
class ShortBatchDim(Dimension):
    """A buggy batch dimension: returns `drop` fewer results than samples."""

    kind = "t_short"
    Params = ShortParams

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        return DimensionResult(1.0)

    def score_batch(self, samples, ctx):  # type: ignore[no-untyped-def]
        return [DimensionResult(1.0) for _ in samples][self.params.drop :]


class GiveUp(BaseException):
    """Like Math-Verify's TimeoutException: not an Exception, so `except Exception` misses it."""


@register_dimension
class BaseExceptionDim(Dimension):
    """Raises a BaseException subclass, which escapes the default score_batch."""

    kind = "t_base_exc"

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        raise GiveUp("gave up")


@register_dimension
class WarmDim(Dimension):
    """Counts `warm_up()` calls (the judge's init-phase hook) across instances."""

    kind = "t_warm"
    warm_ups = 0

    def warm_up(self) -> None:
        type(self).warm_ups += 1

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        return DimensionResult(1.0)
