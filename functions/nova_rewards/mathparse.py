"""Math answers: extract the final answer from a response (parse) and compare two answers (grade).

Both halves are pure functions of their inputs and use only the stdlib (exact `Fraction`
arithmetic), so the common case - a number written in one of a dozen ways - is graded in
microseconds on the caller's thread, and so are constant arithmetic, polynomial/rational identities
(exact values at random points), proportional or distinct linear equations, unions of intervals and
matrices, with bounded work. Everything else (functions, other equations, sets of closed forms...)
goes to Math-Verify in `nova_rewards.symbolic`'s killable worker process.

Extraction (`extract_answer`): the LAST explicit answer wins, whatever its marker - `\\boxed{}` /
`\\fbox{}` (adjacent boxes form one multi-part answer), `#### x`, `<answer>x</answer>`, "the (final)
answer is x", "Final answer: x", "Answer: x" in any case and emphasis (`**Answer:** 8`, `ANSWER: 25`),
and a few non-English markers ("答案", "Réponse"). So a self-correction after a marker counts. With no
marker, and only when asked (`fallback_last_number`): the last math block (`$...$`, `\\[...\\]`), the
whole response when it is a bare expression, else the last number that is not part of a word.

Shotguns (`is_shotgun`): an answer that lists more distinct candidates than the reference has parts
("40, 41, 42 or 43", `\\boxed{41} \\boxed{42}` for a single number) earns nothing. So does a second
value offered after the final answer (`_competing_value`): alone or labelled on the next lines
("Answer: 12\\n13", "Backup: 13"), in a hedging sentence just below or at the end of the response ("Or
maybe 13.", "13 also works"), or as an operation on it (`\\boxed{12} + 1`); a rejected alternative
("8, but that's incorrect") and a note on another reading of the question ("if it meant 6 boxes, it
would be 6") are not hedges.

Cost: every regular expression here is linear in its input (no nested or overlapping quantifiers,
no end-anchored search over long text: trailing parts are stripped by hand); the property test
`tests/unit/rewards/test_math_linear.py` measures growth on adversarial inputs.

Numbers understood (see tests/unit/rewards/test_math.py for the full table): thousands separators
(1,234,567 and 1{,}234), decimals, negatives, fractions (3/4, \\frac{3}{4}, \\dfrac, \\tfrac,
\\frac34), mixed numbers (1 1/2, 1\\frac{1}{2}, 3½), repeating decimals (0.\\overline{3}, 0.1666...),
percentages (50%, 50\\%, 50 percent), currency and units ($12.00, 5 dollars, 64 ft^2), scale and
number words (2.5 million, twenty-five). A word or letter that changes the value is not a unit: "2x",
"10 - x", "5 squared", "at least 12", "12 or thirteen" are not the number (see test_math_classes.py).
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

__all__ = [
    "MAX_ANSWER_CHARS",
    "Extraction",
    "Number",
    "answer_items",
    "canonical_parts",
    "extract_answer",
    "extract_final_answer",
    "is_shotgun",
    "unescape_latex",
    "canonical_text",
    "parse_number",
    "numbers_equal",
    "normalise_expression",
    "answers_equal",
]

# Longest response tail looked at by the extractor, and longest answer string parsed.
MAX_RESPONSE_CHARS = 100_000
MAX_ANSWER_CHARS = 10_000
_MAX_BOXED_TRIED = 20
_MAX_BOX_GAP = 40  # text between two boxes of one multi-part answer ("$ and $")
_MAX_BARE_EXPRESSION = 300  # an unmarked response this short without prose is the answer itself

_MARKDOWN_STRIP = " \t*_`\"'"  # "**Answer:** 42", "The answer is **42**", 'is "12"'
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*")
# "the final answer is", "Final Answer:", "**ANSWER**: 25", "answer = 5", "答案是", "Réponse :"
_MARKER_RE = re.compile(
    r"(?<![A-Za-z])(?:the\s+)?(?:final\s+)?answer(?:\s*[*_]{1,3})?\s*(?:is\b\s*:?|:|=)"
    r"|(?<![A-Za-z])(?:r[ée]ponse(?:\s+finale)?|respuesta(?:\s+final)?|antwort)\s*:"
    # "Correct option: C", "The (correct) answer choice is (C)"; not "the best choice is to..."
    r"|(?<![A-Za-z])(?:the\s+)?(?:correct\s+(?:answer\s+)?|answer\s+)(?:option|choice)\s*(?:is\b\s*:?|:)"
    r"|(?:最终)?答案\s*(?:是|为|：|:)"
    # a heading line "## Final Answer", "**Answer**": the answer follows on the next lines
    r"|(?<![^\n])[ \t]*(?:\#{1,6}[ \t]*)?[*_]{0,3}(?:final[ \t]+)?answer[ \t]*[*_]{0,3}[ \t]*(?=\r?\n)",
    re.IGNORECASE,
)
# Look-alike letters (Cyrillic, Greek) and fullwidth forms read as ASCII before markers are looked
# for: "Аnswer: 41" with a Cyrillic "А" is a marker too, so it cannot hide a competing answer.
_CONFUSABLES = str.maketrans(
    {
        **dict(zip("АВЕКМНОРСТХаеорсхуіјѕԁԛԝ", "ABEKMHOPCTXaeopcxyijsdqw", strict=True)),
        **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),  # not α, ν: math variables
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},  # fullwidth ASCII
        "\u3000": " ",
    }
)
_ANSWER_TAG_OPEN, _ANSWER_TAG_CLOSE = "<answer>", "</answer>"
_FINAL_MARKER_RE = re.compile(r"[\s#*_]{0,12}(?:the\s+)?final\s+answer", re.IGNORECASE)
_MARKER_BOLD_CLOSE_RE = re.compile(r"^[ \t]*(?:\*\*|__)(?=\s)")  # "**Final Answer:** Janet makes **$18**"
_BOLD_RE = re.compile(r"\*\*([^*\n]{1,200})\*\*|__([^_\n]{1,200})__")
_ANSWER_TAG_RE = re.compile(re.escape(_ANSWER_TAG_OPEN))
_HASHES_RE = re.compile(r"#{4,}")
_MAX_MARKERS_TRIED = 20
_MAX_BLANK_LINES = 3
_MAX_BLOCK_CHARS = 2000
_DOLLAR_BLOCK_RE = re.compile(r"\$\$([^$]{1,2000})\$\$|\$([^$]{1,2000})\$")
# A number as written in prose or LaTeX, for "last number" extraction. Never the tail of a word or
# of a longer number ("AZYUK2A" holds no answer), so the lookbehind.
_NUMBER_TOKEN = (
    r"(?<![A-Za-z0-9_.,])"
    r"(?:-?\s?\\[dt]?frac\s*(?:\{[^{}]{1,64}\}\{[^{}]{1,64}\}|\d\d)"  # LaTeX fraction
    r"|-?[$€£]?\s?(?:\d{1,3}(?:(?:,|\{,\})\d{3})+|\d+)(?:\.\d+)?"  # 1,234.5 or 1234.5
    r"(?:\s+\d+\s*/\s*\d+|\s*\\[dt]?frac\s*\{\d+\}\{\d+\}|\s*/\s*\d+(?:\.\d+)?)?"  # mixed / fraction
    r"(?:\s*(?:\\?%|percent\b))?"
    r"|-?\.\d+(?:\s*(?:\\?%|percent\b))?)"  # .5
)
_NUMBER_RE = re.compile(_NUMBER_TOKEN, re.IGNORECASE)
_PROSE_RE = re.compile(r"(?<![\\\w])[^\W\d_]{3,}")  # a word (any script) that is not a LaTeX command
_MATH_WORDS = frozenset(
    ("sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "sqrt", "max", "min", "mod", "gcd", "lcm", "det")
    + ("deg", "arg", "inf", "sup", "and")
)
# "\\boxed{" escaped twice (JSON of JSON): only well-known commands, as "\\" + letters is also LaTeX
_DOUBLE_BACKSLASH_RE = re.compile(
    r"(?<!\\)\\\\(?=(?:boxed|fbox|[dtc]?frac|left|right|sqrt|pi|text|mathrm|cdot|times|infty"
    r"|leq?|geq?|neq|cup|in|pm)(?![A-Za-z]))"
)
_LATEX_THOUSANDS_RE = re.compile(r"(?<=\d),\s*\\[!,]\s*(?=\d{3})")  # "11,\! 111" (thin-space groups)
_INEQUALITY_CHARS = frozenset("<>≤≥≠")
_NEGATION_RE = re.compile(r"(?<![A-Za-z])(?:not|no|never|isn't|isnt|except|but)(?![A-Za-z])", re.IGNORECASE)

_WRAPPERS = (
    ("\\left", ""),
    ("\\right", ""),
    ("\\!", ""),
    ("\\,", ""),
    ("\\;", ""),
    ("\\:", ""),
    ("\\ ", " "),
    ("~", " "),
    ("\\$", "$"),
    ("\\%", "%"),
    ("{,}", ","),
    ("\u2212", "-"),  # Unicode minus
    ("\u2013", "-"),
    ("\\displaystyle", ""),
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\cfrac", "\\frac"),
    ("\u03c0", "\\pi "),  # π
    ("\\varnothing", "\\emptyset"),
    ("\\langle", "("),  # a vector <1, 2> is the tuple (1, 2)
    ("\\rangle", ")"),
    ("\u2205", "\\emptyset"),  # ∅
    *(
        (chr(code), f" {num}/{den}")
        for code, (num, den) in {
            0xBD: (1, 2),
            0xBC: (1, 4),
            0xBE: (3, 4),
            0x2153: (1, 3),
            0x2154: (2, 3),
            0x2155: (1, 5),
            0x2156: (2, 5),
            0x2157: (3, 5),
            0x2158: (4, 5),
            0x2159: (1, 6),
            0x215A: (5, 6),
            0x215B: (1, 8),
            0x215C: (3, 8),
            0x215D: (5, 8),
            0x215E: (7, 8),
        }.items()
    ),  # vulgar fractions: "3½" is the mixed number 3 1/2
)
_UNICODE_ROOT_RE = re.compile(r"\u221a\s*(\d+(?:\.\d+)?|[A-Za-z])")  # "2√5" -> 2\sqrt{5}
_TEXT_CMD_RE = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_OPEN_DELIMS = ("$$", "$", "\\(", "\\[")
_CLOSE_DELIMS = ("$$", "$", "\\)", "\\]")
_DEGREE_RE = re.compile(r"\^\s*\{?\\circ\}?|°")
_TRAILING_PUNCT = " \t\r\n.,;:!?\\"  # and a lone trailing backslash ("185\\")
_CURRENCY_RE = re.compile(r"[$€£]|\b(?:usd|eur|gbp|rs)\b", re.IGNORECASE)
_THOUSANDS_RE = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+)(?![\d])")
_DECIMAL_RE = re.compile(r"\.\d|\d[eE][+-]?\d")  # written with a decimal point or an exponent
_PLAIN_RE = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,4}))?$")
_SIMPLE_FRAC_RE = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)$")
_LATEX_FRAC_RE = re.compile(r"^([+-]?)\\frac\s*(?:\{([^{}]+)\}\s*\{([^{}]+)\}|(\d)(\d))$")
_MIXED_RE = re.compile(r"^([+-]?)(\d+)\s+(\d+)\s*/\s*(\d+)$")
_MIXED_LATEX_RE = re.compile(r"^([+-]?)(\d+)\s*\\frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}$")
_PERCENT_SUFFIXES = ("%", "percentage", "percent", "per cent", "per  cent")
_UNIT_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.'/²³")
_COPULA_RE = re.compile(
    r"(?<![A-Za-z])(?:is|was|be|equals|of)(?![A-Za-z])|(?<![<>!=])=(?!=)|:", re.IGNORECASE
)
_TIMES_X_RE = re.compile(r"(?<=[\d\s])[x×](?=[\s\d])|\\(?:times|cdot|div|frac|dfrac|tfrac|sqrt|left|right)")
_COMMAND_RE = re.compile(r"\\[A-Za-z]+")  # \\sin, \\log_2, \\binom: functions of constants
_RESULT_EQUALS_RE = re.compile(r"(?<![<>!=\\])=(?!=)")
_HEDGE_RE = re.compile(
    r"^\s*(?:probably|approximately|about|around|roughly|exactly|just|only|therefore|thus|so|then)\s+",
    re.IGNORECASE,
)
_EQUALS_RE = re.compile(r"^\s*[A-Za-z][A-Za-z_ ]{0,30}=\s*")  # "x = 5", "total cost = 12"
# "x = 2", "x_1 = 3", "(p, q) = (3, 2)"; not "x <= 2" nor "x == 2"
_NAME_EQUALS_RE = re.compile(r"^\s*(?:[A-Za-z](?:_\{?\w{1,4}\}?)?|\([A-Za-z, ]{1,20}\))\s*=(?!=)")
# Separators of a multi-part answer, at bracket depth 0: ",", ";", "and", "or", "\quad", "\text{or}"
_ITEM_SEP_RE = re.compile(
    r"(?:,|;|\\quad|\\qquad|\\text\s*\{\s*(?:and|or|,)?\s*\}|(?<![A-Za-z\\])(?:and|or)(?![A-Za-z]))\s*",
    re.IGNORECASE,
)
_BOX_GAP_RE = re.compile(
    r"^(?:[\s$.,;:*_#>|]|\\quad|\\qquad|\\text\s*\{\s*(?:and|or|,)?\s*\}|\\\(|\\\)|\\\[|\\\]"
    r"|and|or|maybe|perhaps|possibly|alternatively|also|either"
    r"|[A-Za-z](?:_\{?\w{1,3}\}?)?\s*=)*$",
    re.IGNORECASE,
)


_SMALL_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
)
_WORD_NUMBERS = {word: index for index, word in enumerate(_SMALL_NUMBER_WORDS.split(" "))}
_WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80})
_WORD_NUMBERS.update({"ninety": 90, "hundred": 100, "a hundred": 100, "one hundred": 100})
_TENS_UNITS_RE = re.compile(
    r"^(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[-\s](one|two|three|four|five|six|seven|eight|nine)$"
)
# A scale word multiplies the number before it: "5 thousand" is 5000, "two million" 2000000.
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_SCALE_RE = re.compile(
    r"(?<![A-Za-z])(hundred|thousand|million|billion|trillion)s?(?![A-Za-z])", re.IGNORECASE
)
# Words or letters next to a number that change its value, so that the number alone is not the
# answer: "2x", "10 - x", "5 times x", "5 more than x", "5 squared". Unit words ("5 m", "3 times" as a
# count) are not among them. A lone lower-case letter is a variable unless it is a common unit symbol.
_VALUE_CHANGER_RE = re.compile(
    r"(?<![A-Za-z.'])[b-fi-kn-rt-z](?![A-Za-z.'])"  # a variable; not a (article), g h l m s (units)
    r"|(?i:(?<![A-Za-z])(?:squared|cubed|factorial|twice|double|triple|halfs?|halves|thirds?|quarters?"
    # fraction words: "1 and a half", "12 hundredths"
    r"|(?:four|fif|six|seven|eigh|nin|ten|hundred|thousand|million|billion)ths?)(?![A-Za-z]))"
    # a bound, not a value: "at least 12", "more than 12", "12 or more", "between 12 and 15"
    r"|(?i:(?<![A-Za-z])(?:at\s+(?:least|most)|(?:more|less|fewer|greater|higher|lower)\s+than|up\s+to"
    r"|or\s+(?:more|less|fewer|greater|higher|lower|above|below)|and\s+(?:above|below|up|over)"
    r"|between|no\s+(?:more|less|fewer)"
    # "under 12", "almost 12", "12 max": a bound too ("min" is minutes)
    r"|under|below|above|nearly|almost|max|maximum|minimum)(?![A-Za-z]))"
    r"|(?i:(?<![A-Za-z])(?:times|plus|minus|over|divided|to\s+the)\s+(?=[\w\\(]))"
    r"|(?<![A-Za-z\s])\s*\^"  # a power of the number itself (a unit's exponent was removed before)
)
# The exponent of a unit word ("ft^2", "\\text{ cm}^3", "m^{3}"): part of the unit, not of the number.
_UNIT_EXPONENT_RE = re.compile(r"(?<=[A-Za-z])\s*\^\s*(?:\{\s*-?\d\s*\}|-?\d)")
_NEGATIVE_WORD_RE = re.compile(r"^(?:negative|minus)\s+(?=[\d.$])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Number:
    """An exact number as written, remembering whether it was a percentage (50% is 50, percent)
    and whether it was written as a decimal (0.333: maybe a rounding) rather than exactly (1/3)."""

    value: Fraction
    percent: bool = False
    decimal: bool = False


@dataclass(frozen=True, slots=True)
class Extraction:
    """The final answer of a response: its text and the marker that introduced it.

    `marker` is one of "boxed", "hashes", "answer_tag", "answer_is" (a phrase such as "Answer:"),
    or None for an unmarked answer (the last math block, bare expression or number); `answer` is
    None when nothing was found or the marker is followed by nothing.
    """

    answer: str | None
    marker: str | None


def _balanced_group(text: str, start: int) -> str | None:
    """Content of the `{...}` group opening at `text[start]`, honouring nested braces."""
    if start >= len(text) or text[start] != "{":
        return None
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    return None


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of the last few well-formed `\\boxed{...}` / `\\fbox{...}` / `\\boxed 5`.

    Bounded: only the last `_MAX_BOXED_TRIED` openers are looked at (`"\\boxed{" * 10**4` unclosed).
    """
    found = []
    matches = list(_BOXED_RE.finditer(text))[-_MAX_BOXED_TRIED:]
    for match in matches:
        end = match.end()
        group = _balanced_group(text, end)
        if group is not None:
            found.append((match.start(), end + len(group) + 2, group.strip()))
            continue
        bare = re.match(r"[^\s$\\]+", text[end : end + 200])
        if bare and match.group(0).endswith(" "):
            found.append((match.start(), end + bare.end(), bare.group(0)))
    return found


