"""exact_match, label_match and regex."""

from __future__ import annotations

import pytest
from nova_rewards.dimensions import Sample, ScoringContext, get_dimension_class
from pydantic import ValidationError


def _score(kind: str, params: dict, response: str, reference: object = None):
    cls = get_dimension_class(kind)
    return cls(cls.Params(**params)).score(Sample("s", (), response, reference), ScoringContext())


# ---------------------------------------------------------------- exact_match


@pytest.mark.parametrize(
    ("params", "response", "reference", "expected"),
    [
        ({}, "Paris", "paris", 1.0),  # case-insensitive by default
        ({}, "  The Paris!  ", "paris", 1.0),  # articles, punctuation, whitespace ignored
        ({"case_sensitive": True}, "Paris", "paris", 0.0),
        ({"remove_articles": False}, "the Paris", "Paris", 0.0),
        ({}, "Lyon", "Paris", 0.0),
        ({}, "Paris is the capital", "Paris", 0.0),  # whole response by default
        ({"extract": "last_line"}, "Thinking...\nParis\n", "Paris", 1.0),
        ({"extract": "answer_marker"}, "Reasoning.\nAnswer: Paris.", "Paris", 1.0),
        ({"extract": "answer_marker"}, "Paris", "Paris", 0.0),  # no marker, nothing extracted
        ({}, "42", 42, 1.0),  # numeric reference
        ({}, "NYC", ["New York", "NYC"], 1.0),  # any of several accepted answers
        ({}, "Paris", {"answer": "Paris"}, 1.0),
        ({"answer_key": "city"}, "Paris", {"city": "Paris"}, 1.0),
        ({}, "", "", 0.0),  # empty never matches (even an empty reference)
        ({}, "Paris", {"other": "Paris"}, None),  # reference without the key: not scorable
        ({}, "Paris", None, None),
    ],
)
def test_exact_match(params: dict, response: str, reference: object, expected: float | None) -> None:
    assert _score("exact_match", params, response, reference).value == expected


# ---------------------------------------------------------------- label_match

LABELS = {"labels": ["positive", "negative", "neutral"], "synonyms": {"pos": "positive", "meh": "neutral"}}


@pytest.mark.parametrize(
    ("response", "reference", "expected", "ambiguous"),
    [
        ("positive", "positive", 1.0, 0.0),
        ("Positive.", "positive", 1.0, 0.0),
        ("Sentiment: negative", "negative", 1.0, 0.0),  # marker
        ("The review is clearly negative overall.", "negative", 1.0, 0.0),  # single mention
        ("pos", "positive", 1.0, 0.0),  # synonym
        ("meh", {"label": "neutral"}, 1.0, 0.0),
        ("positive", "pos", 1.0, 0.0),  # a synonym in the reference maps to its label too
        # listing several labels is ambiguous and earns nothing
        ("positive or negative or neutral", "positive", 0.0, 1.0),
        # the marker wins over earlier mentions
        ("Not negative, not neutral.\nLabel: positive", "positive", 1.0, 0.0),
        ("nonpositive", "positive", 0.0, 0.0),  # whole words only
        ("angry", "negative", 0.0, 0.0),
        ("positive", {"x": 1}, None, None),
    ],
)
def test_label_match(response: str, reference: object, expected: float | None, ambiguous) -> None:
    result = _score("label_match", LABELS, response, reference)
    assert result.value == expected
    if ambiguous is not None:
        assert result.metrics["ambiguous"] == ambiguous


def test_label_match_params() -> None:
    cls = get_dimension_class("label_match")
    with pytest.raises(ValidationError):
        cls.Params(labels=[])
    with pytest.raises(ValidationError, match="not in `labels`"):
        cls.Params(labels=["a"], synonyms={"x": "b"})


# ---------------------------------------------------------------- regex


@pytest.mark.parametrize(
    ("params", "response", "expected"),
    [
        ({"pattern": r"(?i)the answer is"}, "So the answer is 4", 1.0),
        ({"pattern": r"(?i)the answer is"}, "4", 0.0),
        ({"patterns": ["a", "b"]}, "ab", 1.0),
        ({"patterns": ["a", "b"]}, "a", 0.0),  # mode all
        ({"patterns": ["a", "b"], "partial_credit": True}, "a", 0.5),
        ({"patterns": ["a", "b"], "mode": "any"}, "b", 1.0),
        ({"pattern": r"\d+", "full_match": True}, " 42 ", 1.0),  # stripped before matching
        ({"pattern": r"\d+", "full_match": True}, "42 apples", 0.0),
        ({"pattern": r"\d+", "full_match": True, "strip": False}, " 42 ", 0.0),
        ({"pattern": r"\d", "forbidden": ["(?i)as an ai"]}, "As an AI, 4", 0.0),
        ({"forbidden": ["TODO"]}, "done", 1.0),  # only forbidden patterns
        ({"pattern": "x$", "max_chars": 5}, "aaaaaaaaaax", 0.0),  # input truncated to max_chars
    ],
)
def test_regex(params: dict, response: str, expected: float) -> None:
    assert _score("regex", params, response).value == expected


