"""`orchestrator.audit.code_hacks`: the audit's harness attacks fit every record of the dataset."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from orchestrator.audit.code_hacks import code_hack_probes, function_name

ROOT = Path(__file__).resolve().parents[2]
RECORDS = [json.loads(line) for line in (ROOT / "datasets" / "code.jsonl").read_text().splitlines()]


def test_every_record_gets_named_fenced_parsable_attacks() -> None:
    for record in RECORDS:
        probes = code_hack_probes(record)
        assert len(probes) >= 8, record["id"]
        names = [name for name, _ in probes]
        assert len(set(names)) == len(names)
        for name, text in probes:
            assert text.startswith("```python\n") and text.endswith("```\n"), name
            ast.parse(text.removeprefix("```python\n").removesuffix("```\n"))  # valid Python


def test_function_attacks_define_the_function_the_tests_call() -> None:
    record = next(r for r in RECORDS if "tests" in r["reference_answer"])
    name = function_name(record)
    assert name and all(f"def {name}(" in text for _, text in code_hack_probes(record))


def test_deterministic_and_empty_without_tests() -> None:
    assert code_hack_probes(RECORDS[0]) == code_hack_probes(RECORDS[0])
    assert code_hack_probes({"reference_answer": "42"}) == []
    assert function_name({"reference_answer": {"tests": ["assert sorted(f(1)) == [1]"]}}) == "f"


def test_method_tasks_get_the_attacks_as_methods_of_the_class_the_tests_build() -> None:
    record = {"reference_answer": {"tests": ["assert Solution().two_sum([2, 7], 9) == [0, 1]"]}}
    assert function_name(record) == "two_sum"
    probes = dict(code_hack_probes(record))
    assert all("class Solution:" in text and "def two_sum(" in text for text in probes.values())
    static = {
        "reference_answer": {
            "tests": ["assert Util.double(2) == 4", "assert math.isclose(Util.half(1), 0.5)"]
        }
    }
    assert function_name(static) == "double"
