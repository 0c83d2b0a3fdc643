"""`orch validate-dataset` agrees with AWS's `RFTDatasetValidator` (amzn-nova-forge 1.4.10), rule by rule.

Records AWS rejects are errors naming the rule's source; records AWS accepts (tool and developer
roles, tool calls, `tools`) pass. AWS's sample grader events (../shared/contract-samples, see its
README), turned back into dataset records, pass too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.datasets.validation import validate_dataset_lines
from tests.contract_samples import contract_samples_dir

SAMPLES = contract_samples_dir() or Path("/nonexistent")


def base(index: int) -> dict[str, Any]:
    return {
        "id": f"r{index}",
        "messages": [{"role": "user", "content": f"What is {index} + {index}?"}],
        "reference_answer": {"final_answer": str(2 * index)},
    }


def dataset_with(record: dict[str, Any], count: int = 100) -> list[str]:
    records = [base(i) for i in range(count - 1)] + [record]
    return [json.dumps(r) + "\n" for r in records]


def errors_of(lines: list[str]) -> list[tuple[int | None, str, str]]:
    report = validate_dataset_lines(lines)
    return [(e.line, e.field, e.message) for e in report.errors]


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"reference_answer": 42}, "reference_answer", "got number"),
        ({"reference_answer": ["a"]}, "reference_answer", "got array"),
        ({"reference_answer": ""}, "reference_answer", "empty"),
        ({"reference_answer": {}}, "reference_answer", "empty"),
        ({"id": 7}, "id", "must be a string"),
        ({"id": " "}, "id", "empty"),
        (
            {"messages": [{"role": "user", "content": "q", "name": "alice"}]},
            "messages[0].name",
            "unknown message key",
        ),
        ({"messages": [{"role": "system", "content": "s"}]}, "messages", "no user message"),
        (
            {"messages": [{"role": "user", "content": "q"}, {"role": "developer", "content": "d"}]},
            "messages[1].role",
            "only as the first message",
        ),
        (
            {"messages": [{"role": "user", "content": "q", "tool_calls": {"x": 1}}]},
            "messages[0].tool_calls",
            "must be a list",
        ),
        ({"tools": []}, "tools", "non-empty list"),
        ({"tools": [{"type": "retrieval", "function": {}}]}, "tools[0]", '"type": "function"'),
    ],
)
def test_what_aws_rejects_is_an_error_naming_the_rule(
    change: dict[str, Any], field: str, fragment: str
) -> None:
    record = {**base(99), **change}
    found = errors_of(dataset_with(record))
    matching = [e for e in found if e[0] == 100 and e[1] == field]
    assert matching, found
    assert fragment in matching[0][2]
    assert "[AWS: RFTDatasetValidator]" in matching[0][2]


def tool(name: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name} something",
            "parameters": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]},
        },
    }


def test_what_aws_accepts_passes_tools_tool_calls_tool_and_developer_roles() -> None:
    records = []
    for i in range(100):
        records.append(
            {
                "id": f"t{i}",
                "messages": [
                    {"role": "developer", "content": "You may call tools."},
                    {"role": "user", "content": f"Area of a square of side {i}?"},
                    {
                        "role": "assistant",
                        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "area"}}],
                    },
                    {"role": "tool", "tool_call_id": "c1", "content": str(i * i)},
                ],
                "tools": [tool("area"), tool("perimeter")],
                "reference_answer": str(i * i),
            }
        )
    report = validate_dataset_lines([json.dumps(r) + "\n" for r in records])
    assert report.ok, report.errors


def test_duplicate_tool_names_are_an_error() -> None:
    found = errors_of(dataset_with({**base(99), "tools": [tool("a"), tool("a")]}))
    assert any("duplicate tool name" in message for _, _, message in found), found


@pytest.mark.parametrize("field", ["id", "tools"])
def test_an_optional_field_in_only_some_records_is_one_error(field: str) -> None:
    records = [base(i) for i in range(100)]
    if field == "tools":
        for r in records[:60]:
            r["tools"] = [tool("area")]
    else:
        for r in records[60:]:
            del r["id"]
    found = [e for e in errors_of([json.dumps(r) + "\n" for r in records]) if e[1] == field]
    assert len(found) == 1, found
    line, _, message = found[0]
    assert line == 61 and "in some records but not all" in message and "line 1" in message


def _as_dataset_record(sample: dict[str, Any], index: int) -> dict[str, Any]:
    """A grader event sample back as the dataset record it came from (response removed)."""
    record = {k: v for k, v in sample.items() if k not in ("metadata", "messages")}
    record.update(sample.get("metadata") or {})
    record["messages"] = sample["messages"][:-1]
    record["id"] = f"{record.get('id', 's')}-{index}"
    return record


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/contract-samples is not checked out")
def test_aws_sample_events_as_datasets_pass_or_fail_only_on_the_kit_reference_rule() -> None:
    inputs = [p for p in sorted(SAMPLES.glob("*.json")) if "output" not in p.name]
    assert len(inputs) >= 6
    for path in inputs:
        sample = json.loads(path.read_text(encoding="utf-8"))[0]
        lines = [json.dumps(_as_dataset_record(sample, i)) + "\n" for i in range(100)]
        report = validate_dataset_lines(lines)
        kinds = {(e.field, e.message.split(" [")[0]) for e in report.errors}
        if "reference_answer" in sample or "reference_answer" in (sample.get("metadata") or {}):
            assert report.ok, (path.name, report.errors)
        else:  # the BFCL sample keeps its answer under metadata.ground_truth: [kit] wants a reference
            assert kinds == {("reference_answer", "missing")}, (path.name, kinds)