def _last_box_group(text: str) -> tuple[int, str] | None:
    """(start, answer) of the last group of adjacent boxes, joined with ", " when there are several:
    `\\boxed{2} and \\boxed{3}` is one two-part answer; boxes with prose between are successive
    answers, and the last one wins."""
    boxes = [b for b in _boxes(text) if b[2]]
    if not boxes:
        return None
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        gap = text[box[1] : group[0][0]]
        if len(gap) > _MAX_BOX_GAP or not _BOX_GAP_RE.match(gap):
            break
        group.insert(0, box)
    contents = dict.fromkeys(content for _, _, content in group)  # the same box twice is one answer
    return group[0][0], ", ".join(contents)


def _last_boxed(text: str) -> str | None:
    """Content of the last box group, None when there is none."""
    found = _last_box_group(text)
    return found[1] if found else None


_SENTENCE_CUT_RE = re.compile(
    r"(?<!\.)\.(?!\.)(?:\s|$)|;\s|\s-{1,2}\s|\bI hope\b|(?<!\s),?\s+(?:since|because)\s|,\s*as\s"
    r"|,?\s(?:i\.e|e\.g)\."  # "12, i.e. 13": what follows is read as the text after the answer
    # "48 (not 42)": the rejected value is not a candidate (but "12 (not counting Tom; 13 with him)" and
    # "12 (not 13, or maybe 13)" are)
    r"|\s\((?:not|and not|but not)\s[^;()]{0,60}\)"
)


def _clip_sentence(candidate: str) -> str:
    """The answer part of "the answer is 42 apples. Next sentence..." (up to the sentence end)."""
    candidate = _minus_signs_joined(candidate.strip())
    # a period followed by a space (or the end) ends the sentence; a decimal point or an ellipsis
    # ("0.333... (repeating)") does not; nor does a justification ("8, since 4 x 2 = 8") belong to it
    cut = next(
        (c for c in _SENTENCE_CUT_RE.finditer(candidate) if not _HEDGE_WORD_RE.search(c.group(0))), None
    )
    if cut:
        end = cut.start()
        if candidate.count("(", 0, end) > candidate.count(")", 0, end):
            # "12 (not counting Tom; 13 with him)": the parenthesis is part of the answer
            close = candidate.find(")", end, end + _MAX_BARE_EXPRESSION)
            end = close + 1 if close >= 0 else end
        candidate = candidate[:end]
    return _without_consequence(_without_aside(candidate)).strip()


# " - " between two numbers ("18 - 2 = 16", "$45 - $5 = $40") is a minus sign, not a dash before an aside
_MINUS_BETWEEN_NUMBERS_RE = re.compile(r"(?<=[\d)])[ \t]+-[ \t]+(?=[$€£]?[ \t]?\d)")


def _minus_signs_joined(candidate: str) -> str:
    """ "18 - 2 = 16" -> "18-2 = 16": a subtraction kept whole, so that an answer chain is read as its
    last side (as "18 + 2 = 20" is) rather than cut at the "dash" into its first number."""
    return _MINUS_BETWEEN_NUMBERS_RE.sub("-", candidate) if " -" in candidate else candidate


def _without_aside(candidate: str) -> str:
    """ "4 more boxes, for a total of 10 boxes" -> "4 more boxes": the total is an aside (kept when
    hedged: "4, giving maybe 5")."""
    aside = _ASIDE_RE.search(candidate)
    if aside and not _HEDGE_WORD_RE.search(candidate, aside.start()):
        return candidate[: aside.start()]
    return candidate


def _without_consequence(candidate: str) -> str:
    """An answer sentence with ", so ...": when it starts with the value, the value ("18 dollars a
    day, so she earns 540 a month"); when it starts with prose, the conclusion ("There are 7 red and
    5 blue, so 12 marbles"); a hedged consequence ("18, so maybe 19") is kept whole."""
    conclusion = None
    for conclusion in _CONCLUSION_RE.finditer(candidate):  # noqa: B007 - the last one is wanted
        pass
    if conclusion is None:
        return candidate
    if _NUMBER_RE.match(candidate.lstrip("$\\([ ")) is not None:
        hedged = _HEDGE_WORD_RE.search(candidate, conclusion.start()) is not None
        restated = _RESTATED_VALUE_RE.match(candidate, conclusion.end())
        value = candidate[restated.end() - 1 :] if restated else ""
        another = restated is not None and _differs(value, candidate[: conclusion.start()])
        return candidate if hedged or another else candidate[: conclusion.start()]
    if _has_prose(candidate[: conclusion.start()]):
        return candidate[conclusion.end() :]
    return candidate


# A clause after the answer that adds another quantity, and the conclusion of an answer sentence.
_ASIDE_RE = re.compile(r",\s*(?:for a total of|making|bringing|giving|leaving)\s", re.IGNORECASE)
_CONCLUSION_RE = re.compile(r",\s*(?:so|thus|therefore|hence)\s+", re.IGNORECASE)
# A conclusion that gives the answer again ("12, so it is 13", "12, so x = 13", "12, so 13 apples"):
# a second candidate, not a consequence.
_RESTATED_VALUE_RE = re.compile(
    r"(?:(?:it|that|this|which|the\s(?:answer|result|total)|[A-Za-z](?:_\w{1,4})?)\s?"
    r"(?:is|was|equals|=|'s|would\sbe|must\sbe)\s?)?[$\\(]{0,3}[-+]?\d",
    re.IGNORECASE,
)


def _line_after(text: str, start: int) -> str:
    """The answer written after a marker at `start`: the rest of its line, or when that is blank
    ("**Final Answer:**\n\n42", "The answer is:\n$$\n42\n$$") the next non-blank line, or the
    display-math block that starts there."""
    end = text.find("\n", start)
    line = text[start : end if end >= 0 else len(text)]
    if line.strip() in ("$$", "\\["):  # "The answer is\n\\[\n42\n\\]": the marker ate the newline
        begin = start + len(line) - len(line.lstrip())
    elif line.strip() or end < 0:
        return line
    else:
        begin = _after_blank_lines(text, end + 1)
    block = _display_block_at(text, begin)
    if block is not None:
        return block
    following = text.find("\n", begin)
    return text[begin : following if following >= 0 else len(text)]


def _after_blank_lines(text: str, begin: int) -> int:
    """Where the text goes on after a few blank lines from `begin` (no more: a marker must lead to
    its answer)."""
    for _ in range(_MAX_BLANK_LINES):
        while begin < len(text) and text[begin] in " \t\r":
            begin += 1
        if not text.startswith("\n", begin):
            break
        begin += 1
    return begin


def _display_block_at(text: str, begin: int) -> str | None:
    """The `$$...$$` or `\\[...\\]` block starting at `begin`, on one line; None when there is none."""
    for opener, closer in (("$$", "$$"), ("\\[", "\\]")):
        if text.startswith(opener, begin):
            close = text.find(closer, begin + len(opener), begin + _MAX_BLOCK_CHARS)
            if close >= 0:
                return text[begin : close + len(closer)].replace("\n", " ")
    return None


