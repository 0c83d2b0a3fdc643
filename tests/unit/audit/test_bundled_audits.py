"""CI gate: every bundled spec passes `orch reward audit` on its own dataset (judge assumed fooled)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nova_rewards.spec import load_spec

from orchestrator.audit.service import run_audit

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("name", "records"),
    [
        ("support", None),
        ("json_extraction", None),
        ("math", 40),
        ("code", 10),
    ],
)
def test_bundled_spec_passes_its_own_audit(name: str, records: int | None) -> None:
    report = run_audit(load_spec(name), ROOT / "datasets" / f"{name}.jsonl", max_records=records)
    failing = [(p.name, round(p.mean, 3), p.example_text[:80]) for p in report.failures]
    assert report.passed, (failing, report.problems)
    assert report.timeouts == 0
