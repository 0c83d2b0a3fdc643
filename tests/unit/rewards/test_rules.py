"""`rules_rubric`: brand/policy rules without an LLM."""

from __future__ import annotations

import pytest
from nova_rewards.dimensions import Sample, ScoringContext, get_dimension_class
from nova_rewards.dimensions.rules import RulesRubric, _fold, phrase_pattern
from pydantic import ValidationError

CTX = ScoringContext()


def rubric(**params: object) -> RulesRubric:
    cls = get_dimension_class("rules_rubric")
    return cls(cls.Params.model_validate(params))


def sample(response: str, prompt: str = "Hello", reference: object = None) -> Sample:
    return Sample(
        id="s",
        prompt_messages=({"role": "user", "content": prompt},),
        response=response,
        reference=reference,
    )


# ------------------------------------------------------------------------------------------------
# Phrase matching


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("refund", "We will refund you.", True),
        ("refund", "It was refunded yesterday.", False),  # word boundary at the end
        ("fund", "a refund", False),  # word boundary at the start
        ("No refunds", "sorry, NO\n   refunds here", True),  # case and whitespace runs
        ("don't", "We don\u2019t do that", True),  # typographic apostrophe
        ("5-7 business days", "in 5\u20137 business days", True),  # en dash
        ("ｓｈｕｔ up", "shut up", True),  # NFKC on the phrase too
        ("shut up", "Ｓｈｕｔ ＵＰ", True),  # full-width letters in the response
        ("$25", "a $25 credit", True),  # phrases that start with a non-word character
        ("30 days", "within 300 days", False),
        ("e-mail", "send an e-mail", True),
    ],
)
def test_phrase_pattern(phrase: str, text: str, found: bool) -> None:
    from nova_rewards.dimensions.rules import _fold

    assert bool(phrase_pattern(phrase).search(_fold(text))) is found


# ------------------------------------------------------------------------------------------------
# Rule families


def test_required_any_and_all() -> None:
    dim = rubric(
        required=[
            {"name": "greeting", "phrases": ["hello", "hi", "dear"], "mode": "any"},
            {"name": "signoff", "phrases": ["thank you", "best regards"], "mode": "all"},
        ]
    )
    assert dim.score(sample("Hi Sam. Thank you! Best regards"), CTX).value == 1.0
    assert dim.score(sample("Hi Sam. Thank you!"), CTX).value == 0.5  # signoff needs both
    assert dim.score(sample("Thank you, best regards"), CTX).value == 0.5
    assert dim.score(sample("ok"), CTX).value == 0.0


def test_forbidden_is_one_rule_and_case_insensitive() -> None:
    dim = rubric(forbidden=["not my problem", "whatever", "cheap"], forbidden_weight=2.0)
    clean = dim.score(sample("Happy to help with your order."), CTX)
    assert clean.value == 1.0 and clean.metrics["rule_forbidden"] == 1.0
    dirty = dim.score(sample("WHATEVER. Not my   problem."), CTX)
    assert dirty.value == 0.0 and dirty.metrics["rule_forbidden"] == 0.0
    assert dirty.metrics["rule_violations"] == 1.0
    assert dim.score(sample("It is not cheaper elsewhere."), CTX).value == 1.0  # "cheap" != "cheaper"
    assert dirty.flags == ()  # a policy slip is not reward hacking


REFUND_RULE = {
    "name": "refund_policy",
    "when_prompt": r"\brefund",
    "require_any": ["refund policy", "refunds are issued"],
}


def test_conditional_rule_applies_only_when_prompt_matches() -> None:
    dim = rubric(conditional=[REFUND_RULE], forbidden=["idiot"])
    # prompt is not about refunds: the disclaimer rule does not apply (only 'forbidden' counts)
    off_topic = dim.score(sample("Your parcel left today.", prompt="Where is my parcel?"), CTX)
    assert off_topic.value == 1.0 and "rule_conditional" not in off_topic.metrics
    missing = dim.score(sample("Sure, done.", prompt="Can I get a REFUND for order 12?"), CTX)
    # the only presence rule failed: "nothing forbidden found" earns nothing on its own
    assert missing.value == 0.0 and missing.metrics["rule_conditional"] == 0.0
    assert missing.metrics["rule_forbidden"] == 1.0 and missing.metrics["attempt"] == 0.0
    present = dim.score(
        sample("Per our refund policy, refunds are issued in 5 days.", prompt="I want a refund"), CTX
    )
    assert present.value == 1.0


