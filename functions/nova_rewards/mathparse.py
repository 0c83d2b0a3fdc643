"""Math answers: extract the final answer from a response (parse) and compare two answers (grade).

Both halves are pure functions of their inputs and use only the stdlib (exact `Fraction`
arithmetic), so the common case - a number written in one of a dozen ways - is graded in
microseconds. Only answers that are not plain numbers (`\\sqrt{2}/2`, `2x+2`) go to the symbolic
fallback in `nova_rewards.symbolic`, which runs sympy in a separate, killable process.

Forms understood (see tests/unit/rewards/test_math.py for the full table):
`\\boxed{...}` (nested braces, the last one wins), `#### 42`, "the (final) answer is ...",
"Answer: ...", else the last number; numbers with thousands separators (1,234,567 and 1{,}234),
decimals, negatives, fractions (3/4, \\frac{3}{4}, \\dfrac, \\tfrac, \\frac34), mixed numbers
(1 1/2, 1\\frac{1}{2}), percentages (50%, 50\\%, 50 percent), currency and units ($12.00, 5 dollars).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "MAX_ANSWER_CHARS",
    "Number",
    "extract_final_answer",
    "parse_number",
    "numbers_equal",
    "normalise_expression",
    "answers_equal",
]

# Longest response tail looked at by the extractor, and longest answer string parsed.
MAX_RESPONSE_CHARS = 100_000
MAX_ANSWER_CHARS = 10_000
_MAX_BOXED_TRIED = 20

_MARKDOWN_STRIP = " \t*_`"  # "**Answer:** 42", "The answer is **42**"
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*")
_HASHES_RE = re.compile(r"####\s*([^\n]+)")
_ANSWER_IS_RE = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|=|:)\s*:?\s*([^\n]+)", re.IGNORECASE
)
# A number as written in prose or LaTeX, for "last number" extraction and for answers with words.
_NUMBER_TOKEN = (
    r"-?\s?\\[dt]?frac\s*(?:\{[^{}]{1,64}\}\{[^{}]{1,64}\}|\d\d)"  # LaTeX fraction
    r"|-?[$€£]?\s?(?:\d{1,3}(?:(?:,|\{,\})\d{3})+|\d+)(?:\.\d+)?"  # 1,234.5 or 1234.5
    r"(?:\s+\d+\s*/\s*\d+|\s*\\[dt]?frac\s*\{\d+\}\{\d+\}|\s*/\s*\d+(?:\.\d+)?)?"  # mixed / fraction
    r"(?:\s*(?:\\?%|percent\b))?"
    r"|-?\.\d+(?:\s*(?:\\?%|percent\b))?"  # .5
)
_NUMBER_RE = re.compile(_NUMBER_TOKEN, re.IGNORECASE)

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
)
_TEXT_CMD_RE = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_MATH_DELIMS_RE = re.compile(r"^\s*(?:\$\$|\$|\\\(|\\\[)\s*|\s*(?:\$\$|\$|\\\)|\\\])\s*$")
_DEGREE_RE = re.compile(r"\^\s*\{?\\circ\}?|°")
_TRAILING_PUNCT_RE = re.compile(r"[\s.,;:!?]+$")
_CURRENCY_RE = re.compile(r"[$€£]|\b(?:usd|eur|gbp|rs)\b", re.IGNORECASE)
_THOUSANDS_RE = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+)(?![\d])")
_DECIMAL_RE = re.compile(r"\.\d|\d[eE][+-]?\d")  # written with a decimal point or an exponent
_PLAIN_RE = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,4}))?$")
_SIMPLE_FRAC_RE = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)$")
_LATEX_FRAC_RE = re.compile(r"^([+-]?)\\frac\s*(?:\{\s*([^{}]+?)\s*\}\s*\{\s*([^{}]+?)\s*\}|(\d)(\d))$")
_MIXED_RE = re.compile(r"^([+-]?)(\d+)\s+(\d+)\s*/\s*(\d+)$")
_MIXED_LATEX_RE = re.compile(r"^([+-]?)(\d+)\s*\\frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}$")
_PERCENT_RE = re.compile(r"\s*(?:%|percent(?:age)?\b|per\s*cent\b)\s*$", re.IGNORECASE)
_UNIT_WORDS_RE = re.compile(r"(?:\s*[A-Za-z][A-Za-z.'/²³]*)+\s*$")
_LEADING_WORDS_RE = re.compile(
    r"^\s*(?:(?:[A-Za-z][A-Za-z']*\s+)*?(?:is|=|:|of)"
    r"|(?:probably|approximately|about|around|roughly|exactly|just|only|therefore|thus|so|then))\s+",
    re.IGNORECASE,
)
_EQUALS_RE = re.compile(r"^\s*[A-Za-z][A-Za-z_ ]{0,30}=\s*")  # "x = 5", "total cost = 12"


_SMALL_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
)
_WORD_NUMBERS = {word: index for index, word in enumerate(_SMALL_NUMBER_WORDS.split(" "))}
_WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80})
_WORD_NUMBERS.update({"ninety": 90, "hundred": 100, "a hundred": 100, "one hundred": 100})


@dataclass(frozen=True, slots=True)
class Number:
    """An exact number as written, remembering whether it was a percentage (50% is 50, percent)
    and whether it was written as a decimal (0.333: maybe a rounding) rather than exactly (1/3)."""

    value: Fraction
    percent: bool = False
    decimal: bool = False


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


def _last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` / `\\fbox{...}` (or `\\boxed 5`), None when there is none."""
    matches = list(_BOXED_RE.finditer(text))
    for match in reversed(matches[-_MAX_BOXED_TRIED:]):  # bounded: "\\boxed{" * 10**4 unclosed
        end = match.end()
        group = _balanced_group(text, end)
        if group is not None:
            return group.strip()
        bare = re.match(r"[^\s$\\]+", text[end:])
        if bare and match.group(0).endswith(" "):
            return bare.group(0)
    return None


