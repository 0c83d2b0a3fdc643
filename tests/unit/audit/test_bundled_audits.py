"""CI gate: every bundled spec passes `orch reward audit` on its own dataset (judge assumed fooled)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from nova_rewards.spec import load_spec

from orchestrator.audit.service import run_audit

ROOT = Path(__file__).resolve().parents[3]
MATH_PENDING = pytest.mark.xfail(
    reason="the math spec's format gate and equivalence are issue 10 items 1-2 (math workstream): "
    "remove this mark once that work is merged",
    strict=False,
)


@pytest.mark.parametrize(
    ("name", "records"),
    [
        ("support", None),
        ("json_extraction", None),
        pytest.param("math", 40, marks=MATH_PENDING),
        ("code", 10),
    ],
)
def test_bundled_spec_passes_its_own_audit(name: str, records: int | None) -> None:
    if name == "code" and importlib.util.find_spec("orchestrator.audit.code_hacks") is None:
        pytest.skip(
            "orchestrator/audit/code_hacks.py (the sandbox workstream's harness attacks) is not merged"
        )
    report = run_audit(load_spec(name), ROOT / "datasets" / f"{name}.jsonl", max_records=records)
    failing = [(p.name, round(p.mean, 3), p.example_text[:80]) for p in report.failures]
    assert report.passed, (failing, report.problems)
    assert report.timeouts == 0
