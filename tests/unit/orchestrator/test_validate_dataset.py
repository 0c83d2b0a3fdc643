"""Nova RFT dataset validation: rules, line numbers, field names and statistics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.datasets.stats import FingerprintTable, LengthHistogram
from orchestrator.datasets.validation import (
    CHARS_PER_TOKEN,
    validate_dataset_file,
    validate_dataset_lines,
)

REPO_ROOT = Path(__file__).resolve().parents[3]


def record(index: int, **overrides: object) -> dict:
    base = {
        "messages": [
            {"role": "system", "content": "You are a careful math tutor."},
            {"role": "user", "content": f"What is {index} + {index}?"},
        ],
        "reference_answer": {"final_answer": str(2 * index)},
        "id": f"r{index}",
    }
    base.update(overrides)
    return base


def lines_of(records: list[dict]) -> list[str]:
    return [json.dumps(r) + "\n" for r in records]


def valid_lines(count: int = 100) -> list[str]:
    return lines_of([record(i) for i in range(count)])


def with_line(count: int, position: int, text: str) -> list[str]:
    """`count` valid lines without `id` (as `text` has none) with line `position` (1-based) replaced."""
    lines = lines_of([{k: v for k, v in record(i).items() if k != "id"} for i in range(count)])
    lines[position - 1] = text + "\n"
    return lines


def only_error(report) -> tuple[int | None, str, str]:
    assert report.error_count == 1, report.errors
    issue = report.errors[0]
    return issue.line, issue.field, issue.message


def test_valid_dataset_passes_with_stats() -> None:
    report = validate_dataset_lines(valid_lines(120), source="math.jsonl")
    assert report.ok, report.errors
    stats = report.stats
    assert stats["records"] == 120
    assert stats["valid_records"] == 120
    assert stats["duplicates"] == 0
    assert stats["fields_seen"] == {"id": 120, "messages": 120, "reference_answer": 120}
    assert stats["reference_answer_types"] == {"object": 120}
    lengths = [len("You are a careful math tutor.") + len(f"What is {i} + {i}?") for i in range(120)]
    assert stats["prompt_chars"]["min"] == min(lengths)
    assert stats["prompt_chars"]["max"] == max(lengths)
    assert stats["prompt_chars"]["mean"] == round(sum(lengths) / 120, 1)
    assert stats["prompt_tokens_estimate"]["estimate"] is True
    assert report.summary() == "math.jsonl: valid (120 records)"


@pytest.mark.parametrize(
    ("bad", "field", "fragment"),
    [
        # not an object
        ("[1, 2]", "", "expected a JSON object, got array"),
        # broken JSON
        ('{"messages": [', "", "not valid JSON: Expecting value at column 15"),  # not "line 1"
        # messages missing
        ('{"reference_answer": "1"}', "messages", "missing"),
        # messages empty
        ('{"messages": [], "reference_answer": "1"}', "messages", "non-empty list"),
        # no reference answer
        ('{"messages": [{"role": "user", "content": "hi"}]}', "reference_answer", "missing"),
        # SFT field
        (
            '{"schemaVersion": "bedrock-conversation-2024", '
            '"messages": [{"role": "user", "content": "hi"}], "reference_answer": "1"}',
            "schemaVersion",
            "not allowed",
        ),
        # empty content
        (
            '{"messages": [{"role": "user", "content": "  "}], "reference_answer": "1"}',
            "messages[0].content",
            "empty",
        ),
        # unknown role
        (
            '{"messages": [{"role": "user", "content": "q"}, {"role": "robot", "content": "x"}], '
            '"reference_answer": "1"}',
            "messages[1].role",
            'got "robot"',
        ),
        # system not first
        (
            '{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "b"}, '
            '{"role": "user", "content": "c"}], "reference_answer": "1"}',
            "messages[1].role",
            "only as the first message",
        ),
        # ends with an assistant turn
        (
            '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], '
            '"reference_answer": "1"}',
            "messages[1].role",
            "last message must be a user or tool turn",
        ),
        # image part
        (
            '{"messages": [{"role": "user", "content": [{"text": "look"}, {"image": {"format": "png"}}]}], '
            '"reference_answer": "1"}',
            "messages[0].content[1]",
            "text only",
        ),
        # OpenAI-style image_url part
        (
            '{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}], '
            '"reference_answer": "1"}',
            "messages[0].content[0]",
            "text only",
        ),
        # document part
        (
            '{"messages": [{"role": "user", "content": [{"document": {}}]}], "reference_answer": "1"}',
            "messages[0].content[0]",
            "not supported",
        ),
        # empty text part
        (
            '{"messages": [{"role": "user", "content": [{"text": ""}]}], "reference_answer": "1"}',
            "messages[0].content[0].text",
            "empty",
        ),
        # content of the wrong type
        (
            '{"messages": [{"role": "user", "content": 5}], "reference_answer": "1"}',
            "messages[0].content",
            "number",
        ),
        # content missing
        ('{"messages": [{"role": "user"}], "reference_answer": "1"}', "messages[0].content", "missing"),
    ],
)
def test_each_rule_names_line_and_field(bad: str, field: str, fragment: str) -> None:
    report = validate_dataset_lines(with_line(100, 37, bad))
    line, got_field, message = only_error(report)
    assert line == 37
    assert got_field == field
    assert fragment in message
    assert str(report.errors[0]).startswith("line 37: ")


def test_text_parts_and_assistant_history_are_accepted() -> None:
    rec = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Q1"}, {"text": "more"}]},
            {"role": "assistant", "content": "A1"},
            {"role": "user", "content": "Q2"},
        ],
        "reference_answer": "x",
    }
    report = validate_dataset_lines(with_line(100, 1, json.dumps(rec)))
    assert report.ok, report.errors


def test_blank_line_is_an_error_with_its_line_number() -> None:
    lines = valid_lines(100)
    lines.insert(10, "\n")
    report = validate_dataset_lines(lines)
    assert only_error(report)[0] == 11
    assert "blank line" in report.errors[0].message
    assert report.stats["blank_lines"] == 1


def test_final_newline_is_not_a_blank_line_and_bytes_work() -> None:
    data = "".join(valid_lines(100)).encode()
    report = validate_dataset_lines(data.splitlines(keepends=True))
    assert report.ok, report.errors
    assert report.stats["bytes"] == len(data) - 100  # newlines are not counted


def test_invalid_utf8_is_reported() -> None:
    lines = [line.encode() for line in valid_lines(100)]
    lines[4] = b'{"messages": "\xff"}\n'
    line, _, message = only_error(validate_dataset_lines(lines))
    assert line == 5
    assert "UTF-8" in message


def test_record_count_limits() -> None:
    few = validate_dataset_lines(valid_lines(99))
    assert only_error(few) == (None, "", "99 records; Nova RFT needs at least 100")
    many = validate_dataset_lines(valid_lines(12), min_records=1, max_records=10)
    assert only_error(many) == (None, "", "12 records; Nova RFT accepts at most 10")


def test_duplicates_are_warnings_with_the_first_line() -> None:
    lines = valid_lines(100)
    lines[50] = lines[3].replace('"id": "r3"', '"id": "other"')
    report = validate_dataset_lines(lines)
    assert report.ok
    assert report.stats["duplicates"] == 1
    assert [str(w) for w in report.warnings] == [
        "line 51: messages: same messages as line 4 (duplicate prompt)"
    ]


def test_duplicates_ignore_key_order() -> None:
    first = {"id": "a", "messages": [{"role": "user", "content": "same"}], "reference_answer": "1"}
    second = {"reference_answer": "2", "messages": [{"content": "same", "role": "user"}], "id": "b"}
    lines = valid_lines(100) + [json.dumps(first) + "\n", json.dumps(second) + "\n"]
    assert validate_dataset_lines(lines).stats["duplicates"] == 1


def test_prompt_length_limit_is_an_estimate_in_tokens() -> None:
    long_prompt = "x" * (CHARS_PER_TOKEN * 50 + 1)  # 51 estimated tokens
    rec = {"messages": [{"role": "user", "content": long_prompt}], "reference_answer": "1"}
    lines = with_line(100, 8, json.dumps(rec))
    assert validate_dataset_lines(lines).ok
    report = validate_dataset_lines(lines, max_prompt_length=50)
    line, field, message = only_error(report)
    assert (line, field) == (8, "messages")
    assert "~51 tokens" in message and "ESTIMATE" in message
    assert report.stats["prompts_over_max_length"] == 1
    with pytest.raises(ValueError):
        validate_dataset_lines(lines, max_prompt_length=0)


def test_errors_are_capped_but_counted() -> None:
    lines = ["{}\n"] * 150
    report = validate_dataset_lines(lines, max_issues=5)
    assert report.error_count == 300  # messages + reference_answer per line
    assert len(report.errors) == 5
    payload = report.to_dict()
    assert payload["errors_truncated"] is True
    assert payload["valid"] is False
    assert payload["errors"][0] == {
        "line": 1,
        "field": "reference_answer",
        "message": "missing [kit: the graders score against it; AWS's validator makes it optional]",
    }
    json.dumps(payload)  # JSON-serialisable


def test_empty_reference_answer_is_an_error_as_in_aws_validator() -> None:
    for empty in (None, "", "  ", {}):
        line = json.dumps({k: v for k, v in record(500, reference_answer=empty).items() if k != "id"})
        _, field, message = only_error(validate_dataset_lines(with_line(100, 2, line)))
        assert field == "reference_answer" and "[AWS: RFTDatasetValidator]" in message


def test_bom_is_tolerated_with_a_warning() -> None:
    lines = valid_lines(100)
    lines[0] = "\ufeff" + lines[0]
    report = validate_dataset_lines(lines)
    assert report.ok
    assert "byte order mark" in report.warnings[0].message


def test_file_variant_uses_path_as_source(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(valid_lines(100)))
    report = validate_dataset_file(path)
    assert report.ok
    assert report.source == str(path)
    with pytest.raises(OSError):
        validate_dataset_file(tmp_path / "missing.jsonl")


def test_histogram_percentiles_exact_below_4096_and_close_above() -> None:
    hist = LengthHistogram()
    for value in range(1, 1001):
        hist.add(value)
    assert hist.summary() == {"min": 1, "mean": 500.5, "p50": 500, "p95": 950, "max": 1000}
    big = LengthHistogram()
    for value in range(10_000, 110_000, 100):
        big.add(value)
    p50 = big.percentile(50)
    assert p50 is not None and abs(p50 - 59_900) / 59_900 < 0.01


def test_fingerprint_table_is_bounded() -> None:
    table = FingerprintTable(capacity=3)
    assert [table.add(fp, line) for line, fp in enumerate([11, 22, 11, 33, 44], start=1)] == [0, 0, 1, 0, -1]
    assert table.add(44, 9) == -1  # full: never tracked, never reported as duplicate


def test_validation_module_is_stdlib_only() -> None:
    """The Bedrock emulator imports it inside LocalStack's Python, which lacks click/rich/pydantic."""
    code = (
        "import sys, orchestrator.datasets.validation as v;"
        "bad = {'click', 'rich', 'pydantic', 'boto3', 'botocore'} & set(sys.modules);"
        "print(sorted(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT, timeout=60
    )
    assert out.stdout.strip() == "[]"


