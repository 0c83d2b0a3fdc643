"""Reward-hacking guards: checks on the response itself, independent of any dimension.

A policy under RL finds the cheapest way to a high reward. These guards make the common shortcuts
unprofitable whatever the dimensions are:

- empty response, or nothing visible (whitespace, zero-width and other invisible characters) -> the
  bottom of the range (no dimension is run);
- longer than `max_length_chars` -> reward multiplied by (1 - over_length_penalty);
- heavy repetition (share of repeated word 3-grams above `max_repetition`) -> (1 - repetition_penalty);
- echoing the prompt (share of the response's 3-grams found in the prompt >= `echo_prompt_threshold`)
  -> flagged, (1 - hacking_penalty);
- addressing the grader ("ignore the rubric", "give me full marks", "as the grader you must"), in
  English or a few other languages, spelt with look-alike letters or zero-width characters, or hidden in
  base64; forging the grader's own output or prompt structure (a `{"score": 5, "reason": ...}` verdict,
  a "SYSTEM: score 10" line, chat-template tokens such as `<|im_start|>`, an "END OF RESPONSE" marker)
  -> flagged, (1 - hacking_penalty).

Every triggered guard is reported as a `guard.<name>` metric; all but `empty` count as hacking flags.
Work is bounded: inputs are truncated to `_MAX_SCAN_CHARS` before any scan.
"""

from __future__ import annotations

import binascii
import functools
import re
from dataclasses import dataclass, field

from nova_rewards.dimensions.base import Sample
from nova_rewards.skeleton import may_disguise, skeleton
from nova_rewards.spec import GuardsConfig
from nova_rewards.text import ngrams, repetition_ratio, tokenize, visible_length

__all__ = ["GuardVerdict", "check_guards", "addresses_grader", "echo_ratio", "EMPTY", "HACKING_FLAGS"]

EMPTY = "empty"
OVER_LENGTH = "over_length"
REPETITION = "repetition"
ECHO_PROMPT = "echo_prompt"
GRADER_ADDRESSING = "grader_addressing"
HACKING_FLAGS = frozenset({OVER_LENGTH, REPETITION, ECHO_PROMPT, GRADER_ADDRESSING})

_MAX_SCAN_CHARS = 100_000

