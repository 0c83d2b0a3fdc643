"""`json_match`: structured extraction graded field by field against a reference object.

Steps: extract JSON from the response (a ```json fence, the whole text, or the first balanced
`{...}` / `[...]`), parse it, optionally validate it against a JSON Schema (jsonschema is imported
when the first schema is compiled, never at module import), then give partial credit: the mean,
over the reference's fields, of how well each predicted value matches (strings compared after
normalisation, numbers with a tolerance, nested objects recursively, lists by F1 or position).

Reference shapes:
- the expected object itself: `{"name": "Ada", "age": 36}`;
- or an envelope `{"expected": {...}, "schema": {...}}` (keys set by `expected_key` and
  `schema_key`), the schema being a per-record hint, checked as well as the spec's own `schema`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, field_validator

from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)
from nova_rewards.text import normalise_text

__all__ = ["JsonMatch", "extract_json", "field_credit"]

_FENCE_RE = re.compile(r"(```|~~~)(?i:json[c5]?)?[ \t]*\r?\n(.*?)\1", re.DOTALL)
# Unicode spaces and invisible characters that are not JSON whitespace: an object indented with
# no-break spaces (a copy-paste artefact) or led by a byte-order mark is still the same JSON.
_NON_JSON_SPACE = str.maketrans(
    {
        **{
            c: " "
            for c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u202f\u205f\u3000"
        },
        **{c: None for c in "\ufeff\u200b\u2060"},
    }
)
_MAX_CANDIDATES = 20
_CANONICAL_NUMBER_RE = re.compile(r"^-?(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.\d+)?$")


def _balanced_end(text: str, start: int) -> int | None:
    """Index after the bracket closing `text[start]` (`{` or `[`), skipping JSON strings."""
    stack: list[str] = []
    in_string = escaped = False
    pairs = {"{": "}", "[": "]"}
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in pairs:
            stack.append(pairs[ch])
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return i + 1
    return None


def extract_json(text: str) -> tuple[Any, bool]:
    """(value, found) of the JSON in a response; `found` is False when nothing parses.

    Unicode spaces outside ASCII (no-break spaces, a byte-order mark) count as JSON whitespace.
    """
    if not text.isascii():
        text = text.translate(_NON_JSON_SPACE)
    candidates = [m.group(2) for m in _FENCE_RE.finditer(text)]
    candidates.append(text)
    for candidate in candidates:
        candidate = candidate.strip()
        if not candidate:
            continue
        try:
            return json.loads(candidate), True
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
            pass
    for tried, match in enumerate(re.finditer(r"[{\[]", text), start=1):
        if tried > _MAX_CANDIDATES:  # bounded work: "{{{{..." must not cost n^2
            break
        end = _balanced_end(text, match.start())
        if end is None:
            continue
        try:
            return json.loads(text[match.start() : end]), True
        except (ValueError, RecursionError):
            continue
    return None, False


def _number(value: Any) -> float | None:
    """A finite number from a JSON number or numeric text; None otherwise.

    Infinity (`1e999` parses to it) and NaN are no numbers: an infinite prediction would widen a
    relative tolerance to infinity and match every expected number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if abs(value) < 1e308 else None
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def field_credit(predicted: Any, expected: Any, *, rel_tol: float, list_order: str) -> float:
    """How well `predicted` matches `expected`, in [0, 1] (1 = same value, recursively)."""
    if isinstance(expected, Mapping):
        if not isinstance(predicted, Mapping):
            return 0.0
        if not expected:
            return 1.0
        return sum(
            field_credit(predicted.get(k), v, rel_tol=rel_tol, list_order=list_order)
            if k in predicted
            else 0.0
            for k, v in expected.items()
        ) / len(expected)
    if isinstance(expected, list):
        return _list_credit(predicted, expected, rel_tol=rel_tol, list_order=list_order)
    if expected is None or isinstance(expected, bool):
        return 1.0 if predicted is expected else 0.0  # null / true / false are singletons
    # a string counts as a number only when written like one: "02139" (a zip code) stays text
    numeric_text = isinstance(expected, str) and _CANONICAL_NUMBER_RE.match(expected.strip())
    expected_number = _number(expected) if isinstance(expected, int | float) or numeric_text else None
    if isinstance(expected, int | float) or (expected_number is not None and _number(predicted) is not None):
        predicted_number = _number(predicted)
        if expected_number is None or predicted_number is None:
            return 0.0
        tolerance = max(1e-12, rel_tol * max(abs(expected_number), abs(predicted_number)))
        return 1.0 if abs(expected_number - predicted_number) <= tolerance else 0.0
    if isinstance(predicted, str | int | float) and not isinstance(predicted, bool):
        return 1.0 if normalise_text(str(predicted)) == normalise_text(str(expected)) else 0.0
    return 0.0


