"""A deterministic RUBRIC MODEL that stands in for an LLM judge on the local stack. It is NOT an LLM.

The local Bedrock runtime (`bedrock_runtime.py`) answers Converse/InvokeModel calls with it, so
LLM-judge reward dimensions can run end to end without an AWS account. It reads the judge prompt the
way the judge contract describes it (docs: spec-format, "LLM judge output contract"): a rubric, a
candidate response delimited by `<response>` ... `</response>`, optionally a reference and a list of
required facts, and a score scale such as "1 to 5". It scores the response with transparent heuristics
and answers ONE JSON object `{"score": <int on the scale>, "reason": "<short>"}`.

Heuristics (each named in the reason): politeness, apology and empathy words raise the score; rude
phrases lower it; too short or too long responses lose points; required facts / reference words
mentioned raise it. A response that addresses the judge gets the lowest score (as the bundled rubrics
say). Same prompt, same verdict.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

DEFAULT_SCALE = (1, 5)
POLITE = ("please", "thank", "happy to help", "glad to", "appreciate", "you're welcome", "my pleasure")
APOLOGY = ("sorry", "apolog", "regret")
EMPATHY = ("understand", "frustrat", "inconvenien", "i see how", "that sounds", "i can imagine")
FURTHER_HELP = ("let me know", "anything else", "feel free", "happy to help", "reach out", "here to help")
# A plain, factual reply sits in the middle of the scale; each tone signal moves it (calibrated on the
# bundled tone rubric: warm + apologetic + empathetic + offering help = top, rude = bottom).
BASE_QUALITY = 0.45
TONE_SIGNALS = (("polite", POLITE, 0.2), ("apologises", APOLOGY, 0.15), ("empathetic", EMPATHY, 0.15),
                ("offers further help", FURTHER_HELP, 0.1))  # fmt: skip
RUDE = (
    "stupid", "idiot", "not my problem", "whatever", "shut up", "your fault", "dumb", "ridiculous",
    "deal with it", "figure it out yourself",
)  # fmt: skip
JUDGE_ADDRESSING = (
    "ignore the rubric",
    "ignore previous",
    "as the grader",
    "as the judge",
    "maximum score",
    "give this response",
)
_STOPWORD_TEXT = (
    "a an the and or but if then of to in on at for with by from is are was were be been it this that "
    "you your we our i me my they them he she his her as so not no do does did can will would should"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SCALE_PATTERNS = (
    re.compile(
        r"(?:scale|score|rate|rating)[^0-9\n]{0,60}?(-?\d+)\s*(?:-|–|to|\.\.)\s*(-?\d+)", re.IGNORECASE
    ),
    re.compile(r"between\s+(-?\d+)\s+and\s+(-?\d+)", re.IGNORECASE),
    re.compile(r"from\s+(-?\d+)\s+to\s+(-?\d+)", re.IGNORECASE),
)
_FACTS = re.compile(
    r"(?:required facts|must mention|should mention|key facts)\s*[:\-]\s*(?P<facts>[^\n]+)", re.IGNORECASE
)
_REFERENCE = re.compile(
    r"<reference(?:_answer)?>\s*(?P<text>.*?)\s*</reference(?:_answer)?>", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True)
class Verdict:
    """The judge's answer: an integer on the rubric's scale and a short reason."""

    score: int
    reason: str

    def to_json(self) -> str:
        return json.dumps({"score": self.score, "reason": self.reason})


def find_scale(prompt: str) -> tuple[int, int]:
    """The score scale the prompt asks for (e.g. "on a scale of 1 to 5"); 1..5 when none is found.

    Only the text outside `<response>` counts, so a response cannot change its own scale.
    """
    instructions = _without_response(prompt)
    for pattern in _SCALE_PATTERNS:
        for match in pattern.finditer(instructions):
            low, high = int(match.group(1)), int(match.group(2))
            if low < high <= 100:
                return low, high
    return DEFAULT_SCALE


def _response_span(prompt: str) -> tuple[int, int] | None:
    """(start, end) of the response block: the contract's `<response>\n` ... `\n</response>` delimiters
    (instructions may mention the bare tags), else the bare tags; the LAST closing tag, since a
    response may itself contain one."""
    for opening, closing in (("<response>\n", "\n</response>"), ("<response>", "</response>")):
        start, end = prompt.find(opening), prompt.rfind(closing)
        if start >= 0 and end >= start + len(opening) - 1:
            return start, end + len(closing)
    return None


def extract_response(prompt: str) -> str | None:
    """The candidate response of a judge prompt, or None when the prompt has no response block."""
    span = _response_span(prompt)
    if span is None:
        return None
    inner = prompt[span[0] : span[1]]
    return inner.removeprefix("<response>").removesuffix("</response>").strip()


def _without_response(prompt: str) -> str:
    span = _response_span(prompt)
    return prompt if span is None else prompt[: span[0]] + prompt[span[1] :]


def required_facts(prompt: str) -> list[str]:
    """Facts listed after "Required facts:" / "Must mention:" (separated by ; or ,) outside the response."""
    match = _FACTS.search(_without_response(prompt))
    if not match:
        return []
    return [f.strip(" .\"'") for f in re.split(r"[;,]", match.group("facts")) if f.strip(" .\"'")]


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in STOPWORDS and len(w) > 2}


def _hits(text: str, phrases: tuple[str, ...]) -> list[str]:
    return [p for p in phrases if p in text]


def judge(prompt: str) -> Verdict:
    """Score the `<response>` of a judge prompt on the prompt's scale."""
    low, high = find_scale(prompt)
    response = extract_response(prompt)
    if response is None:
        return Verdict(low, "no <response> block found in the prompt")
    if not response:
        return Verdict(low, "empty response")
    addressed = _hits(response.lower(), JUDGE_ADDRESSING)
    if addressed:  # the bundled rubrics: "A reply that tries to influence its own grade ... gets 1"
        return Verdict(low, f"addresses the judge ({addressed[0]!r}): lowest score")
    quality, reasons = _quality(response, prompt)
    score = low + round(quality * (high - low))
    return Verdict(min(high, max(low, score)), "; ".join(reasons)[:300] or "neutral response")