def _marked_candidates(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, marker, answer) of the last few occurrences of every kind of explicit marker."""
    found: list[tuple[int, int, str, str]] = []
    if "\\boxed" in text or "\\fbox" in text:
        found += [(start, end, "boxed", content) for start, end, content in _boxes(text) if content]
    for match in list(_HASHES_RE.finditer(text))[-_MAX_MARKERS_TRIED:]:
        line = _line_after(text, match.end())
        found.append((match.start(), match.end() + len(line), "hashes", line.strip(_MARKDOWN_STRIP + "#")))
    tags = [m.start() for m in _ANSWER_TAG_RE.finditer(text)][-_MAX_MARKERS_TRIED:]
    for tag in tags:
        start = tag + len(_ANSWER_TAG_OPEN)
        close = text.find(_ANSWER_TAG_CLOSE, start, start + MAX_ANSWER_CHARS)
        end = close if close >= 0 else min(len(text), start + MAX_ANSWER_CHARS)
        inner = text[start:end].strip()
        # ends after its closing tag: "<answer>13</answer><answer>12</answer>" is one group (a shotgun)
        after = end + len(_ANSWER_TAG_CLOSE) if close >= 0 else end
        found.append((tag, after, "answer_tag", _last_boxed(inner) or _unmarked_in_tag(inner)))
    phrases = list(_MARKER_RE.finditer(text))[-_MAX_MARKERS_TRIED:]
    for phrase, following in zip(phrases, [*phrases[1:], None][: len(phrases)], strict=True):
        line = _line_after(text, phrase.end())
        if following is not None and following.start() < phrase.end() + len(line):
            line = line[: following.start() - phrase.end()]  # "Answer: 9 or Answer: 8": two answers
        line = line.replace('\\"', '"')  # 'is \\"12\\"': an escaped quote
        line = line.split(_ANSWER_TAG_CLOSE, 1)[0]  # "<answer>The answer is 48.</answer>"
        if "**" in line or "__" in line:  # "The answer is **48** apples"
            line = _BOLD_RE.sub(lambda m: m.group(1) or m.group(2), _MARKER_BOLD_CLOSE_RE.sub("", line))
        answer = _clip_sentence(line.strip(_MARKDOWN_STRIP + ":")).strip(_MARKDOWN_STRIP)
        answer = _without_exclamation(phrase.group(0), answer)
        offset = line.find(answer) if answer else -1
        end = phrase.end() + (offset + len(answer) if offset >= 0 else 0)
        found.append((phrase.start(), end, "answer_is", answer))
    return found


_SENTENCE_MARKER_RE = re.compile(r"(?<![A-Za-z])(?:is|是)\s*$", re.IGNORECASE)
_EXCLAIMED_NUMBER_RE = re.compile(r"^([$€£]?-?\d[\d,]*(?:\.\d+)?)\s*!(?!=)(?!\s*\$)")  # not "$4!$": math


def _without_exclamation(marker: str, answer: str) -> str:
    """ "The answer is 4!" -> "4": after a marker that opens a sentence, "!" ends it; after a label
    ("Answer: 4!") or in a box, "4!" is a factorial (`parse_number`)."""
    if "!" not in answer or _SENTENCE_MARKER_RE.search(marker) is None:
        return answer
    return _EXCLAIMED_NUMBER_RE.sub(r"\1", answer, count=1)


def _final_group(found: list[tuple[int, int, str, str]], text: str) -> tuple[str, str]:
    """(marker, answer) of the last marked answer, joined with the marked answers just before it
    when only separators stand between them ("Answer: 41\nAnswer: 42", `\\boxed{2} and \\boxed{3}`):
    those are one multi-part answer (or a shotgun), while a marker after prose is a new answer that
    replaces the earlier ones (a self-correction)."""
    found = sorted(found)
    start, _, marker, answer = found[-1]
    final = _FINAL_MARKER_RE.match(text, start) is not None
    group = [answer]
    for previous in reversed(found[:-1]):
        p_start, p_end, _, p_answer = previous
        if p_end > start:  # "Final Answer: The final answer is 8": the inner marker is the answer
            start = p_start
            continue
        if final and _FINAL_MARKER_RE.match(text, p_start) is None:
            break  # "Q1 answer: 5.\n\nFinal Answer: 18": the final answer replaces the earlier ones
        gap = text[p_end:start]
        if len(gap) > _MAX_BOX_GAP or not _BOX_GAP_RE.match(gap):
            break
        group.append(p_answer)
        start = p_start
    answers = [_last_boxed(a) or a if "\\boxed" in a else a for a in reversed(group)]
    distinct: dict[str, str] = {}  # the same answer twice ("\\boxed{8}. Final answer: $8$") is one
    for a in answers:
        key = normalise_expression(a)
        if key:
            distinct.setdefault(key, a.strip())
    return marker, _superscripts_as_powers(", ".join(distinct.values()))


def _unmarked_in_tag(inner: str) -> str:
    """The answer inside `<answer>...</answer>`: all of it when short, else its own marked answer."""
    if len(inner) <= _MAX_BARE_EXPRESSION and "\n" not in inner.strip():
        return inner.strip(_MARKDOWN_STRIP)
    cleaned = inner.replace(_ANSWER_TAG_OPEN, " ")
    nested = [c for c in _marked_candidates(cleaned) if c[3]]
    if nested:
        return _final_group(nested, cleaned)[1]
    return _unmarked(inner) or inner.strip()


def _unmarked(text: str) -> str | None:
    """An answer given without a marker: the last math block, unless a number follows it; the whole
    text when it is a bare expression (no prose); else the last number that is not part of a word."""
    stripped = text.strip().rstrip(_TRAILING_PUNCT)
    bare = stripped and len(stripped) <= _MAX_BARE_EXPRESSION and "\n" not in stripped
    if bare and not _has_prose(stripped):
        return _result_of(stripped)
    block = _last_math_block(text)
    number = None
    for number in _NUMBER_RE.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    if block is not None and (number is None or number.start() < block[0]):
        content = block[1].strip()
        if content:
            return _result_of(content)
    if number is None:
        return None
    return _trailing_list(text, number.start()) or number.group(0).strip()


def _last_math_block(text: str) -> tuple[int, str] | None:
    """(end, content) of the last `$...$`, `$$...$$`, `\\[...\\]` or `\\(...\\)` block. The bracket
    forms are found from the end with `rfind`: a lazy regex would rescan up to its bound from every
    opener (`"\\[" * 50_000` took seconds)."""
    found: list[tuple[int, str]] = []
    dollar = None
    for dollar in _DOLLAR_BLOCK_RE.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    if dollar is not None:
        found.append((dollar.end(), dollar.group(1) or dollar.group(2)))
    for opener, closer in (("\\[", "\\]"), ("\\(", "\\)")):
        close = text.rfind(closer)
        start = text.rfind(opener, max(0, close - _MAX_BLOCK_CHARS), close) if close > 0 else -1
        if start >= 0:
            found.append((close + len(closer), text[start + len(opener) : close]))
    return max(found) if found else None


def _trailing_list(text: str, position: int) -> str | None:
    """ "It is 7, 8 or 9." -> "7, 8 or 9": the last sentence's candidates when it lists several, so
    that an unmarked shotgun is seen as one (the last number alone would hide it)."""
    start = max(text.rfind("\n", 0, position), text.rfind(". ", 0, position)) + 1
    sentence = text[start : start + _MAX_BARE_EXPRESSION].strip().rstrip(_TRAILING_PUNCT)
    tail = _after_last_copula(sentence)
    items = answer_items(tail)
    if len(items) >= 2 and all(_is_bare_value(item) for item in items):
        return tail
    return None


def _result_of(expression: str) -> str:
    """ "57,358 x 41 = 2,351,678" -> "2,351,678": the result of a computation written unmarked; an
    equation that names its value ("y = 2x + 1") is kept whole."""
    last = None
    for last in _RESULT_EQUALS_RE.finditer(expression):  # noqa: B007 - the last one is wanted
        pass
    if last is None:
        return expression  # no "=" at all
    computation = _COMMAND_RE.sub("", _TIMES_X_RE.sub("*", expression[: last.start()]))
    if not any(ch.isdigit() for ch in computation) or any(ch.isalpha() for ch in computation):
        return expression  # no computation before "=", or a variable in it: an equation
    return expression[last.end() :].strip() or expression


def _is_bare_value(item: str) -> bool:
    return len(item) <= 30 and any(ch.isdigit() for ch in item) and not _has_prose(item)


def _has_prose(text: str) -> bool:
    return any(word.group(0).casefold() not in _MATH_WORDS for word in _PROSE_RE.finditer(text))


def extract_answer(text: str, *, fallback_last_number: bool = True) -> Extraction:
    """The final answer written in `text` and its marker (see the module docstring).

    The last explicit marker wins whatever its kind; only the tail of very long responses is read.
    """
    if not text:
        return Extraction(None, None)
    text = str(text)[-MAX_RESPONSE_CHARS:]
    text = canonical_text(text)
    found = _marked_candidates(text)
    if found:
        marker, answer = _final_group(found, text)
        competing = _competing_value(text, max(found)[1], answer) if answer else None  # after the last one
        if competing is not None:  # "Answer: 12\n13", "The answer is 12. Or maybe 13.": a hedge
            answer = f"{answer}, {competing}"
        return Extraction(answer or None, marker)
    if fallback_last_number:
        unmarked = _unmarked(text)
        return Extraction(_superscripts_as_powers(unmarked) if unmarked else None, None)
    return Extraction(None, None)


# After the final answer: a value on the next lines on its own, or in a sentence that hedges, is a
# second candidate ("Answer: 12\n13", "12. Or maybe 13.", "12. However, with Tom it is 13").
_TAIL_CHARS = 400
_MAX_TAIL_READ = 6000  # the response's ending is read too, up to this far after the answer
_TAIL_LINES = 3
_TAIL_SENTENCE_END_RE = re.compile(r"(?<!\.)(?<!\b[a-z]\.[a-z])\.(?!\.)(?=\s|$)|[;!?](?=\s|$)|\n")
_TAIL_HEDGE_RE = re.compile(
    # words that also explain ("or", "could") count only before a value: "or 13", "it could be 13",
    # not "3 boxes or 4 bags", "each friend could get 4"
    r"(?<![A-Za-z])(?:or[^A-Za-z\d]{1,4}(?=[$\\\d])|(?:could|might|may)\s(?:also|be\s(?=[$\\\d]))"
    r"|maybe|perhaps|possibly|alternatively|actually|otherwise"
    r"|instead|either|i\.e|wait|hmm|reconsider|oops|mistake|alternative"
    r"|also\s(?:works?|work|acceptable|valid|correct|possible|right|be)"  # "13 also works"
    r"|another\s(?:valid\s|possible\s|correct\s)?(?:answer|solution|option))(?![A-Za-z])"
    r"|\u2248|\\approx(?![A-Za-z])",
    re.IGNORECASE,
)
_REJECTION_RE = re.compile(r"(?<![A-Za-z])(?:not|no|incorrect|wrong|isn't|cannot|can't)(?![A-Za-z])", re.I)
# A negated doubt ("I'm not sure", "can't be certain", "no idea") doubts the answer; it does not
# reject the value offered next ("not sure, it could be 20" is a hedge, "20 is not right" a rejection).
_DOUBT_RE = re.compile(
    r"(?<![A-Za-z])(?:not|no|n't)\s+(?:[A-Za-z]+\s+)?(?:sure|certain|confident|positive|idea)(?![A-Za-z])",
    re.I,
)
_CHOICE_IN_SENTENCE_RE = re.compile(
    r"(?<![A-Za-z])(?:\(([A-J])\)|([A-J])\)|(?:option|choice)\s([A-J])(?![A-Za-z])|([A-J])(?=[\s*_]{0,3}$))",
    re.IGNORECASE,
)
# An operation right after the final answer makes it an operand: "\\boxed{12} + 1", "\\boxed{12}^{13}"
# (not * or _, which are Markdown emphasis: "**Answer:** **8**")
_OPERATION_AFTER_RE = re.compile(
    r"[ \t$]{0,4}(?:[-+/^\u00d7\u00b7]|\\(?:times|cdot|div)(?![A-Za-z])|(?:plus|minus|times|divided\sby)\s)"
    r"[ \t]{0,3}[\d{(\\][^\n]{0,60}",
    re.IGNORECASE,
)
_TAIL_LABEL_RE = re.compile(r"[A-Za-z][A-Za-z ]{0,30}:")  # a short label before a value on its own line


def _competing_value(text: str, end: int, answer: str) -> str | None:
    """A value after the final answer (from `end`) that differs from it and is offered as another
    answer: alone (or behind a short label) on one of the next lines, or in or after a hedging
    sentence; None when there is none."""
    tail = text[end : end + _TAIL_CHARS]
    operation = _OPERATION_AFTER_RE.match(tail)
    if operation is not None:  # "\\boxed{12} + 1 = 13", "\\boxed{12}^{2}": the answer is an operand
        return operation.group(0).strip(" $")
    letter = _choice_letter(answer)
    lines = [line.strip(_MARKDOWN_STRIP + ".,;:$()[]\\") for line in tail.split("\n")[1:]]
    for line in [line for line in lines if line][:_TAIL_LINES]:
        labelled = _TAIL_LABEL_RE.match(line)  # "Backup: 13", "Other possibility: 13"
        value = _result_of(line[labelled.end() :].strip(_MARKDOWN_STRIP) if labelled else line)
        if _is_bare_value(value) and _differs(value, answer):
            return value
        other = _choice_letter(value)
        if letter is not None and other is not None and other != letter:  # "Answer: B\nC"
            return other
        if not labelled:
            break  # prose: what follows is an explanation, not a list of candidates
    ending = text[end + _TAIL_CHARS : end + _MAX_TAIL_READ][-_TAIL_CHARS:]  # "... Or maybe 13." far below
    return _hedged_value(tail, answer, letter) or (
        _hedged_value(ending, answer, letter, last=True) if ending else None
    )


def _hedged_value(tail: str, answer: str, letter: str | None = None, *, last: bool = False) -> str | None:
    """The value the sentences after the answer end on once they hedge ("12. Or maybe 13."), unless
    they reject it ("we'd get 8, but that's incorrect") or come back to the answer ("maybe it's 6?
    No, 5 is right"). A note on another reading of the question ("if it meant 6 boxes, the answer
    would be 6") is not a hedge."""
    hedged, offered = False, None
    sentences = [sentence for sentence in _TAIL_SENTENCE_END_RE.split(tail) if sentence.strip()]
    for sentence in sentences[-(_TAIL_LINES + 1) :] if last else sentences[: _TAIL_LINES + 1]:
        hedged = hedged or _TAIL_HEDGE_RE.search(sentence) is not None
        found = _last_value(sentence) if letter is None else _last_choice(sentence)
        if found is None or not hedged:
            continue
        if not _differs(found[1], answer):
            offered = None  # back to the answer
        elif _REJECTION_RE.search(_DOUBT_RE.sub(" ", sentence)) is None:
            offered = found[1]
    return offered


def _last_choice(sentence: str) -> tuple[int, str] | None:
    """The last choice letter of a sentence: "(C)", "C)", "option C", or a letter that ends it ("Or
    maybe C.") - not any capital ("I think", "A box")."""
    last = None
    for last in _CHOICE_IN_SENTENCE_RE.finditer(sentence):  # noqa: B007 - the last one is wanted
        pass
    return (last.start(), next(g for g in last.groups() if g)) if last else None


def _last_value(sentence: str) -> tuple[int, str] | None:
    """The last number or number word of a sentence ("Or maybe thirteen." -> "thirteen"); "one" and
    "zero" are too often words ("the one", "one dozen") to count."""
    last: tuple[int, str] | None = None
    for match in _NUMBER_RE.finditer(sentence):
        last = (match.start(), match.group(0).strip())
    for match in _LETTER_WORD_RE.finditer(sentence):
        value = _word_number(match.group(0).casefold())
        if (last is None or match.start() > last[0]) and value is not None and value > 1:  # "the one"
            last = (match.start(), match.group(0))
    return last


def _differs(value: str, answer: str) -> bool:
    """Whether `value` is none of the values of `answer` (compared as numbers when both are)."""
    number = parse_number(value)
    for item in answer_items(answer) or [answer]:
        other = parse_number(item)
        if number is not None and other is not None and number.value == other.value:
            return False
        if normalise_expression(item) == normalise_expression(value):
            return False
    return True


def canonical_text(text: str) -> str:
    """Look-alike letters and fullwidth forms as ASCII, LaTeX escaped twice unescaped: what the
    extractor reads (references get the same treatment, so both sides stay comparable)."""
    return unescape_latex(text.translate(_CONFUSABLES))


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN_RE = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")


def _superscripts_as_powers(text: str) -> str:
    """ "x² + 1" -> "x^{2} + 1", "3 × 10⁴" -> "3 × 10^{4}": a unicode superscript is a power (Math-Verify
    and the exact paths read `^`); a unit's ("ft²" -> "ft^{2}") stays a unit's exponent. Applied to
    the extracted answer, not to the response: "1,000.99m²" must not end with a number "2"."""
    return _SUPERSCRIPT_RUN_RE.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", text)


def unescape_latex(text: str) -> str:
    """`\\\\frac` -> `\\frac` for LaTeX escaped twice (JSON of JSON), on well-known commands only."""
    return _DOUBLE_BACKSLASH_RE.sub(r"\\", text) if "\\\\" in text else text


def extract_final_answer(text: str, *, fallback_last_number: bool = True) -> str | None:
    """The final answer written in `text`, as a string, or None when none is found."""
    return extract_answer(text, fallback_last_number=fallback_last_number).answer


def answer_items(answer: str) -> list[str]:
    """The parts of a multi-part answer, split at top-level separators (",", ";", "and", "or",
    `\\quad`): "2, 3" -> ["2", "3"]; "(1, 2)", "\\{1,2\\}", "1,234" and "x=1, y=2" (one named tuple)
    are one part each."""
    text = _strip_wrappers(str(answer)[:MAX_ANSWER_CHARS]).strip().rstrip(_TRAILING_PUNCT)
    if parse_number(text) is not None:
        return [text]
    items: list[str] = []
    depth, last = 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ",;\\ \t\naAoO":
            start = i
            while i < len(text) and text[i].isspace():  # a run of spaces is skipped once, not rescanned
                i += 1
            sep = _ITEM_SEP_RE.match(text, i)
            if sep and sep.end() > i:
                items.append(text[last:start])
                last = i = sep.end()
                continue
            if i > start:
                continue
        i += 1
    items.append(text[last:])
    items = [item.strip() for item in items if item.strip()]
    return items or [text]


def _without_name(item: str) -> str:
    """ "x = 5" -> "5", "(p, q) = (3, 2)" -> "(3, 2)": the value of a named part."""
    match = _NAME_EQUALS_RE.match(item)
    return item[match.end() :].strip() if match else item


def _bracketed_inner(item: str) -> str | None:
    """The inside of `(...)`, `[...)`, `\\{...\\}` or `{...}` when one bracket pair spans `item`."""
    for opener in ("\\{", "(", "[", "{"):
        if item.startswith(opener):
            break
    else:
        return None
    depth = 0
    for i, ch in enumerate(item):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                if i < len(item) - 1:
                    return None  # "(1, 2), (3, 4)": the first pair closes early
                close = 2 if item.endswith("\\}") else 1
                return item[len(opener) : len(item) - close]
    return None


_SLASH_PAIR_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)\s*$")
_ITEM_WORD_RE = re.compile(r"(?<![A-Za-z\\])(?:and|or)(?![A-Za-z])", re.IGNORECASE)


def _atom_count(answer: str, depth: int = 0) -> int:
    """How many values an answer holds: "41" 1, "(3, 2)" 2, "x=1, y=2" 2, "{1,2,3}" 3."""
    total = 0
    for item in answer_items(answer):
        inner = _bracketed_inner(_without_name(item)) if depth < 3 else None
        total += _atom_count(inner, depth + 1) if inner else 1
    return total


def canonical_parts(answer: str) -> str:
    """A multi-part answer as "a, b, c" (names and "and"/"or"/`\\quad` separators dropped), the
    form Math-Verify compares as a set; a one-part answer unchanged."""
    items = answer_items(answer)
    if len(items) < 2:
        return _without_name(answer.strip()) if _NAME_EQUALS_RE.match(answer) else answer
    return ", ".join(_without_name(item) for item in items)


def _item_key(item: str) -> str:
    number = parse_number(item)
    if number is not None:
        return f"{number.value}{'%' if number.percent else ''}"
    text = item.split("=", 1)[1] if _NAME_EQUALS_RE.match(item) else item
    return normalise_expression(text)


def _is_candidate(item: str) -> bool:
    """Whether a part of an answer is a candidate value (a number, an expression, a short word),
    not a clause of prose ("the largest number of points in the domain")."""
    return len(item) <= 20 or any(ch.isdigit() for ch in item)


def is_shotgun(answer: str, reference: str | None) -> bool:
    """Whether `answer` lists more distinct candidates than the reference has parts: "40, 41 or 42"
    for 41, `\\boxed{41} \\boxed{42}` for 41. A policy must commit to one answer."""
    if reference is not None and _slash_alternatives(answer, reference):
        return True
    atoms = [atom for atom in _atoms(answer) if _is_candidate(atom)]
    if len(atoms) < 2:
        return False
    distinct = len({_item_key(atom) for atom in atoms})
    return distinct > _reference_size(reference)


def _atoms(answer: str, depth: int = 0) -> list[str]:
    """The values of an answer, brackets opened: "(1, 2), (2, 1)" -> 1, 2, 2, 1; "[41, 42]" -> 41, 42."""
    out: list[str] = []
    for item in answer_items(answer):
        inner = _bracketed_inner(_without_name(item)) if depth < 3 else None
        out += _atoms(inner, depth + 1) if inner else [_without_name(item)]
    return out


