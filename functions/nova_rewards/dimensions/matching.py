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
from nova_rewards.skeleton import skeleton
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

    def check_record(self, sample: Sample) -> str | None:
        if _reference_values(sample.reference, (self.params.answer_key, "final_answer")) is not None:
            return None
        return f"reference_answer.{self.params.answer_key}: a string or number (or a list of them)"

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        references = _reference_values(sample.reference, (self.params.answer_key, "final_answer"))
        if references is None:
            return DimensionResult(None)
        candidate = self.normalise(self.extract(sample.response))
        matched = bool(candidate) and any(candidate == self.normalise(ref) for ref in references)
        return DimensionResult(1.0 if matched else 0.0)


# ---------------------------------------------------------------- label_match

# Answer markers, matched on the skeleton (casefolded, look-alikes folded) of the response: "Label: x",
# "**Category:** x", "The answer is x", "Final answer = x", and tags "<answer>x</answer>"; an answer on
# the line after its marker counts. Only the last class of the pattern overlaps its neighbour, and it
# ends the pattern, so nothing backtracks: matching stays linear.
_LABEL_MARKER_RE = re.compile(
    r"(?<![\w])(?:final\s+)?(?:answer|label|category|class|classification|sentiment|intent)"
    r"(?:[*_]{1,3})?\s{0,3}(?:is\b|:|=)[\s*_:]*([^\n]*)"
)
_LABEL_TAG_RE = re.compile(r"<(answer|label|category)>([^<\n]{0,500})</\1>")
# Candidate separators inside a marked answer: a slash, a bar, a comma or semicolon, "or", "and".
_NON_WORD_RE = re.compile(r"[\W_]+")
# (no leading `\s*`: it would rescan every run of spaces from each of its positions, a quadratic split)
_SEPARATOR_RE = re.compile(r"[/|,;]|\bor\b|\band\b")


class LabelMatchParams(DimensionParams):
    """Parameters of `label_match`: the allowed labels and optional synonyms (synonym -> label)."""

    labels: list[str] = Field(..., min_length=1)
    synonyms: dict[str, str] = Field(default_factory=dict)
    answer_key: str = Field("label", min_length=1)
    case_sensitive: bool = Field(False, description="compare letter case too (look-alikes are folded)")
    max_chars: int = Field(20_000, ge=1, le=_MAX_CHARS)

    @model_validator(mode="after")
    def _synonyms_name_labels(self) -> LabelMatchParams:
        unknown = sorted(set(self.synonyms.values()) - set(self.labels))
        if unknown:
            raise ValueError(f"synonyms map to labels not in `labels`: {unknown}")
        return self


class LabelMatch(Dimension):
    """1.0 when the response names exactly one allowed label (or synonym) and it is the reference.

    Text is compared by its confusable skeleton (`nova_rewards.skeleton`: NFKC, look-alike letters
    folded to ASCII, invisible characters dropped), so a label spelt with Cyrillic or Greek letters is
    still seen. Where the label is read:

    - when the response has answer markers ("Label: x", "**Category:** x", "The answer is x",
      `<answer>x</answer>`), only the marked answers count (no whole-text scan): text around them may
      discuss other labels;
    - otherwise the whole response.

    Inside what is read, `/`, `|`, `,`, `;`, "or" and "and" separate candidates, and every allowed label
    mentioned counts. More than one distinct label (in one marker, in several markers, or in the free
    text) is a hedge and scores 0: listing every class must not pay.
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
        """Skeleton with every run of punctuation, underscores and spaces folded to one space, so
        "order_status", "order-status" and "Order status" compare equal."""
        folded = skeleton(text, casefold=not self.params.case_sensitive)
        return _NON_WORD_RE.sub(" ", folded).strip()

    def _labels_in(self, text: str) -> set[str]:
        """Distinct allowed labels named in `text`: each separated candidate that is a label exactly or
        nearly (`_near_label`), plus every label mentioned as a whole word anywhere in it."""
        found = set()
        for candidate in _SEPARATOR_RE.split(text):
            normalised = self._norm(candidate)
            label = self._table.get(normalised) or self._near_label(normalised)
            if label is not None:
                found.add(label)
        found.update(self._table[m] for m in self._mention_re.findall(self._norm(text)))
        return found

    def _near_label(self, candidate: str) -> str | None:
        """The one label of 5+ characters that `candidate` misses by a single edit, if any.

        A look-alike the confusables table does not fold (or folds to another letter: Cyrillic
        palochka looks like both `l` and `I`) leaves a label one character off. Counting it as that
        label keeps a disguised second label from hiding a hedge ("account | tесһnісаӏ").
        """
        if not _NEAR_MIN <= len(candidate) <= _NEAR_MAX:
            return None
        near = {
            label
            for key, label in self._table.items()
            if len(key) >= _NEAR_MIN and _one_edit_apart(candidate, key)
        }
        return next(iter(near)) if len(near) == 1 else None

    def extract_label(self, response: str) -> tuple[str | None, int]:
        """(label, number of distinct labels named) of a response; the label is None unless exactly
        one is named."""
        case_sensitive = self.params.case_sensitive
        text = skeleton(response[-self.params.max_chars :], casefold=not case_sensitive)
        marked = self._marked_keep_case(text) if case_sensitive else self._marked(text)
        named: set[str] = set()
        for answer in marked or [text]:
            named |= self._labels_in(answer)
        if len(named) == 1:
            return next(iter(named)), 1
        return None, len(named)

    def _marked(self, text: str) -> list[str]:
        """The answers after every marker of casefolded text, in order."""
        answers = [m.group(2) for m in _LABEL_TAG_RE.finditer(text)]
        return answers + [m.group(1) for m in _LABEL_MARKER_RE.finditer(text)]

    def _marked_keep_case(self, text: str) -> list[str]:
        """Marked answers of case-sensitive text: markers found case-insensitively, answers as written."""
        lowered = text.lower()
        if len(lowered) != len(text):  # lowering changed lengths: answers cannot be cut from `text`
            return self._marked(lowered)
        spans = [m.span(2) for m in _LABEL_TAG_RE.finditer(lowered)]
        spans += [m.span(1) for m in _LABEL_MARKER_RE.finditer(lowered)]
        return [text[a:b] for a, b in spans]

    def _expected(self, reference: Any) -> set[str] | None:
        references = _reference_values(reference, (self.params.answer_key, "answer"))
        if references is None:
            return None
        expected = {self._table.get(self._norm(ref)) for ref in references}
        expected.discard(None)
        return {label for label in expected if label is not None} or None

    def check_record(self, sample: Sample) -> str | None:
        if self._expected(sample.reference) is not None:
            return None
        labels = ", ".join(self.params.labels[:10]) + (", ..." if len(self.params.labels) > 10 else "")
        return f"reference_answer.{self.params.answer_key} (or a bare label): one of {labels}"

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        expected = self._expected(sample.reference)
        if expected is None:  # no reference, or one outside the label set: cannot be scored
            return DimensionResult(None)
        label, named = self.extract_label(sample.response)
        metrics = {"label_found": 1.0 if label else 0.0, "ambiguous": 1.0 if named > 1 else 0.0}
        return DimensionResult(1.0 if label in expected else 0.0, metrics)


_NEAR_MIN, _NEAR_MAX = 5, 64  # shorter labels differ by one letter too often; longer is not a label


def _one_edit_apart(a: str, b: str) -> bool:
    """True when `a` becomes `b` by exactly one substitution, insertion or deletion (O(len))."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


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
