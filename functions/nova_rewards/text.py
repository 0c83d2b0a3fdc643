"""Pure-stdlib text helpers shared by dimensions and guards (normalising, tokenising, n-grams).

Kept dependency-free and cheap to import: the Lambda imports this module on every cold start.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "normalise_text",
    "tokenize",
    "ngrams",
    "ngram_counts",
    "repetition_ratio",
    "strip_code_fences",
    "content_text",
    "visible_length",
]

_WS_RE = re.compile(r"\s+")
_TOKEN_RE = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_ARTICLES_RE = re.compile(r"\b(?:a|an|the)\b", re.IGNORECASE)
# Every Unicode punctuation / symbol character is removed by `normalise_text(strip_punctuation=True)`;
# ASCII punctuation is handled by a fast translate table first.
_ASCII_PUNCT = str.maketrans("", "", string.punctuation)
_FENCE_RE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)
# Runs of one punctuation mark or symbol beyond four ("####" is a Markdown heading, "1000000" content).
_CHAR_RUN_RE = re.compile(r"([^\w\s])\1{4,}")


def normalise_text(
    text: str,
    *,
    lowercase: bool = True,
    strip_punctuation: bool = True,
    remove_articles: bool = False,
    collapse_whitespace: bool = True,
) -> str:
    """Canonical form for comparing short answers.

    NFKC folds look-alike characters (full-width digits, ligatures) so that a model cannot win or
    lose by typography alone. Each step is optional because exact-match graders differ on them.

    >>> normalise_text("  The  Answer: PARIS! ", remove_articles=True)
    'answer paris'
    """
    out = unicodedata.normalize("NFKC", str(text))
    if lowercase:
        out = out.casefold()
    if strip_punctuation:
        out = out.translate(_ASCII_PUNCT)
        if not out.isascii():
            out = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in out)
    if remove_articles:
        out = _ARTICLES_RE.sub(" ", out)
    if collapse_whitespace:
        out = _WS_RE.sub(" ", out).strip()
    return out


def tokenize(text: str, *, lowercase: bool = True) -> list[str]:
    """Word tokens (letters/digits/underscore runs, inner apostrophes kept).

    >>> tokenize("Don't panic: 42 towels!")
    ["don't", 'panic', '42', 'towels']
    """
    text = unicodedata.normalize("NFKC", str(text))
    if lowercase:
        text = text.casefold()
    return _TOKEN_RE.findall(text)


def ngrams(items: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """All contiguous n-grams of `items` (empty when there are fewer than n items)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return [tuple(items[i : i + n]) for i in range(len(items) - n + 1)]


def ngram_counts(items: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    """Multiset of n-grams, for overlap metrics (BLEU/ROUGE-N style)."""
    return Counter(ngrams(items, n))


def _repeated_share(grams: Iterable[object]) -> float:
    total = 0
    seen: set[object] = set()
    for gram in grams:
        total += 1
        seen.add(gram)
    if total == 0:
        return 0.0
    return (total - len(seen)) / total


def repetition_ratio(text: str, n: int = 3, *, max_chars: int = 200_000) -> float:
    """Share (0..1) of the text's word n-grams that repeat an earlier n-gram.

    0 for text without repeated n-grams, close to 1 for a phrase looped many times. Text made of
    very few word tokens (e.g. "!!!!!!!!" or one giant token) is measured on character 8-grams
    instead, so degenerate output without spaces is caught too. Input beyond `max_chars` is
    ignored (bounded work on adversarial responses).

    >>> repetition_ratio("the cat sat on the mat")
    0.0
    >>> round(repetition_ratio("buy now " * 50), 2)
    0.98
    """
    text = str(text)[:max_chars]
    tokens = tokenize(text)
    if len(tokens) >= 2 * n:
        return _repeated_share(ngrams(tokens, n))
    compact = _WS_RE.sub(" ", text).strip()
    width = 8
    if len(compact) < 4 * width:
        return 0.0
    return _repeated_share(compact[i : i + width] for i in range(len(compact) - width + 1))


def visible_length(text: str, *, max_chars: int = 1_000_000) -> int:
    """Characters a reader sees: invisible format characters (zero-width spaces, joiners, bidi
    controls) dropped, every whitespace run (Unicode spaces included) counted as one, and a run of
    one repeated punctuation mark or symbol ("!!!!!!", "........") counted as four.

    A minimum length is measured this way so that padding is not content; input beyond `max_chars`
    is not examined (bounded work).

    >>> visible_length("Hi" + " " * 50 + "\u200b" * 20 + "." * 30)
    7
    """
    text = str(text)[:max_chars]
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = _WS_RE.sub(" ", text).strip()
    return len(_CHAR_RUN_RE.sub(r"\1\1\1\1", text))


def strip_code_fences(text: str) -> str:
    """Content of the first fenced block (```lang ... ```) or the text unchanged when there is none."""
    match = _FENCE_RE.search(text)
    return match.group(1) if match else text


def content_text(content: Any) -> str | None:
    """Text of a message's `content`: a string, or a list of parts (`{"text": ...}` or strings).

    Non-text parts (images, tool calls) are skipped; `None` when the content has no text shape.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        content = [content]
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return None