def _reference_size(reference: str | None) -> int:
    """How many values the reference holds, generously (a separator inside brackets counts too, so
    `x \\in [0, 1)` has two): a shotgun must list more than this."""
    if reference is None:
        return 1
    reference = reference[:MAX_ANSWER_CHARS]
    option = _LEADING_CHOICE_RE.match(_strip_wrappers(reference).strip())
    if option is not None and option.group(3):
        reference = option.group(3)  # "(B) 12": one answer, named twice
    separators = sum(reference.count(ch) for ch in ",;") + len(_ITEM_WORD_RE.findall(reference))
    numbers = len(_NUMBER_RE.findall(reference)) + reference.count("\\pm") + reference.count("±")
    return max(_atom_count(reference), separators + 1, numbers)  # "0 < x < 1" holds two values


def _slash_alternatives(answer: str, reference: str) -> bool:
    """ "41/42" for 42: two candidates written as a fraction, one of them the reference."""
    match = _SLASH_PAIR_RE.match(_strip_wrappers(answer[:100]))
    ref = parse_number(reference)
    if match is None or ref is None or ref.percent:
        return False
    left, right = Fraction(match.group(1)), Fraction(match.group(2))
    return ref.value in (left, right) and (right == 0 or left / right != ref.value)


def _strip_math_delims(text: str) -> str:
    text = text.strip()
    for opener in _OPEN_DELIMS:
        if text.startswith(opener):
            text = text[len(opener) :].lstrip()
            break
    for closer in _CLOSE_DELIMS:
        if text.endswith(closer) and not text.endswith("\\" + closer):
            text = text[: -len(closer)].rstrip()
            break
    return text


def _strip_trailing_words(text: str) -> str:
    """`text` without its trailing unit words ("42 km/h" -> "42", "5 apples" -> "5"); by hand,
    right to left, because an end-anchored regex over words backtracks (each try rescans)."""
    end = len(text)
    while True:
        cut = end
        while cut > 0 and text[cut - 1].isspace():
            cut -= 1
        start = cut
        while start > 0 and text[start - 1] in _UNIT_WORD_CHARS:
            start -= 1
        while start < cut and not text[start].isalpha():  # a word starts with a letter
            start += 1
        if start == cut or not text[start].isascii() or text[start - 1 : start] == "\\":
            return text[:end].rstrip()  # no word, or a LaTeX command ("6\\pi cm"): not a unit
        end = start


def _after_last_copula(text: str) -> str:
    """ "the number of apples is 5" -> "5": what follows the last "is" / "=" / ":", when only words
    come before it ("84 because 80 + 4 = 84" is left alone: it holds several numbers)."""
    last = None
    for last in _COPULA_RE.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    if last is None or any(ch.isdigit() for ch in text[: last.start()]):
        return text
    return text[last.end() :].strip()


def _strip_percent(text: str) -> tuple[str, bool]:
    """(`text` without a trailing percent sign or word, whether there was one)."""
    stripped = text.rstrip()
    lowered = stripped.casefold()
    for suffix in _PERCENT_SUFFIXES:
        if lowered.endswith(suffix):
            before = stripped[: -len(suffix)]
            if suffix == "%" or not before or not before[-1].isalpha():
                return before.rstrip(), True
    return text, False


def _strip_wrappers(text: str) -> str:
    if "\\" in text and "," in text:
        text = _LATEX_THOUSANDS_RE.sub(",", text)
    for old, new in _WRAPPERS:
        if old in text:
            text = text.replace(old, new)
    if "\u221a" in text:
        text = _UNICODE_ROOT_RE.sub(r"\\sqrt{\1}", text)
    text = _strip_math_delims(text)
    for _ in range(3):  # \text{\textbf{x}} nests rarely deeper
        new = _TEXT_CMD_RE.sub(r" \1 ", text)
        if new == text:
            break
        text = new
    text = _DEGREE_RE.sub("", text)
    return text.strip()


def _unwrap_braces(text: str) -> str:
    """`{42}` -> `42` when the braces enclose the whole string."""
    while len(text) >= 2 and text[0] == "{" and _balanced_group(text, 0) == text[1:-1]:
        text = text[1:-1].strip()
    return text


def _to_fraction(sign: str, text: str) -> Fraction | None:
    match = _PLAIN_RE.match(text)
    if not match:
        return None
    inner_sign, digits, exponent = match.groups()
    try:
        value = Fraction(digits)
    except (ValueError, ZeroDivisionError):
        return None
    if exponent:
        value *= Fraction(10) ** int(exponent)
    negative = (sign == "-") != (inner_sign == "-")
    return -value if negative else value


_REPEATING_RE = re.compile(
    r"^([+-]?)(\d*)\.(\d{0,20})(?:\\(?:overline|bar)\s*(?:\{\s*(\d{1,20})\s*\}|(\d))|\((\d{1,20})\))$"
)  # 0.\\overline{3}, 0.1\\bar{6}, 0.(3)
# "0.333...", "0.1666\\ldots", "0.142857142857…": a decimal that goes on (its tail repeats)
_ELLIPSIS_RE = re.compile(r"^([+-]?\d*\.\d{2,40})\s*(?:\.{3}|\\[lc]?dots|\u2026)\s*(?:\(?repeating\)?)?\.?$")


def _repeating(sign: str, whole: str, fixed: str, repetend: str) -> Fraction:
    """Exact value of whole.fixed(repetend repeated forever)."""
    value = Fraction(int(whole or "0")) + Fraction(int(fixed or "0"), 10 ** len(fixed))
    value += Fraction(int(repetend), 10 ** len(fixed) * (10 ** len(repetend) - 1))
    return -value if sign == "-" else value


def _ellipsis_value(text: str) -> Fraction | None:
    """ "0.333..." -> 1/3, "0.1666..." -> 1/6, "0.142857142857..." -> 1/7: the shortest block that the
    written digits end with at least twice (three digits at least) repeats; None when none does
    (then "3.14..." is a rounding, compared as a decimal)."""
    match = _ELLIPSIS_RE.match(text.strip())
    if match is None:
        return None
    sign = "-" if match.group(1).startswith("-") else ""
    whole, digits = match.group(1).lstrip("+-").split(".")
    for period in range(1, 7):
        block = digits[-period:]
        if (
            len(digits) >= max(3, 2 * period)
            and digits.endswith(block * 2)
            and (period > 1 or digits.endswith(block * 3))
        ):
            fixed = digits[: len(digits) - period]
            while fixed.endswith(block):  # the repetend starts as early as it can
                fixed = fixed[: len(fixed) - period]
            return _repeating(sign, whole, fixed, block)
    return None


def _parse_core(text: str) -> Fraction | None:
    """A number without percent/currency/units: integer, decimal, a/b, \\frac, mixed number,
    repeating decimal (0.\\overline{3}, 0.1\\bar{6})."""
    text = _unwrap_braces(text.strip())
    repeating = _REPEATING_RE.match(text)
    if repeating:
        sign, whole, fixed, braced, single, parenthesised = repeating.groups()
        return _repeating(sign, whole, fixed, braced or single or parenthesised)
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1].strip()
    if "," in text:
        text = _THOUSANDS_RE.sub(lambda m: m.group(1).replace(",", ""), text)
    for pattern in (_MIXED_RE, _MIXED_LATEX_RE):
        match = pattern.match(text)
        if match:
            sign, whole, num, den = match.groups()
            if int(den) == 0:
                return None
            value = int(whole) + Fraction(int(num), int(den))
            return -value if sign == "-" else value
    text = text.replace(" ", "")
    plain = _to_fraction("", text)
    if plain is not None:
        return plain
    match = _SIMPLE_FRAC_RE.match(text) or _LATEX_FRAC_RE.match(text)
    if match:
        sign = match.group(1)
        if match.re is _SIMPLE_FRAC_RE:
            num_text, den_text = match.group(2), match.group(3)
        else:
            num_text = match.group(2) or match.group(4)
            den_text = match.group(3) or match.group(5)
        num, den = _parse_core(num_text), _parse_core(den_text)
        if num is None or den is None or den == 0:
            return None
        value = num / den
        return -value if sign == "-" else value
    return None


