"""`rules_rubric`: brand and policy compliance checked by rules, without an LLM.

A response is checked against the rules a spec enables; the score is the weighted fraction of the
applicable rules it satisfies (a facts rule gives partial credit: the share of facts covered).
Rules, by category (each category's satisfied share is reported as metric `rule_<category>`):

- `required`: phrase groups; a group is satisfied when `any` (or `all`) of its phrases appear.
- `forbidden`: one rule, satisfied when none of the phrases appear.
- `conditional`: rules that apply only when the prompt (`when_prompt`) and/or the reference
  (`when_reference`) match a regex, e.g. "a prompt about refunds needs the refund-policy sentence".
- `style`: at most `max_exclamations` exclamation marks; at most `max_shouted_words` ALL-CAPS words.
- `facts`: the reference's `required_facts` (each a phrase, or a list of alternative phrases).

Phrase matching is case-insensitive and word-boundary aware ("refund" does not match "refunded";
"no refunds" matches "No   Refunds"), after confusable-skeleton folding (`nova_rewards.skeleton`: NFKC,
look-alike letters, zero-width characters) and with typographic quotes and
dashes mapped to ASCII, so a model cannot dodge a rule with look-alike characters.
A rule that does not apply to a sample is left out; when none applies the value is None.

Presence, not absence. Rules of two sorts are mixed: presence rules pay for something the response
contains (`required`, `facts`, a conditional rule with `require_any`/`require_all`), absence rules pay
for something it does not contain (`forbidden`, a conditional rule with only `forbid`, `style`). An
empty-handed reply breaks no absence rule, so absence credit alone would pay for not answering. Hence:

- when presence rules apply, every absence rule's credit is multiplied by the presence share (the
  weighted share of presence rules satisfied): no presence, no credit at all;
- when only absence rules apply, a response of fewer than `attempt_min_words` words is not an attempt
  and scores 0 (a bare label gets no credit for "polite: nothing rude found");
- `max_prompt_copy`: a response whose word 3-grams come from the prompt (system turn included) at this
  share or more is a copy of the prompt, not an answer, and scores 0 (facts copied from the context).

Stated, not listed. The facts rule pays for facts stated in a reply, not for the required phrases
strung together: with `facts_in_prose` (the default) the facts earn nothing when fewer than
`min_reply_words` words stand outside them ("NW-1, USPS, March 2"), or when all the facts found (two
or more) follow each other with no word between them ("Details: NW-1, USPS, March 2. Hope this helps!"). The
metric `fact_list` reports it. A terse sentence ("Your order NW-1 ships with USPS on March 2.") is prose.
A fact directly after a negation ("not USPS", "isn't the original payment method") is not stated.

A rubric still cannot tell an on-topic attempt from an off-topic one by itself: in a spec, gate it on
the dimension that measures the task with `requires` (e.g. tone and brand count only when the facts
rubric or the label is right), as the bundled `support` spec does (see the README of `nova_rewards`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)
from nova_rewards.skeleton import skeleton
from nova_rewards.text import ngrams, tokenize

__all__ = ["ConditionalRule", "PhraseGroup", "RulesRubric", "RulesRubricParams", "phrase_pattern"]

Weight = Field(1.0, ge=0.0, allow_inf_nan=False)
_TRANSLATE = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-"}
)
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_DEFAULT_ACRONYMS = (
    "ASAP", "FAQ", "USA", "UPS", "DHL", "USPS", "FEDEX", "PDF", "SMS", "URL", "VAT", "GST", "EST", "PST",
    "UTC", "GMT", "API", "CEO", "SKU", "RMA", "ETA", "PIN", "CVV", "ATM", "EU", "UK",
)  # fmt: skip


def _fold(text: str) -> str:
    """Canonical text for matching: ASCII quotes/dashes, then the confusable skeleton (NFKC, Cyrillic
    and Greek look-alikes as ASCII letters, casefolded, invisible characters and accents dropped)."""
    return skeleton(unicodedata.normalize("NFKC", text).translate(_TRANSLATE))


@lru_cache(maxsize=4096)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A regex for `phrase` on `_fold`ed text: any whitespace run between words, and word boundaries
    at the ends that are word characters (so "refund" does not match inside "refunded"). A phrase
    ending in a one- or two-digit number also matches it as an ordinal ("March 2" in "March 2nd"), and a
    hyphen inside a word also matches a spaced hyphen or a space ("12-month" in "12 month", "5 - 7").

    >>> bool(phrase_pattern("No refunds").search(_fold("Sorry, NO\\n refunds.")))
    True
    >>> bool(phrase_pattern("refund").search(_fold("it was refunded")))
    False
    """
    words = _fold(phrase).split()
    if not words:
        raise ValueError("empty phrase")
    # a hyphen inside a phrase also matches a spaced hyphen or a space: "12-month" is "12 month"
    body = r"\s+".join(re.escape(word).replace(r"\-", r"(?:\s*-\s*|\s+)") for word in words)
    start = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    end = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    if re.search(r"(?<![\d.,])\d{1,2}$", words[-1]):  # a day of the month: "March 2" is also "March 2nd"
        end = r"(?:st|nd|rd|th)?" + end
    return re.compile(start + body + end)