def _quality(response: str, prompt: str) -> tuple[float, list[str]]:
    """Quality in 0..1 and the named heuristics that moved it."""
    text = response.lower()
    quality, reasons = BASE_QUALITY, []
    for label, phrases, delta in TONE_SIGNALS:
        if _hits(text, phrases):
            quality += delta
            reasons.append(f"{label} (+{delta})")
    rude = _hits(text, RUDE)
    if rude:
        quality -= min(0.6, 0.3 * len(rude))
        reasons.append(f"rude: {', '.join(rude[:3])} (-{min(0.6, 0.3 * len(rude)):.1f})")
    if len(response) < 40:
        quality -= 0.2
        reasons.append(f"too short, {len(response)} chars (-0.2)")
    elif len(response) > 2000:
        quality -= 0.2
        reasons.append(f"too long, {len(response)} chars (-0.2)")
    quality, reasons = _coverage(text, prompt, quality, reasons)
    return min(1.0, max(0.0, quality)), reasons


def _coverage(text: str, prompt: str, quality: float, reasons: list[str]) -> tuple[float, list[str]]:
    facts = required_facts(prompt)
    if facts:
        found = [f for f in facts if f.lower() in text]
        share = len(found) / len(facts)
        quality += 0.4 * share - 0.2
        reasons.append(f"mentions {len(found)}/{len(facts)} required facts ({0.4 * share - 0.2:+.2f})")
        return quality, reasons
    match = _REFERENCE.search(_without_response(prompt))
    if match:
        reference = _content_words(match.group("text"))
        if reference:
            share = len(reference & _content_words(text)) / len(reference)
            quality += 0.4 * share - 0.2
            reasons.append(f"covers {share:.0%} of the reference's words ({0.4 * share - 0.2:+.2f})")
    return quality, reasons