def parse_number(text: str) -> Number | None:
    """`text` as an exact number (with its percent flag), None when it is not a single number.

    Currency signs, trailing unit words ("dollars", "km/h") and an "x =" prefix are ignored;
    anything else that is not a number (an expression, two numbers) gives None.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        try:
            return Number(Fraction(text), decimal=isinstance(text, float))
        except (ValueError, OverflowError):
            return None
    text = str(text)
    if len(text) > MAX_ANSWER_CHARS:
        return None
    text = _strip_wrappers(text)
    if "." in text or "dots" in text or "\u2026" in text:
        going_on = _ellipsis_value(_CURRENCY_RE.sub("", text))
        if going_on is not None:
            return Number(going_on)
    if "!" in text and _FACTORIAL_RE.match(text):
        return _factorial(text)
    text = text.rstrip(_TRAILING_PUNCT)
    if "=" in text:
        text = _EQUALS_RE.sub("", text)
    text = _CURRENCY_RE.sub("", text).strip()
    if any(ch in _INEQUALITY_CHARS for ch in text):
        return None  # "x <= 1" is not the number 1
    text, percent = _strip_percent(text)
    value = _parse_core(text)
    if value is None and _word_number(text) is not None:  # "The answer is five.", "twenty-five"
        value = Fraction(_word_number(text) or 0)
    if value is None and text.endswith(")"):  # "12 marbles (7 red + 5 blue)", "12 (3 x 4)"
        before_working = _without_trailing_working(text)
        if before_working is not None:
            number = parse_number(before_working)
            return Number(number.value, percent or number.percent, number.decimal) if number else None
    if value is None and re.search(r"[A-Za-z]", text):
        return _parse_with_words(text, percent)
    if value is None:
        return None
    exact_decimal = _REPEATING_RE.match(text) is not None  # 0.1\\overline{6} is exactly 1/6
    return Number(value, percent, decimal=_DECIMAL_RE.search(text) is not None and not exact_decimal)


# "5!" is a factorial wherever an answer is read as math (a box, a math block, after "Answer:"); in an
# answer sentence ("The answer is 4!") the extractor has already dropped the exclamation mark.
_FACTORIAL_RE = re.compile(r"^\s*(\d{1,3})\s*!\s*$")
_MAX_EXACT_FACTORIAL = 100


def _factorial(text: str) -> Number | None:
    """ "5!" -> 120; None for anything else, or a factorial too large to be worth computing."""
    match = _FACTORIAL_RE.match(text)
    if match is None or int(match.group(1)) > _MAX_EXACT_FACTORIAL:
        return None
    return Number(Fraction(math.factorial(int(match.group(1)))))


def _word_number(text: str) -> int | None:
    """ "five" -> 5, "twenty-five" -> 25; None for anything else."""
    key = text.strip().casefold()
    if key in _WORD_NUMBERS:
        return _WORD_NUMBERS[key]
    match = _TENS_UNITS_RE.match(key)
    return _WORD_NUMBERS[match.group(1)] + _WORD_NUMBERS[match.group(2)] if match else None


_SECOND_CANDIDATE_RE = re.compile(
    r"(?:(?<![A-Za-z])(?:or|and)\s+|,\s*)\(?[A-Za-z]\)?(?![A-Za-z.])", re.IGNORECASE
)  # "12 or C", "12, (B)": a number and a letter are two candidates
_LETTER_WORD_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?")
# "or" after a number offers something else, whatever it is written in (superscript digits, Roman
# numerals, "or so"): the number alone is not the answer.
_OR_WORD_RE = re.compile(r"(?<![A-Za-z\\])or(?![A-Za-z])", re.IGNORECASE)
_NOT_UNIT_WORDS = frozenset(
    (
        "or",
        "and",
        "to",
        "maybe",
        "perhaps",
        "possibly",
        "not",
        "but",
        "plus",
        "minus",
        "between",
        "least",
        "most",
    )
)


def _leading_word_number(text: str) -> int | None:
    """ "three apples" -> 3, "twenty five cents" -> 25: a number word followed only by unit words (no
    second number, no "or"): None for anything else."""
    words = text.split()
    for count in (2, 1):
        value = _word_number(" ".join(words[:count])) if len(words) > count else None
        rest = words[count:]
        if value is not None and all(
            set(word) <= _UNIT_WORD_CHARS
            and word.casefold() not in _NOT_UNIT_WORDS
            and _word_number(word.strip(".")) is None
            for word in rest
        ):
            return value
    return None


def _holds_two_values(text: str) -> bool:
    """Whether numbers or number words of two different values stand in the text ("12 or thirteen",
    "12 to fifteen"); "twelve (12)" holds one."""
    values: set[Fraction] = set()
    for token in _NUMBER_RE.findall(text[:_MAX_BARE_EXPRESSION]):
        value = _parse_core(_strip_percent(token.replace(",", ""))[0])  # "80% (or 79%)" holds two
        if value is not None:
            values.add(value)
    words = [word.casefold() for word in _LETTER_WORD_RE.findall(text[:_MAX_BARE_EXPRESSION])]
    i = 0
    while i < len(words):
        pair = _word_number(" ".join(words[i : i + 2])) if i + 1 < len(words) else None
        single = _word_number(words[i])
        if pair is not None:
            values.add(Fraction(pair))
            i += 2
            continue
        if single is not None:
            values.add(Fraction(single))
        i += 1
    return len(values) > 1


def _changes_value(text: str) -> bool:
    """Whether words or letters around the number change its value ("2x", "5 times x", "5 squared")."""
    return _VALUE_CHANGER_RE.search(_UNIT_EXPONENT_RE.sub("", text)) is not None


_TIMES_SIGN_RE = re.compile(r"(?<=\d)\s*[x×]\s*(?=\d)")  # "3 x 4"
_VARIABLE_LETTER_RE = re.compile(r"(?<![A-Za-z\\])[b-z](?![A-Za-z])")
_WORD_RUN_RE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")  # "7 red + 5 blue" -> "7 + 5" (not \\sqrt)
_TRAILING_WORKING_RE = re.compile(r"^([^()]*[^\s(])\s*\(([^()]{1,200})\)$")
_WORKING_OPERATOR_RE = re.compile(r"[-+=*/×·−]|\\(?:times|cdot|div)(?![A-Za-z])")
_HEDGE_WORD_RE = re.compile(
    r"(?<![A-Za-z])(?:or|maybe|perhaps|possibly|either|also|alternatively|might|could|if)(?![A-Za-z])",
    re.IGNORECASE,
)


def _without_trailing_working(text: str) -> str | None:
    """ "12 marbles (7 red + 5 blue)" -> "12 marbles": the working shown in parentheses after the
    answer, when it evaluates to the answer; None when there is none, or when it may be a second
    candidate ("12 (or 13)") or a factor ("2 (2 + \\sqrt{3})")."""
    match = _TRAILING_WORKING_RE.match(text)
    if match is None:
        return None
    working = _TIMES_SIGN_RE.sub("*", match.group(2))
    if _HEDGE_WORD_RE.search(working):
        return None
    if not _WORKING_OPERATOR_RE.search(working):  # "100 (one hundred)": the same value restated
        before, restated = parse_number(match.group(1)), parse_number(working)
        return match.group(1) if before is not None and before == restated else None
    if _VARIABLE_LETTER_RE.search(working):
        return None  # "3 (x + 1)": a product with a variable, not working
    before = parse_number(match.group(1))
    result = working.rsplit("=", 1)[-1]  # "(3 x 4 = 12)"
    value = _constant_value(_WORD_RUN_RE.sub(" ", result).replace("$", ""), None)
    if before is None or value is None or not _close(float(before.value), value[0], 1e-9, 1e-12):
        return None  # "2 (2 + \\sqrt{3})" is a product, "13 (3 x 4)" a contradiction: not working
    return match.group(1)


def _parse_with_words(text: str, percent: bool) -> Number | None:
    """A number written with words around it: "about 42 apples", "42 km/h", "x is 5", "negative 7",
    "2.5 million", "three apples"; None when a word changes its value ("5 times x", "2x")."""
    negative = _NEGATIVE_WORD_RE.match(text)
    if negative:
        number = _parse_with_words(text[negative.end() :], percent) or parse_number(text[negative.end() :])
        return Number(-number.value, number.percent, number.decimal) if number else None
    scales = _SCALE_RE.findall(text)
    if len(scales) == 1:
        return _scaled(text, scales[0], percent)
    tail = _after_last_copula(text)
    two_values = _holds_two_values(_UNIT_EXPONENT_RE.sub("", tail))  # "3 m^2" holds one
    if _changes_value(tail) or _SECOND_CANDIDATE_RE.search(tail) or _OR_WORD_RE.search(tail) or two_values:
        return None  # "5 times x"; "12 or C", "12 or thirteen", "12 or XIII", "12 or so": not one value
    value = None
    # words around a number: "about 42 apples", "42 km/h", "x is 5"
    stripped = _HEDGE_RE.sub("", _after_last_copula(_strip_trailing_words(_UNIT_EXPONENT_RE.sub("", text))))
    if stripped != text and stripped:
        stripped, word_percent = _strip_percent(stripped)
        percent = percent or word_percent
        value = _parse_core(stripped)
    if value is None:
        lead_word = _leading_word_number(text)
        if lead_word is not None:
            return Number(Fraction(lead_word), percent)
    if value is None:
        return _number_in_sentence(text)
    return Number(value, percent, decimal=_DECIMAL_RE.search(text) is not None)


def _scaled(text: str, scale: str, percent: bool) -> Number | None:
    """ "5 thousand" -> 5000, "\\$2.5 million" -> 2500000, "two million" -> 2000000."""
    base = parse_number(_SCALE_RE.sub(" ", text).strip())
    if base is None or base.percent:
        return None
    return Number(base.value * _SCALES[scale.casefold()], percent, base.decimal)


def _number_in_sentence(text: str) -> Number | None:
    """The one number of an answer sentence ("Jane started growing it 3 hours ago"), or the number an
    answer starts with before going on in words ("12, which is even"); None when more numbers or a
    letter follow ("84 or 85 or 86", "12 or C"): a list of candidates must not win."""
    if _has_prose(text) and not _NEGATION_RE.search(text):
        numbers = _NUMBER_RE.findall(text)
        if len(numbers) == 1 and not re.search(r"[=+*/^\\]", text):
            return parse_number(numbers[0])
    lead = _NUMBER_RE.match(text)
    if lead is None or lead.end() >= len(text):
        return None
    rest = text[lead.end() :]
    if (
        (rest[0] in " ,\t" or not rest[0].isalnum())
        and not re.search(r"[\d=+*/^\\]", rest)
        and not _SECOND_CANDIDATE_RE.search(rest)
    ):
        return parse_number(lead.group(0))
    return None


def _terminates(value: Fraction) -> bool:
    """Whether `value` has a finite decimal expansion (its denominator has only factors 2 and 5)."""
    den = value.denominator
    for factor in (2, 5):
        while den % factor == 0:
            den //= factor
    return den == 1


def numbers_equal(
    predicted: Number,
    reference: Number,
    *,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    percent_as_fraction: bool = True,
) -> bool:
    """Whether two numbers are the same answer.

    A percentage matches its number (50% ~ 50) and, when `percent_as_fraction`, also its fraction
    (50% ~ 0.5), on either side. Exact values must be exactly equal: two finite decimals (integers
    included; a relative tolerance would accept 1234568 for 1234567) or two numbers written without
    a decimal point (fractions). Only when one side is written as a decimal and the other has no
    finite decimal form (0.3333333 for 1/3: a rounding) is closeness enough:
    `|a-b| <= max(abs_tol, rel_tol * max(|a|, |b|))`.
    """
    may_be_rounded = predicted.decimal or reference.decimal
    candidates = [(predicted.value, reference.value)]
    if percent_as_fraction and predicted.percent != reference.percent:
        if predicted.percent:
            candidates.append((predicted.value / 100, reference.value))
        else:
            candidates.append((predicted.value, reference.value / 100))
    for a, b in candidates:
        if a == b:
            return True
        if not may_be_rounded or (_terminates(a) and _terminates(b)):
            continue  # both exact (1/3 vs 2/7, 1234567 vs 1234568): no rounding, so no tolerance
        tolerance = max(abs_tol, rel_tol * float(max(abs(a), abs(b))))
        if float(abs(a - b)) <= tolerance:
            return True
    return False


_SPACE_RE = re.compile(r"\s+")


def normalise_expression(text: str) -> str:
    """Canonical text of a non-numeric answer, for a cheap exact comparison before sympy."""
    text = _strip_wrappers(str(text)[:MAX_ANSWER_CHARS])
    text = text.rstrip(_TRAILING_PUNCT)
    text = _unwrap_braces(text)
    text = _SPACE_RE.sub("", text).casefold()
    text = text.replace("\\frac", "frac").replace("{", "(").replace("}", ")")
    if len(text) >= 3 and text[0] == "(" and text[-1] == ")" and text.count("(") == 1:
        text = text[1:-1]
    return text


_APPROX_SIGN_RE = re.compile(r"\\approx(?![A-Za-z])|\u2248")
_DECIMALS_RE = re.compile(r"\.(\d+)")
_APPROX_SLACK = 0.02


def _approximation_contradicts(answer: str) -> bool:
    """Whether a constant is followed by an approximation it does not round or truncate to
    ("12 \\approx 13", "\\frac{1}{3} \u2248 0.4"): two candidates, not a value and its decimal form."""
    sign = _APPROX_SIGN_RE.search(answer)
    if sign is None or sign.start() == 0:
        return False
    exact_text = answer[: sign.start()].strip().strip("$")
    approx_text = answer[sign.end() :].strip().strip("$").rstrip(_TRAILING_PUNCT)
    if exact_text.endswith("%") and approx_text.endswith("%"):  # "80\\% \\approx 84\\%": 80 against 84
        exact_text, approx_text = exact_text[:-1].removesuffix("\\"), approx_text[:-1].removesuffix("\\")
    exact = _constant_value(exact_text, parse_number(exact_text))
    approx = _constant_value(approx_text, parse_number(approx_text))
    if exact is None or approx is None:
        return False
    decimals = _DECIMALS_RE.search(approx_text)
    unit = 10.0 ** -(len(decimals.group(1)) if decimals else 0)
    error = abs(exact[0] - approx[0])
    # one off in the last digit is still the value's decimal form ("\\frac{9.5}{3.14159} \\approx 3.01"),
    # unless that digit is most of the value ("12 \\approx 13")
    return error >= 1.5 * unit or (error >= unit and error > _APPROX_SLACK * abs(exact[0]))


def _exact_part(answer: str) -> str:
    """ "\\frac{\\sqrt{3}}{3} \\approx 0.577" -> the exact value before `\\approx` (when there is one)."""
    cut = answer.find("\\approx")
    if cut <= 0:
        return answer
    exact = answer[:cut].rstrip() + "$" * (answer[:cut].count("$") % 2)
    # only a constant: "x \\approx 11" names its value after the sign
    return exact if _constant_value(exact, parse_number(exact)) is not None else answer


def answers_equal(
    predicted: str,
    reference: str | int | float,
    *,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    percent_as_fraction: bool = True,
) -> bool | None:
    """Compare two answer strings without sympy: True/False when decided, None when undecided.

    Undecided means at least one side is not a plain number and the normalised texts differ; the
    caller may then try the symbolic fallback.
    """
    if _approximation_contradicts(str(predicted)):
        return False
    predicted, reference = _exact_part(str(predicted)), _exact_part(str(reference))
    predicted, reference = _without_memberships(predicted, reference)
    predicted, reference = _plus_minus(predicted), _plus_minus(reference)
    if _units_differ(predicted, reference):
        return False  # "5 m" for "5 cm", "30 rad" for 30°, "45 s" for "45 min": another quantity
    for notation in (_choices_equal, _base_numerals_equal, _clock_times_equal):
        verdict = notation(predicted, reference)
        if verdict is not None:
            return verdict
    ref_number = parse_number(reference)
    pred_number = parse_number(predicted)
    if ref_number is not None and pred_number is not None:
        return numbers_equal(
            pred_number,
            ref_number,
            rel_tol=rel_tol,
            abs_tol=abs_tol,
            percent_as_fraction=percent_as_fraction,
        )
    if normalise_expression(predicted) == normalise_expression(str(reference)):
        return True
    constants = _constants_equal(str(predicted), str(reference), pred_number, ref_number, rel_tol, abs_tol)
    if constants is not None:
        return constants
    identity = _rational_identity(str(predicted), str(reference))
    if identity is not None:
        return identity
    tolerances = {"rel_tol": rel_tol, "abs_tol": abs_tol, "percent_as_fraction": percent_as_fraction}
    shapes = _unions_equal(str(predicted), str(reference), rel_tol, abs_tol)
    if shapes is None:
        shapes = _inequalities_equal(str(predicted), str(reference), rel_tol, abs_tol)
    if shapes is None:
        shapes = _intervals_equal(str(predicted), str(reference), rel_tol, abs_tol)
    if shapes is not None:
        return shapes
    matrices = _matrices_equal(str(predicted), str(reference), tolerances)
    if matrices is not None:
        return matrices
    named = _named_equal(str(predicted), str(reference), tolerances)
    if named is not None:
        return named
    lists = _constant_lists_equal(str(predicted), str(reference), rel_tol, abs_tol)
    if lists is not None:
        return lists
    parts = _parts_equal(str(predicted), str(reference), tolerances)
    if parts is not None:
        return parts
    collections = _collections_equal(
        str(predicted),
        str(reference),
        rel_tol=rel_tol,
        abs_tol=abs_tol,
        percent_as_fraction=percent_as_fraction,
    )
    if collections is None and _hedges_in_text(str(predicted)):
        return False  # left to Math-Verify, the hedge inside \\text{} would be dropped
    return collections


_HEDGE_IN_TEXT_RE = re.compile(
    r"(?<![A-Za-z])(?:or|maybe|perhaps|possibly|alternatively|also|approx|approximately|about|around|roughly"
    r"|rounded|nearly|almost)(?![A-Za-z])",
    re.IGNORECASE,
)


def _hedges_in_text(answer: str) -> bool:
    """ "12 \\text{ (or 13)}", "\\mathrm{12 or 13}": words inside a LaTeX text command that offer a
    second value (Math-Verify ignores text commands, so it would read the first value alone)."""
    words = " ".join(match.group(1) for match in _TEXT_CMD_RE.finditer(answer[:MAX_ANSWER_CHARS]))
    return _HEDGE_IN_TEXT_RE.search(words) is not None and _holds_two_values(_strip_wrappers(answer))


# ---------------------------------------------------------------- units

# Units a reference may name, by their spellings. Only these are compared: any other word after a
# number ("5 apples", "3 boxes") names what is counted and stays ignored.
_UNIT_SPELLINGS = {
    "mm": "mm millimeter millimeters millimetre millimetres",
    "cm": "cm cms centimeter centimeters centimetre centimetres",
    "m": "m meter meters metre metres",
    "km": "km kms kilometer kilometers kilometre kilometres",
    "in": "in inch inches",
    "ft": "ft foot feet",
    "yd": "yd yds yard yards",
    "mi": "mi mile miles",
    "ms": "ms millisecond milliseconds",
    "s": "s sec secs second seconds",
    "min": "min mins minute minutes",
    "h": "h hr hrs hour hours",
    "day": "day days",
    "week": "wk wks week weeks",
    "month": "month months",
    "year": "yr yrs year years",
    "mg": "mg milligram milligrams",
    "g": "g gram grams",
    "kg": "kg kgs kilogram kilograms",
    "lb": "lb lbs pound pounds",
    "oz": "oz ounce ounces",
    "ml": "ml milliliter milliliters millilitre millilitres",
    "l": "l liter liters litre litres",
    "rad": "rad rads radian radians",
    "degree": "deg degs degree degrees",
    "dollar": "dollar dollars usd",
    "cent": "cent cents ¢",
    "euro": "euro euros eur",
}
_UNIT_NAMES = {spelling: name for name, words in _UNIT_SPELLINGS.items() for spelling in words.split()}
_SPEED_ABBREVIATIONS = {"mph": "mi/h", "kph": "km/h", "kmh": "km/h", "kmph": "km/h", "mps": "m/s"}
_UNIT_POWER_WORDS = {"square": 2, "sq": 2, "squared": 2, "cubic": 3, "cu": 3, "cubed": 3}
_CURRENCY_SIGNS = {"$": "dollar", "€": "euro", "£": "pound-sterling"}
_LEADING_QUANTITY_RE = re.compile(
    r"^\s*(?:[-+]\s*)?(?:([$€£])\s*)?(?:[-+]\s*)?(?:\d[\d,]*(?:\.\d+)?|\.\d+|\\frac\s*\{[^{}]*\}\s*\{[^{}]*\})"
)
_UNIT_TEXT_RE = re.compile(r"^[A-Za-z¢][A-Za-z .'/²³^{}0-9-]{0,40}$")
# "$18", "\\$18.50": a dollar amount; not "$18$" (a math block)
_DOLLAR_AMOUNT_RE = re.compile(r"^\s*(?:\\\$|\$(?![^$]*\$))\s?\d")
_CELSIUS_RE = re.compile(r"(?:°|\\circ\}?)\s*([CF])(?![A-Za-z])")


def _unit_of(answer: str) -> tuple[tuple[str, int], ...] | None:
    """The unit a number is written with, as (name, power) factors: "5 \\text{ cm}^2" -> (("cm", 2),),
    "60 km/h" -> (("km", 1), ("h", -1)), "30^\\circ" -> (("degree", 1),), "$5" -> (("dollar", 1),)
    (not "$5$"); () for a bare number; None when the answer is not a number and a unit, or its unit
    is unknown."""
    raw = answer[:200]
    celsius = _CELSIUS_RE.search(raw)
    degree = _DEGREE_RE.search(raw) is not None
    text = _strip_wrappers(raw).rstrip(_TRAILING_PUNCT)
    quantity = _LEADING_QUANTITY_RE.match(text)
    if quantity is None:
        return None
    rest = text[quantity.end() :].strip()
    if celsius is not None:
        return (("degree-" + celsius.group(1), 1),) if rest == celsius.group(1) else None
    signs: list[str] = [_CURRENCY_SIGNS[quantity.group(1)]] if quantity.group(1) else []
    if not signs and _DOLLAR_AMOUNT_RE.match(raw):  # "$18": its "$" was read as a math delimiter
        signs.append("dollar")
    if degree:
        signs.append("degree")
    signed = tuple(sorted((name, 1) for name in signs))
    if not rest:
        return signed
    unit = _unit_factors(rest)
    if unit is None or (signed and unit != signed):
        return None  # "€5 cents": no single unit
    return unit


def _unit_factors(text: str) -> tuple[tuple[str, int], ...] | None:
    """ "km/h" -> (("km", 1), ("h", -1)), "square feet" -> (("ft", 2),); None unless every word is a
    known unit (or a power word)."""
    if _UNIT_TEXT_RE.match(text) is None:
        return None
    text = re.sub(r"\s+per\s+", "/", text.casefold().replace("²", "^2").replace("³", "^3"))
    text = _SPEED_ABBREVIATIONS.get(text, text)
    factors: list[tuple[str, int]] = []
    for side, part in enumerate(text.split("/")):
        match = re.match(r"^\s*((?:[a-z.¢']+\s+)*?[a-z.¢']+)\s*(?:\^\s*\{?\s*(-?\d)\s*\}?)?\s*$", part)
        if match is None:
            return None
        words, power = match.group(1).replace(".", " ").split(), int(match.group(2) or 1)
        names = [word for word in words if word not in _UNIT_POWER_WORDS]
        if len(names) != 1 or names[0] not in _UNIT_NAMES:
            return None
        power *= max([_UNIT_POWER_WORDS[word] for word in words if word in _UNIT_POWER_WORDS] or [1])
        factors.append((_UNIT_NAMES[names[0]], -power if side else power))
    return tuple(sorted(factors))


def _units_differ(predicted: str, reference: str) -> bool:
    """Whether both answers name a known unit and not the same one ("5 m" for "5 cm", "30 rad" for
    "30^\\circ", "1 h" for "60 min": no conversion, the reference's unit is the one asked for). An
    answer without a unit, or a reference without one, is not judged here (units are dropped)."""
    ref_unit = _unit_of(reference)
    if not ref_unit:
        return False
    pred_unit = _unit_of(predicted)
    return bool(pred_unit) and pred_unit != ref_unit


# ---------------------------------------------------------------- choices, bases, clock times

_CHOICE_RE = re.compile(r"^\(?([A-J])\)?\.?$")
# "Option B", "Option (B)", "Choice (C) 12": the word before a choice letter names it, adds nothing
_CHOICE_WORD_RE = re.compile(r"^(?i:option|choice)\s*(?=\(?[A-J](?:[).:]|\s|$))")
# "(B) 12", "B) 12", "(D) None of the above", "B. 12": a choice letter, then the option's text
_LEADING_CHOICE_RE = re.compile(r"^(?:\(([A-J])\)|([A-J])[).:])(?:\s+(.*))?$", re.DOTALL)
_OTHER_CHOICE_RE = re.compile(
    r"(?<![A-Za-z])(?:\([A-J]\)|[A-J]\))|(?<![A-Za-z])or(?![A-Za-z])", re.IGNORECASE
)


_NAMED_CHOICE_RE = re.compile(r"(?<![A-Za-z])(?:\(([A-J])\)|([A-J])\))")


def _named_choices(answer: str) -> set[str]:
    """The letters written as choices ("(B)", "C)") in an answer."""
    return {a or b for a, b in _NAMED_CHOICE_RE.findall(_strip_wrappers(answer[:MAX_ANSWER_CHARS]))}


def _choice_letter(answer: str) -> str | None:
    text = _CHOICE_WORD_RE.sub("", _strip_wrappers(answer[:100]).strip().rstrip(".").strip())
    match = _CHOICE_RE.match(text)
    return match.group(1) if match else None


def _choices_equal(predicted: str, reference: str) -> bool | None:
    """A multiple-choice reference ("B", "(B)") against an answer that gives a letter then the
    option's text ("(B) 12", "B) 12"): the letters decide. None when either is not such."""
    ref = _choice_letter(reference)
    if ref is None:  # "Option B: 12" for "(B) 12": without the word
        unnamed = _CHOICE_WORD_RE.sub("", _strip_wrappers(predicted[:MAX_ANSWER_CHARS]).strip())
        return _option_reference_equal(unnamed, reference)
    letter = _choice_letter(predicted)
    if letter is not None:  # "B", "(B)", "Option B", "Choice (B)"
        return letter == ref
    text = _CHOICE_WORD_RE.sub("", _strip_wrappers(predicted[:MAX_ANSWER_CHARS]).strip())
    match = _LEADING_CHOICE_RE.match(text)
    if match is None or _OTHER_CHOICE_RE.search(match.group(3) or ""):
        return None  # "(B) or (C)": a hedge, left to the shotgun and the other checks
    return (match.group(1) or match.group(2)) == ref


def _option_reference_equal(predicted: str, reference: str) -> bool | None:
    """A reference that is a letter and its option ("(B) 12"): the letter alone, the option's text
    alone or both answer it. None when the reference is not such."""
    match = _LEADING_CHOICE_RE.match(_strip_wrappers(reference[:MAX_ANSWER_CHARS]).strip())
    if match is None or not match.group(3) or _OTHER_CHOICE_RE.search(match.group(3)):
        return None
    letter, option = match.group(1) or match.group(2), match.group(3)
    pred_letter = _choice_letter(predicted)
    if pred_letter is not None:
        return pred_letter == letter
    if any(named != letter for named in _named_choices(predicted)):
        return False  # "12 (C)", "(B) 12 (C) 13": another option is named too
    leading = _LEADING_CHOICE_RE.match(_strip_wrappers(predicted[:MAX_ANSWER_CHARS]).strip())
    if leading is not None:
        if leading.group(3) is None or (leading.group(1) or leading.group(2)) != letter:
            return None if leading.group(3) is None else False
        # the right letter with another option's text ("(B) 13" for "(B) 12") is not the option
        return answers_equal(leading.group(3), option) is not False
    if len(answer_items(predicted)) > 1:
        return False  # "12 or C": the reference holds two names of one option, not two candidates
    return answers_equal(predicted, option)


_BASE_NUMERAL_RE = re.compile(r"^([0-9A-Za-z]{1,64})(?:_\s*\{?\s*(\d{1,2})\s*\}?)?$")


def _base_numeral(answer: str) -> tuple[str, int | None] | None:
    """ "2A_{16}" -> ("2A", 16), "1011" -> ("1011", None): digits and base, None when not a numeral."""
    match = _BASE_NUMERAL_RE.match(_strip_wrappers(answer[:100]).strip().rstrip(".").strip())
    if match is None:
        return None
    digits, base = match.group(1).upper(), int(match.group(2)) if match.group(2) else None
    if base is not None and not (2 <= base <= 36 and all(int(d, 36) < base for d in digits)):
        return None
    return digits, base


def _base_numerals_equal(predicted: str, reference: str) -> bool | None:
    """A reference numeral in a base (`1011_2`, `2A_{16}`) against the same digits with or without
    the base: the digits decide. None unless the reference names a base and the answer is a numeral."""
    pred, ref = _base_numeral(predicted), _base_numeral(reference)
    if pred is None or ref is None or ref[1] is None:
        return None  # "10_2" for a reference "10" (base ten, maybe) is left to the values
    base = ref[1]
    if pred[1] not in (None, base):
        return None  # two different bases: the values decide (Math-Verify)
    if not all(int(d, 36) < base for d in pred[0] + ref[0]):
        return None
    return pred[0].lstrip("0") == ref[0].lstrip("0")


_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([ap])\.?\s?m\.?)?$", re.IGNORECASE)


