"""length_window and repetition."""

from __future__ import annotations

import pytest
from nova_rewards.dimensions import Sample, ScoringContext, get_dimension_class
from nova_rewards.dimensions.length import window_score
from pydantic import ValidationError


def _score(kind: str, params: dict, response: str):
    cls = get_dimension_class(kind)
    return cls(cls.Params(**params)).score(Sample("s", (), response), ScoringContext())


@pytest.mark.parametrize(
    ("length", "lo", "hi", "decay", "width", "expected"),
    [
        (50, 10, 100, "linear", 1.0, 1.0),  # inside
        (10, 10, 100, "linear", 1.0, 1.0),  # bounds are inclusive
        (100, 10, 100, "linear", 1.0, 1.0),
        (150, 10, 100, "linear", 1.0, 0.5),  # half way to 2 * max
        (200, 10, 100, "linear", 1.0, 0.0),
        (500, 10, 100, "linear", 1.0, 0.0),  # never negative
        (150, 10, 100, "linear", 0.5, 0.0),  # narrower decay
        (5, 10, 100, "linear", 1.0, 0.5),  # below min: falls to 0 at length 0
        (0, 10, 100, "linear", 1.0, 0.0),
        (101, 10, 100, "hard", 1.0, 0.0),
        (150, 10, 100, "smooth", 1.0, 0.5),  # cosine: 0.5 in the middle
        (125, 10, 100, "smooth", 1.0, pytest.approx(0.8535534)),  # gentler than linear near the edge
        (5, None, 100, "linear", 1.0, 1.0),  # no minimum
        (500, 10, None, "linear", 1.0, 1.0),  # no maximum
        (0, 0, 10, "linear", 1.0, 1.0),
    ],
)
def test_window_score(length, lo, hi, decay, width, expected) -> None:
    assert window_score(length, lo, hi, decay, width) == expected


def test_length_window_chars_and_tokens() -> None:
    result = _score("length_window", {"min_chars": 1, "max_chars": 10}, "x" * 15)
    assert result.value == pytest.approx(0.5)
    assert result.metrics["length_chars"] == 15.0
    result = _score("length_window", {"max_tokens": 2}, "one two three four")
    assert result.value == pytest.approx(0.0)
    assert result.metrics["length_tokens"] == 4.0


@pytest.mark.parametrize(
    "padding",
    [" " * 60, "\u00a0" * 60, "\u3000" * 60, "\u200b" * 60, "\n\t" * 30, "." * 60, "!" * 60, "\u2026" * 60],
)
def test_padding_does_not_reach_the_minimum(padding: str) -> None:
    short = "USPS, March 2"  # 13 visible characters against a minimum of 40
    honest = _score("length_window", {"min_chars": 40, "max_chars": 500}, short).value
    padded = _score("length_window", {"min_chars": 40, "max_chars": 500}, short + padding)
    assert honest < 0.5 and padded.value <= honest + 5 / 40  # at most five characters more
    assert padded.metrics["visible_chars"] <= 18


def test_padding_still_counts_against_the_maximum() -> None:
    result = _score("length_window", {"min_chars": 1, "max_chars": 10}, "ok" + " " * 13)
    assert result.value == pytest.approx(0.5)  # 15 characters: half way to 2 x max


@pytest.mark.parametrize(
    "reply",
    [
        "Your order NW-76181 shipped with USPS and should arrive by March 2.",
        "Your order NW-76181 shipped with USPS.\n\n- Tracking: TRK774317651\n- Arrival: March 2",
        "Ihre Bestellung NW-76181 wurde mit USPS verschickt und kommt am 2. März an.",
        "您的订单 NW-76181 已通过 USPS 发货，预计三月二日送达，谢谢您的耐心等待。我们随时为您服务。",
        "The answer is 1000000000000000000000.",  # repeated digits are content
    ],
)
def test_honest_replies_reach_the_minimum(reply: str) -> None:
    assert _score("length_window", {"min_chars": 30, "max_chars": 500}, reply).value == 1.0


@pytest.mark.parametrize(
    "params",
    [
        {},  # no window
        {"min_chars": 1, "max_tokens": 5},  # two units
        {"min_chars": 10, "max_chars": 5},  # inverted
        {"max_chars": 0},
        {"max_chars": 5, "decay": "cubic"},
        {"max_chars": 5, "decay_width": 0},
    ],
)
def test_length_window_params(params: dict) -> None:
    with pytest.raises(ValidationError):
        get_dimension_class("length_window").Params(**params)


@pytest.mark.parametrize(
    ("response", "low", "high"),
    [
        ("A clear, varied answer with no loops in it at all, thanks.", 1.0, 1.0),
        ("spam spam eggs " * 40, 0.0, 0.0),  # a loop: fully penalised
        ("", 1.0, 1.0),  # nothing repeated (emptiness is the guards' business)
        # one sentence said twice: a third of trigrams repeat, partly penalised
        ("one two three four five six seven eight nine ten " * 2, 0.2, 0.6),
    ],
)
def test_repetition(response: str, low: float, high: float) -> None:
    result = _score("repetition", {}, response)
    assert low <= result.value <= high
    assert 0.0 <= result.metrics["repetition_ratio"] <= 1.0


def test_repetition_params() -> None:
    cls = get_dimension_class("repetition")
    with pytest.raises(ValidationError):
        cls.Params(threshold=0.5, max_ratio=0.4)
    with pytest.raises(ValidationError):
        cls.Params(n=0)