def _clip_sentence(candidate: str) -> str:
    """The answer part of "the answer is 42 apples. Next sentence..." (up to the sentence end)."""
    candidate = candidate.strip()
    # a period followed by a space (or the end) ends the sentence; a decimal point does not
    cut = re.search(r"\.(?:\s|$)|;\s|\s-{1,2}\s", candidate)
    if cut:
        candidate = candidate[: cut.start()]
    return candidate.strip()


def extract_final_answer(text: str, *, fallback_last_number: bool = True) -> str | None:
    """The final answer written in `text`, as a string, or None when none is found.

    Order: last `\\boxed{}`, then the last `#### answer`, then the last "the answer is ..." /
    "Answer: ...", then (when `fallback_last_number`) the last number in the text. Only the tail
    of very long responses is read: the final answer comes last.
    """
    if not text:
        return None
    text = str(text)[-MAX_RESPONSE_CHARS:]
    if "\\boxed" in text or "\\fbox" in text:
        boxed = _last_boxed(text)
        if boxed:
            return boxed
    if "####" in text:
        hashes = _HASHES_RE.findall(text)
        if hashes:
            return hashes[-1].strip(_MARKDOWN_STRIP)
    answers = _ANSWER_IS_RE.findall(text)
    if answers:
        answer = _clip_sentence(answers[-1].strip(_MARKDOWN_STRIP)).strip(_MARKDOWN_STRIP)
        if answer:
            inner_boxed = _last_boxed(answer)
            return inner_boxed or answer
    if fallback_last_number:
        numbers = _NUMBER_RE.findall(text)
        if numbers:
            return numbers[-1].strip()
    return None


def _strip_wrappers(text: str) -> str:
    for old, new in _WRAPPERS:
        if old in text:
            text = text.replace(old, new)
    text = _MATH_DELIMS_RE.sub("", text)
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


def _parse_core(text: str) -> Fraction | None:
    """A number without percent/currency/units: integer, decimal, a/b, \\frac, mixed number."""
    text = _unwrap_braces(text.strip())
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
    value = _to_fraction("", text)
    if value is not None:
        return value
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
    text = _TRAILING_PUNCT_RE.sub("", text)
    if "=" in text:
        text = _EQUALS_RE.sub("", text)
    text = _CURRENCY_RE.sub("", text).strip()
    percent = False
    match = _PERCENT_RE.search(text)
    if match:
        percent = True
        text = text[: match.start()]
    value = _parse_core(text)
    if value is None and text.casefold() in _WORD_NUMBERS:  # "The answer is five."
        value = Fraction(_WORD_NUMBERS[text.casefold()])
    if value is None and re.search(r"[A-Za-z]", text):
        # words around a number: "about 42 apples", "42 km/h", "x is 5"
        stripped = _UNIT_WORDS_RE.sub("", text)
        stripped = _LEADING_WORDS_RE.sub("", stripped)
        if stripped != text and stripped:
            match = _PERCENT_RE.search(stripped)
            if match:
                percent = True
                stripped = stripped[: match.start()]
            value = _parse_core(stripped)
    if value is None:
        # an answer that starts with a number and goes on in words: "12, which is even". Not when
        # more numbers follow: "84 or 85 or 86" must not win by listing candidates.
        lead = _NUMBER_RE.match(text)
        if lead and lead.end() < len(text):
            rest = text[lead.end() :]
            if (rest[0] in " ,\t" or not rest[0].isalnum()) and not re.search(r"[\d=+*/^\\]", rest):
                return parse_number(lead.group(0))
        return None
    return Number(value, percent, decimal=_DECIMAL_RE.search(text) is not None)


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
    text = _TRAILING_PUNCT_RE.sub("", text)
    text = _unwrap_braces(text)
    text = _SPACE_RE.sub("", text).casefold()
    text = text.replace("\\frac", "frac").replace("{", "(").replace("}", ")")
    if len(text) >= 3 and text[0] == "(" and text[-1] == ")" and text.count("(") == 1:
        text = text[1:-1]
    return text


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
    return _collections_equal(
        str(predicted),
        str(reference),
        rel_tol=rel_tol,
        abs_tol=abs_tol,
        percent_as_fraction=percent_as_fraction,
    )


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
    items, depth, current = [], 0, []
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


def _collections_equal(predicted: str, reference: str, **tolerances: object) -> bool | None:
    """Element-wise comparison of two collections (sets ignore order), None when not collections."""
    pred, ref = _split_collection(predicted), _split_collection(reference)
    if pred is None or ref is None:
        return None
    (pred_kind, pred_items), (ref_kind, ref_items) = pred, ref
    if len(pred_items) != len(ref_items):
        return False
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