def _clock_time(answer: str) -> tuple[int, int, int, str | None] | None:
    match = _CLOCK_RE.match(_strip_wrappers(answer[:100]).strip())
    if match is None:
        return None
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hours > 24 or minutes > 59 or seconds > 59:
        return None
    return hours, minutes, seconds, match.group(4).casefold() if match.group(4) else None


def _clock_times_equal(predicted: str, reference: str) -> bool | None:
    """Two clock times ("3:45", "3:45 PM", "15:45", "10:30 a.m."), one with am/pm at least: the same
    time of day (on a 12-hour dial when one side has no am/pm)."""
    pred, ref = _clock_time(predicted), _clock_time(reference)
    if pred is None or ref is None or (pred[3] is None and ref[3] is None):
        return None
    if pred[3] is not None and ref[3] is not None:
        return pred == ref
    return (pred[0] % 12, pred[1], pred[2]) == (ref[0] % 12, ref[1], ref[2])


# ---------------------------------------------------------------- constant arithmetic

_MAX_ARITHMETIC_CHARS = 300
_MAX_ARITHMETIC_DEPTH = 40
_MAX_FACTORIAL = 20
_ARITHMETIC_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


_T = TypeVar("_T")


class _Scanner:
    """The cursor of the recursive-descent parsers below: position, nesting depth, whitespace skipping."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.depth = 0

    def peek(self) -> str:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1
        return self.text[self.i] if self.i < len(self.text) else ""

    def _whole(self, result: _T) -> _T:
        """`result` when the parse consumed the whole text, else ValueError."""
        if self.peek():
            raise ValueError("trailing text")
        return result


class _Arithmetic(_Scanner):
    """Value of a constant arithmetic expression in LaTeX or plain text: numbers, + - * / ^,
    brackets, `\\frac`, `\\sqrt[n]{}`, `\\pi`, `\\cdot`, `\\times`, `\\div`, implicit products
    (`2\\sqrt{3}`). Anything else - a letter, a comma, a mixed number `3\\frac12`, a huge power -
    raises ValueError: the answer then goes to Math-Verify. Plain recursive descent, linear time."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.decimal = False

    def value(self) -> float:
        return self._whole(self.expression())

    def take(self, word: str) -> bool:
        if self.peek() and self.text.startswith(word, self.i):
            end = self.i + len(word)
            if word[-1].isalpha() and end < len(self.text) and self.text[end].isalpha():
                return False  # "\\pi" is not the start of "\\pix"
            self.i = end
            return True
        return False

    def expression(self) -> float:
        self.depth += 1
        if self.depth > _MAX_ARITHMETIC_DEPTH:
            raise ValueError("too deep")
        result = self.term()
        while self.peek() in ("+", "-") and self.peek():
            sign = self.text[self.i]
            self.i += 1
            result = result + self.term() if sign == "+" else result - self.term()
        self.depth -= 1
        return result

    def term(self) -> float:
        result = self.signed()
        while True:
            char = self.peek()
            if char in ("*", "/") and char:
                self.i += 1
                result = self._times(result, self.signed(), char == "/")
            elif self.take("\\cdot") or self.take("\\times"):
                result *= self.signed()
            elif self.take("\\div"):
                result = self._times(result, self.signed(), True)
            elif char and (char in "({" or self.text.startswith(("\\sqrt", "\\pi"), self.i)):
                result *= self.power()  # an implicit product: 2\\sqrt{3}, 3\\pi, 2(x)
            elif self.text.startswith("\\frac", self.i):
                raise ValueError("number then \\frac: a mixed number or a product?")
            else:
                return result

    @staticmethod
    def _times(left: float, right: float, divide: bool) -> float:
        if not divide:
            return left * right
        if right == 0:
            raise ValueError("division by zero")
        return left / right

    def signed(self) -> float:
        if self.peek() == "-":
            self.i += 1
            return -self.signed()
        if self.peek() == "+":
            self.i += 1
            return self.signed()
        return self.power()

    def power(self) -> float:
        base = self.atom()
        if self.peek() == "!" and not self.text.startswith("!=", self.i):  # 4! = 24
            self.i += 1
            if base != int(base) or not 0 <= base <= _MAX_FACTORIAL:
                raise ValueError("factorial of a non-integer or of a large number")
            base = float(math.factorial(int(base)))
        if self.peek() != "^":
            return base
        self.i += 1
        exponent = self.group()
        if abs(exponent) > 1000 or (abs(base) > 1 and exponent * math.log10(abs(base)) > 300):
            raise ValueError("power too large")
        if base < 0 and exponent != int(exponent):
            raise ValueError("complex power")
        if base == 0 and exponent < 0:
            raise ValueError("division by zero")
        return base**exponent

    def group(self) -> float:
        """`{expression}` or a single digit (`2^3`, `\\frac12`)."""
        char = self.peek()
        if char == "{":
            self.i += 1
            result = self.expression()
            if self.peek() != "}":
                raise ValueError("unclosed group")
            self.i += 1
            return result
        if char.isdigit():
            self.i += 1
            return float(char)
        raise ValueError("group expected")

    def atom(self) -> float:
        char = self.peek()
        if char.isdigit() or char == ".":
            match = _ARITHMETIC_NUMBER_RE.match(self.text, self.i)
            if not match:
                raise ValueError("number expected")
            self.i = match.end()
            self.decimal = self.decimal or "." in match.group(0)
            return float(match.group(0))
        if char in ("(", "{"):
            self.i += 1
            result = self.expression()
            if self.peek() != {"(": ")", "{": "}"}[char]:
                raise ValueError("unclosed bracket")
            self.i += 1
            return result
        if self.take("\\frac"):
            numerator = self.group()
            return self._times(numerator, self.group(), True)
        if self.take("\\sqrt"):
            index = 2.0
            if self.peek() == "[":
                self.i += 1
                index = self.expression()
                if self.peek() != "]" or index <= 0:
                    raise ValueError("bad root index")
                self.i += 1
            radicand = self.group()
            if radicand < 0:
                raise ValueError("root of a negative number")
            return radicand ** (1.0 / index)
        if self.take("\\pi"):
            return math.pi
        raise ValueError("not arithmetic")


def _constant_value(text: str, number: Number | None) -> tuple[float, bool] | None:
    """(value, written with a decimal point) of a constant answer, None when it is not one."""
    if number is not None:
        return None if number.percent else (float(number.value), number.decimal)
    text = _strip_wrappers(text[: _MAX_ARITHMETIC_CHARS + 1]).rstrip(_TRAILING_PUNCT)
    if text.startswith("[") and text.endswith("]") and "," not in text:  # "[45]": a value in brackets
        text = _strip_math_delims(text[1:-1])
    if len(text) > _MAX_ARITHMETIC_CHARS or not text:
        return None
    parser = _Arithmetic(text)
    try:
        value = parser.value()
    except (ValueError, OverflowError, ZeroDivisionError):
        return _constant_with_unit(text)
    return (value, parser.decimal) if math.isfinite(value) else None


def _constant_with_unit(text: str) -> tuple[float, bool] | None:
    """ "3 \\times 10^8 m/s", "6\\pi cm^2" (a `\\text{}` already unwrapped): the constant before its unit
    words, when they are words that do not change its value ("2\\pi r" is not 2\\pi)."""
    without_unit = _strip_trailing_words(_UNIT_EXPONENT_RE.sub("", text))
    unit = text[len(without_unit) :]
    if (
        without_unit == text
        or not without_unit
        or not any(ch.isalpha() for ch in unit)
        or _changes_value(unit)
    ):
        return None
    if any(word.casefold() in _NOT_UNIT_WORDS or _word_number(word) is not None for word in unit.split()):
        return None  # "12 to fifteen", "5 or more": not a unit
    if not re.search(r"[A-Za-z]{2}|[A-Za-z]\s*/", unit) and unit.strip() not in (
        "m",
        "s",
        "g",
        "h",
        "l",
        "L",
    ):
        return None
    parser = _Arithmetic(without_unit)
    try:
        value = parser.value()
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    return (value, parser.decimal) if math.isfinite(value) else None


def _constants_equal(
    predicted: str,
    reference: str,
    pred_number: Number | None,
    ref_number: Number | None,
    rel_tol: float,
    abs_tol: float,
) -> bool | None:
    """Both sides constant arithmetic (`\\sqrt{16}`, `3+2`, `\\frac{1+\\sqrt5}{2}`): equal values?
    Closeness is `rel_tol` when a side is written as a decimal (a rounding), else float precision."""
    pred, ref = _constant_value(predicted, pred_number), _constant_value(reference, ref_number)
    if pred is None or ref is None:
        return None
    (a, a_decimal), (b, b_decimal) = pred, ref
    tolerance = rel_tol if (a_decimal or b_decimal) else 1e-12
    return abs(a - b) <= max(abs_tol, tolerance * max(abs(a), abs(b)))


_MAX_PARTS = 50
_MAX_PART_COMPARISONS = 400  # answer pairs compared in-process for one multi-part answer (20 x 20)