def test_conditional_rule_on_reference_and_forbid() -> None:
    rule = {
        "name": "no_warranty_promises",
        "when_reference": r"out of warranty",
        "forbid": ["free repair", "free replacement"],
        "require_all": ["warranty"],
    }
    dim = rubric(conditional=[rule])
    ref = {"answer": "The device is out of warranty; repairs cost $80.", "required_facts": ["$80"]}
    assert dim.score(sample("Your warranty has ended; repair is $80.", reference=ref), CTX).value == 1.0
    assert dim.score(sample("We offer a free repair under warranty.", reference=ref), CTX).value == 0.0
    assert dim.score(sample("Repair is $80.", reference=ref), CTX).value == 0.0  # 'warranty' missing
    assert dim.score(sample("free repair!", reference={"answer": "in warranty"}), CTX).value is None


def test_style_rules_exclamations_and_shouting() -> None:
    dim = rubric(max_exclamations=1, max_shouted_words=0)
    assert dim.score(sample("Thanks for waiting! Your order ships today."), CTX).value == 1.0
    loud = dim.score(sample("AMAZING deal!!! Buy NOW!"), CTX)
    assert loud.value == 0.0 and loud.metrics["rule_style"] == 0.0
    # acronyms and short words are not shouting
    assert dim.score(sample("Track it on the UPS site; see the FAQ. I am OK."), CTX).value == 1.0
    # full-width exclamation marks count after NFKC folding
    assert dim.score(sample("Great news for you\uff01\uff01"), CTX).value == 0.5


def test_allowed_caps_is_configurable() -> None:
    dim = rubric(max_shouted_words=0, allowed_caps=["NOVA"])
    assert dim.score(sample("Welcome to NOVA support"), CTX).value == 1.0
    assert dim.score(sample("Welcome to the FAQ"), CTX).value == 0.0


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Your refund of $25 will arrive within 5-7 business days.", 1.0),
        ("Your refund of $25 is on its way.", 0.5),
        ("Refund of twenty-five dollars, five to seven business days.", 0.5),  # alternative of fact 1
        ("We are looking into it.", 0.0),
    ],
)
def test_required_facts_give_partial_credit(response: str, expected: float) -> None:
    dim = rubric(required_facts=True)
    ref = {"answer": "...", "required_facts": [["$25", "twenty-five dollars"], "5-7 business days"]}
    assert dim.score(sample(response, reference=ref), CTX).value == pytest.approx(expected)


@pytest.mark.parametrize(
    "reference",
    [
        None,
        "plain text",
        {"answer": "x"},
        {"required_facts": []},
        {"required_facts": [3]},
        {"required_facts": "x"},
    ],
)
def test_facts_rule_does_not_apply_without_usable_facts(reference: object) -> None:
    assert rubric(required_facts=True).score(sample("anything", reference=reference), CTX).value is None


def test_weighted_fraction_across_categories() -> None:
    dim = rubric(
        required=[{"name": "thanks", "phrases": ["thank you"], "weight": 1.0}],
        forbidden=["whatever"],
        forbidden_weight=3.0,
        max_exclamations=0,
        style_weight=1.0,
    )
    result = dim.score(sample("Whatever. Thank you."), CTX)
    # required 1/1 (w1), forbidden 0/1 (w3), exclamations ok (w1) -> (1 + 0 + 1) / 5
    assert result.value == pytest.approx(0.4)
    assert result.metrics == {
        "rule_required": 1.0,
        "rule_forbidden": 0.0,
        "rule_style": 1.0,
        "rule_violations": 1.0,
        "attempt": 1.0,
    }


def test_no_rules_means_no_value() -> None:
    assert rubric().score(sample("hello"), CTX).value is None


def test_only_max_chars_of_a_response_is_examined() -> None:
    dim = rubric(forbidden=["whatever"], max_chars=100)
    assert dim.score(sample("x " * 100 + "whatever"), CTX).value == 1.0
    assert dim.score(sample("whatever " + "x " * 100), CTX).value == 0.0


# ------------------------------------------------------------------------------------------------
# Params