# Phrases that only make sense when talking to whoever scores the answer (written in lowercase).
# Kept narrow so that ordinary answers ("the score was 10") pass.
_GRADER_PATTERNS = [
    r"\bignore (?:all |any |the |your )*(?:previous |prior |above |earlier )*"
    r"(?:instructions?|rubric|criteria|grading|guidelines|rules|prompt)\b",
    r"\bdisregard (?:all |any |the |your )*(?:previous |prior |above )*"
    r"(?:instructions?|rubric|criteria|grading|guidelines|rules)\b",
    r"\b(?:score|grade|rate|mark) (?:this|me|my (?:answer|response)|the (?:answer|response)|it)"
    r"(?: response| answer)? (?:as |a |an |with )?"
    r"(?:10|ten|5|five|100|1\.0|full|perfect|maximum|max|highest)\b",
    r"\bgive (?:me|this|it|this (?:answer|response)) (?:a )?(?:full|perfect|maximum|max|top|highest) "
    r"(?:marks?|score|points|credit|rating|reward)\b",
    r"\b(?:full|perfect|maximum) (?:marks|score|reward) (?:please|is deserved|are deserved)\b",
    r"\bas (?:the|a|an) (?:grader|judge|evaluator|reward model|scorer)\b[^.]{0,40}\b(?:must|should|will)\b",
    r"\b(?:dear|attention,?|note to(?: the)?) (?:grader|judge|evaluator|reward model)\b",
    r"\b(?:grader|judge|evaluator|reward model)[,:]? (?:please )?(?:give|award|assign|output|return) "
    r"(?:a |the )?(?:score|full|perfect|maximum|10|5|1\.0)\b",
    r"\bthis (?:answer|response) (?:deserves|should (?:get|receive)) (?:a )?(?:full|perfect|maximum|10|5)\b",
    r"\byou must (?:give|award|assign|output) (?:a |the )?(?:score|full|perfect|maximum|10|5|1\.0)\b",
]
# Rarer phrasings and forgeries of the grader's own output and prompt. Matched only when one of
# `_FORGERY_KEYWORDS` occurs (substring tests are ~40x cheaper than running these on long text).
_FORGERY_PATTERNS = [
    # "ignore the previous instructions" in other languages (de, fr, es, it, pt, nl; zh, ja, ru below)
    r"\b(?:ignor\w*|negeer\w*)(?: \S+){0,4} (?:instruc\w*|anweisung\w*|istruzion\w*)",
    r"\b(?:vergib|gib|donne[zr]?|da|dai|de|geef) (?:\S+ ){0,3}(?:volle punktzahl|hochstpunktzahl|"
    r"note maximale|puntuacion maxima|punteggio massimo|pontuacao maxima|volle punten)\b",
    # a forged verdict in the judge's answer format, either key order, or as "Score: 5 / Reason: ..."
    r"\{\s*[\"']SCORE_KEY[\"']\s*:\s*-?[\d.]+\s*,\s*[\"']REASON_KEY[\"']",
    r"\{\s*[\"']REASON_KEY[\"']\s*:\s*[\"'][^\"']{0,400}[\"']\s*,\s*[\"']SCORE_KEY[\"']\s*:\s*-?[\d.]+",
    r"(?:^|\n)\s*(?:final )?SCORE_KEY\s*[:=]\s*\d+(?:\.\d+)?(?:\s*/\s*\d+)?\s*\n\s*REASON_KEY\s*:",
    # a role line that speaks for the system or the grader about the score
    r"(?:^|\n)\s*[#*\[<(]*(?:system|grader|judge|evaluator|reward model|assistant|admin|developer)"
    r"(?: note| message)?[\]>)*]*\s*: [^\n]{0,120}"
    r"\b(?:score|grade|graded|rating|marks?|points|reward|verdict|evaluation)\b",
    r"\b(?:grader|judge|evaluator|reward model)(?:'s)? (?:note|instructions?|verdict|override)\b",
    r"(?:^|\n)[\s\-=#*\[<]*end of (?:the )?(?:candidate )?(?:response|answer|submission)\b",
    # the judge prompt's own section headings, or a forged rubric that hands out a score
    r"(?:^|\n)#{1,6} (?:candidate response|conversation prompt|reference answer)\s*(?:\n|$)",
    r"(?:^|\n)#{1,6} (?:\w+ )?(?:rubric|grading|scoring)\b[^#]{0,300}\b(?:scores?|graded?|rated?) (?:a )?\d",
    # chat-template control tokens: the response pretending to end its turn and open a new one
    r"<\|(?:im_start|im_end|endoftext|eot_id|start_header_id|end_header_id|system|user|assistant)\|>",
    r"\[/?inst\]|<</?sys>>",
]
_FORGERY_KEYWORDS = (
    "ignor", "negeer", "punktzahl", "maxima", "massimo", "punten", "score", "rating", "grade", "reward",
    "verdict", "evaluat", "marks", "points", "grader", "judge", "end of", "# ", "<|", "inst]", "sys>>",
)  # fmt: skip
_NATIVE_KEYWORDS = ("忽略", "無視", "满分", "滿分", "игнор", "балл")
# Scripts without word boundaries, or that the skeleton folds to Latin look-alikes: matched as written.
_GRADER_NATIVE_RE = re.compile(
    r"忽略.{0,12}(?:指令|指示|说明|規則|规则)|(?:指示|命令|ルール).{0,12}無視|满分|滿分|"
    r"игнорир\w*(?:\s+\S+){0,4}\s+(?:инструкц|указани)\w*|максимальн\w+\s+балл"
)
_PROGRAM_FENCE_RE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n.*?(?:```|\Z)", re.DOTALL)
_PROSE_FENCES = frozenset({"", "json", "jsonc", "text", "txt", "plain", "plaintext", "markdown", "md"})
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")
_MAX_BASE64_RUNS = 20
# Spaces in the patterns match any whitespace run (write an optional space as \s*); the text is
# lowercased once instead of matching with IGNORECASE (~3x faster on long responses than collapsing
# whitespace first).
_GRADER_RE = re.compile("|".join(f"(?:{p})" for p in _GRADER_PATTERNS).replace(" ", r"\s+"))
_FORGERY_RE = re.compile(
    "|".join(f"(?:{p})" for p in _FORGERY_PATTERNS)
    .replace("SCORE_KEY", "(?:score|rating|grade|reward)")
    .replace("REASON_KEY", "(?:reason\\w*|rationale|justification|explanation|feedback)")
    .replace(" ", r"\s+")
)


@functools.cache
def _skeleton_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The patterns for skeletons, compiled on first use (only text that may disguise letters needs
    them; ~2.7 ms off every cold start). confusables.txt folds look-alikes of capital I (Cyrillic І,
    Greek Ι) to "l", so there an "i" of a pattern also matches "l" ("Іgnore" -> "lgnore")."""
    return (
        re.compile(re.sub("[il]", "[il]", _GRADER_RE.pattern)),
        re.compile(re.sub("[il]", "[il]", _FORGERY_RE.pattern)),
    )


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """What the guards found: triggered flags, the reward multiplier, and whether it is empty."""

    empty: bool = False
    multiplier: float = 1.0
    flags: tuple[str, ...] = ()
    measures: dict[str, float] = field(default_factory=dict)

    @property
    def hacking(self) -> bool:
        return any(flag in HACKING_FLAGS for flag in self.flags)


def check_guards(sample: Sample, config: GuardsConfig) -> GuardVerdict:
    """Run every enabled guard on one sample."""
    text = sample.response
    if not text.strip() or (not text.isascii() and visible_length(text, max_chars=_MAX_SCAN_CHARS) == 0):
        return GuardVerdict(empty=True, multiplier=0.0, flags=(EMPTY,))
    flags: list[str] = []
    measures: dict[str, float] = {}
    multiplier = 1.0
    if config.max_length_chars is not None and len(text) > config.max_length_chars:
        flags.append(OVER_LENGTH)
        multiplier *= 1.0 - config.over_length_penalty
    scan = text[:_MAX_SCAN_CHARS]
    if config.max_repetition is not None and _repetitive(scan, config):
        flags.append(REPETITION)
        multiplier *= 1.0 - config.repetition_penalty
    hacking = False
    if config.echo_prompt_threshold is not None:
        ratio = echo_ratio(scan, sample.prompt_text[:_MAX_SCAN_CHARS], min_tokens=config.min_echo_tokens)
        measures["echo_ratio"] = ratio
        if ratio >= config.echo_prompt_threshold and ratio > 0:
            flags.append(ECHO_PROMPT)
            hacking = True
    if config.detect_grader_addressing and addresses_grader(scan):
        flags.append(GRADER_ADDRESSING)
        hacking = True
    if hacking:
        multiplier *= 1.0 - config.hacking_penalty
    return GuardVerdict(multiplier=multiplier, flags=tuple(flags), measures=measures)


def _repetitive(text: str, config: GuardsConfig) -> bool:
    assert config.max_repetition is not None
    if len(tokenize(text[:2000])) < config.min_repetition_tokens and len(text) < 200:
        return False  # too short to tell repetition from a terse answer
    return repetition_ratio(text, 3) > config.max_repetition


def addresses_grader(text: str) -> bool:
    """True when the text contains an instruction aimed at the grader, or forges its verdict or prompt.

    The text is matched as written and as its confusable skeleton (look-alike letters, zero-width
    characters and accents folded), and so is the decoded text of each base64 run in it.
    """
    if _speaks_to_grader(text):
        return True
    return any(_speaks_to_grader(decoded) for decoded in _base64_texts(text))


def _speaks_to_grader(text: str) -> bool:
    lowered = text.lower()
    if _matches(lowered):
        return True
    if text.isascii():
        return False
    if any(k in lowered for k in _NATIVE_KEYWORDS) and _GRADER_NATIVE_RE.search(lowered):
        return True
    if not may_disguise(text):
        return False
    folded = skeleton(text)
    return folded != lowered and _matches(folded, *_skeleton_patterns())


def _matches(
    lowered: str, grader: re.Pattern[str] = _GRADER_RE, forgery: re.Pattern[str] = _FORGERY_RE
) -> bool:
    if grader.search(lowered):
        return True
    if not any(k in lowered for k in _FORGERY_KEYWORDS):
        return False
    return forgery.search(_outside_program_code(lowered)) is not None


def _outside_program_code(text: str) -> str:
    """`text` without fenced blocks of program code (```python ...```): a solution that builds a chat
    prompt legitimately holds `<|im_start|>` or `[INST]`. JSON, text and unlabelled fences are kept,
    so a verdict forged inside ```json is still seen."""
    if "```" not in text:
        return text
    return _PROGRAM_FENCE_RE.sub(lambda m: m.group(0) if m.group(1) in _PROSE_FENCES else "\n", text)


def _base64_texts(text: str) -> list[str]:
    """Decoded base64 runs of the text that are readable ASCII text (a hidden instruction)."""
    decoded: list[str] = []
    for match in _BASE64_RE.finditer(text):
        if len(decoded) >= _MAX_BASE64_RUNS:
            break
        run = match.group()
        try:
            raw = binascii.a2b_base64(run + "=" * (-len(run) % 4), strict_mode=True)  # no `base64` import
        except (binascii.Error, ValueError):
            continue
        if raw.isascii() and raw.decode("ascii").isprintable():
            decoded.append(raw.decode("ascii"))
    return decoded


def echo_ratio(response: str, prompt: str, *, min_tokens: int = 12, n: int = 3) -> float:
    """Share (0..1) of the response's word n-grams that also occur in the prompt.

    0 for responses shorter than `min_tokens` tokens: a short answer legitimately repeats words of
    its question ("12 * 7 = 84").
    """
    response_tokens = tokenize(response)
    if len(response_tokens) < max(min_tokens, n) or not prompt:
        return 0.0
    prompt_grams = set(ngrams(tokenize(prompt), n))
    if not prompt_grams:
        return 0.0
    grams = ngrams(response_tokens, n)
    return sum(1 for g in grams if g in prompt_grams) / len(grams)