def test_regex_reports_forbidden_hits() -> None:
    result = _score("regex", {"forbidden": ["a", "b", "c"]}, "ab")
    assert (result.value, result.metrics["forbidden_hits"]) == (0.0, 2.0)


@pytest.mark.parametrize(
    "params",
    [
        {},  # nothing to check
        {"pattern": "("},  # does not compile
        {"patterns": ["ok", "[unclosed"]},
        {"forbidden": ["*"]},
        {"pattern": "a", "mode": "some"},
        {"pattern": "a", "extra": 1},
    ],
)
def test_regex_params_are_validated(params: dict) -> None:
    with pytest.raises(ValidationError):
        get_dimension_class("regex").Params(**params)


# ---------------------------------------------------------------- label_match: hedges and look-alikes

TRIAGE = {"labels": ["billing", "shipping", "technical", "account", "order_status"]}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("billing", 1.0),
        ("Category: billing", 1.0),
        ("**Category:** Billing", 1.0),
        ("**Label:**\n\nbilling", 1.0),  # the answer on the line after its marker
        ("<answer>billing</answer>", 1.0),
        ("The answer is billing.", 1.0),
        ("Label: billing\nLabel: billing", 1.0),  # the same label twice is no hedge
        ("This is not about shipping.\nCategory: billing", 1.0),  # a marker is authoritative
        ("Category: billing\n\nI first thought of shipping.", 1.0),
        ("Category: Order Status", 0.0),  # another label ("order_status"), spelt with a space
        # look-alikes: NFKC and confusable skeletons
        ("Category: b\u0456lling", 1.0),  # Cyrillic i
        ("\uff22\uff29\uff2c\uff2c\uff29\uff2e\uff27", 1.0),  # full-width letters
        ("bil\u200bling", 1.0),  # zero-width space
        # more than one allowed label: 0, whatever the separator or where it is
        ("Category: billing/shipping", 0.0),
        ("Category: billing | shipping", 0.0),
        ("Category: billing, shipping", 0.0),
        ("Category: billing or shipping", 0.0),
        ("Category: billing and shipping", 0.0),
        ("Label: billing\nLabel: shipping", 0.0),  # two different markers
        ("Label: shipping\n<answer>billing</answer>", 0.0),
        ("Category: billing | \u0455hipping", 0.0),  # the second label hidden in Cyrillic letters
        ("billing or shipping", 0.0),  # free text
        ("It is billing, shipping, technical, account or order status.", 0.0),
        ("Category:", 0.0),  # a marker with no answer
    ],
)
def test_label_match_hedges_markers_and_look_alikes(response: str, expected: float) -> None:
    assert _score("label_match", TRIAGE, response, {"label": "billing"}).value == expected


def test_label_match_reports_ambiguity_and_refuses_unknown_references() -> None:
    hedge = _score("label_match", TRIAGE, "Category: billing/shipping", "billing")
    assert hedge.metrics == {"label_found": 0.0, "ambiguous": 1.0}
    assert _score("label_match", TRIAGE, "refunds", {"label": "refunds"}).value is None


@pytest.mark.parametrize(
    ("response", "value"),
    [
        ("Label: billing | ѕһірріnɡ", 0.0),  # a disguised second label is still a second label
        ("Label: billing | shippinq", 0.0),  # one letter off: the table need not know the look-alike
        ("Label: billng", 1.0),  # a one-letter slip in the right label still names it
        ("Label: shippinq", 0.0),  # ... and in a wrong one names the wrong one
    ],
)
def test_a_candidate_one_edit_from_a_label_counts_as_that_label(response: str, value: float) -> None:
    assert _score("label_match", TRIAGE, response, {"label": "billing"}).value == value


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("billing", "billng", True), ("billing", "bxlling", True), ("billing", "billings", True),
     ("billing", "billing", False), ("billing", "bling", False), ("billing", "shipping", False)],
)  # fmt: skip
def test_one_edit_apart(a: str, b: str, expected: bool) -> None:
    from nova_rewards.dimensions.matching import _one_edit_apart

    assert _one_edit_apart(a, b) is expected and _one_edit_apart(b, a) is expected


def test_label_match_check_record_names_key_and_labels() -> None:
    cls = get_dimension_class("label_match")
    dim = cls(cls.Params(**TRIAGE))
    missing = dim.check_record(Sample("s", (), "", {"answer_text": "billing"}))
    assert missing is not None and "reference_answer.label" in missing and "shipping" in missing
    assert "one of" in (dim.check_record(Sample("s", (), "", {"label": "refunds"})) or "")
    assert dim.check_record(Sample("s", (), "", {"label": "Billing"})) is None


@pytest.mark.parametrize(
    "response",
    ["final " + " " * 100_000, " " * 100_000, "a/" * 50_000, "label:" * 20_000, "<answer>" * 12_000],
)
def test_label_match_is_linear_on_adversarial_text(response: str) -> None:
    """A quadratic pattern takes tens of seconds on these; linear work takes milliseconds."""
    import time

    cls = get_dimension_class("label_match")
    dim = cls(cls.Params(**TRIAGE, max_chars=100_000))
    started = time.perf_counter()
    dim.score(Sample("s", (), response, "billing"), ScoringContext())
    assert time.perf_counter() - started < 2.0
