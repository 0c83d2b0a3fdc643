"""`math_equivalence`: is the response's final answer the reference answer?

Extraction and comparison live in `nova_rewards.mathparse` (pure, stdlib, microseconds);
answers that are not plain numbers fall back to sympy in a killable worker process
(`nova_rewards.symbolic`), imported only when first needed.

Reference shapes: a string or number (`"84"`, `84`, `"\\frac{3}{4}"`), a worked solution ending
in `#### 84` or `\\boxed{84}`, or an object holding the answer under `answer_key`
(`{"final_answer": "84"}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)
from nova_rewards.mathparse import MAX_ANSWER_CHARS, answers_equal, extract_final_answer

_FALLBACK_KEYS = ("final_answer", "answer", "solution")


class MathEquivalenceParams(DimensionParams):
    """Parameters of `math_equivalence`."""

    answer_key: str = Field("final_answer", min_length=1, description="key of an object reference")
    tolerance: float = Field(1e-6, ge=0.0, le=1.0, description="relative tolerance of numbers")
    abs_tolerance: float = Field(1e-9, ge=0.0, le=1e6, description="absolute tolerance of numbers")
    percent_as_fraction: bool = Field(True, description="50% also equals 0.5 (it always equals 50)")
    fallback_last_number: bool = Field(True, description="no marked answer: take the last number")
    symbolic: bool = Field(True, description="try sympy when an answer is not a plain number")
    symbolic_timeout_s: float = Field(2.0, gt=0.0, le=30.0)
    max_answer_chars: int = Field(MAX_ANSWER_CHARS, ge=1, le=MAX_ANSWER_CHARS)


def reference_answer(reference: Any, answer_key: str) -> str | None:
    """The reference's final answer as a string, None when the reference has no usable answer."""
    if isinstance(reference, Mapping):
        for key in (answer_key, *_FALLBACK_KEYS):
            if key in reference and reference[key] is not None:
                return reference_answer(reference[key], answer_key)
        return None
    if reference is None or isinstance(reference, bool):
        return None
    if isinstance(reference, int | float):
        return repr(reference) if isinstance(reference, float) else str(reference)
    if isinstance(reference, str):
        text = reference.strip()
        if not text:
            return None
        if "####" in text or "\\boxed" in text:  # a worked solution: its marked final answer
            return extract_final_answer(text, fallback_last_number=False) or text
        return text
    return None


class MathEquivalence(Dimension):
    """1.0 when the extracted final answer equals the reference answer, else 0.0."""

    kind = "math_equivalence"
    Params = MathEquivalenceParams
    params: MathEquivalenceParams

    def grade(self, predicted: str, reference: str, ctx: ScoringContext | None = None) -> bool:
        """Compare two extracted answers (no extraction here)."""
        p = self.params
        if len(predicted) > p.max_answer_chars or len(reference) > p.max_answer_chars:
            return False
        verdict = answers_equal(
            predicted,
            reference,
            rel_tol=p.tolerance,
            abs_tol=p.abs_tolerance,
            percent_as_fraction=p.percent_as_fraction,
        )
        if verdict is not None:
            return verdict
        if not p.symbolic:
            return False
        timeout = p.symbolic_timeout_s
        if ctx is not None:
            timeout = min(timeout, ctx.remaining())
        if timeout <= 0:
            return False
        from nova_rewards.symbolic import symbolic_equal

        return bool(symbolic_equal(predicted, reference, tol=max(p.tolerance, 1e-12), timeout=timeout))

    def check_record(self, sample: Sample) -> str | None:
        if reference_answer(sample.reference, self.params.answer_key) is not None:
            return None
        keys = ", ".join(dict.fromkeys((self.params.answer_key, *_FALLBACK_KEYS)))
        return f"reference_answer.{self.params.answer_key}: an answer (string or number; keys tried: {keys})"

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        reference = reference_answer(sample.reference, self.params.answer_key)
        if reference is None:
            return DimensionResult(None)
        predicted = extract_final_answer(
            sample.response, fallback_last_number=self.params.fallback_last_number
        )
        if predicted is None:
            return DimensionResult(0.0, {"answer_found": 0.0})
        correct = self.grade(predicted, reference, ctx)
        return DimensionResult(1.0 if correct else 0.0, {"answer_found": 1.0})