def _check_phrases(phrases: list[str]) -> list[str]:
    for phrase in phrases:
        if not phrase.strip():
            raise ValueError("phrases must not be blank")
    return phrases


def _check_regex(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regex {pattern!r}: {exc}") from None
    return pattern


class PhraseGroup(DimensionParams):
    """A required-phrase rule: satisfied when any (or all) of `phrases` appear in the response."""

    name: str = Field(min_length=1)
    phrases: list[str] = Field(min_length=1)
    mode: Literal["any", "all"] = "any"
    weight: float = Weight

    _phrases = field_validator("phrases")(_check_phrases)


class ConditionalRule(DimensionParams):
    """A rule that applies only when its conditions match (all given conditions must match).

    `when_prompt` is searched (case-insensitive regex) in the user turns; `when_reference` in the
    reference answer (a string, or the JSON text of an object). Once it applies, the response must
    contain any of `require_any`, all of `require_all`, and none of `forbid`.
    """

    name: str = Field(min_length=1)
    when_prompt: str | None = None
    when_reference: str | None = None
    require_any: list[str] = Field(default_factory=list)
    require_all: list[str] = Field(default_factory=list)
    forbid: list[str] = Field(default_factory=list)
    weight: float = Weight

    _regexes = field_validator("when_prompt", "when_reference")(_check_regex)
    _phrases = field_validator("require_any", "require_all", "forbid")(_check_phrases)

    @model_validator(mode="after")
    def _complete(self) -> ConditionalRule:
        if self.when_prompt is None and self.when_reference is None:
            raise ValueError(f"conditional rule {self.name!r} needs when_prompt and/or when_reference")
        if not (self.require_any or self.require_all or self.forbid):
            raise ValueError(f"conditional rule {self.name!r} needs require_any, require_all or forbid")
        return self


class RulesRubricParams(DimensionParams):
    """Parameters of `rules_rubric`; every rule is off unless the spec names it."""

    required: list[PhraseGroup] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)
    forbidden_weight: float = Weight
    conditional: list[ConditionalRule] = Field(default_factory=list)
    max_exclamations: int | None = Field(None, ge=0)
    max_shouted_words: int | None = Field(None, ge=0)
    allowed_caps: list[str] = Field(default_factory=lambda: list(_DEFAULT_ACRONYMS))
    style_weight: float = Weight
    required_facts: bool = Field(False, description="check reference_answer.required_facts")
    facts_weight: float = Weight
    facts_in_prose: bool = Field(
        True, description="facts listed back to back, without a sentence around them, earn nothing"
    )
    min_reply_words: int = Field(
        3, ge=0, description="with facts_in_prose: fewer words outside the facts is a bare list"
    )
    max_chars: int = Field(50_000, ge=100, description="only this much of a response is examined")
    attempt_min_words: int = Field(
        3, ge=0, description="absence-only rubric: fewer words than this is no attempt and scores 0"
    )
    max_prompt_copy: float | None = Field(
        None, gt=0.0, le=1.0, description="share of word 3-grams copied from the prompt that scores 0"
    )

    _forbidden = field_validator("forbidden")(_check_phrases)

    @model_validator(mode="after")
    def _unique_names(self) -> RulesRubricParams:
        names = [rule.name for rule in self.required] + [rule.name for rule in self.conditional]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)}")
        return self


@dataclass(frozen=True, slots=True)
class _Verdict:
    category: str
    weight: float
    satisfied: float  # 0..1 (partial credit for facts)
    presence: bool = False  # satisfied by something the response contains (see the module docstring)


def _may_occur(phrase: str, text: str) -> bool:
    """False when `phrase` is longer than the examined text, so cannot match: its regex is never built
    (compiling a 1 MB phrase from a hostile reference takes seconds)."""
    words = _fold(phrase).split()
    return sum(map(len, words)) + len(words) - 1 <= len(text)


def _found(patterns: Iterable[re.Pattern[str]], text: str) -> list[bool]:
    return [pattern.search(text) is not None for pattern in patterns]


