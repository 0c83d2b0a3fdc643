"""Bad input to `orch` gets one line naming the file (and line) and what to do: never a traceback, never
a silently wrong answer (issue 14, item 6). `run_orch` re-raises any exception that is not an
`OrchError`, so a traceback fails these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.orchestrator.orch_helpers import record, run_orch

ROOT = Path(__file__).resolve().parents[3]
MATH_SPEC = ROOT / "functions" / "nova_rewards" / "specs" / "math.json"
BINARY = b"\x89PNG\xff\xfe" + bytes(range(256)) * 4  # a binary file: not UTF-8 from its first line


def one_error_line(run) -> str:  # type: ignore[no-untyped-def]
    assert run.exit_code != 0
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert "Traceback" not in run.stderr
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, run.stderr
    return errors[0]


def dataset(path: Path, count: int = 3, **extra: object) -> Path:
    path.write_text("".join(json.dumps(record(i, **extra)) + "\n" for i in range(count)), encoding="utf-8")
    return path


def responses(path: Path, count: int = 3) -> Path:
    lines = [json.dumps({"id": f"math-{i}", "response": f"{i * 3}"}) for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def score(spec: Path | str, data: Path, answers: Path):  # type: ignore[no-untyped-def]
    return run_orch(
        ["reward", "score", "--spec", str(spec), "--dataset", str(data), "--responses", str(answers)]
    )


# -- specs --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (BINARY, "not UTF-8 text"),
        (b"[" * 100_000, "nested more than"),
        (b'{"name": "x", "chunk_size": ' + b"9" * 5000 + b', "dimensions": []}', "5000 digits"),
        (b'{"name": "x", "score_range": [0, NaN], "dimensions": []}', "NaN"),
    ],
    ids=["binary", "100k-brackets", "5000-digits", "nan"],
)
def test_unreadable_spec_is_one_line(tmp_path: Path, content: bytes, fragment: str) -> None:
    spec = tmp_path / "spec.json"
    spec.write_bytes(content)
    line = one_error_line(run_orch(["reward", "check", str(spec)]))
    assert str(spec) in line and fragment in line


def test_spec_path_that_is_a_directory_is_named_as_such(tmp_path: Path) -> None:
    folder = tmp_path / "spec.json"
    folder.mkdir()
    line = one_error_line(run_orch(["reward", "check", str(folder)]))
    assert "is a directory" in line and "not found" not in line


def test_absurd_weights_are_refused_not_scored_zero(tmp_path: Path) -> None:
    spec = json.loads(MATH_SPEC.read_text(encoding="utf-8"))
    for dimension in spec["dimensions"]:
        dimension["weight"] = 1e308
    path = tmp_path / "weights.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    run = run_orch(["reward", "check", str(path)])
    assert run.exit_code != 0 and "Traceback" not in run.stderr
    assert "weight" in run.stderr and "1000000" in run.stderr


# -- datasets and responses ---------------------------------------------------------------------------
def test_binary_dataset_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_bytes(BINARY)
    line = one_error_line(score("math", data, responses(tmp_path / "r.jsonl")))
    assert f"{data}:1: not UTF-8" in line


def test_latin1_dataset_is_one_line_at_its_line(tmp_path: Path) -> None:
    data = dataset(tmp_path / "data.jsonl")
    with data.open("ab") as handle:
        handle.write(json.dumps(record(9, note="café"), ensure_ascii=False).encode("latin-1") + b"\n")
    line = one_error_line(score("math", data, responses(tmp_path / "r.jsonl")))
    assert f"{data}:4: not UTF-8" in line and "UTF-8" in line


def test_binary_responses_file_is_one_line(tmp_path: Path) -> None:
    answers = tmp_path / "r.jsonl"
    answers.write_bytes(BINARY)
    line = one_error_line(score("math", dataset(tmp_path / "data.jsonl"), answers))
    assert f"{answers}:1: not UTF-8" in line


def test_deeply_nested_dataset_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text("[" * 100_000 + "\n", encoding="utf-8")
    line = one_error_line(score("math", data, responses(tmp_path / "r.jsonl")))
    assert f"{data}:1:" in line and "nested more than" in line
    report = run_orch(["validate-dataset", str(data), "--json"])
    assert report.exit_code != 0 and "Traceback" not in report.stderr


def test_nan_reference_is_refused_not_matched_by_the_answer_nan(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    rows = [json.dumps(record(i)) for i in range(3)]
    rows[1] = rows[1].replace('"reference_answer": {"final_answer": "3"}', '"reference_answer": NaN')
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert "NaN" in data.read_text(encoding="utf-8")
    answers = tmp_path / "r.jsonl"
    answers.write_text(json.dumps({"id": "math-1", "response": "nan"}) + "\n", encoding="utf-8")
    line = one_error_line(score("math", data, answers))
    assert f"{data}:2:" in line and "NaN" in line
    report = run_orch(["validate-dataset", str(data), "--min-records", "1", "--json"])
    assert report.exit_code != 0


def test_deeply_nested_hyperparameters_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "hp.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    run = run_orch(
        [
            "start-job",
            "--dataset",
            "s3://bucket-name/train.jsonl",
            "--reward-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:grader",
            "--role-arn",
            "arn:aws:iam::123456789012:role/rft",
            "--bucket",
            "bucket-name",
            "--hyperparameters",
            str(path),
            "--dry-run",
        ]
    )
    line = one_error_line(run)
    assert f"--hyperparameters {path}: not valid JSON" in line
