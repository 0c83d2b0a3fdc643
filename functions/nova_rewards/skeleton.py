"""Confusable skeletons: fold text so that look-alike spellings of a word compare equal.

`skeleton("Cаtegory: bіlling")` (Cyrillic а and і) is `"category: billing"`. Steps: NFKC (full-width
letters, ligatures, mathematical alphanumerics), then every character that Unicode's confusables.txt
lists as a look-alike of an ASCII letter or digit becomes that character (Cyrillic, Greek, Armenian,
Cherokee, Latin-extension look-alikes; table in `confusables_table`, generated from the maintained
`confusable-homoglyphs` package), casefold, and invisible format characters (zero-width spaces and
joiners, soft hyphens, bidi controls) and combining marks are dropped.

Used where a grader compares a response with a closed set of words (labels): a policy must not win by
spelling one label so that a scan misses it, nor lose by typography alone. Stdlib only; the table is
a few hundred characters, so importing this costs microseconds.
"""

from __future__ import annotations

import unicodedata

from nova_rewards.confusables_table import ASCII, CHARS

__all__ = ["skeleton", "may_disguise"]

_TO_ASCII = str.maketrans(CHARS, ASCII)
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})  # format (zero-width, bidi), combining marks
_LOOKALIKES = frozenset(CHARS)


def may_disguise(text: str) -> bool:
    """False when `skeleton(text)` can only differ from `text.lower()` by accents: no look-alike,
    compatibility-form or invisible character occurs. A cheap test (one character-class scan) before
    folding long text, which costs ~40x more.

    >>> may_disguise("Grüße aus München"), may_disguise("ign\u200bore"), may_disguise("іgnore")
    (False, True, True)
    """
    if text.isascii():
        return False
    # The distinct characters of a text are few: testing each is far cheaper than a character-class
    # regex over the text (Python's `re` is slow on large non-ASCII classes).
    return any(ch >= "\x80" and _disguising(ch) for ch in set(text))


def _disguising(ch: str) -> bool:
    return (
        ch in _LOOKALIKES
        or unicodedata.category(ch) in _DROPPED_CATEGORIES
        or unicodedata.normalize("NFKC", ch) != ch
    )


def skeleton(text: str, *, casefold: bool = True) -> str:
    """`text` with compatibility forms, look-alikes, case (unless `casefold` is False), invisible
    characters and accents folded.

    >>> skeleton("ＢＩＬＬＩＮＧ")
    'billing'
    >>> skeleton("Ѕһірріng")
    'shipping'
    >>> skeleton("bil\\u200bling")
    'billing'
    """
    folded = unicodedata.normalize("NFKC", text).translate(_TO_ASCII)
    if casefold:
        folded = folded.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFD", folded)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    return unicodedata.normalize("NFC", kept)