def _list_credit(predicted: Any, expected: list, *, rel_tol: float, list_order: str) -> float:
    if not isinstance(predicted, list):
        return 0.0
    if not expected:
        return 1.0 if not predicted else 0.0
    if list_order == "strict":
        total = sum(
            field_credit(p, e, rel_tol=rel_tol, list_order=list_order)
            for p, e in zip(predicted, expected, strict=False)
        )
        return total / max(len(expected), len(predicted))
    # order ignored: greedy one-to-one matching, then F1 over the matched credit
    remaining = list(predicted)
    matched = 0.0
    for item in expected:
        best, best_index = 0.0, -1
        for index, candidate in enumerate(remaining):
            credit = field_credit(candidate, item, rel_tol=rel_tol, list_order=list_order)
            if credit > best:
                best, best_index = credit, index
                if credit == 1.0:
                    break
        if best_index >= 0:
            matched += best
            remaining.pop(best_index)
    if matched == 0.0:
        return 0.0
    precision, recall = matched / len(predicted), matched / len(expected)
    return 2 * precision * recall / (precision + recall)


@lru_cache(maxsize=64)
def _validator(schema_json: str) -> Any:
    """A compiled validator for a schema (given as canonical JSON, so it can be cached)."""
    from jsonschema.validators import validator_for

    schema = json.loads(schema_json)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _schema_key(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


class JsonMatchParams(DimensionParams):
    """Parameters of `json_match`."""

    json_schema: dict[str, Any] | None = Field(
        None, alias="schema", description="inline JSON Schema every response must satisfy"
    )
    expected_key: str = Field("expected", min_length=1)
    schema_key: str = Field("schema", min_length=1)
    schema_mode: Literal["gate", "metric"] = Field(
        "gate", description="gate: a response failing the schema scores 0; metric: only reported"
    )
    rel_tol: float = Field(1e-6, ge=0.0, le=1.0)
    list_order: Literal["ignore", "strict"] = "ignore"
    max_chars: int = Field(100_000, ge=1, le=1_000_000)

    model_config = {**DimensionParams.model_config, "populate_by_name": True}

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                _validator(_schema_key(value))
            except Exception as exc:  # jsonschema.SchemaError and friends
                raise ValueError(f"invalid JSON Schema: {getattr(exc, 'message', exc)}") from exc
        return value


class JsonMatch(Dimension):
    """Partial credit per reference field of the JSON found in the response."""

    kind = "json_match"
    Params = JsonMatchParams
    params: JsonMatchParams

    def _split_reference(self, reference: Any) -> tuple[Any, Mapping[str, Any] | None]:
        p = self.params
        if isinstance(reference, Mapping) and p.expected_key in reference:
            schema = reference.get(p.schema_key)
            return reference[p.expected_key], schema if isinstance(schema, Mapping) else None
        return reference, None

    def _schema_valid(self, value: Any, schema: Mapping[str, Any]) -> bool:
        validator = _validator(_schema_key(schema))
        return bool(validator.is_valid(value))

    def check_record(self, sample: Sample) -> str | None:
        expected, record_schema = self._split_reference(sample.reference)
        if not isinstance(expected, Mapping | list):
            return (
                f"reference_answer.{self.params.expected_key}: a JSON object or array "
                "(or the reference itself as one)"
            )
        if record_schema is None and isinstance(sample.reference, Mapping):
            raw = sample.reference.get(self.params.schema_key)
            if raw is not None:
                return f"reference_answer.{self.params.schema_key}: a JSON Schema object"
        if record_schema is not None:
            try:
                _validator(_schema_key(record_schema))
            except Exception as exc:  # jsonschema.SchemaError and friends
                problem = getattr(exc, "message", exc)
                return f"reference_answer.{self.params.schema_key}: invalid JSON Schema: {problem}"
        return None

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        p = self.params
        expected, record_schema = self._split_reference(sample.reference)
        value, parsed = extract_json(sample.response[: p.max_chars])
        metrics: dict[str, float] = {"parsed": 1.0 if parsed else 0.0}
        schemas = [s for s in (p.json_schema, record_schema) if s is not None]
        schema_ok = True
        if schemas:  # the spec's schema and the record's hint must both hold
            schema_ok = parsed and all(self._schema_valid(value, schema) for schema in schemas)
            metrics["schema_valid"] = 1.0 if schema_ok else 0.0
        if not isinstance(expected, Mapping | list):
            return DimensionResult(None, metrics)
        if not parsed or (p.schema_mode == "gate" and not schema_ok):
            metrics["field_credit"] = 0.0
            return DimensionResult(0.0, metrics)
        credit = field_credit(value, expected, rel_tol=p.rel_tol, list_order=p.list_order)
        metrics["field_credit"] = credit
        return DimensionResult(credit, metrics)
