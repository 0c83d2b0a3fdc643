"""No silent misconfiguration: `orch reward check --dataset`, the no-value warning of scoring."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from nova_rewards.compose import score_slots
from nova_rewards.contract import parse_event
from nova_rewards.dimensions import ScoringContext
from nova_rewards.observability import invocation_metrics
from nova_rewards.spec import compile_spec, load_spec

from orchestrator.audit.needs import check_dataset_needs, no_value_warnings
from orchestrator.cli import cli, main

ROOT = Path(__file__).resolve().parents[3]
TRIAGE = {
    "name": "triage",
    "dimensions": [
        {"name": "format", "kind": "regex", "weight": 0.2, "params": {"pattern": "(?i)category:"}},
        {"name": "label", "kind": "label_match", "weight": 0.8,
         "params": {"labels": ["billing", "shipping"], "answer_key": "category"}},
    ],
}  # fmt: skip


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def ticket(reference: object) -> dict:
    return {
        "messages": [{"role": "user", "content": "Classify: charged twice"}],
        "reference_answer": reference,
    }


def test_gaps_name_the_dimension_the_key_and_the_first_lines(tmp_path: Path) -> None:
    records = [ticket({"label": "billing"})] * 7 + [
        ticket({"category": "shipping"}),
        ticket({"category": "x"}),
    ]
    dataset = write_jsonl(tmp_path / "d.jsonl", records)
    needs = check_dataset_needs(compile_spec(TRIAGE), dataset, shown=5)
    assert not needs.ok and needs.records == 9
    by_need = {gap.need: gap for gap in needs.gaps}
    assert len(by_need) == 1  # a missing key and an unknown label need the same thing
    gap = next(iter(by_need.values()))
    assert gap.dimension == "label" and gap.kind == "label_match"
    assert "reference_answer.category" in gap.need and "billing, shipping" in gap.need
    assert gap.count == 8 and gap.lines == [1, 2, 3, 4, 5]
    line = gap.describe(dataset)
    assert "'label'" in line and "8 record(s)" in line and "lines 1, 2, 3, 4, 5 and 3 more" in line


@pytest.mark.parametrize("name", ["math", "support", "json_extraction", "code"])
def test_every_bundled_spec_finds_what_it_needs_in_its_dataset(name: str) -> None:
    needs = check_dataset_needs(load_spec(name), ROOT / "datasets" / f"{name}.jsonl")
    assert needs.ok, [gap.describe(needs.path) for gap in needs.gaps]


def test_each_reference_reading_kind_declares_its_needs(tmp_path: Path) -> None:
    spec = {
        "name": "all",
        "dimensions": [
            {"name": "m", "kind": "math_equivalence", "params": {"answer_key": "final"}},
            {"name": "j", "kind": "json_match"},
            {"name": "e", "kind": "exact_match", "params": {"answer_key": "city"}},
            {"name": "s", "kind": "text_similarity", "type": "Metric", "weight": 0},
            {"name": "r", "kind": "rules_rubric", "params": {"required_facts": True}},
            {"name": "c", "kind": "code_tests"},
            {"name": "len", "kind": "length_window", "params": {"max_chars": 10}},
        ],
    }
    needs = check_dataset_needs(compile_spec(spec), write_jsonl(tmp_path / "d.jsonl", [ticket(True)]))
    lacking = {gap.dimension: gap.need for gap in needs.gaps}
    assert set(lacking) == {"m", "j", "e", "s", "r", "c"}  # length_window needs no reference
    assert lacking["m"].startswith("reference_answer.final")
    assert lacking["e"].startswith("reference_answer.city")
    assert "required_facts" in lacking["r"] and "tests" in lacking["c"]


def test_cli_check_with_dataset_exits_3_naming_the_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "triage.json"
    spec.write_text(json.dumps(TRIAGE), encoding="utf-8")
    dataset = write_jsonl(tmp_path / "d.jsonl", [ticket({"label": "billing"})])
    with pytest.raises(SystemExit) as info:
        main(["reward", "check", str(spec), "--dataset", str(dataset)])
    assert info.value.code == 3
    captured = capsys.readouterr()
    assert "dimension 'label' needs reference_answer.category" in captured.err
    assert f"{dataset}:" in captured.out and "lines 1" in captured.out
    good = write_jsonl(tmp_path / "good.jsonl", [ticket({"category": "billing"})])
    result = CliRunner().invoke(cli, ["reward", "check", str(spec), "--dataset", str(good), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dataset"] == {"path": str(good), "records": 1, "ok": True, "gaps": []}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_scoring_warns_when_a_reward_dimension_has_no_value_for_most_samples() -> None:
    compiled = compile_spec(TRIAGE)
    seen = _Records()  # the package logger does not propagate to the root once the handler is loaded
    logging.getLogger("nova_rewards.compose").addHandler(seen)
    turns = [{"role": "user", "content": "?"}, {"role": "assistant", "content": "Category: billing"}]
    samples = [
        {"id": str(i), "messages": turns,
         "metadata": {"reference_answer": {"label": "billing"} if i else {"category": "billing"}}}
        for i in range(4)
    ]  # fmt: skip
    try:
        outcome = score_slots(compiled, parse_event(samples), ScoringContext(deadline=math.inf))
    finally:
        logging.getLogger("nova_rewards.compose").removeHandler(seen)
    assert outcome.no_value == {"label": 0.75}
    assert invocation_metrics(outcome, 1.0)["NoValueDimensions"] == 1.0
    warning = next(r for r in seen.records if "returned no value" in r.getMessage())
    assert warning.levelname == "WARNING" and warning.dimension == "label"  # type: ignore[attr-defined]
    # every wrong-key sample still got the format reward: that is what the warning is about
    assert [s.score for s in outcome.samples] == [1.0, 1.0, 1.0, 1.0]
    lines = no_value_warnings(compiled, outcome.response())
    assert len(lines) == 1 and "'label'" in lines[0] and "3 of 4" in lines[0]
    healthy = score_slots(compiled, parse_event(samples[:1]), ScoringContext(deadline=math.inf))
    assert healthy.no_value == {} and no_value_warnings(compiled, healthy.response()) == []


def test_orch_reward_score_prints_the_warning(tmp_path: Path) -> None:
    spec = tmp_path / "triage.json"
    spec.write_text(json.dumps(TRIAGE), encoding="utf-8")
    dataset = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", **ticket({"label": "billing"})}])
    responses = write_jsonl(tmp_path / "r.jsonl", [{"id": "a", "response": "Category: shipping"}])
    args = ["reward", "score", "--spec", str(spec), "--dataset", str(dataset), "--responses", str(responses)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "warning: reward dimension 'label' (label_match) returned no value for 1 of 1" in result.stderr
