"""String-checking kinds: `exact_match`, `label_match` (classification) and `regex` (format).

All three are cheap and deterministic. Regular expressions are compiled once, when the spec is
built, and every input is truncated to a bound first (Python's `re` has no timeout, so the
bound is what keeps a crafted response from stalling a batch).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)
from nova_rewards.text import normalise_text

_MAX_CHARS = 100_000
_ANSWER_MARKER_RE = re.compile(
    r"(?:final\s+answer|answer|label|category|class|classification|sentiment)\s*(?:is|:|=)\s*:?\s*([^\n]+)",
    re.IGNORECASE,
)


def _reference_values(reference: Any, keys: Sequence[str]) -> list[str] | None:
    """Acceptable answers from a reference: a string/number, a list of them, or an object's key."""
    if isinstance(reference, Mapping):
        for key in keys:
            if key in reference:
                return _reference_values(reference[key], keys)
        return None
    if isinstance(reference, bool) or reference is None:
        return None
    if isinstance(reference, str | int | float):
        return [str(reference)]
    if isinstance(reference, list) and reference:
        values = [str(v) for v in reference if isinstance(v, str | int | float) and not isinstance(v, bool)]
        return values or None
    return None


def _marked_answer(text: str) -> str | None:
    """The text after the last "answer:"/"label:" style marker, up to the end of its line."""
    found = _ANSWER_MARKER_RE.findall(text)
    return found[-1].strip() if found else None


# ---------------------------------------------------------------- exact_match


class ExactMatchParams(DimensionParams):
    """Parameters of `exact_match`; the reference may be a string, a number or a list of them."""

    answer_key: str = Field("answer", min_length=1, description="key of an object reference")
    case_sensitive: bool = False
    strip_punctuation: bool = True
    remove_articles: bool = True
    collapse_whitespace: bool = True
    extract: Literal["full", "last_line", "answer_marker"] = Field(
        "full", description="compare the whole response, its last line, or the text after 'Answer:'"
    )
    max_chars: int = Field(10_000, ge=1, le=_MAX_CHARS)


class ExactMatch(Dimension):
    """1.0 when the normalised response (or the extracted part) equals a normalised reference."""

    kind = "exact_match"
    Params = ExactMatchParams
    params: ExactMatchParams

    def normalise(self, text: str) -> str:
        p = self.params
        return normalise_text(
            text[: p.max_chars],
            lowercase=not p.case_sensitive,
            strip_punctuation=p.strip_punctuation,
            remove_articles=p.remove_articles,
            collapse_whitespace=p.collapse_whitespace,
        )

    def extract(self, response: str) -> str:
        mode = self.params.extract
        if mode == "last_line":
            lines = [line for line in response.strip().splitlines() if line.strip()]
            return lines[-1] if lines else ""
        if mode == "answer_marker":
            return _marked_answer(response[-self.params.max_chars :]) or ""
        return response

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        references = _reference_values(sample.reference, (self.params.answer_key, "final_answer"))
        if references is None:
            return DimensionResult(None)
        candidate = self.normalise(self.extract(sample.response))
        matched = bool(candidate) and any(candidate == self.normalise(ref) for ref in references)
        return DimensionResult(1.0 if matched else 0.0)


# ---------------------------------------------------------------- label_match


class LabelMatchParams(DimensionParams):
    """Parameters of `label_match`: the allowed labels and optional synonyms (synonym -> label)."""

    labels: list[str] = Field(..., min_length=1)
    synonyms: dict[str, str] = Field(default_factory=dict)
    answer_key: str = Field("label", min_length=1)
    case_sensitive: bool = False
    max_chars: int = Field(20_000, ge=1, le=_MAX_CHARS)

    @model_validator(mode="after")
    def _synonyms_name_labels(self) -> LabelMatchParams:
        unknown = sorted(set(self.synonyms.values()) - set(self.labels))
        if unknown:
            raise ValueError(f"synonyms map to labels not in `labels`: {unknown}")
        return self


