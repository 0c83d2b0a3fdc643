"""text_similarity: token F1, ROUGE-L and the bit-parallel LCS."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nova_rewards.dimensions import Sample, ScoringContext, get_dimension_class
from nova_rewards.dimensions.similarity import lcs_length, rouge_l, token_f1
from pydantic import ValidationError


def _lcs_table(a: list[str], b: list[str]) -> int:
    """The textbook O(n*m) dynamic programme, as the oracle."""
    row = [0] * (len(b) + 1)
    for x in a:
        prev_diag = 0
        for j, y in enumerate(b):
            current = row[j + 1]
            row[j + 1] = prev_diag + 1 if x == y else max(row[j + 1], row[j])
            prev_diag = current
    return row[-1]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("abcbdab", "bdcaba", 4),  # CLRS example
        ("", "abc", 0),
        ("abc", "abc", 3),
        ("abc", "def", 0),
        ("aaaa", "aa", 2),  # repeated tokens
    ],
)
def test_lcs_known_values(a: str, b: str, expected: int) -> None:
    assert lcs_length(list(a), list(b)) == expected


def test_lcs_matches_dynamic_programme() -> None:
    rng = random.Random(7)
    for _ in range(300):
        a = [rng.choice("abcd") for _ in range(rng.randint(0, 40))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 40))]
        assert lcs_length(a, b) == _lcs_table(a, b)


@pytest.mark.parametrize(
    ("pred", "ref", "f1", "rl"),
    [
        ("the cat sat", "the cat sat", 1.0, 1.0),
        ("sat cat the", "the cat sat", 1.0, pytest.approx(1 / 3)),  # order matters only to ROUGE-L
        ("the cat", "the cat sat on the mat", pytest.approx(0.5), pytest.approx(0.5)),
        ("dog", "cat", 0.0, 0.0),
        ("", "cat", 0.0, 0.0),
    ],
)
def test_metrics(pred: str, ref: str, f1, rl) -> None:
    assert token_f1(pred.split(), ref.split()) == f1
    assert rouge_l(pred.split(), ref.split()) == rl


@pytest.mark.parametrize(
    ("params", "response", "reference", "expected"),
    [
        ({"metric": "token_f1"}, "The cat sat.", "the CAT sat", 1.0),  # tokenised and lower-cased
        ({}, "the cat sat", ["a dog ran", "the cat sat"], 1.0),  # best of several references
        ({}, "the cat sat", {"answer": "the cat sat"}, 1.0),
        ({"max_tokens": 2}, "the cat sat", "the cat ran", 1.0),  # truncated to two tokens each
        ({}, "anything", {"nope": 1}, None),
        ({}, "anything", "   ", None),
    ],
)
def test_dimension(params: dict, response: str, reference: object, expected) -> None:
    cls = get_dimension_class("text_similarity")
    result = cls(cls.Params(**params)).score(Sample("s", (), response, reference), ScoringContext())
    assert result.value == expected


def test_params() -> None:
    cls = get_dimension_class("text_similarity")
    with pytest.raises(ValidationError):
        cls.Params(metric="bleu")
    with pytest.raises(ValidationError):
        cls.Params(max_tokens=0)


_TOKENS = st.lists(st.sampled_from("abcde"), max_size=60)


@given(_TOKENS, _TOKENS)
@settings(max_examples=300, deadline=None)
def test_lcs_properties(a: list[str], b: list[str]) -> None:
    assert lcs_length(a, b) == lcs_length(b, a) == _lcs_table(a, b)
    assert 0.0 <= rouge_l(a, b) <= 1.0
    assert 0.0 <= token_f1(a, b) <= 1.0
    if a:
        assert rouge_l(a, a) == token_f1(a, a) == 1.0