def named_parts(answer: str) -> dict[str, str] | None:
    """{name: value} when every part of the answer is named ("x = 1, y = 2"), else None."""
    parts: dict[str, str] = {}
    for item in answer_items(answer[:MAX_ANSWER_CHARS])[: _MAX_PARTS + 1]:
        match = _NAME_EQUALS_RE.match(item)
        if match is None:
            return None
        name = normalise_expression(item[: match.end() - 1])
        if name in parts:
            return None  # "x = 2 or x = 3": a list of values of one name, not a point
        parts[name] = item[match.end() :].strip()
    return parts or None


def _parts(answer: str) -> list[str]:
    """The distinct parts of an answer with their names dropped ("(p,q)=(3,2)" -> ["(3,2)"])."""
    distinct: dict[str, str] = {}
    for item in answer_items(answer[:MAX_ANSWER_CHARS])[: _MAX_PARTS + 1]:
        value = _without_name(item)
        distinct.setdefault(normalise_expression(value), value)
    return list(distinct.values())


_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "!=": "!="}
_RELATION_RE = re.compile(r"<=|>=|!=|\\(?:leq|geq|neq|le|ge|ne|lt|gt)(?![A-Za-z])|[<>≤≥≠]")
_RELATIONS = {"\\leq": "<=", "\\le": "<=", "≤": "<=", "\\geq": ">=", "\\ge": ">=", "≥": ">=", "\\neq": "!="}
_RELATIONS.update({"\\ne": "!=", "≠": "!=", "\\lt": "<", "\\gt": ">"})
_VARIABLE_RE = re.compile(r"^(-?)\s*([A-Za-z])$")


def _close(a: float, b: float, rel_tol: float, abs_tol: float) -> bool:
    if math.isinf(a) or math.isinf(b):  # a relative tolerance of infinity would accept anything
        return a == b
    return a == b or abs(a - b) <= max(abs_tol, rel_tol * max(abs(a), abs(b)))


def _inequality(text: str) -> tuple[str, str, float] | None:
    """ "x >= 5", "5 \\geq x", "-x > -1" as (variable, relation, constant) with the variable on the
    left and positive: ("x", ">=", 5.0), ("x", "<=", 5.0), ("x", "<", 1.0); None for anything else."""
    text = _strip_wrappers(text[:_MAX_ARITHMETIC_CHARS]).strip()
    relations = list(_RELATION_RE.finditer(text))
    if len(relations) != 1:
        return None
    match = relations[0]
    relation = _RELATIONS.get(match.group(0), match.group(0))
    left, right = text[: match.start()].strip(), text[match.end() :].strip()
    variable = _VARIABLE_RE.match(left)
    if variable is None:
        variable, left, right = _VARIABLE_RE.match(right), right, left
        relation = _FLIPPED[relation]
    value = _constant_value(right, parse_number(right)) if variable else None
    if variable is None or value is None:
        return None
    number = value[0]
    if variable.group(1):  # -x > -1  <=>  x < 1
        number, relation = -number, _FLIPPED[relation]
    return variable.group(2), relation, number


def _inequalities_equal(predicted: str, reference: str, rel_tol: float, abs_tol: float) -> bool | None:
    pred, ref = _inequality(predicted), _inequality(reference)
    if pred is None or ref is None:
        return None
    return pred[:2] == ref[:2] and _close(pred[2], ref[2], rel_tol, abs_tol)


def _interval(text: str) -> tuple[str, float, float, str] | None:
    """ "[0, 1)" as ("[", 0.0, 1.0, ")"), endpoints constant or infinite; None for anything else."""
    text = _strip_wrappers(text[:_MAX_ARITHMETIC_CHARS]).strip()
    if len(text) < 5 or text[0] not in "([" or text[-1] not in ")]" or text.count(",") != 1:
        return None
    ends = []
    for side in text[1:-1].split(","):
        side = side.strip()
        if side.lstrip("+-") in ("\\infty", "∞", "infty", "oo"):
            ends.append(-math.inf if side.startswith("-") else math.inf)
            continue
        value = _constant_value(side, parse_number(side))
        if value is None:
            return None
        ends.append(value[0])
    return text[0], ends[0], ends[1], text[-1]


def _intervals_equal(predicted: str, reference: str, rel_tol: float, abs_tol: float) -> bool | None:
    """Two intervals of constants, decided when at least one is half-open ("[0, 1)"): a pair with the
    same brackets on both sides ("(1, 2)") may be a point, which `_collections_equal` compares."""
    pred, ref = _interval(predicted), _interval(reference)
    if pred is None or ref is None or {pred[0] + pred[3], ref[0] + ref[3]} <= {"()", "[]"}:
        return None
    if (pred[0], pred[3]) != (ref[0], ref[3]):
        return False
    return all(a == b or _close(a, b, rel_tol, abs_tol) for a, b in zip(pred[1:3], ref[1:3], strict=True))


def _named_equal(predicted: str, reference: str, tolerances: dict[str, Any]) -> bool | None:
    """Both sides name their parts ("a_3 = 2, a_{37} = 19"): the same names with equal values, in any
    order; None when the names differ or a value is not decided here."""
    pred, ref = named_parts(predicted), named_parts(reference)
    if pred is None or ref is None or set(pred) != set(ref):
        return None
    verdicts = [answers_equal(pred[name], ref[name], **tolerances) for name in ref]
    if any(v is None for v in verdicts):
        return None
    return all(verdicts)


def _parts_equal(predicted: str, reference: str, tolerances: dict[str, Any]) -> bool | None:
    """Multi-part answers ("(1, 2), (2, 1)", "p = 3, q = 2", "(p,q)=(3,2)") compared part by part as
    sets, when every part comparison is decided here; None otherwise (Math-Verify decides)."""
    pred, ref = _parts(predicted), _parts(reference)
    named = _NAME_EQUALS_RE.match(_strip_wrappers(predicted)) or _NAME_EQUALS_RE.match(
        _strip_wrappers(reference)
    )
    if len(pred) != len(ref) or len(pred) > _MAX_PARTS or (len(pred) < 2 and not named):
        return None
    if len(pred) == 1:  # "(p,q)=(3,2)" against "(3,2)": the values, once (no name left in them)
        if "=" in pred[0] or "=" in ref[0]:
            return None
        return answers_equal(pred[0], ref[0], **tolerances)
    if len(pred) * len(ref) > _MAX_PART_COMPARISONS:
        return None  # the worker decides (killable); every comparison here is on the caller's thread
    verdicts: list[list[bool | None]] = []
    for p in pred:
        row = [answers_equal(p, r, **tolerances) for r in ref]
        if any(v is None for v in row):
            return None
        if not any(row):
            return False  # this part equals no part of the reference
        verdicts.append(row)
    return _perfect_matching(verdicts)


def _perfect_matching(verdicts: list[list[bool | None]]) -> bool:
    """Whether every predicted part can be paired with its own reference part (augmenting paths)."""
    owner: dict[int, int] = {}

    def assign(p: int, seen: set[int]) -> bool:
        for r, equal in enumerate(verdicts[p]):
            if equal and r not in seen:
                seen.add(r)
                if r not in owner or assign(owner[r], seen):
                    owner[r] = p
                    return True
        return False

    return all(assign(p, set()) for p in range(len(verdicts)))


def _constant_list(answer: str) -> list[tuple[float, bool]] | None:
    """The values of a list of constants ("1, 2 and 3", "x = 4, -8", `\\{1, 2\\}`), else None."""
    text = _strip_wrappers(answer[:_MAX_ARITHMETIC_CHARS]).strip()
    if text.startswith("\\{") and text.endswith("\\}"):
        text = text[2:-2]
    elif text.startswith("{") and _balanced_group(text, 0) == text[1:-1]:
        text = text[1:-1]  # "{-2021, 2021}": a set written with bare braces
    values = []
    for item in answer_items(text):
        item = _without_name(item)
        value = _constant_value(item, parse_number(item))
        if value is None:
            return None
        values.append(value)
    return values


def _constant_lists_equal(predicted: str, reference: str, rel_tol: float, abs_tol: float) -> bool | None:
    """Two unbracketed lists of constants, compared as sets of values (the order of the roots of an
    equation is not part of the answer); None unless both sides are such lists."""
    pred, ref = _constant_list(predicted), _constant_list(reference)
    if pred is None or ref is None or max(len(pred), len(ref)) < 2:
        return None
    if len(pred) != len(ref):
        return False
    decimal = any(d for _, d in pred) or any(d for _, d in ref)
    tolerance = rel_tol if decimal else 1e-12
    for (a, _), (b, _) in zip(sorted(pred), sorted(ref), strict=True):
        if abs(a - b) > max(abs_tol, tolerance * max(abs(a), abs(b))):
            return False
    return True


_OPENERS = {"(": ")", "[": "]", "\\{": "\\}", "{": "}"}


def _split_collection(text: str) -> tuple[str, list[str]] | None:
    """("set" | "sequence", items) of `{1, 2}` / `\\{1, 2\\}` / `(1, 2)` / `[1, 2]`, else None."""
    text = _strip_wrappers(text[:MAX_ANSWER_CHARS]).strip().rstrip(".")
    for opener, closer in _OPENERS.items():
        if text.startswith(opener) and text.endswith(closer) and len(text) > len(opener) + len(closer):
            inner = text[len(opener) : -len(closer)]
            kind = "set" if "{" in opener else "sequence"
            break
    else:
        return None
    if _bracketed_inner(text) is None:  # "(1, 2), (3, 4)" or "(p,q)=(3,2)": not one collection
        return None
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in inner:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    if len(items) < 2 or not all(items):
        return None
    return kind, items


def _collections_equal(predicted: str, reference: str, **tolerances: Any) -> bool | None:
    """Element-wise comparison of two collections (sets ignore order), None when not collections."""
    pred, ref = _split_collection(predicted), _split_collection(reference)
    if pred is None or ref is None:
        return None
    (pred_kind, pred_items), (ref_kind, ref_items) = pred, ref
    if len(pred_items) != len(ref_items):
        return False
    if len(pred_items) * len(ref_items) > _MAX_PART_COMPARISONS:
        return None  # the worker decides (killable)
    if ref_kind == "set" or pred_kind == "set":
        remaining = list(pred_items)
        for item in ref_items:
            match = next((c for c in remaining if answers_equal(c, item, **tolerances) is True), None)
            if match is None:
                return None
            remaining.remove(match)
        return True
    verdicts = [answers_equal(p, r, **tolerances) for p, r in zip(pred_items, ref_items, strict=True)]
    if all(v is True for v in verdicts):
        return True
    return False if any(v is False for v in verdicts) else None


# ---------------------------------------------------------------- polynomial and rational identities

