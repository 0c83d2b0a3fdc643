"""`orch reward check|score`: spec errors, matching responses to the dataset, --json equals the Lambda."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from nova_rewards import handler

from orchestrator.cli import cli, main
from orchestrator.commands.reward import histogram
from tests.unit.rewards.core_helpers import write_spec

DIMENSIONS = (
    {"name": "format", "kind": "t_keyword", "weight": 0.5, "params": {"word": "answer"}},
    {
        "name": "correct",
        "kind": "t_keyword",
        "weight": 0.5,
        "params": {"word": "84"},
        "requires": {"format": 1},
    },
    {"name": "boom", "kind": "t_raise", "type": "Metric", "weight": 0},
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    spec = write_spec(tmp_path / "spec.json", *DIMENSIONS, name="cli-test")
    dataset = tmp_path / "data.jsonl"
    records = [
        {
            "id": "q1",
            "messages": [{"role": "user", "content": "12 * 7?"}],
            "reference_answer": "84",
            "domain": "m",
        },
        {"messages": [{"role": "user", "content": "no id here"}], "reference_answer": "1"},  # matched as "1"
        {"id": 7, "messages": [{"role": "user", "content": "int id"}], "reference_answer": "84"},
    ]
    dataset.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    responses = tmp_path / "responses.jsonl"
    lines = [
        {"id": "q1", "response": "The answer is 84"},
        {"id": "q1", "response": "84"},  # several responses per prompt
        {"id": "q1", "response": "the answer is 85 boom"},  # a dimension raises: error for this one
        {"id": "1", "response": "the answer is 1"},
        {"id": 7, "response": "   "},
    ]
    responses.write_text("\n".join(json.dumps(r) for r in lines) + "\n\n", encoding="utf-8")
    return {"spec": spec, "dataset": dataset, "responses": responses}


def score_args(files: dict[str, Path], *extra: str) -> list[str]:
    return ["reward", "score", "--spec", str(files["spec"]), "--dataset", str(files["dataset"]),
            "--responses", str(files["responses"]), *extra]  # fmt: skip


def test_check_prints_dimensions(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(cli, ["reward", "check", str(files["spec"])])
    assert result.exit_code == 0, result.output
    for name in ("format", "correct", "boom", "t_keyword", "format>=1"):
        assert name in result.stdout
    as_json = CliRunner().invoke(cli, ["reward", "check", str(files["spec"]), "--json"])
    summary = json.loads(as_json.stdout)
    assert [d["name"] for d in summary["dimensions"]] == ["format", "correct", "boom"]
    assert summary["dimensions"][1]["params"] == {"word": "84"}


def test_check_invalid_spec_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_spec(tmp_path / "bad.json", {"name": "a", "kind": "t_keyword", "params": {"wrd": "x"}})
    with pytest.raises(SystemExit) as info:
        main(["reward", "check", str(bad)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "dimensions[0].params.word: Field required" in err
    assert "dimensions[0].params.wrd: Extra inputs are not permitted" in err


def test_score_json_equals_lambda_handler(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(cli, score_args(files, "--json"))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)  # stdout is exactly one JSON document
    # the same samples, straight through the Lambda entry point
    dataset = [json.loads(line) for line in files["dataset"].read_text().splitlines()]
    by_id = {"q1": dataset[0], "1": dataset[1], "7": dataset[2]}
    event = []
    for line in files["responses"].read_text().splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        record = by_id[str(entry["id"])]
        event.append({
            "id": str(entry["id"]),
            "messages": [*record["messages"], {"role": "assistant", "content": entry["response"]}],
            "metadata": {k: v for k, v in record.items() if k != "messages"},
        })  # fmt: skip
    monkeypatch.setenv("REWARD_SPEC", str(files["spec"]))
    handler.reset_spec_cache()
    try:
        expected = handler.lambda_handler(event, None)
    finally:
        handler.reset_spec_cache()
    assert printed == expected
    assert [item["id"] for item in printed] == ["q1", "q1", "q1", "1", "7"]
    assert [item["aggregate_reward_score"] for item in printed] == [1.0, 0.0, 0.0, 0.5, 0.0]


def test_score_json_batches_give_the_same_result(files: dict[str, Path]) -> None:
    whole = CliRunner().invoke(cli, score_args(files, "--json"))
    batched = CliRunner().invoke(cli, score_args(files, "--json", "--batch-size", "2"))
    assert json.loads(whole.stdout) == json.loads(batched.stdout)


def test_score_prints_distributions(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(cli, score_args(files))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "cli-test: 5 responses, score range [0, 1]" in out
    for row in ("aggregate", "format", "correct", "boom"):
        assert row in out
    assert "error: 1" in out and "guard.empty: 1" in out
    assert "_aws" not in out  # no EMF on stdout


@pytest.mark.parametrize(
    ("responses", "dataset", "fragment"),
    [
        ('{"id": "nope", "response": "x"}\n', None, "responses.jsonl:1: id 'nope' is not in the dataset"),
        ('{"id": "q1", "response": "x"}\n{oops\n', None, "responses.jsonl:2: not valid JSON"),
        ('{"id": "q1", "response": 3}\n', None, "responses.jsonl:1: `response` must be a string"),
        ('{"response": "x"}\n', None, "responses.jsonl:1: `id` is missing"),
        ("\n", None, "responses.jsonl: no responses"),
        (
            '{"id": "q1", "response": "x"}\n',
            '{"id": "q1", "messages": []}\n{"id": "q1", "messages": []}\n',
            "data.jsonl:2: duplicate id 'q1' (first on line 1)",
        ),
        ('{"id": "q1", "response": "x"}\n', '{"id": "q1"}\n', "data.jsonl:1: `messages` must be a list"),
    ],
)
def test_score_input_errors_name_file_and_line(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    responses: str,
    dataset: str | None,
    fragment: str,
) -> None:
    files["responses"].write_text(responses, encoding="utf-8")
    if dataset is not None:
        files["dataset"].write_text(dataset, encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(score_args(files))
    assert info.value.code == 3
    assert fragment in capsys.readouterr().err


def test_score_missing_file(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    files["responses"].unlink()
    with pytest.raises(SystemExit) as info:
        main(score_args(files))
    assert info.value.code == 3
    assert "responses.jsonl: cannot read" in capsys.readouterr().err


def test_histogram() -> None:
    assert histogram([], 0, 1) == ""
    line = histogram([0.0, 0.0, 1.0], 0, 1, bins=4)
    assert line == "█··▄"
