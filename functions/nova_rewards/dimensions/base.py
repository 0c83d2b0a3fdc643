"""What every reward dimension is: parameters validated by pydantic, a score in 0..1 per sample.

A dimension never sees the configured reward range, weights or gates; the composition
(`nova_rewards.compose`) applies those. A dimension returns `DimensionResult.value`:

- a float in [0, 1] (1 is best), or
- `None` when the sample cannot be scored by this dimension (e.g. no reference of the needed shape);
  the composition leaves the dimension out of that sample's weighted mean and reports it.

Raising is allowed: the composition turns an exception into the sample's failure score and an
error metric, so one bad sample never fails the batch. Samples come from the contract already cleaned
(`nova_rewards.jsonsafe`): no lone surrogates, nesting at most 64 levels deep, integers printable.
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from nova_rewards.text import content_text


class DimensionParams(BaseModel):
    """Base of every dimension's parameters: unknown keys are an error, so typos are caught."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class Sample:
    """One model response to score, with its prompt and reference, as Bedrock delivers it."""

    id: str
    prompt_messages: tuple[Mapping[str, Any], ...]  # every message before the response
    response: str  # content of the last (assistant) message
    reference: Any = None  # `reference_answer`: any JSON value, None when absent
    metadata: Mapping[str, Any] = field(default_factory=dict)  # other dataset fields

    @property
    def prompt_text(self) -> str:
        """The text of the user turns joined, for echo checks and judges (non-text parts left out)."""
        return "\n".join(
            content_text(m.get("content")) or "" for m in self.prompt_messages if m.get("role") == "user"
        )

    @property
    def group_key(self) -> str:
        """Samples of the same prompt share this key (a prompt group, for spread statistics).

        Never raises: the contract cleans samples (`nova_rewards.jsonsafe`), and a sample built
        elsewhere that still cannot be encoded gets a key of its own repr, errors replaced.
        """
        try:
            canonical = json.dumps(list(self.prompt_messages), sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            canonical = "unencodable:" + _safe_repr(self.prompt_messages)
        return hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()[:16]


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__}>"


@dataclass(frozen=True, slots=True)
class DimensionResult:
    """A dimension's verdict on one sample: `value` in [0, 1] or None, plus logged-only metrics."""

    value: float | None
    metrics: Mapping[str, float] = field(default_factory=dict)
    flags: tuple[str, ...] = ()  # reward-hacking or policy flags raised while scoring


@dataclass(slots=True)
class ScoringContext:
    """What one invocation shares with its dimensions: the deadline and a per-invocation cache."""

    deadline: float = float("inf")  # time.monotonic() value by which scoring must stop
    cache: dict[Any, Any] = field(default_factory=dict)

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())


class Dimension(ABC):
    """A reward dimension of kind `kind`, built from validated `Params`.

    Subclasses set `kind`, `Params` and implement `score`. A dimension whose work is I/O bound
    (an LLM judge) overrides `score_batch` to score the batch concurrently.
    """

    kind: ClassVar[str]
    Params: ClassVar[type[DimensionParams]] = DimensionParams

    def __init__(self, params: DimensionParams) -> None:
        self.params = params

    def check_record(self, sample: Sample) -> str | None:
        """What this dimension needs from a dataset record and `sample` lacks, or None when nothing.

        `sample` is a record without a response (prompt turns, `reference`, `metadata`). A kind that
        reads the reference overrides this and names the key and shape it needs (e.g.
        "reference_answer.label: one of billing, shipping"); `orch reward check SPEC --dataset FILE`
        runs it on every record, so a spec that would return no value is caught before training.
        """
        return None

    @abstractmethod
    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        """Score one sample. May raise; see the module docstring."""

    def score_batch(
        self, samples: Sequence[Sample], ctx: ScoringContext
    ) -> list[DimensionResult | BaseException]:
        """Score a batch; an exception for one sample is returned in its place, not raised."""
        results: list[DimensionResult | BaseException] = []
        for sample in samples:
            try:
                results.append(self.score(sample, ctx))
            except Exception as exc:  # one bad sample never fails the batch
                results.append(exc)
        return results