def _reference_text(reference: Any) -> str:
    if reference is None:
        return ""
    if isinstance(reference, str):
        return reference
    return json.dumps(reference, ensure_ascii=False, sort_keys=True)


def _facts_of(reference: Any) -> list[list[str]] | None:
    """`required_facts` of a reference object as lists of alternatives; None when absent/malformed."""
    if not isinstance(reference, Mapping):
        return None
    facts = reference.get("required_facts")
    if not isinstance(facts, list) or not facts:
        return None
    out: list[list[str]] = []
    for fact in facts:
        alternatives = [fact] if isinstance(fact, str) else fact
        if not isinstance(alternatives, list) or not all(
            isinstance(a, str) and a.strip() for a in alternatives
        ):
            return None
        out.append(alternatives)
    return out


# Words that join list items without stating anything: "A and B", "A or B", "A plus B".
_CONNECTORS = frozenset({"and", "or", "plus", "also", "then"})


# A fact right after a negation is denied, not stated: "not USPS", "isn't the original payment method".
# Only a negator directly before the fact (an article or possessive may sit between) counts, so that
# "not until March 2" still states the date ("no" is left out: "order no NW-1").
_NEGATED_RE = re.compile(r"(?:\b(?:not|never)|n't)\s+(?:(?:a|an|the|your|our|any|via|by|with)\s+)?\Z")


def _fact_spans(alternatives: list[str], text: str) -> list[tuple[int, int]]:
    """Where any alternative phrasing of one fact is stated in the folded text: every occurrence that
    is not directly negated."""
    return [
        m.span()
        for alt in alternatives
        if _may_occur(alt, text)
        for m in phrase_pattern(alt).finditer(text)
        if not _NEGATED_RE.search(text[max(0, m.start() - 40) : m.start()])
    ]


def _content_words(text: str) -> int:
    return sum(1 for word in _WORD_RE.findall(text) if word not in _CONNECTORS)


def _is_fact_list(spans: list[list[tuple[int, int]]], text: str, min_reply_words: int) -> bool:
    """True when the found facts are a bare list rather than stated in a reply (module docstring):
    fewer than `min_reply_words` words outside every fact occurrence, or every fact found back to back."""
    mask = list(text)
    for found in spans:
        for start, end in found:
            mask[start:end] = " " * (end - start)
    if _content_words("".join(mask)) < min_reply_words:
        return True
    if len(spans) < 2:
        return False
    firsts = sorted(min(found) for found in spans)
    gaps = (text[a_end:b_start] for (_, a_end), (b_start, _) in zip(firsts, firsts[1:], strict=False))
    return all(_joins_list_items(gap) for gap in gaps)


def _joins_list_items(gap: str) -> bool:
    """True when the text between two facts only separates list items (", ", " / ", " and ", a new
    line); a bracket attaches one fact to the other ("order NW-1 (hiking boots)"), so it is prose."""
    return _content_words(gap) == 0 and not any(ch in gap for ch in "()[]")


