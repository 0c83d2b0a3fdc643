"""The bundled `code` spec on held-out tasks, solved as models write solutions (`data/code_heldout.jsonl`).

Each task (function, class-method and stdin/stdout tasks, in the dataset's reference format) has
2-5 right solutions in different styles - fenced with ```python, ```py, ```Python3 or no tag,
several blocks (a usage example, the model's own asserts, sample I/O, a naive first version),
no fence at all, prose around, `if __name__ == "__main__":` blocks, doctests, type hints with
`from __future__ import annotations`, dataclasses, enums, lru_cache, recursion 2,500 deep,
threads with a large stack, seeded random, decimal, fractions, hashlib, json, datetime,
unicodedata, big ints, floats within tolerance, truthy returns for bare asserts, stderr debug
output, `sys.stdin.buffer`, `input()` loops to EOF, `print(*xs)` - and realistic wrong ones
(off by one, a missed edge case, a list for a tuple, numpy where only the standard library
runs). Scored end to end by the handler, with every layer this machine offers and without
Landlock (what AWS Lambda's kernel offers): every right solution must earn the full `tests`
score (and the format score when fenced as Python, ```Python3 included), no wrong one may.
Also run under Python 3.12.1 (the interpreter of AWS Lambda's runtime is a 3.12): a memoised
recursion (`functools.cache`) fails past ~500 deep there in plain Python as well, so no test
expects more of one; plain recursion 3,000 deep with `sys.setrecursionlimit` passes on both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from nova_rewards import sandbox
from nova_rewards.handler import handle
from nova_rewards.sandbox_verdicts import check_reference
from nova_rewards.spec import compile_spec

ROOT = Path(__file__).resolve().parents[3]
HELDOUT = Path(__file__).parent / "data" / "code_heldout.jsonl"
SPEC_FILE = ROOT / "functions" / "nova_rewards" / "specs" / "code.json"
BATCH = 32  # samples per handler call, as RFT sends a batch
PYTHON_FENCE = re.compile(r"```(python|py|python3|py3)[ \t]*\n", re.IGNORECASE)


def heldout_tasks() -> list[dict[str, Any]]:
    return [json.loads(line) for line in HELDOUT.read_text().splitlines() if line.strip()]


def test_heldout_tasks_are_well_formed() -> None:
    tasks = heldout_tasks()
    assert len(tasks) >= 40
    assert len({t["id"] for t in tasks}) == len(tasks)
    for task in tasks:
        assert check_reference(task["reference_answer"]) is None, task["id"]
        right = [s for s in task["solutions"] if s["right"]]
        assert len(right) >= 2 and len(task["solutions"]) > len(right), task["id"]
    shapes = {"inputs" in t["reference_answer"] for t in tasks}
    assert shapes == {True, False}, "function and stdin/stdout tasks"


def _event(tasks: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[bool]]:
    samples, labels = [], []
    for task in tasks:
        for index, solution in enumerate(task["solutions"]):
            messages = [
                {"role": "user", "content": task["prompt"]},
                {"role": "assistant", "content": solution["response"]},
            ]
            sample_id = f"{task['id']}#{index}"
            reference = task["reference_answer"]
            samples.append({"id": sample_id, "messages": messages, "reference_answer": reference})
            labels.append(solution["right"])
    return samples, labels


@pytest.mark.slow
@pytest.mark.parametrize("landlock", [True, False], ids=["all_layers", "no_landlock"])
def test_right_solutions_pass_and_wrong_ones_fail(landlock: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not landlock:  # the layers AWS Lambda's kernel offers
        monkeypatch.setattr(
            "nova_rewards.dimensions.code.SandboxLimits",
            lambda **kw: sandbox.SandboxLimits(**kw, landlock=False),
        )
    spec = compile_spec(json.loads(SPEC_FILE.read_text()), source="code")
    samples, labels = _event(heldout_tasks())
    results = []
    for start in range(0, len(samples), BATCH):
        results += handle(samples[start : start + BATCH], None, spec)
    failed_right, passed_wrong = [], []
    for sample, result, right in zip(samples, results, labels, strict=True):
        metrics = {m["name"]: m["value"] for m in result["metrics_list"]}
        tests = metrics.get("tests")
        fenced = PYTHON_FENCE.search(sample["messages"][-1]["content"]) is not None
        if right and (tests != 1.0 or (fenced and metrics.get("format") != 1.0)):
            failed_right.append(f"{sample['id']}: tests={tests} format={metrics.get('format')}")
        if not right and tests == 1.0:
            passed_wrong.append(sample["id"])
    assert not failed_right, "right solutions scored below 1:\n" + "\n".join(failed_right)
    assert not passed_wrong, "wrong solutions passed: " + ", ".join(passed_wrong)
