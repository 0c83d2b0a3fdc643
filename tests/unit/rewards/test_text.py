"""Text helpers shared by dimensions and guards."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nova_rewards.text import (
    ngram_counts,
    ngrams,
    normalise_text,
    repetition_ratio,
    strip_code_fences,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("  Hello,   World! ", {}, "hello world"),
        ("The Answer", {"remove_articles": True}, "answer"),
        # articles are only whole words: "theater" keeps its "the"
        ("theater an apple", {"remove_articles": True}, "theater apple"),
        ("Keep, Case", {"lowercase": False}, "Keep Case"),
        ("a-b", {"strip_punctuation": False}, "a-b"),
        # NFKC folds full-width digits and letters
        ("ＡＢＣ１２", {}, "abc12"),
        # Unicode punctuation (em dash, guillemets) becomes a space, then collapses
        ("«oui»—non", {}, "oui non"),
        ("", {}, ""),
    ],
)
def test_normalise_text(text: str, kwargs: dict, expected: str) -> None:
    assert normalise_text(text, **kwargs) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Don't panic: 42 towels!", ["don't", "panic", "42", "towels"]),
        ("snake_case and CamelCase", ["snake_case", "and", "camelcase"]),
        ("", []),
        ("...", []),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_ngrams_and_counts() -> None:
    assert ngrams(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]
    assert ngrams(["a"], 2) == []
    assert ngram_counts(["a", "b", "a", "b"], 2)[("a", "b")] == 2
    with pytest.raises(ValueError):
        ngrams(["a"], 0)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("The cat sat on the mat and looked at the dog.", 0.0, 0.0),
        # a phrase looped 50 times: almost every trigram repeats
        ("buy now please " * 50, 0.95, 1.0),
        # half the text repeated once: about a third of trigrams repeat
        ("one two three four five six seven eight nine ten " * 2, 0.4, 0.5),
        # degenerate output without words: measured on character 8-grams
        ("!" * 200, 0.95, 1.0),
        ("", 0.0, 0.0),
        ("short", 0.0, 0.0),
    ],
)
def test_repetition_ratio(text: str, low: float, high: float) -> None:
    assert low <= repetition_ratio(text) <= high


def test_repetition_ratio_is_bounded_on_huge_input() -> None:
    # only the first max_chars are looked at
    assert repetition_ratio("x y z " * 1_000_000, max_chars=1000) > 0.9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("before\n```python\nx = 1\n```\nafter", "x = 1\n"),
        ("```\nraw\n```", "raw\n"),
        # an unterminated fence runs to the end of the text
        ('```json\n{"a": 1}', '{"a": 1}'),
        ("no fence", "no fence"),
    ],
)
def test_strip_code_fences(text: str, expected: str) -> None:
    assert strip_code_fences(text) == expected


@given(st.text(max_size=500), st.integers(min_value=1, max_value=6))
@settings(max_examples=200, deadline=None)
def test_repetition_ratio_is_a_share(text: str, n: int) -> None:
    assert 0.0 <= repetition_ratio(text, n) <= 1.0