class RulesRubric(Dimension):
    """Weighted fraction of brand/policy rules satisfied. See the module docstring."""

    kind: ClassVar[str] = "rules_rubric"
    Params: ClassVar[type[DimensionParams]] = RulesRubricParams
    params: RulesRubricParams

    def __init__(self, params: DimensionParams) -> None:
        super().__init__(params)
        p = self.params
        self._required = [(g, [phrase_pattern(x) for x in g.phrases]) for g in p.required]
        self._forbidden = [phrase_pattern(x) for x in p.forbidden]
        self._conditional = [
            (
                rule,
                re.compile(rule.when_prompt, re.IGNORECASE) if rule.when_prompt else None,
                re.compile(rule.when_reference, re.IGNORECASE) if rule.when_reference else None,
                [phrase_pattern(x) for x in rule.require_any],
                [phrase_pattern(x) for x in rule.require_all],
                [phrase_pattern(x) for x in rule.forbid],
            )
            for rule in p.conditional
        ]
        self._allowed_caps = {word.upper() for word in p.allowed_caps}

    # -- rule families --------------------------------------------------------------------------
    def _required_verdicts(self, text: str) -> Iterable[_Verdict]:
        for group, patterns in self._required:
            hits = _found(patterns, text)
            ok = all(hits) if group.mode == "all" else any(hits)
            yield _Verdict("required", group.weight, float(ok), presence=True)

    def _forbidden_verdicts(self, text: str) -> Iterable[_Verdict]:
        if self._forbidden:
            ok = not any(_found(self._forbidden, text))
            yield _Verdict("forbidden", self.params.forbidden_weight, float(ok))

    def _conditional_verdicts(self, sample: Sample, text: str) -> Iterable[_Verdict]:
        limit = self.params.max_chars  # bounded regex work on long prompts and references too
        prompt, reference = sample.prompt_text[:limit], _reference_text(sample.reference)[:limit]
        for rule, when_prompt, when_reference, any_of, all_of, forbid in self._conditional:
            if when_prompt is not None and not when_prompt.search(prompt):
                continue
            if when_reference is not None and not when_reference.search(reference):
                continue
            ok = (
                (not any_of or any(_found(any_of, text)))
                and all(_found(all_of, text))
                and not any(_found(forbid, text))
            )
            yield _Verdict("conditional", rule.weight, float(ok), presence=bool(any_of or all_of))

    def _style_verdicts(self, raw: str) -> Iterable[_Verdict]:
        p = self.params
        if p.max_exclamations is not None:
            ok = raw.count("!") <= p.max_exclamations
            yield _Verdict("style", p.style_weight, float(ok))
        if p.max_shouted_words is not None:
            shouted = sum(
                1
                for word in _WORD_RE.findall(raw)
                if len(word) >= 3 and word.isupper() and word not in self._allowed_caps
            )
            ok = shouted <= p.max_shouted_words
            yield _Verdict("style", p.style_weight, float(ok))

    def _facts_verdicts(self, sample: Sample, text: str, metrics: dict[str, float]) -> Iterable[_Verdict]:
        p = self.params
        if not p.required_facts:
            return
        facts = _facts_of(sample.reference)
        if facts is None:
            return
        spans = [_fact_spans(alts, text) for alts in facts]
        covered = sum(1 for found in spans if found)
        if p.facts_in_prose and covered and _is_fact_list([s for s in spans if s], text, p.min_reply_words):
            metrics["fact_list"] = 1.0
            covered = 0
        yield _Verdict("facts", p.facts_weight, covered / len(facts), presence=True)

    # -- Dimension API --------------------------------------------------------------------------
    def check_record(self, sample: Sample) -> str | None:
        if self.params.required_facts and _facts_of(sample.reference) is None:
            return "reference_answer.required_facts: a non-empty list of phrases (or lists of alternatives)"
        return None

    def _prompt_copy(self, sample: Sample, text: str) -> float:
        """Share of the response's word 3-grams found in the prompt turns (system turn included)."""
        limit = self.params.max_chars
        prompt = "\n".join(str(m.get("content", "")) for m in sample.prompt_messages)[:limit]
        grams = ngrams(tokenize(text), 3)
        if not grams:
            return 0.0
        prompt_grams = set(ngrams(tokenize(prompt), 3))
        return sum(1 for g in grams if g in prompt_grams) / len(grams)

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        raw = unicodedata.normalize("NFKC", sample.response[: self.params.max_chars])
        text = _fold(raw)
        metrics: dict[str, float] = {}
        verdicts = [
            *self._required_verdicts(text),
            *self._forbidden_verdicts(text),
            *self._conditional_verdicts(sample, text),
            *self._style_verdicts(raw),
            *self._facts_verdicts(sample, text, metrics),
        ]
        total = sum(v.weight for v in verdicts)
        if not verdicts or total <= 0:
            return DimensionResult(value=None)
        for category in dict.fromkeys(v.category for v in verdicts):
            mine = [v.satisfied for v in verdicts if v.category == category]
            metrics[f"rule_{category}"] = sum(mine) / len(mine)
        metrics["rule_violations"] = float(sum(1 for v in verdicts if v.satisfied < 1.0))
        attempt = self._attempt_share(verdicts, text)
        metrics["attempt"] = attempt
        if self.params.max_prompt_copy is not None:
            copied = self._prompt_copy(sample, text)
            metrics["prompt_copy"] = copied
            if copied >= self.params.max_prompt_copy:
                return DimensionResult(value=0.0, metrics=metrics)
        earned = sum(v.weight * (v.satisfied if v.presence else v.satisfied * attempt) for v in verdicts)
        value = earned / total
        # No flags: the composition counts every flag as reward hacking, and a policy slip is not that.
        return DimensionResult(value=min(1.0, max(0.0, value)), metrics=metrics)

    def _attempt_share(self, verdicts: list[_Verdict], text: str) -> float:
        """How much absence credit the response earns: the presence share, or 0/1 by word count."""
        presence = [v for v in verdicts if v.presence]
        weight = sum(v.weight for v in presence)
        if presence and weight > 0:
            return sum(v.weight * v.satisfied for v in presence) / weight
        return 1.0 if len(_WORD_RE.findall(text)) >= self.params.attempt_min_words else 0.0
