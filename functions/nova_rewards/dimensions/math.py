"""`math_equivalence` (is the final answer the reference?) and `math_answer_format` (is there exactly
one explicitly marked final answer?).

Extraction and the fast comparison live in `nova_rewards.mathparse` (pure, stdlib, bounded work on
the caller's thread): numbers, constant arithmetic, polynomial and rational identities, linear and
proportional equations, unions of intervals, matrices and multi-part answers made of those. Anything
else (closed forms with functions, other equations, text answers...) goes to Math-Verify, then
sympy, in the killable worker of `nova_rewards.symbolic`, imported only when first needed. Each such
comparison has a time limit (`symbolic_timeout_s`, capped by the invocation's deadline); a sample
that overruns it raises `TimeoutError`, which the composition scores as the failure value with a
`timeout` metric, while its batch-mates go on with a warm spare worker.

Reference shapes: a string or number (`"84"`, `84`, `"\\frac{3}{4}"`), a worked solution ending
in `#### 84` or `\\boxed{84}`, or an object holding the answer under `answer_key`
(`{"final_answer": "84"}`).

Answer markers (both kinds): `\\boxed{}`, `#### x`, `<answer>x</answer>`, "the (final) answer is x",
"Final answer: x", "Answer: x" in any case and emphasis (`**Answer:** 8`, `ANSWER: 25`). The last one
wins. `math_answer_format`'s `answer_marker` decides whether an unmarked answer counts: "strict"
(default: a policy that must mark its answer cannot be graded on a number it only mentioned, and the
"last number" fallback is what a shotgun or a trailing aside exploits) or "lenient" (the last math
block or number counts, for prompts that never asked for a marker).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)
from nova_rewards.mathparse import (
    MAX_ANSWER_CHARS,
    answers_equal,
    canonical_parts,
    canonical_text,
    extract_answer,
    extract_final_answer,
    is_shotgun,
    named_parts,
)

_FALLBACK_KEYS = ("final_answer", "answer", "solution")


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
        text = canonical_text(reference.strip())
        if not text:
            return None
        # a worked solution ("... #### 84", "... \\boxed{84}", "so the answer is 84"): its final answer
        return extract_final_answer(text, fallback_last_number=False) or text
    return None


class MathEquivalenceParams(DimensionParams):
    """Parameters of `math_equivalence`."""

    answer_key: str = Field("final_answer", min_length=1, description="key of an object reference")
    tolerance: float = Field(1e-6, ge=0.0, le=1.0, description="relative tolerance of numbers")
    abs_tolerance: float = Field(1e-9, ge=0.0, le=1e6, description="absolute tolerance of numbers")
    percent_as_fraction: bool = Field(True, description="50% also equals 0.5 (it always equals 50)")
    fallback_last_number: bool = Field(True, description="no marked answer: take the last math/number")
    symbolic: bool = Field(True, description="Math-Verify/sympy when an answer is not a plain number")
    symbolic_timeout_s: float = Field(1.0, gt=0.0, le=30.0, description="time limit of one comparison")
    max_answer_chars: int = Field(MAX_ANSWER_CHARS, ge=1, le=MAX_ANSWER_CHARS)


class MathEquivalence(Dimension):
    """1.0 when the extracted final answer equals the reference answer, else 0.0 (also for a shotgun
    of candidates)."""

    kind = "math_equivalence"
    Params = MathEquivalenceParams
    params: MathEquivalenceParams

    def grade(self, predicted: str, reference: str, ctx: ScoringContext | None = None) -> bool:
        """Compare two extracted answers (no extraction here). Raises `TimeoutError` when the
        symbolic comparison has no time left or overruns its limit."""
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
        timeout, ready_timeout = p.symbolic_timeout_s, None
        if ctx is not None:
            timeout, ready_timeout = min(timeout, ctx.remaining()), ctx.remaining()
        if timeout <= 0:
            raise TimeoutError("no time left for the symbolic comparison")
        from nova_rewards.symbolic import symbolic_equal

        pred_parts, ref_parts = canonical_parts(predicted), canonical_parts(reference)
        if named_parts(predicted) is not None and named_parts(reference) is not None:
            pred_parts, ref_parts = predicted, reference  # both name their parts: keep the names
        tol = max(p.tolerance, 1e-12)
        verdict = symbolic_equal(pred_parts, ref_parts, tol=tol, timeout=timeout, ready_timeout=ready_timeout)
        return bool(verdict)

    def check_record(self, sample: Sample) -> str | None:
        if reference_answer(sample.reference, self.params.answer_key) is not None:
            return None
        keys = ", ".join(dict.fromkeys((self.params.answer_key, *_FALLBACK_KEYS)))
        return f"reference_answer.{self.params.answer_key}: an answer (string or number; keys tried: {keys})"

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        reference = reference_answer(sample.reference, self.params.answer_key)
        if reference is None:
            return DimensionResult(None)
        predicted = extract_answer(sample.response, fallback_last_number=self.params.fallback_last_number)
        if predicted.answer is None:
            return DimensionResult(0.0, {"answer_found": 0.0})
        if is_shotgun(predicted.answer, reference):
            return DimensionResult(0.0, {"answer_found": 1.0, "shotgun": 1.0}, flags=("shotgun",))
        correct = self.grade(predicted.answer, reference, ctx)
        return DimensionResult(1.0 if correct else 0.0, {"answer_found": 1.0})


class MathAnswerFormatParams(DimensionParams):
    """Parameters of `math_answer_format`."""

    answer_marker: Literal["strict", "lenient"] = Field(
        "strict", description="strict: only a marked answer counts; lenient: an unmarked one too"
    )
    answer_key: str = Field("final_answer", min_length=1, description="key of an object reference")


class MathAnswerFormat(Dimension):
    """1.0 when the response gives one final answer behind an accepted marker (or, lenient, at
    all); 0.0 for no answer, a marker followed by nothing, or a shotgun of candidates."""

    kind = "math_answer_format"
    Params = MathAnswerFormatParams
    params: MathAnswerFormatParams

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        lenient = self.params.answer_marker == "lenient"
        found = extract_answer(sample.response, fallback_last_number=lenient)
        marked = 1.0 if found.marker is not None else 0.0
        if found.answer is None:
            return DimensionResult(0.0, {"marker_found": marked})
        reference = reference_answer(sample.reference, self.params.answer_key)
        if is_shotgun(found.answer, reference):
            return DimensionResult(0.0, {"marker_found": marked, "shotgun": 1.0}, flags=("shotgun",))
        return DimensionResult(1.0, {"marker_found": marked})