class LabelMatch(Dimension):
    """1.0 when the response names exactly one allowed label (or synonym) and it is the reference.

    The label is read from an "Answer:/Label:" marker if present, else the whole response when it
    is just a label, else the labels mentioned anywhere. A response that names several different
    labels is ambiguous and scores 0: listing every class must not pay.
    """

    kind = "label_match"
    Params = LabelMatchParams
    params: LabelMatchParams

    def __init__(self, params: LabelMatchParams) -> None:
        super().__init__(params)
        table = {self._norm(label): label for label in params.labels}
        table.update({self._norm(syn): label for syn, label in params.synonyms.items()})
        self._table = {k: v for k, v in table.items() if k}
        alternatives = sorted(self._table, key=len, reverse=True)
        self._mention_re = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, alternatives)) + r")(?!\w)")

    def _norm(self, text: str) -> str:
        return normalise_text(text, lowercase=not self.params.case_sensitive)

    def extract_label(self, response: str) -> tuple[str | None, int]:
        """(label, number of distinct labels mentioned) of a response."""
        text = response[-self.params.max_chars :]
        marked = _marked_answer(text)
        for candidate in (marked, text):
            if candidate is None:
                continue
            norm = self._norm(candidate)
            if norm in self._table:
                return self._table[norm], 1
            mentioned = {self._table[m] for m in self._mention_re.findall(norm)}
            if len(mentioned) == 1:
                return mentioned.pop(), 1
            if len(mentioned) > 1:
                return None, len(mentioned)
        return None, 0

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        references = _reference_values(sample.reference, (self.params.answer_key, "answer"))
        if references is None:
            return DimensionResult(None)
        expected = {self._table.get(self._norm(ref), ref) for ref in references}
        label, mentions = self.extract_label(sample.response)
        metrics = {"label_found": 1.0 if label else 0.0, "ambiguous": 1.0 if mentions > 1 else 0.0}
        return DimensionResult(1.0 if label in expected else 0.0, metrics)


# ---------------------------------------------------------------- regex


def _check_pattern(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return pattern


class RegexFormatParams(DimensionParams):
    """Parameters of `regex`: required patterns (all or any), forbidden patterns, full match."""

    pattern: str | None = Field(None, description="one required pattern (shorthand for `patterns`)")
    patterns: list[str] = Field(default_factory=list)
    mode: Literal["all", "any"] = "all"
    forbidden: list[str] = Field(default_factory=list)
    full_match: bool = Field(False, description="a required pattern must match the whole response")
    strip: bool = Field(True, description="strip surrounding whitespace before matching")
    partial_credit: bool = Field(False, description="mode all: score the share of patterns matched")
    max_chars: int = Field(20_000, ge=1, le=_MAX_CHARS)

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, value: str | None) -> str | None:
        return None if value is None else _check_pattern(value)

    @field_validator("patterns", "forbidden")
    @classmethod
    def _valid_patterns(cls, value: list[str]) -> list[str]:
        return [_check_pattern(p) for p in value]

    @model_validator(mode="after")
    def _something_to_check(self) -> RegexFormatParams:
        if self.pattern is None and not self.patterns and not self.forbidden:
            raise ValueError("give `pattern`, `patterns` or `forbidden`")
        return self


class RegexFormat(Dimension):
    """Format check: 1.0 when the required patterns match and no forbidden pattern does."""

    kind = "regex"
    Params = RegexFormatParams
    params: RegexFormatParams

    def __init__(self, params: RegexFormatParams) -> None:
        super().__init__(params)
        required = ([params.pattern] if params.pattern else []) + list(params.patterns)
        self._required = [re.compile(p) for p in required]
        self._forbidden = [re.compile(p) for p in params.forbidden]

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        p = self.params
        text = sample.response[: p.max_chars]
        if p.strip:
            text = text.strip()
        forbidden_hits = sum(1 for rx in self._forbidden if rx.search(text))
        metrics = {"forbidden_hits": float(forbidden_hits)} if self._forbidden else {}
        if forbidden_hits:
            return DimensionResult(0.0, metrics)
        if not self._required:
            return DimensionResult(1.0, metrics)
        match = (lambda rx: rx.fullmatch(text)) if p.full_match else (lambda rx: rx.search(text))
        hits = sum(1 for rx in self._required if match(rx))
        if p.mode == "any":
            value = 1.0 if hits else 0.0
        elif p.partial_credit:
            value = hits / len(self._required)
        else:
            value = 1.0 if hits == len(self._required) else 0.0
        return DimensionResult(value, metrics)
