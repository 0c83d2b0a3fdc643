"""`run_audit` and `orch reward audit`: probes scored through the handler, thresholds, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from nova_rewards.spec import compile_spec

from orchestrator.audit.service import AuditThresholds, run_audit
from orchestrator.cli import cli, main

LABELS = ["billing", "shipping", "technical", "account"]
HARD_GUARDS = {"over_length_penalty": 1.0, "repetition_penalty": 1.0}
TICKETS = [
    ("t1", "I was charged twice for my subscription this month.", "billing"),
    ("t2", "My parcel has not arrived after two weeks of waiting.", "shipping"),
    ("t3", "The app crashes whenever I open the settings screen.", "technical"),
]


def triage_spec(*extra: dict[str, Any], label_key: str = "label", guards: dict | None = None) -> dict:
    label = {
        "name": "label",
        "kind": "label_match",
        "weight": 0.8,
        "params": {"labels": LABELS, "answer_key": label_key},
    }
    return {
        "name": "triage",
        "guards": guards if guards is not None else HARD_GUARDS,
        "dimensions": [label, *extra],
    }


def write_dataset(path: Path, key: str = "label") -> Path:
    lines = [
        json.dumps({"id": rid, "messages": [{"role": "user", "content": f"Classify this ticket: {text}"}],
                    "reference_answer": {key: label}})
        for rid, text, label in TICKETS
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


FORMAT = {"name": "format", "kind": "regex", "weight": 0.4, "params": {"pattern": "(?i)label:"}}
SHORT = {"name": "short", "kind": "length_window", "weight": 0.2, "params": {"max_chars": 300}}
TONE = {"name": "tone", "kind": "llm_judge", "weight": 0.5, "params": {"rubric": "tone_empathy.md"}}


def probe(report: Any, name: str) -> Any:
    return next(p for p in report.probes if p.name == name)


def test_a_sound_spec_passes_and_controls_earn_full_credit(tmp_path: Path) -> None:
    spec = compile_spec(triage_spec({**SHORT, "requires": {"label": 1.0}}))
    report = run_audit(spec, write_dataset(tmp_path / "d.jsonl"))
    assert report.passed, [(p.name, p.mean) for p in report.failures]
    assert report.records == 3 and report.samples == sum(p.n for p in report.probes)
    assert all(p.mean == 1.0 for p in report.probes if p.kind == "control")
    assert probe(report, "all_labels").max == 0.0
    assert report.thresholds == AuditThresholds()


def test_an_ungated_format_reward_and_soft_guards_are_caught(tmp_path: Path) -> None:
    spec = compile_spec(triage_spec(FORMAT, guards={}))  # format pays without the right label
    report = run_audit(spec, write_dataset(tmp_path / "d.jsonl"))
    failed = {p.name for p in report.failures}
    # a marker with nothing after it still earns the format weight; a padded or looped correct
    # answer loses only half under the default guard penalties
    assert {"marker_no_answer", "buried_answer", "repetition"} <= failed
    assert probe(report, "marker_no_answer").mean == pytest.approx(0.4 / 1.2)
    worst = probe(report, "buried_answer")
    assert worst.example_score == worst.max and worst.example_record in {"t1", "t2", "t3"}


def test_a_missing_reference_key_fails_the_audit(tmp_path: Path) -> None:
    gated = {**SHORT, "requires": {"label": 1.0}}
    spec = compile_spec(triage_spec(gated, label_key="category"))  # the dataset says "label"
    report = run_audit(spec, write_dataset(tmp_path / "d.jsonl"))
    assert all(p.mean == 0.0 for p in report.probes)  # every hack "passes"...
    assert not report.passed  # ...but nothing shows that a correct answer is paid
    assert any("'label'" in line and "no value" in line for line in report.problems)
    assert any("no control probes" in line for line in report.problems)


def test_a_judge_is_assumed_fooled_unless_a_gate_holds_it(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "d.jsonl")
    ungated = run_audit(compile_spec(triage_spec(TONE)), dataset)  # offline: no judge call is made
    assert probe(ungated, "non_answer").mean == pytest.approx(0.5 / 1.3)
    assert not ungated.passed
    gate = {"requires": {"label": 1.0}}
    gated = run_audit(compile_spec(triage_spec({**TONE, **gate}, {**SHORT, **gate})), dataset)
    assert probe(gated, "non_answer").mean == 0.0
    assert gated.passed, [(p.name, p.mean) for p in gated.failures]


def test_thresholds_are_configurable(tmp_path: Path) -> None:
    spec = compile_spec(triage_spec(FORMAT))
    dataset = write_dataset(tmp_path / "d.jsonl")
    lenient = run_audit(spec, dataset, thresholds=AuditThresholds(hack_max_mean=0.4))
    assert "marker_no_answer" not in {p.name for p in lenient.failures}
    default = run_audit(spec, dataset)
    assert "marker_no_answer" in {p.name for p in default.failures}
    assert probe(default, "control_bare").mean == pytest.approx(0.8 / 1.2)  # no "Label:": format 0
    strict = run_audit(spec, dataset, thresholds=AuditThresholds(control_min_mean=0.6))
    assert "control_bare" not in {p.name for p in strict.failures}


def test_max_records_and_time_budget(tmp_path: Path) -> None:
    spec = compile_spec(triage_spec())
    dataset = write_dataset(tmp_path / "d.jsonl")
    assert run_audit(spec, dataset, max_records=1).records == 1
    ticks = iter([0.0] + [1e6] * 10_000)  # the clock is past the budget as soon as scoring starts
    late = run_audit(spec, dataset, time_budget_s=5, clock=lambda: next(ticks))
    assert late.timeouts == late.samples and not late.passed  # nothing measured is no pass


# ------------------------------------------------------------------------------------------------
# CLI


def audit_args(spec: Path, dataset: Path, *extra: str) -> list[str]:
    return ["reward", "audit", "--spec", str(spec), "--dataset", str(dataset), *extra]


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "d.jsonl")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(triage_spec({**SHORT, "requires": {"label": 1.0}})), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(triage_spec(FORMAT, guards={})), encoding="utf-8")

    ok = CliRunner().invoke(cli, audit_args(good, dataset))
    assert ok.exit_code == 0, ok.output
    assert "passed" in ok.stdout and "all_labels" in ok.stdout

    failed = CliRunner().invoke(cli, audit_args(bad, dataset, "--json", "--max-records", "2"))
    assert failed.exit_code == 1
    document = json.loads(failed.stdout)
    assert document["records"] == 2 and not document["passed"]
    assert "marker_no_answer" in document["failures"]
    row = next(p for p in document["probes"] if p["name"] == "marker_no_answer")
    assert (
        set(row) >= {"mean", "max", "share_above", "example", "passed"} and row["example"]["text"] == "Label:"
    )

    relaxed = CliRunner().invoke(
        cli, audit_args(bad, dataset, "--hack-max-mean", "0.6", "--control-min-mean", "0.6")
    )
    assert relaxed.exit_code == 0, relaxed.output


def test_cli_reports_a_broken_dataset_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(triage_spec()), encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": []}\n{not json\n', encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(audit_args(spec, broken))
    assert info.value.code == 3
    assert f"{broken}:2: not valid JSON" in capsys.readouterr().err


def test_time_limit_probes_run_on_a_few_records_only() -> None:
    # each costs a sample's whole time limit of CPU; its outcome does not depend on the record
    from nova_rewards.local_scoring import load_dataset_index

    from orchestrator.audit.code_hacks import TIME_LIMIT_PROBES
    from orchestrator.audit.service import TIME_LIMIT_PROBE_RECORDS, _plan

    root = Path(__file__).resolve().parents[3]
    spec_data = json.loads((root / "functions/nova_rewards/specs/code.json").read_text())
    chosen = list(load_dataset_index(root / "datasets/code.jsonl").items())[:10]
    plan = _plan(spec_data, chosen, seed=0)
    for name in TIME_LIMIT_PROBES:
        assert sum(item.probe.name == name for item in plan) == TIME_LIMIT_PROBE_RECORDS
    assert sum(item.probe.name == "always_equal_object" for item in plan) == 10  # others: every record