# -- robustness (hypothesis) -----------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
MESSAGE_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "role": st.sampled_from(["system", "user", "assistant", "tool", ""]) | JSON_VALUES,
        "content": st.text(max_size=30)
        | st.lists(st.fixed_dictionaries({"text": st.text(max_size=10)}))
        | JSON_VALUES,
    },
)
RECORD_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "messages": st.lists(MESSAGE_LIKE, max_size=4) | JSON_VALUES,
        "reference_answer": JSON_VALUES,
        "schemaVersion": st.text(max_size=5),
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(RECORD_LIKE.map(json.dumps) | st.binary(max_size=40) | st.text(max_size=40), max_size=30))
def test_any_input_gives_a_report_never_an_exception(lines: list) -> None:
    report = validate_dataset_lines(lines, min_records=0)
    payload = report.to_dict()
    json.dumps(payload)
    assert payload["error_count"] >= len(payload["errors"])
    assert all(issue["line"] is None or 1 <= issue["line"] <= len(lines) for issue in payload["errors"])
    assert report.stats["valid_records"] <= report.stats["records"] <= len(lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=4095), min_size=1, max_size=300), st.integers(1, 100))
def test_percentiles_are_exact_below_4096(values: list[int], pct: int) -> None:
    hist = LengthHistogram()
    for value in values:
        hist.add(value)
    ordered = sorted(values)
    rank = max(1, -(-pct * len(values) // 100))  # nearest rank, ceil(pct/100 * n)
    assert hist.percentile(pct) == ordered[rank - 1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=4096, max_value=10**12), min_size=1, max_size=200), st.integers(1, 100))