@pytest.mark.parametrize(
    "params",
    [
        {"required": [{"name": "g", "phrases": []}]},
        {"required": [{"name": "g", "phrases": ["  "]}]},
        {"required": [{"name": "g", "phrases": ["x"], "mode": "most"}]},
        {"required": [{"name": "g", "phrases": ["x"]}, {"name": "g", "phrases": ["y"]}]},  # duplicate
        {"forbidden": [""]},
        {"conditional": [{"name": "c", "require_any": ["x"]}]},  # no condition
        {"conditional": [{"name": "c", "when_prompt": "x"}]},  # nothing required
        {"conditional": [{"name": "c", "when_prompt": "(unclosed", "require_any": ["x"]}]},
        {"max_exclamations": -1},
        {"forbidden_weight": -1},
        {"style_weight": float("inf")},
        {"forbiden": ["typo"]},
    ],
)
def test_bad_params_are_rejected(params: dict) -> None:
    with pytest.raises(ValidationError):
        RulesRubric.Params.model_validate(params)


# ------------------------------------------------------------------------------------------------
# Presence, not absence


def test_absence_rules_pay_only_in_proportion_to_what_is_present() -> None:
    dim = rubric(
        required=[{"name": "apology", "phrases": ["sorry"]}, {"name": "thanks", "phrases": ["thank you"]}],
        forbidden=["idiot"],
        max_exclamations=1,
    )
    nothing = dim.score(sample("Okay then, noted for today."), CTX)
    assert nothing.value == 0.0 and nothing.metrics["attempt"] == 0.0  # broke no rule, earned nothing
    half = dim.score(sample("Sorry about the delay with your order."), CTX)
    # presence 1/2; forbidden and style credit scaled by it: (1 + 0 + 0.5 + 0.5) / 4
    assert half.value == pytest.approx(0.5) and half.metrics["attempt"] == 0.5
    assert dim.score(sample("Sorry, and thank you for waiting."), CTX).value == 1.0


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("billing", 0.0),  # a bare label is no attempt at a polite reply
        ("Category: billing", 0.0),
        ("We fixed the charge on your bill.", 1.0),
        ("You idiot, we fixed the charge.", 0.5),  # forbidden broken, style kept
    ],
)
def test_an_absence_only_rubric_needs_an_attempt(response: str, expected: float) -> None:
    dim = rubric(forbidden=["idiot"], max_exclamations=1, attempt_min_words=3)
    assert dim.score(sample(response), CTX).value == expected


def test_attempt_min_words_zero_restores_pure_absence_scoring() -> None:
    assert rubric(forbidden=["idiot"], attempt_min_words=0).score(sample("ok"), CTX).value == 1.0


def test_a_copy_of_the_prompt_earns_nothing_even_with_every_fact() -> None:
    reference = {"required_facts": ["NW-1", "USPS", "March 2"]}
    system = "Customer record: order NW-1 shipped with USPS, expected delivery March 2. Be polite."
    dim = rubric(required_facts=True, max_prompt_copy=0.8)
    prompt = ({"role": "system", "content": system}, {"role": "user", "content": "Where is it?"})
    copy = Sample("s", prompt, system, reference)
    result = dim.score(copy, CTX)
    assert result.value == 0.0 and result.metrics["prompt_copy"] == pytest.approx(1.0)
    reply = Sample("s", prompt, "Your order NW-1 is with USPS and arrives on March 2.", reference)
    assert dim.score(reply, CTX).value == 1.0


def test_check_record_names_the_missing_facts_key() -> None:
    dim = rubric(required_facts=True)
    assert "required_facts" in (dim.check_record(sample("", reference={"answer": "x"})) or "")
    assert dim.check_record(sample("", reference={"required_facts": ["a"]})) is None
    assert rubric(forbidden=["x"]).check_record(sample("", reference=None)) is None


def test_look_alike_letters_do_not_dodge_a_rule() -> None:
    dim = rubric(forbidden=["stupid"], required=[{"name": "thanks", "phrases": ["thank you"]}])
    disguised = "Th\u0430nk you, but that was a \u0455tup\u0456d\u200b question."  # Cyrillic a, s, i
    result = dim.score(sample(disguised), CTX)
    assert result.metrics["rule_required"] == 1.0 and result.metrics["rule_forbidden"] == 0.0


_FACTS_REF = {"required_facts": ["NW-1", "USPS", ["TRK55", "tracking TRK55"], "March 2"]}


