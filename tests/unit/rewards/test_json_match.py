"""json_match: extraction, schema validation and per-field credit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nova_rewards.dimensions import Sample, ScoringContext, get_dimension_class
from nova_rewards.dimensions.json_match import extract_json, field_credit
from pydantic import ValidationError

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.mark.parametrize(
    ("text", "value", "found"),
    [
        ('{"a": 1}', {"a": 1}, True),
        ("  [1, 2]  ", [1, 2], True),
        ('Here you go:\n```json\n{"a": 1}\n```\nDone.', {"a": 1}, True),
        ('```\n{"a": 2}\n```', {"a": 2}, True),  # a fence without a language
        ('The result is {"a": {"b": [1, 2]}} as requested.', {"a": {"b": [1, 2]}}, True),  # balanced
        ('Note {"s": "a } in a string"} end', {"s": "a } in a string"}, True),  # braces in strings
        ('{not json} then {"a": 3}', {"a": 3}, True),  # first parseable candidate
        ('```JSON\n{"a": 4}\n```', {"a": 4}, True),  # upper-case language tag
        ('~~~json\n{"a": 5}\n~~~', {"a": 5}, True),  # tilde fence
        ('\ufeff{"a": 6}', {"a": 6}, True),  # byte-order mark
        ('{\n\u00a0\u00a0"a": 7\n}', {"a": 7}, True),  # indented with no-break spaces
        ('{"a": 1', None, False),  # unterminated
        ("no json here", None, False),
        ("", None, False),
    ],
)
def test_extract_json(text: str, value: object, found: bool) -> None:
    assert extract_json(text) == (value, found)


@pytest.mark.parametrize(
    ("predicted", "expected", "credit"),
    [
        ({"a": 1, "b": "x"}, {"a": 1, "b": "x"}, 1.0),
        ({"a": 1, "b": "y"}, {"a": 1, "b": "x"}, 0.5),  # one field of two
        ({"a": 1}, {"a": 1, "b": "x"}, 0.5),  # missing field
        ({"a": 1, "b": "x", "extra": 0}, {"a": 1, "b": "x"}, 1.0),  # extra fields ignored
        ({"b": " X. "}, {"b": "x"}, 1.0),  # strings normalised (case, punctuation, spaces)
        ({"n": "42"}, {"n": 42}, 1.0),  # numeric string vs number
        ({"n": 42.0000001}, {"n": 42}, 1.0),  # within relative tolerance
        ({"n": "1,200"}, {"n": 1200}, 1.0),  # thousands separator
        ({"n": 43}, {"n": 42}, 0.0),
        ({"zip": "2139"}, {"zip": "02139"}, 0.0),  # leading zero: compared as text, not as numbers
        ({"zip": 2139}, {"zip": "02139"}, 0.0),
        ({"n": 1200}, {"n": "1,200"}, 1.0),  # a number written as text in the reference
        ({"n": "12.50"}, {"n": "12.5"}, 1.0),
        ({"n": True}, {"n": 1}, 0.0),  # a boolean is not a number
        ({"f": True}, {"f": True}, 1.0),
        ({"f": "true"}, {"f": True}, 0.0),
        ({"f": None}, {"f": None}, 1.0),
        ({"o": {"x": 1, "y": 0}}, {"o": {"x": 1, "y": 2}}, 0.5),  # nested: half of one field
        ({"o": "flat"}, {"o": {"x": 1}}, 0.0),
        ({"l": ["b", "a"]}, {"l": ["a", "b"]}, 1.0),  # order ignored by default
        ({"l": ["a"]}, {"l": ["a", "b"]}, pytest.approx(2 / 3)),  # list F1
        ({"l": ["a", "b", "c", "d"]}, {"l": ["a", "b"]}, pytest.approx(2 / 3)),  # padding costs precision
        ({"l": []}, {"l": []}, 1.0),
        ([{"a": 1}], {"a": 1}, 0.0),  # wrong top-level type
        ({}, {}, 1.0),
    ],
)
def test_field_credit(predicted: object, expected: object, credit) -> None:
    assert field_credit(predicted, expected, rel_tol=1e-6, list_order="ignore") == credit


@pytest.mark.parametrize("infinite", [float("inf"), float("-inf"), "Infinity", "1e999", 10**400])
@pytest.mark.parametrize("expected", [149.97, 3, -2.5, 0, "1,200"])
def test_an_infinite_number_matches_no_number(infinite: object, expected: object) -> None:
    # inf once widened the relative tolerance to inf: `{"total": 1e999}` matched every total
    assert field_credit({"n": infinite}, {"n": expected}, rel_tol=1e-6, list_order="ignore") == 0.0


def test_infinity_in_a_response_earns_no_field() -> None:
    dim = get_dimension_class("json_match")(get_dimension_class("json_match").Params())
    reference = {"total": 149.97, "quantity": 3}
    for response in ('{"total": 1e999, "quantity": -1e999}', '{"total": Infinity, "quantity": Infinity}'):
        sample = Sample(id="s", prompt_messages=(), response=response, reference=reference)
        assert dim.score(sample, ScoringContext()).value == 0.0
    honest = Sample(
        id="s", prompt_messages=(), response='{"total": 149.97, "quantity": 3}', reference=reference
    )
    assert dim.score(honest, ScoringContext()).value == 1.0


def test_field_credit_strict_list_order() -> None:
    assert field_credit(["b", "a"], ["a", "b"], rel_tol=0, list_order="strict") == 0.0
    assert field_credit(["a", "b", "c"], ["a", "b"], rel_tol=0, list_order="strict") == pytest.approx(2 / 3)


def _score(params: dict, response: str, reference: object):
    cls = get_dimension_class("json_match")
    return cls(cls.Params(**params)).score(Sample("s", (), response, reference), ScoringContext())


@pytest.mark.parametrize(
    ("params", "response", "reference", "value", "metrics"),
    [
        ({}, '{"name": "Ada", "age": 36}', {"name": "Ada", "age": 36}, 1.0, {"parsed": 1.0}),
        ({}, "sorry, no", {"name": "Ada"}, 0.0, {"parsed": 0.0}),
        (
            {"schema": SCHEMA},
            '```json\n{"name": "Ada", "age": 36}\n```',
            {"name": "Ada", "age": 36},
            1.0,
            {"parsed": 1.0, "schema_valid": 1.0},
        ),
        # schema gate: age as a string fails the schema, so no credit at all
        (
            {"schema": SCHEMA},
            '{"name": "Ada", "age": "36"}',
            {"name": "Ada", "age": 36},
            0.0,
            {"schema_valid": 0.0},
        ),
        # schema as metric only: the same response gets its field credit
        (
            {"schema": SCHEMA, "schema_mode": "metric"},
            '{"name": "Ada", "age": "36"}',
            {"name": "Ada", "age": 36},
            1.0,
            {"schema_valid": 0.0},
        ),
        # a per-record schema hint inside the reference envelope
        (
            {},
            '{"name": "Ada"}',
            {"expected": {"name": "Ada", "age": 36}, "schema": SCHEMA},
            0.0,
            {"schema_valid": 0.0},
        ),
        (
            {},
            '{"name": "Ada", "age": 35}',
            {"expected": {"name": "Ada", "age": 36}, "schema": SCHEMA},
            0.5,
            {"schema_valid": 1.0, "field_credit": 0.5},
        ),
        ({}, '{"a": 1}', "not an object", None, {"parsed": 1.0}),  # reference of the wrong shape
        # both the spec's schema and the record's schema must hold
        (
            {"schema": {"type": "object", "maxProperties": 1}},
            '{"name": "Ada", "age": 36}',
            {"expected": {"name": "Ada", "age": 36}, "schema": SCHEMA},
            0.0,
            {"schema_valid": 0.0},
        ),
    ],
)
def test_dimension(params: dict, response: str, reference: object, value, metrics: dict) -> None:
    result = _score(params, response, reference)
    assert result.value == value
    for name, expected in metrics.items():
        assert result.metrics[name] == expected


def test_params_reject_invalid_schema() -> None:
    with pytest.raises(ValidationError, match="invalid JSON Schema"):
        get_dimension_class("json_match").Params(schema={"type": "no-such-type"})
    with pytest.raises(ValidationError):
        get_dimension_class("json_match").Params(unknown=1)


def test_module_import_does_not_import_jsonschema() -> None:
    import subprocess
    import sys

    code = "import sys, nova_rewards.dimensions.json_match; print('jsonschema' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.timeout(30)  # a guard against quadratic scans, not a speed goal
@pytest.mark.parametrize(
    "text",
    [
        "{" * 100_000,  # unbalanced everywhere: bounded number of candidates
        "[" * 50_000 + "]" * 50_000,  # nested too deep for the JSON parser
        '{"a": ' * 20_000,
    ],
)
def test_adversarial_json_is_bounded(text: str) -> None:
    assert extract_json(text) == (None, False)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_JSON)
@settings(max_examples=200, deadline=None)
def test_a_value_gets_full_credit_against_itself(value: object) -> None:
    assert field_credit(value, value, rel_tol=0.0, list_order="ignore") == 1.0
    assert field_credit(value, value, rel_tol=0.0, list_order="strict") == 1.0


@given(_JSON, _JSON)
@settings(max_examples=200, deadline=None)
def test_credit_is_a_share(predicted: object, expected: object) -> None:
    assert 0.0 <= field_credit(predicted, expected, rel_tol=1e-6, list_order="ignore") <= 1.0


@given(_JSON)
@settings(max_examples=100, deadline=None)
def test_serialised_value_is_extracted_back(value: object) -> None:
    import json

    assert extract_json(f"Here:\n```json\n{json.dumps(value)}\n```") == (value, True)