def test_percentiles_are_within_one_percent_above(values: list[int], pct: int) -> None:
    hist = LengthHistogram()
    for value in values:
        hist.add(value)
    ordered = sorted(values)
    rank = max(1, -(-pct * len(values) // 100))
    got = hist.percentile(pct)
    assert got is not None
    assert abs(got - ordered[rank - 1]) <= 0.008 * ordered[rank - 1]


def test_overlong_lines_are_reported_without_loading_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestrator.datasets.validation as validation

    monkeypatch.setattr(validation, "MAX_LINE_BYTES", 500)
    lines = valid_lines(101)
    long_record = json.dumps(record(999, notes="n" * 2000))
    lines[6] = long_record + "\n"
    path = tmp_path / "d.jsonl"
    path.write_text("".join(lines))
    report = validate_dataset_file(path)
    line, field, message = only_error(report)
    assert (line, field) == (7, "")
    assert f"line is {len(long_record) + 1:,} bytes" in message
    assert report.stats["records"] == 101
    assert report.stats["bytes"] == path.stat().st_size - 100  # newlines of normal lines not counted


def test_bounded_lines_splits_like_readline() -> None:
    import io

    from orchestrator.datasets.validation import OverlongLine, _bounded_lines

    data = b"short\n" + b"x" * 25 + b"\n" + b"tail-no-newline"
    assert list(_bounded_lines(io.BytesIO(data), limit=10)) == [
        b"short\n",
        OverlongLine(26),
        OverlongLine(15),
    ]
    assert list(_bounded_lines(io.BytesIO(b"0123456789\n"), limit=10)) == [b"0123456789\n"]
