"""One bad sample never fails the batch: lone surrogates, control characters, deep nesting, huge values,
duplicate and missing ids, anywhere in an event, under the bundled specs (issue 14, item 5).

The fuzz benchmark (tests/benchmarks/bench_fuzz.py) sends 100,000 such events; these property tests
keep the guarantee in the test suite.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nova_rewards.handler import handle
from nova_rewards.jsonsafe import MAX_DEPTH, UnsafeJSON, clean, loads
from nova_rewards.spec import load_spec

from tests.benchmarks.fuzz_events import HOSTILE_TEXTS, nested, response_problems

# Every code point, surrogates included (Hypothesis leaves category Cs out unless asked).
ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=40)
HOSTILE_TEXT = ANY_TEXT | st.sampled_from(HOSTILE_TEXTS) | st.just("\x00\x07\x1b\x7f" * 10)
# Built lazily: Hypothesis prints its strategies, and str() of a 5,000-digit int raises.
_HUGE = {
    "int-5000-digits": lambda: 10**5000,
    "int-minus-4500-digits": lambda: -(10**4500),
    "string-300k": lambda: "x" * 300_000,
    "1e308": lambda: 1e308,
    "nan": lambda: math.nan,
    "inf": lambda: math.inf,
    "-inf": lambda: -math.inf,
}
HUGE = st.sampled_from(sorted(_HUGE)).map(lambda name: _HUGE[name]())
DEEP = st.integers(min_value=65, max_value=1500).map(lambda depth: nested_value(depth))
LEAF = st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT | HUGE
VALUE = st.recursive(
    LEAF, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(ANY_TEXT, kids, max_size=3)
)
HOSTILE = VALUE | DEEP
CONTENT = HOSTILE_TEXT | st.lists(st.fixed_dictionaries({"text": HOSTILE_TEXT}), max_size=3) | HOSTILE
ID = st.sampled_from(["a", "a", "b", "\ud800", ""]) | st.none() | st.integers() | HOSTILE


def nested_value(depth: int) -> Any:
    import random

    return nested(depth, random.Random(depth))


def sample_strategy() -> st.SearchStrategy[dict[str, Any]]:
    message = st.fixed_dictionaries(
        {"role": st.sampled_from(["system", "user"]), "content": CONTENT},
        optional={"extra": HOSTILE},
    )
    last = st.fixed_dictionaries(
        {"role": st.sampled_from(["assistant", "nova_assistant"]) | HOSTILE_TEXT, "content": CONTENT}
    )
    return st.builds(
        lambda msgs, final, ident, ref, meta, where: {
            **({"id": ident} if ident is not None else {}),
            "messages": [*msgs, final],
            **(
                {"metadata": {**meta, "reference_answer": ref}}
                if where
                else {"reference_answer": ref, **meta}
            ),
        },
        st.lists(message, min_size=1, max_size=3),
        last,
        ID,
        HOSTILE,
        st.dictionaries(st.sampled_from(["answer", "notes", "\udc80"]), HOSTILE, max_size=2),
        st.booleans(),
    )


@pytest.fixture(scope="module", params=["math", "json_extraction"])
def compiled(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return load_spec(request.param)


def answer(event: Any, compiled) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with contextlib.redirect_stdout(io.StringIO()):
        return handle(event, None, compiled)


@settings(max_examples=60)
@given(batch=st.lists(sample_strategy(), min_size=1, max_size=4))
def test_hostile_batches_are_answered_in_shape(batch: list[dict[str, Any]], compiled) -> None:  # type: ignore[no-untyped-def]
    response = answer(batch, compiled)
    assert response_problems(batch, response) == []


def gsm(content: Any = "What is 2 + 2?", **extra: Any) -> dict[str, Any]:
    return {
        "id": extra.pop("id", "s1"),
        "messages": [
            {"role": "user", "content": content},
            {"role": extra.pop("role", "assistant"), "content": "2 + 2 = 4.\nThe answer is 4."},
        ],
        "metadata": {"reference_answer": extra.pop("reference", {"final_answer": "4"}), **extra},
    }


def error_metric(item: dict[str, Any]) -> bool:
    return any(m["name"] == "error" for m in item["metrics_list"])


def test_nova_assistant_is_a_response_role_like_assistant() -> None:
    compiled = load_spec("math")
    plain, nova = answer([gsm(), gsm(role="nova_assistant")], compiled)
    assert nova["aggregate_reward_score"] == plain["aggregate_reward_score"] == 1.0
    assert not error_metric(nova)


@pytest.mark.parametrize(
    "content",
    ["What is 2 + 2?\ud800", "\udfff", [{"text": "What is 2 + 2?\ud800"}], "What\x00 is\x1b 2 + 2?"],
)
def test_a_lone_surrogate_or_control_character_in_the_prompt_is_still_scored(content: Any) -> None:
    (item,) = answer([gsm(content)], load_spec("math"))
    assert item["aggregate_reward_score"] == 1.0 and not error_metric(item)
    json.dumps(item).encode("utf-8")


def test_a_990_deep_prompt_fails_only_its_own_sample() -> None:
    deep: Any = "What is 2 + 2?"
    for _ in range(990):
        deep = [deep]
    good, bad, other = answer([gsm(id="good"), gsm(deep, id="bad"), gsm(id="other")], load_spec("math"))
    assert good["aggregate_reward_score"] == other["aggregate_reward_score"] == 1.0
    assert bad["id"] == "bad" and bad["aggregate_reward_score"] == 0.0 and error_metric(bad)


@pytest.mark.parametrize(
    "reference", [math.nan, {"final_answer": math.inf}, 10**5000], ids=["nan", "inf", "huge"]
)
def test_a_non_finite_or_unprintable_reference_is_an_error_not_a_match(reference: Any) -> None:
    compiled = load_spec("math")
    (item,) = answer([gsm(reference=reference)], compiled)
    (nan_answer,) = answer(
        [
            {
                **gsm(reference=reference),
                "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "nan"}],
            }
        ],
        compiled,
    )
    for scored in (item, nan_answer):
        assert scored["aggregate_reward_score"] == 0.0 and error_metric(scored)


def test_duplicate_and_missing_ids_answer_in_order() -> None:
    batch = [gsm(id="same"), gsm(id="same"), {k: v for k, v in gsm().items() if k != "id"}]
    response = answer(batch, load_spec("math"))
    assert [item["id"] for item in response] == ["same", "same", "index-2"]
    assert all(item["aggregate_reward_score"] == 1.0 for item in response)


# -- jsonsafe ------------------------------------------------------------------------------------------
def test_clean_replaces_lone_surrogates_in_keys_and_values() -> None:
    cleaned = clean({"k\ud800": ["v\udfff", ("t",)]})
    assert cleaned == {"k\ufffd": ["v\ufffd", ["t"]]}
    json.dumps(cleaned, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (nested_value(MAX_DEPTH + 1), "levels deep"),
        ({"a": [10**5000]}, "$.a[0]: integer of more than"),
        (object(), "not a JSON value"),
    ],
    ids=["deep", "huge-int", "object"],
)
def test_clean_refuses_what_it_cannot_repair(value: Any, fragment: str) -> None:
    with pytest.raises(UnsafeJSON, match=fragment.replace("$", r"\$").replace("[", r"\[")):
        clean(value)


def test_clean_refuses_non_finite_numbers_only_when_asked() -> None:
    assert math.isnan(clean([math.nan])[0])
    with pytest.raises(UnsafeJSON, match=r"\$\[0\]: non-finite"):
        clean([math.nan], finite=True)


@given(value=VALUE)
def test_clean_output_always_encodes(value: Any) -> None:
    try:
        cleaned = clean(value)
    except UnsafeJSON:
        return
    json.dumps(cleaned, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000, "[NaN]", '{"a": Infinity}', "9" * 5000, b"\xff\xfe"],
    ids=["deep", "nan", "infinity", "5000-digits", "not-utf8"],
)
def test_loads_raises_only_value_errors(text: str | bytes) -> None:
    with pytest.raises(ValueError):
        loads(text)


def test_a_fact_phrase_longer_than_the_response_is_never_compiled() -> None:
    """A hostile reference (a 1 MB required fact) used to cost seconds of regex compilation."""
    from nova_rewards.dimensions.base import Sample, ScoringContext
    from nova_rewards.dimensions.rules import RulesRubric, RulesRubricParams, phrase_pattern

    rubric = RulesRubric(RulesRubricParams(required_facts=True))
    sample = Sample(
        id="s",
        prompt_messages=({"role": "user", "content": "Refund?"},),
        response="You can get a full refund within 30 days.",
        reference={"required_facts": ["full refund", "x" * 1_000_000]},
    )
    phrase_pattern.cache_clear()
    result = rubric.score(sample, ScoringContext())
    assert result.value == 0.5 and result.metrics["rule_facts"] == 0.5
    assert phrase_pattern.cache_info().currsize == 1
