"""Shape-of-output kinds: `length_window` (conciseness) and `repetition` (degenerate loops).

Neither needs a reference, so both always return a value.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)
from nova_rewards.text import repetition_ratio, tokenize, visible_length


class LengthWindowParams(DimensionParams):
    """Parameters of `length_window`: a window in characters or in word tokens (one of the two)."""

    min_chars: int | None = Field(None, ge=0)
    max_chars: int | None = Field(None, ge=1)
    min_tokens: int | None = Field(None, ge=0)
    max_tokens: int | None = Field(None, ge=1)
    decay: Literal["linear", "smooth", "hard"] = Field(
        "linear", description="how the score falls outside the window"
    )
    decay_width: float = Field(
        1.0, gt=0.0, le=100.0, description="over max: score reaches 0 at max * (1 + decay_width)"
    )

    @model_validator(mode="after")
    def _one_unit(self) -> LengthWindowParams:
        chars = self.min_chars is not None or self.max_chars is not None
        tokens = self.min_tokens is not None or self.max_tokens is not None
        if chars == tokens:
            raise ValueError("give a window in characters (min_chars/max_chars) or tokens, not both")
        lo, hi = (self.min_chars, self.max_chars) if chars else (self.min_tokens, self.max_tokens)
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"minimum {lo} is above maximum {hi}")
        return self

    @property
    def unit(self) -> str:
        return "chars" if self.min_chars is not None or self.max_chars is not None else "tokens"


def window_score(
    length: int, lo: int | None, hi: int | None, decay: str, width: float, *, shown: int | None = None
) -> float:
    """1 inside [lo, hi]; outside, falls to 0 over `lo` below / `hi * width` above.

    `shown` (default `length`) is the length compared with the minimum: the visible length, so
    that padding with spaces or a repeated character does not lift a short reply into the window,
    while every character still counts against the maximum.
    """
    shown = length if shown is None else min(shown, length)
    if lo is not None and shown < lo:
        distance, span = lo - shown, float(lo)
    elif hi is not None and length > hi:
        distance, span = length - hi, hi * width
    else:
        return 1.0
    if decay == "hard":
        return 0.0
    x = min(1.0, distance / span) if span > 0 else 1.0
    if decay == "linear":
        return 1.0 - x
    return 0.5 * (1.0 + math.cos(math.pi * x))  # smooth: flat near the edge, steep in the middle


class LengthWindow(Dimension):
    """Conciseness: 1.0 when the response length is inside the window, decaying outside it.

    Against the minimum only what a reader sees counts (`nova_rewards.text.visible_length`; in
    tokens, the word tokens): whitespace, zero-width characters and a repeated character are padding.
    """

    kind = "length_window"
    Params = LengthWindowParams
    params: LengthWindowParams

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        p = self.params
        text = sample.response
        metrics = {"length_chars": float(len(text))}
        if p.unit == "chars":
            length, lo, hi = len(text), p.min_chars, p.max_chars
            shown = length
            if lo:  # measuring what is visible costs a scan: only when there is a minimum
                shown = visible_length(text)
                metrics["visible_chars"] = float(shown)
        else:
            length, lo, hi = len(tokenize(text[:1_000_000])), p.min_tokens, p.max_tokens
            shown = length
            metrics["length_tokens"] = float(length)
        return DimensionResult(window_score(length, lo, hi, p.decay, p.decay_width, shown=shown), metrics)


class RepetitionPenaltyParams(DimensionParams):
    """Parameters of `repetition`: no penalty up to `threshold`, score 0 from `max_ratio` on."""

    n: int = Field(3, ge=1, le=10, description="n-gram size")
    threshold: float = Field(0.2, ge=0.0, lt=1.0)
    max_ratio: float = Field(0.7, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> RepetitionPenaltyParams:
        if self.max_ratio <= self.threshold:
            raise ValueError("max_ratio must be above threshold")
        return self


class RepetitionPenalty(Dimension):
    """1 - penalty, the penalty growing linearly with the share of repeated n-grams."""

    kind = "repetition"
    Params = RepetitionPenaltyParams
    params: RepetitionPenaltyParams

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        p = self.params
        ratio = repetition_ratio(sample.response, p.n)
        penalty = min(1.0, max(0.0, (ratio - p.threshold) / (p.max_ratio - p.threshold)))
        return DimensionResult(1.0 - penalty, {"repetition_ratio": ratio})