@pytest.mark.parametrize(
    "response",
    [
        "NW-1 USPS TRK55 March 2",
        "NW-1, USPS, TRK55, March 2.",
        "NW-1 and USPS and TRK55 and March 2",
        "- NW-1\n- USPS\n- TRK55\n- March 2",
        "Hi! Here are the details you asked for: NW-1, USPS, TRK55, March 2. Hope this helps, bye.",
        "Thank you so much for your patience. NW-1 / USPS / TRK55 / March 2. Anything else I can do?",
    ],
)
def test_a_list_of_the_required_facts_is_not_a_reply(response: str) -> None:
    result = rubric(required_facts=True).score(sample(response, reference=_FACTS_REF), CTX)
    assert result.value == 0.0 and result.metrics["fact_list"] == 1.0


@pytest.mark.parametrize(
    "response",
    [
        "Your order NW-1 shipped with USPS (tracking TRK55) and arrives on March 2.",
        "Order NW-1 went out with USPS, tracking number TRK55, due March 2.",
        "Order: NW-1\nCarrier: USPS\nTracking: TRK55\nExpected: March 2",
        "Good news! NW-1 is on its way with USPS; use TRK55 to follow it until it arrives March 2.",
        "Your order NW-1 shipped with USPS (tracking TRK55) and should arrive by March 2nd.",
    ],
)
def test_facts_stated_in_a_reply_keep_full_credit(response: str) -> None:
    result = rubric(required_facts=True).score(sample(response, reference=_FACTS_REF), CTX)
    assert result.value == 1.0 and "fact_list" not in result.metrics


def test_two_facts_back_to_back_are_a_list_but_a_sentence_is_not() -> None:
    ref = {"required_facts": ["$42", "4 business days"]}
    dim = rubric(required_facts=True)
    assert (
        dim.score(
            sample("Thanks for asking! Details: $42, 4 business days. Cheers.", reference=ref), CTX
        ).value
        == 0
    )
    honest = "Express shipping to Brazil costs $42 and takes 4 business days."
    assert dim.score(sample(honest, reference=ref), CTX).value == 1.0
    bracketed = "Express shipping to Brazil costs $42 (4 business days), door to door."
    assert dim.score(sample(bracketed, reference=ref), CTX).value == 1.0


@pytest.mark.parametrize(
    ("text", "found"), [("March 2nd", True), ("March 21st", False), ("March 2, 2026", True)]
)
def test_a_day_of_the_month_matches_as_an_ordinal(text: str, found: bool) -> None:
    assert bool(phrase_pattern("March 2").search(_fold(text))) is found


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("12-month warranty", "a 12 month warranty", True),
        ("12-month warranty", "a 12 - month warranty", True),
        ("5-7 business days", "within 5 - 7 business days", True),
        ("5-7 business days", "within 5\u20137 business days", True),  # en dash
        ("5-7 business days", "within 57 business days", False),
        ("NW-1", "order NW 1", True),
    ],
)
def test_a_hyphen_in_a_phrase_matches_spaced_writings(phrase: str, text: str, found: bool) -> None:
    assert bool(phrase_pattern(phrase).search(_fold(text))) is found


def test_facts_in_prose_can_be_turned_off() -> None:
    result = rubric(required_facts=True, facts_in_prose=False).score(
        sample("NW-1 USPS TRK55 March 2", reference=_FACTS_REF), CTX
    )
    assert result.value == 1.0


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Your order is not NW-1, the carrier isn't USPS, it is never TRK55 and not March 2.", 0.0),
        ("Your order NW-1 is not with USPS; tracking TRK55 says it arrives March 2.", 0.75),
        ("Your order NW-1 isn\u2019t the USPS one; tracking TRK55 says it arrives March 2.", 0.75),
    ],
)
def test_a_denied_fact_is_not_stated(response: str, expected: float) -> None:
    result = rubric(required_facts=True).score(sample(response, reference=_FACTS_REF), CTX)
    assert result.value == pytest.approx(expected)


@pytest.mark.parametrize(
    "response",
    [
        "Your order NW-1 is with USPS (tracking TRK55); it will not arrive until March 2.",
        "Order no. NW-1 shipped with USPS, tracking TRK55, arriving no later than March 2.",
        "Don't worry: order NW-1 shipped with USPS under tracking TRK55 and arrives March 2.",
    ],
)
def test_negations_elsewhere_do_not_deny_a_fact(response: str) -> None:
    assert rubric(required_facts=True).score(sample(response, reference=_FACTS_REF), CTX).value == 1.0