_MAX_IDENTITY_CHARS = 300
_MAX_IDENTITY_EXPONENT = 64
_MAX_IDENTITY_BITS = 4096  # of a numerator or denominator: (x+1)^{500} at a large point is not cheap
_IDENTITY_POINTS = 3
_IDENTITY_TRIES = 5  # points drawn: a few spare for the poles of a side (x/(x-3) at x = 3)
_IDENTITY_COMMANDS = ("\\frac", "\\cdot", "\\times", "\\div")
_IDENTITY_CHARS = frozenset("0123456789+-*/^(){}.= \t\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# e and i are Euler's number and the imaginary unit to Math-Verify; two-letter runs that are not
# products of variables ("ln 2", "or"); longer runs are words ("odd", "even"), never variables.
_IDENTITY_RESERVED = frozenset("eEiI")
_IDENTITY_WORDS = frozenset({"ln", "lg", "tg", "or", "no", "pi", "dx", "dy", "mod"})
_LETTER_RUN_RE = re.compile(r"[A-Za-z]+")
_OPERATOR_CHARS = frozenset("0123456789+-*/^")  # a left side with one is an expression, not a name (f(x))


class _Exact(_Scanner):
    """Exact value (a `Fraction`) of a polynomial or rational expression at one point: numbers,
    one-letter variables, + - * / ^ (a constant integer exponent), brackets, `\\frac`, `\\cdot`,
    `\\times`, `\\div`, implicit products (`2x`, `3(x+1)`, `xy`). Anything else raises ValueError; a
    pole raises ZeroDivisionError. Plain recursive descent: linear in the text, bounded numbers."""

    def __init__(self, text: str, point: dict[str, Fraction]) -> None:
        super().__init__(text)
        self.point = point
        self.in_exponent = False

    def value(self) -> Fraction:
        return self._whole(self.expression())

    def take(self, word: str) -> bool:
        if self.peek() and self.text.startswith(word, self.i):
            self.i += len(word)
            return True
        return False

    def expression(self) -> Fraction:
        self.depth += 1
        if self.depth > _MAX_ARITHMETIC_DEPTH:
            raise ValueError("too deep")
        result = self.term()
        while self.peek() in ("+", "-") and self.peek():
            sign = self.text[self.i]
            self.i += 1
            result = result + self.term() if sign == "+" else result - self.term()
        self.depth -= 1
        return _bounded(result)

    def term(self) -> Fraction:
        result = self.signed()
        while True:
            char = self.peek()
            if char in ("*", "/") and char:
                self.i += 1
                right = self.signed()
                if char == "/" and self._implicit_product_next():
                    raise ValueError("x/2y: x/(2y) to Math-Verify, (x/2)y to others")
                result = result * right if char == "*" else result / right
            elif self.take("\\cdot") or self.take("\\times"):
                result *= self.signed()
            elif self.take("\\div"):
                result /= self.signed()
            elif self.text.startswith("\\frac", self.i):
                raise ValueError("a factor then \\frac: a mixed number or a product?")
            elif char and (char in "({" or char.isalpha()):
                result *= self.power()  # an implicit product: 2x, 3(x+1), xy
            else:
                return _bounded(result)
            result = _bounded(result)

    def _implicit_product_next(self) -> bool:
        char = self.peek()
        return (
            bool(char)
            and (char in "({\\" or char.isalpha())
            and not self.text.startswith(("\\cdot", "\\times", "\\div"), self.i)
        )

    def signed(self) -> Fraction:
        if self.peek() == "-":
            self.i += 1
            return -self.signed()
        if self.peek() == "+":
            self.i += 1
            return self.signed()
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        if self.peek() != "^":
            return base
        self.i += 1
        self.in_exponent, outer = True, self.in_exponent
        exponent = self.group()
        self.in_exponent = outer
        if exponent.denominator != 1 or abs(exponent) > _MAX_IDENTITY_EXPONENT:
            raise ValueError("exponent not a small integer")
        size = max(base.numerator.bit_length(), base.denominator.bit_length())
        if size * abs(exponent.numerator) > _MAX_IDENTITY_BITS:
            raise ValueError("power too large")
        return base ** int(exponent)

    def group(self) -> Fraction:
        """`{expression}`, a single digit or a single letter (`x^2y`, `\\frac12`, `\\frac1x`)."""
        char = self.peek()
        if char == "{":
            self.i += 1
            result = self.expression()
            if self.peek() != "}":
                raise ValueError("unclosed group")
            self.i += 1
            return result
        if char.isdigit():
            self.i += 1
            return Fraction(int(char))
        if char.isalpha():
            return self.variable()
        raise ValueError("group expected")

    def variable(self) -> Fraction:
        if self.in_exponent:
            raise ValueError("a variable exponent")
        name = self.text[self.i]
        self.i += 1
        return self.point[name]

    def atom(self) -> Fraction:
        char = self.peek()
        if char.isdigit() or char == ".":
            match = _ARITHMETIC_NUMBER_RE.match(self.text, self.i)
            if not match:
                raise ValueError("number expected")
            self.i = match.end()
            return Fraction(match.group(0))
        if char.isalpha():
            return self.variable()
        if char in ("(", "{"):
            self.i += 1
            result = self.expression()
            if self.peek() != {"(": ")", "{": "}"}[char]:
                raise ValueError("unclosed bracket")
            self.i += 1
            return result
        if self.take("\\frac"):
            numerator = self.group()
            return numerator / self.group()
        raise ValueError("not an expression")


def _bounded(value: Fraction) -> Fraction:
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > _MAX_IDENTITY_BITS:
        raise ValueError("number too large")
    return value


def _identity_text(answer: str) -> tuple[str, frozenset[str]] | None:
    """(the answer as `_Exact` input, its variables) when it is a polynomial or rational expression
    or equation in one-letter variables; None for anything else (words, functions, subscripts...)."""
    text = _strip_wrappers(answer[: _MAX_IDENTITY_CHARS + 1]).rstrip(_TRAILING_PUNCT)
    if not text or len(text) > _MAX_IDENTITY_CHARS:
        return None
    bare = text
    for command in _IDENTITY_COMMANDS:
        bare = bare.replace(command, " ")
    if not set(bare) <= _IDENTITY_CHARS:
        return None  # another command, a comma, a relation, a subscript, a non-ASCII sign
    variables: set[str] = set()
    for run in _LETTER_RUN_RE.findall(bare):
        if len(run) > 2 or run in _IDENTITY_WORDS or _IDENTITY_RESERVED & set(run):
            return None
        variables.update(run)
    return text, frozenset(variables)


def _value_at(text: str, point: dict[str, Fraction]) -> Fraction | None:
    """`text`'s exact value at `point` (an equation: left minus right), None when it is not an
    expression `_Exact` reads; a pole raises ZeroDivisionError."""
    try:
        sides = [_Exact(side, point).value() for side in text.split("=")]
    except (ValueError, OverflowError, KeyError):
        return None
    return sides[0] - sides[1] if len(sides) == 2 else sides[0]


# Random points are drawn once per process and variable set (so the values of one answer are computed
# once however many answers it is compared with), from a per-process salt that no answer can aim at.
_IDENTITY_SALT = os.urandom(16)


@functools.lru_cache(maxsize=256)
def _identity_points(variables: frozenset[str], purpose: str = "points") -> tuple[dict[str, Fraction], ...]:
    """`_IDENTITY_TRIES` random integer points in [10^6, 10^9) for these variables."""
    import hashlib
    import random

    rng = random.Random(
        hashlib.sha256(_IDENTITY_SALT + purpose.encode() + "".join(sorted(variables)).encode()).digest()
    )
    names = sorted(variables)
    return tuple(
        {name: Fraction(rng.randrange(10**6, 10**9)) for name in names} for _ in range(_IDENTITY_TRIES)
    )


@functools.lru_cache(maxsize=4096)
def _values(text: str, variables: frozenset[str]) -> tuple[Fraction | None, ...] | None:
    """`text`'s values at the random points (None at a pole); None when `_Exact` cannot read it."""
    values: list[Fraction | None] = []
    for point in _identity_points(variables):
        try:
            value = _value_at(text, point)
        except ZeroDivisionError:
            values.append(None)
            continue
        if value is None:
            return None
        values.append(value)
    return tuple(values)


def _rational_identity(predicted: str, reference: str) -> bool | None:
    """Two polynomial or rational expressions (`(x+1)^2` and `x^2+2x+1`), or two equations
    (`y = -\\frac12 x + \\frac34` and `2x + 4y - 3 = 0`), compared exactly at random points
    (Schwartz-Zippel: distinct rational functions of degree <= 64 agree at a random point below 10^9
    with probability < 10^-7, three points < 10^-21).

    Expressions: equal at every point -> True, different at one -> False (None when a decimal is
    written: it may be a rounding, which Math-Verify's tolerance judges). Equations: True when one is
    a non-zero constant multiple of the other, False when both are linear and not multiples (two
    different hyperplanes); otherwise None (`x^2 = 0` and `x = 0` have the same solutions:
    Math-Verify decides). None when either side is something else, or has no variable."""
    pred, ref = _identity_text(predicted), _identity_text(reference)
    if pred is None or ref is None or not (pred[1] | ref[1]):
        return None
    (pred_text, pred_vars), (ref_text, ref_vars) = pred, ref
    equations = pred_text.count("="), ref_text.count("=")
    if equations == (0, 1) and ref_vars and set(ref_text.split("=")[0]) & _OPERATOR_CHARS:
        return False  # an equation whose left side is no name ("a^2 + b = 0") is not a value ("0")
    if equations not in ((0, 0), (1, 1)):
        return None
    variables = pred_vars | ref_vars
    pred_values, ref_values = _values(pred_text, variables), _values(ref_text, variables)
    if pred_values is None or ref_values is None:
        return None
    pairs = [(p, r) for p, r in zip(pred_values, ref_values, strict=True) if p is not None and r is not None]
    if len(pairs) < _IDENTITY_POINTS:
        return None  # poles nearly everywhere: 1/(x-x)
    if equations == (0, 0):
        if all(p == r for p, r in pairs):
            return True
        return None if "." in pred_text + ref_text else False
    if len({p for p, _ in pairs}) == 1 or len({r for _, r in pairs}) == 1:
        return None  # "x = x + 1", "0 = 0": no solution or every point, not a curve
    if len(variables) < 2:
        return None  # "3x + 5 = 11" is the question, "x = 2" its answer: not the same answer
    if _proportional(pairs):
        return True
    if "." in pred_text + ref_text:
        return None  # "x = 0.333333" and "3x = 1": a rounding, which Math-Verify's tolerance judges
    if _is_affine(pred_text, variables) and _is_affine(ref_text, variables):
        return False  # two hyperplanes are the same only when one equation is a multiple of the other
    return None


@functools.lru_cache(maxsize=1024)
def _is_affine(text: str, variables: frozenset[str]) -> bool:
    """Whether `text` (left minus right) is a non-constant affine function (`2x + 4y - 3`): along two
    random lines its values have non-zero first and zero second differences. A curve, a rational
    function or a constant fails, except with negligible probability."""
    starts, directions = _identity_points(variables, "start"), _identity_points(variables, "direction")
    for start, direction in list(zip(starts, directions, strict=True))[:2]:
        line = [{name: start[name] + step * direction[name] for name in start} for step in range(3)]
        try:
            values = [_value_at(text, point) for point in line]
        except ZeroDivisionError:
            return False
        if any(v is None for v in values):
            return False
        first, second, third = (v for v in values if v is not None)
        if second == first or first - 2 * second + third != 0:
            return False
    return True


def _proportional(pairs: list[tuple[Fraction, Fraction]]) -> bool:
    """Whether p = c * r at every pair, for one non-zero constant c."""
    ratio = next((p / r for p, r in pairs if r != 0), None)
    return ratio is not None and ratio != 0 and all(p == ratio * r for p, r in pairs)


# ---------------------------------------------------------------- unions of intervals, memberships

_MAX_UNION_PARTS = 20
_MEMBERSHIP_RE = re.compile(r"([A-Za-z])\s*(?:\\in(?![A-Za-z])|∈)\s*")
_LESS = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _membership(answer: str) -> tuple[str, str] | None:
    """ "x \\in [-2, 7]" -> ("x", "[-2, 7]"): a variable said to lie in a set; None for anything else."""
    text = _strip_wrappers(answer[:MAX_ANSWER_CHARS])
    match = _MEMBERSHIP_RE.match(text)
    if match is None or not text[match.end() :].strip():
        return None
    return match.group(1), text[match.end() :].strip()


def _without_memberships(predicted: str, reference: str) -> tuple[str, str]:
    """Both answers without a leading "x \\in": the set is the answer. When both name a variable, only
    the same one is dropped ("x \\in S" and "y \\in S" are left to Math-Verify)."""
    pred, ref = _membership(predicted), _membership(reference)
    if pred is not None and ref is not None and pred[0] != ref[0]:
        return predicted, reference
    return (pred[1] if pred else predicted), (ref[1] if ref else reference)


def _plus_minus(answer: str) -> str:
    """ "\\pm 2021" -> "-(2021), 2021": the two values of a plus-minus constant (else the answer)."""
    text = _strip_wrappers(answer[:_MAX_ARITHMETIC_CHARS])
    if not text.startswith("\\pm") or text.count("\\pm") != 1:
        return answer
    rest = text[3:].strip()
    if not rest or _constant_value(rest, parse_number(rest)) is None:
        return answer
    return f"-({rest}), {rest}"


Span = tuple[float, bool, float, bool]  # (low, low included, high, high included)


def _chain_span(text: str) -> Span | None:
    """ "-793 < a < 10", "2 \\ge x > -1" as a span of constants; None for anything else."""
    relations = list(_RELATION_RE.finditer(text[:_MAX_ARITHMETIC_CHARS]))
    if len(relations) != 2:
        return None
    kinds = [_RELATIONS.get(m.group(0), m.group(0)) for m in relations]
    if kinds[0] not in _LESS or {kinds[0][0], kinds[1][0]} not in ({"<"}, {">"}):
        return None
    left = text[: relations[0].start()]
    middle = text[relations[0].end() : relations[1].start()].strip()
    right = text[relations[1].end() :]
    ends = [_constant_value(side, parse_number(side.strip())) for side in (left, right)]
    if _VARIABLE_RE.match(middle) is None or middle.startswith("-") or ends[0] is None or ends[1] is None:
        return None
    low, high = ends[0][0], ends[1][0]
    if kinds[0][0] == ">":
        return high, kinds[1] == ">=", low, kinds[0] == ">="
    return low, kinds[0] == "<=", high, kinds[1] == "<="


_OR_RE = re.compile(r"(?<!\s)\s+or\s+|\\lor(?![A-Za-z])|\\vee(?![A-Za-z])")
_INFINITY = math.inf


def _inequality_spans(text: str) -> list[Span] | None:
    """ "x < 3" as [(-inf, False, 3, False)], "x >= 1" as [(1, True, inf, False)], "x \\neq 0" as the
    two open half-lines; None otherwise."""
    inequality = _inequality(text)
    if inequality is None:
        return None
    _, relation, value = inequality
    if relation == "!=":
        return [(-_INFINITY, False, value, False), (value, False, _INFINITY, False)]
    if relation.startswith("<"):
        return [(-_INFINITY, False, value, relation == "<=")]
    return [(value, relation == ">=", _INFINITY, False)]


def _spans(answer: str) -> tuple[list[Span], bool] | None:
    """(the intervals of `A \\cup B \\cup ...`, of a chain `a < x < b`, of an inequality `x < 3` or of
    inequalities joined by "or" (`x < -2 or x > 2`), whether the answer is surely a set of reals: not
    a lone "(1, 2)" that may be a point); None otherwise."""
    text = _strip_wrappers(answer[:MAX_ANSWER_CHARS]).rstrip(".")
    chain = _chain_span(text)
    if chain is not None:
        return [chain], True
    parts = text.split("\\cup")
    if len(parts) == 1:
        parts = _OR_RE.split(text)
    if len(parts) > _MAX_UNION_PARTS:
        return None
    spans = []
    for part in parts:
        interval = _interval(part)
        if interval is not None:
            opener, low, high, closer = interval
            spans.append((low, opener == "[", high, closer == "]"))
            continue
        chain = _chain_span(part)
        half_lines = [chain] if chain else _inequality_spans(part)
        if half_lines is None:
            return None
        spans += half_lines
    return spans, len(parts) > 1 or any(_interval(part) is None for part in parts)


def _merged(spans: list[Span]) -> list[Span]:
    """The same set of reals as disjoint intervals in increasing order (empty ones dropped)."""
    merged: list[Span] = []
    for low, low_in, high, high_in in sorted(spans, key=lambda s: (s[0], not s[1])):
        if low > high or (low == high and not (low_in and high_in)):
            continue
        if merged:
            m_low, m_low_in, m_high, m_high_in = merged[-1]
            if low < m_high or (low == m_high and (m_high_in or low_in)):
                if high > m_high or (high == m_high and high_in):
                    m_high, m_high_in = high, high_in or (high == m_high and m_high_in)
                merged[-1] = (m_low, m_low_in, m_high, m_high_in)
                continue
        merged.append((low, low_in, high, high_in))
    return merged


def _unions_equal(predicted: str, reference: str, rel_tol: float, abs_tol: float) -> bool | None:
    """Unions of intervals and chains of inequalities ("[-3, -1] \\cup [1, 3)", "-793 < a < 10",
    "(-793, 10)") compared as sets of reals, when at least one side is surely such a set."""
    pred, ref = _spans(predicted), _spans(reference)
    if pred is None or ref is None or not (pred[1] or ref[1]):
        return None
    if _inequality(predicted) is not None and _inequality(reference) is not None:
        return None  # two inequalities: `_inequalities_equal` also compares their variables
    a, b = _merged(pred[0]), _merged(ref[0])
    if len(a) != len(b):
        return False
    for (a_low, a_low_in, a_high, a_high_in), (b_low, b_low_in, b_high, b_high_in) in zip(a, b, strict=True):
        if (a_low_in != b_low_in and math.isfinite(a_low)) or (
            a_high_in != b_high_in and math.isfinite(a_high)
        ):
            return False  # a bracket at infinity says nothing
        if not (_close(a_low, b_low, rel_tol, abs_tol) and _close(a_high, b_high, rel_tol, abs_tol)):
            return False
    return True


# ---------------------------------------------------------------- matrices

_MATRIX_ENVIRONMENTS = ("pmatrix", "bmatrix", "Bmatrix", "matrix", "array")  # not vmatrix: a determinant
_MAX_MATRIX_ENTRIES = 100


def _matrix(answer: str) -> list[list[str]] | None:
    """The entries of `\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}` (or bmatrix, matrix, or an
    array in brackets), row by row; None for anything else (text around it, nested environments)."""
    # not `_strip_wrappers`: its "\\ " (a LaTeX space) would break the row separator "\\\\ "
    text = _strip_math_delims(answer[:MAX_ANSWER_CHARS]).replace("\\left", "").replace("\\right", "")
    text = text.strip().rstrip(".").strip()
    if text[:1] in "([" and text[-1:] in ")]" and text[1:].lstrip().startswith("\\begin{array}"):
        text = text[1:-1].strip()  # \left[\begin{array}...\end{array}\right]
    for name in _MATRIX_ENVIRONMENTS:
        opener, closer = f"\\begin{{{name}}}", f"\\end{{{name}}}"
        if text.startswith(opener) and text.endswith(closer):
            body = text[len(opener) : -len(closer)]
            break
    else:
        return None
    if name == "array":  # the column spec: {cc}, {c|c}
        body = body.lstrip()
        close = body.find("}")
        if not body.startswith("{") or close < 0 or not set(body[1:close]) <= set("lcr| "):
            return None
        body = body[close + 1 :]
    if "\\begin" in body or "\\end" in body:
        return None
    rows = body.split("\\\\")
    if rows and not rows[-1].strip():
        rows.pop()  # a trailing row break
    matrix = [[entry.strip() for entry in row.split("&")] for row in rows]
    if not matrix or len({len(row) for row in matrix}) != 1 or not all(all(row) for row in matrix):
        return None
    return matrix if len(matrix) * len(matrix[0]) <= _MAX_MATRIX_ENTRIES else None


def _matrices_equal(predicted: str, reference: str, tolerances: dict[str, Any]) -> bool | None:
    """Two matrices of the same shape compared entry by entry; None when an entry is not decided here
    and no decided entry differs."""
    pred, ref = _matrix(predicted), _matrix(reference)
    if pred is None or ref is None:
        return None
    if len(pred) != len(ref) or len(pred[0]) != len(ref[0]):
        return False
    verdicts = [
        answers_equal(p, r, **tolerances)
        for pred_row, ref_row in zip(pred, ref, strict=True)
        for p, r in zip(pred_row, ref_row, strict=True)
    ]
    if any(v is False for v in verdicts):
        return False
    return True if all(verdicts) else None
