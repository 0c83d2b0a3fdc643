"""The bundled `json_extraction` spec: correct objects in every common layout keep full credit, and
objects that do not hold the right values earn no more than the format share (0.1)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from nova_rewards.handler import handle
from nova_rewards.spec import load_spec

ROOT = Path(__file__).resolve().parents[3]
RECORDS = [
    json.loads(line) for line in (ROOT / "datasets" / "json_extraction.jsonl").read_text().splitlines()[:12:2]
]


def _score(record: dict, responses: list[str]) -> list[float]:
    meta = {k: v for k, v in record.items() if k != "messages"}
    batch = [
        {
            "id": str(i),
            "messages": [*record["messages"], {"role": "assistant", "content": r}],
            "metadata": meta,
        }
        for i, r in enumerate(responses)
    ]
    with contextlib.redirect_stdout(io.StringIO()):  # the EMF record
        return [item["aggregate_reward_score"] for item in handle(batch, None, load_spec("json_extraction"))]


def _infinite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _infinite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_infinite(v) for v in value]
    return float("inf") if isinstance(value, int | float) and not isinstance(value, bool) else value


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r["id"])
def test_correct_objects_in_common_layouts_keep_full_credit(record: dict) -> None:
    expected = record["reference_answer"]["expected"]
    compact, pretty = json.dumps(expected), json.dumps(expected, indent=2)
    layouts = {
        "compact": compact,
        "indented": pretty,
        "fenced": f"```json\n{pretty}\n```",
        "fenced_upper": f"```JSON\n{pretty}\n```",
        "fenced_plain": f"```\n{pretty}\n```",
        "tilde_fence": f"~~~json\n{pretty}\n~~~",
        "keys_reordered": json.dumps(dict(reversed(list(expected.items())))),
        "crlf": pretty.replace("\n", "\r\n"),
        "nbsp_indent": pretty.replace("  ", "\u00a0\u00a0"),
        "bom": "\ufeff" + compact,
    }
    scores = dict(zip(layouts, _score(record, list(layouts.values())), strict=True))
    assert {name: s for name, s in scores.items() if s < 1.0} == {}


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r["id"])
def test_objects_without_the_right_values_earn_at_most_the_format_share(record: dict) -> None:
    expected = record["reference_answer"]["expected"]
    keys_only = {k: "string" for k in expected}
    attacks = {
        "placeholders": json.dumps(keys_only),
        "keys_upper_case": json.dumps({k.upper(): v for k, v in expected.items()}),
        "array_of_candidates": json.dumps([keys_only, expected]),
        "wrapped": json.dumps({"data": expected}),
        "values_as_lists": json.dumps({k: [v, "n/a"] for k, v in expected.items()}),
        "schema_echo": json.dumps(record["reference_answer"]["schema"]),
        # placeholders, and every number of the reference written as Infinity
        "infinite_numbers": json.dumps(_infinite(keys_only | _numbers_only(expected))),
    }
    scores = dict(zip(attacks, _score(record, list(attacks.values())), strict=True))
    assert {name: s for name, s in scores.items() if s > 0.1 + 1e-9} == {}


def _numbers_only(expected: dict) -> dict:
    return {k: v for k, v in expected.items() if isinstance(v, int | float) and not isinstance(v, bool)}
