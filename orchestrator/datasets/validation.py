"""Validate a Nova RFT dataset (JSONL) in one streaming pass. STDLIB ONLY.

This module also runs inside LocalStack's own Python (the Bedrock emulator reuses it), which has no
click, rich or pydantic: keep it free of third-party imports.

Rules (docs/orch.md). Each message names its source: "[AWS]" rules are those of AWS's own dataset
validator, `RFTDatasetValidator` of the Nova customization SDK (PyPI `amzn-nova-forge` 1.4.10,
amzn_nova_forge/dataset/dataset_validator/rft_dataset_validator.py and dataset_validator.py); "[kit]"
rules are this kit's, stricter because its graders need them; "[Bedrock]" the Nova RFT reference.
- one JSON object per line; a blank line is an error (with its line number); no NaN/Infinity and no
  nesting deeper than 64 levels [kit];
- `messages` [AWS]: a non-empty list of objects with only `role`, `content`, `tool_calls`,
  `tool_call_id`; roles `system`, `developer` (AWS reads it as system), `user`, `assistant`, `tool`,
  `bot`; a system (or developer) message only first; at least one `user` message; content, if given,
  a non-empty string or list; `tool_calls` a list, `tool_call_id` a string;
- the last message is a `user` or `tool` turn (the model writes the answer) [kit]; every message other
  than an assistant turn with `tool_calls` has content [kit];
- content is text only: a non-empty string, or a non-empty list of `{"text": "..."}` parts (an
  optional `"type": "text"` is accepted); image, document and video parts are rejected [Bedrock];
- `id` [AWS]: optional, a non-empty string; `tools` [AWS]: optional, a non-empty list of
  `{"type": "function", "function": {name, description, parameters: {type: "object", properties}}}`
  with distinct names; `id`, `reference_answer` and `tools` are in every record or in none [AWS];
- `reference_answer`: a non-empty string or object [AWS] (numbers, lists, null, "" are refused), and
  present in every record [kit: the bundled graders score against it]; `schemaVersion` (Nova SFT) is
  not allowed [kit];
- between `min_records` (100) and `max_records` (20,000) records [AWS, Bedrock];
- optional prompt-length limit in TOKENS (the unit of the `maxPromptLength` hyperparameter).
  Bedrock counts tokens with the model's tokenizer, which is not available here: the length is
  estimated as characters / 4 and every message about it says it is an estimate.

Duplicated prompts (equal `messages`) are reported as warnings and counted in the statistics.
Memory stays flat in the file size: see `orchestrator.datasets.stats`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from orchestrator.datasets.stats import FingerprintTable, LengthHistogram, fingerprint
from orchestrator.errors import ConfigError, DatasetError

MIN_RECORDS = 100
MAX_RECORDS = 20_000
CHARS_PER_TOKEN = 4
DEFAULT_MAX_ISSUES = 50
MAX_FIELDS_TRACKED = 200
MAX_LINE_BYTES = 16 * 1024 * 1024  # a longer line is reported, never loaded (memory stays bounded)
# [AWS] RFTMessage.validate_role; "developer" is read as "system" there.
ROLES = ("system", "developer", "user", "assistant", "tool", "bot")
SYSTEM_ROLES = ("system", "developer")
PROMPT_END_ROLES = ("user", "tool")  # [kit] the model answers a user turn or a tool result
MESSAGE_KEYS = frozenset({"role", "content", "tool_calls", "tool_call_id"})  # [AWS] extra="forbid"
# [AWS] in every record or in none (AWS's list has reference_answer too: [kit] requires it everywhere)
OPTIONAL_FIELDS = ("id", "tools")
MAX_DEPTH = 64
NON_TEXT_PART_KEYS = ("image", "image_url", "document", "video", "audio", "input_audio", "file")


@dataclass(frozen=True)
class OverlongLine:
    """Stands for a line of a file that was too long to load; only its size is known."""

    size: int


@dataclass(frozen=True)
class Issue:
    """One problem found in the dataset. `line` is 1-based; None for whole-file problems."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "dataset"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class ValidationReport:
    """Outcome of a validation: capped lists of errors and warnings with their totals, and stats."""

    source: str
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    max_issues: int = DEFAULT_MAX_ISSUES

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, line: int | None, field_name: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < self.max_issues:
            self.errors.append(Issue(line, field_name, message))

    def add_warning(self, line: int | None, field_name: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < self.max_issues:
            self.warnings.append(Issue(line, field_name, message))

    def summary(self) -> str:
        """One line, e.g. for an exception message: counts and the first error."""
        if self.ok:
            return f"{self.source}: valid ({self.stats.get('records', 0)} records)"
        first = self.errors[0] if self.errors else None
        plural = "s" if self.error_count != 1 else ""
        return f"{self.source}: {self.error_count} error{plural}; first: {first}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "valid": self.ok,
            "error_count": self.error_count,
            "errors": [issue.to_dict() for issue in self.errors],
            "errors_truncated": self.error_count > len(self.errors),
            "warning_count": self.warning_count,
            "warnings": [issue.to_dict() for issue in self.warnings],
            "warnings_truncated": self.warning_count > len(self.warnings),
            "stats": self.stats,
        }


def estimate_tokens(chars: int) -> int:
    """Rough token count (~4 characters per token); Bedrock's tokenizer is not available offline."""
    return math.ceil(chars / CHARS_PER_TOKEN)


class _Validator:
    """State of one streaming pass. Nothing here grows with the number of records."""

    def __init__(
        self,
        source: str,
        max_prompt_length: int | None,
        min_records: int,
        max_records: int,
        max_issues: int,
        prompt_length_is_error: bool = True,
    ) -> None:
        self.report = ValidationReport(source=source, max_issues=max_issues)
        self.max_prompt_length = max_prompt_length
        self.prompt_length_is_error = prompt_length_is_error
        self.min_records = min_records
        self.max_records = max_records
        self.prompt_chars = LengthHistogram()
        self.turns = LengthHistogram()
        self.seen = FingerprintTable(max_records)
        self.records = 0
        self.valid_records = 0
        self.blank_lines = 0
        self.byte_count = 0
        self.duplicates = 0
        self.duplicates_untracked = 0
        self.over_limit = 0
        self.fields: dict[str, int] = {}
        self.answer_types: dict[str, int] = {}
        # [AWS] optional fields: line of the first record with / without each one
        self.first_with: dict[str, int] = {}
        self.first_without: dict[str, int] = {}

    # -- per line -------------------------------------------------------------------------------
    def feed(self, line_number: int, raw: str | bytes | OverlongLine) -> None:
        if isinstance(raw, OverlongLine):
            self.records += 1
            self.byte_count += raw.size
            self.report.add_error(
                line_number, "", f"line is {raw.size:,} bytes, over the line length limit (not parsed)"
            )
            return
        text = self._decode(line_number, raw)
        if text is None:
            return
        if not text.strip():
            self.blank_lines += 1
            self.report.add_error(line_number, "", "blank line (every line must be one JSON object)")
            return
        self.records += 1
        try:
            record = _loads(text)
        except ValueError as exc:
            self.report.add_error(line_number, "", f"not valid JSON: {_json_problem(exc)}")
            return
        if not isinstance(record, dict):
            self.report.add_error(line_number, "", f"expected a JSON object, got {_json_type(record)}")
            return
        if self._check_record(line_number, record):
            self.valid_records += 1

    def _decode(self, line_number: int, raw: str | bytes) -> str | None:
        if isinstance(raw, bytes):
            self.byte_count += len(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.records += 1
                self.report.add_error(line_number, "", f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
                return None
        else:
            text = raw
            self.byte_count += len(text.encode("utf-8", "surrogatepass"))
        if line_number == 1 and text.startswith("\ufeff"):
            self.report.add_warning(1, "", "file starts with a UTF-8 byte order mark (ignored here)")
            text = text[1:]
        return text

    def _check_record(self, line: int, record: dict[str, Any]) -> bool:
        errors_before = self.report.error_count
        self._count_fields(record)
        if "schemaVersion" in record:
            self.report.add_error(
                line, "schemaVersion", "not allowed in Nova RFT datasets (it belongs to the SFT format)"
            )
        self._check_reference_answer(line, record)
        self._check_id(line, record)
        self._check_tools(line, record)
        self._check_consistency(line, record)
        prompt_chars = self._check_messages(line, record.get("messages"), "messages" in record)
        if prompt_chars is not None:
            self.prompt_chars.add(prompt_chars)
            self._check_prompt_length(line, prompt_chars)
            self._check_duplicate(line, record["messages"])
        return self.report.error_count == errors_before

    def _count_fields(self, record: dict[str, Any]) -> None:
        for key in record:
            if key in self.fields or len(self.fields) < MAX_FIELDS_TRACKED:
                self.fields[key] = self.fields.get(key, 0) + 1

    def _check_reference_answer(self, line: int, record: dict[str, Any]) -> None:
        if "reference_answer" not in record:
            self.report.add_error(
                line,
                "reference_answer",
                "missing [kit: the graders score against it; AWS's validator makes it optional]",
            )
            return
        answer = record["reference_answer"]
        kind = _json_type(answer)
        self.answer_types[kind] = self.answer_types.get(kind, 0) + 1
        if not isinstance(answer, str | dict):
            self.report.add_error(
                line,
                "reference_answer",
                f"must be a string or an object, got {kind} [AWS: RFTDatasetValidator]; "
                'wrap other values, e.g. {"answer": 42}',
            )
        elif not (answer.strip() if isinstance(answer, str) else answer):
            self.report.add_error(
                line, "reference_answer", f"is empty ({json.dumps(answer)}) [AWS: RFTDatasetValidator]"
            )

    def _check_id(self, line: int, record: dict[str, Any]) -> None:
        if "id" not in record:
            return
        value = record["id"]
        if not isinstance(value, str):
            self.report.add_error(
                line,
                "id",
                f'must be a string, got {_json_type(value)} [AWS: RFTDatasetValidator]; e.g. "{value}"',
            )
        elif not value.strip():
            self.report.add_error(line, "id", "is empty [AWS: RFTDatasetValidator]")

    def _check_tools(self, line: int, record: dict[str, Any]) -> None:
        if "tools" not in record:
            return
        tools = record["tools"]
        if not isinstance(tools, list) or not tools:
            self.report.add_error(line, "tools", "must be a non-empty list [AWS: RFTDatasetValidator]")
            return
        names: set[str] = set()
        for index, tool in enumerate(tools):
            problem, name = _tool_problem(tool)
            if problem:
                self.report.add_error(
                    line, f"tools[{index}]{problem[0]}", f"{problem[1]} [AWS: RFTDatasetValidator]"
                )
            elif name in names:
                self.report.add_error(
                    line,
                    f"tools[{index}].function.name",
                    f"duplicate tool name {name!r} [AWS: RFTDatasetValidator]",
                )
            names.add(name)

    def _check_consistency(self, line: int, record: dict[str, Any]) -> None:
        """[AWS] An optional field in some records must be in all of them."""
        for name in OPTIONAL_FIELDS:
            present = name in record
            seen, other = (
                (self.first_with, self.first_without) if present else (self.first_without, self.first_with)
            )
            seen.setdefault(name, line)
            if name in other and seen[name] == line:  # the first record to break the pattern
                with_line, without_line = self.first_with[name], self.first_without[name]
                self.report.add_error(
                    line,
                    name,
                    f"in some records but not all (line {with_line} has it, line {without_line} has not) "
                    "[AWS: RFTDatasetValidator, optional fields are in every record or in none]",
                )

    def _check_messages(self, line: int, messages: Any, present: bool) -> int | None:
        """Check the turns; return the prompt length in characters, or None when invalid."""
        if not present:
            self.report.add_error(line, "messages", "missing")
            return None
        if not isinstance(messages, list) or not messages:
            self.report.add_error(line, "messages", f"must be a non-empty list, got {_short(messages)}")
            return None
        total_chars = 0
        valid = True
        for index, message in enumerate(messages):
            chars = self._check_message(line, index, message)
            if chars is None:
                valid = False
            else:
                total_chars += chars
        last = messages[-1]
        if isinstance(last, dict) and last.get("role") in ROLES and last.get("role") not in PROMPT_END_ROLES:
            self.report.add_error(
                line,
                f"messages[{len(messages) - 1}].role",
                f"the last message must be a user or tool turn, got {_short(last.get('role'))} "
                "[kit: the model writes the answer]",
            )
            valid = False
        if not any(isinstance(m, dict) and m.get("role") == "user" for m in messages):
            self.report.add_error(line, "messages", "has no user message [AWS: RFTDatasetValidator]")
            valid = False
        self.turns.add(len(messages))
        return total_chars if valid else None

    def _check_message(self, line: int, index: int, message: Any) -> int | None:
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            self.report.add_error(line, where, f"must be an object, got {_json_type(message)}")
            return None
        role = message.get("role")
        extra = sorted(set(message) - MESSAGE_KEYS)
        if extra:
            self.report.add_error(
                line,
                f"{where}.{extra[0]}",
                f"unknown message key (allowed: {', '.join(sorted(MESSAGE_KEYS))}) "
                "[AWS: RFTDatasetValidator]",
            )
            return None
        if role not in ROLES:
            self.report.add_error(
                line,
                f"{where}.role",
                f"must be one of {', '.join(ROLES)}, got {_short(role)} [AWS: RFTDatasetValidator]",
            )
            return None
        if role in SYSTEM_ROLES and index != 0:
            self.report.add_error(
                line,
                f"{where}.role",
                f"a {role} message is allowed only as the first message [AWS: RFTDatasetValidator]",
            )
            return None
        if not self._check_tool_fields(line, where, message):
            return None
        if "content" not in message or message["content"] is None:
            if role == "assistant" and message.get("tool_calls"):
                return 0  # an assistant turn that only calls tools
            self.report.add_error(line, f"{where}.content", "missing [kit]")
            return None
        return self._check_content(line, f"{where}.content", message["content"])

    def _check_tool_fields(self, line: int, where: str, message: dict[str, Any]) -> bool:
        calls = message.get("tool_calls")
        if calls is not None and not isinstance(calls, list):
            self.report.add_error(
                line,
                f"{where}.tool_calls",
                f"must be a list, got {_json_type(calls)} [AWS: RFTDatasetValidator]",
            )
            return False
        call_id = message.get("tool_call_id")
        if call_id is not None and not isinstance(call_id, str):
            self.report.add_error(
                line,
                f"{where}.tool_call_id",
                f"must be a string, got {_json_type(call_id)} [AWS: RFTDatasetValidator]",
            )
            return False
        return True

    def _check_content(self, line: int, where: str, content: Any) -> int | None:
        if isinstance(content, str):
            if not content.strip():
                self.report.add_error(line, where, "is empty")
                return None
            return len(content)
        if not isinstance(content, list):
            self.report.add_error(
                line, where, f"must be a string or a list of text parts, got {_json_type(content)}"
            )
            return None
        if not content:
            self.report.add_error(line, where, "is an empty list")
            return None
        chars = 0
        for index, part in enumerate(content):
            part_chars = self._check_part(line, f"{where}[{index}]", part)
            if part_chars is None:
                return None
            chars += part_chars
        return chars

    def _check_part(self, line: int, where: str, part: Any) -> int | None:
        if not isinstance(part, dict):
            self.report.add_error(
                line, where, f'must be an object like {{"text": ...}}, got {_json_type(part)}'
            )
            return None
        media = [key for key in NON_TEXT_PART_KEYS if key in part]
        part_type = part.get("type", "text")
        if media or part_type != "text":
            kind = media[0] if media else part_type
            self.report.add_error(
                line, where, f"{_short(kind)} content is not supported (Nova RFT prompts are text only)"
            )
            return None
        text = part.get("text")
        if not isinstance(text, str):
            self.report.add_error(line, f"{where}.text", f"must be a string, got {_json_type(text)}")
            return None
        if not text.strip():
            self.report.add_error(line, f"{where}.text", "is empty")
            return None
        return len(text)

    def _check_prompt_length(self, line: int, chars: int) -> None:
        if self.max_prompt_length is None:
            return
        tokens = estimate_tokens(chars)
        if tokens > self.max_prompt_length:
            self.over_limit += 1
            add = self.report.add_error if self.prompt_length_is_error else self.report.add_warning
            add(
                line,
                "messages",
                f"prompt is ~{tokens} tokens (ESTIMATE: {chars} chars / {CHARS_PER_TOKEN}), "
                f"over the max prompt length {self.max_prompt_length}",
            )

    def _check_duplicate(self, line: int, messages: list[Any]) -> None:
        first = self.seen.add(fingerprint(messages), line)
        if first > 0:
            self.duplicates += 1
            self.report.add_warning(line, "messages", f"same messages as line {first} (duplicate prompt)")
        elif first < 0:
            self.duplicates_untracked += 1

    # -- end of file ----------------------------------------------------------------------------
    def finish(self) -> ValidationReport:
        if self.records < self.min_records:
            self.report.add_error(
                None, "", f"{self.records} records; Nova RFT needs at least {self.min_records}"
            )
        if self.records > self.max_records:
            self.report.add_error(
                None, "", f"{self.records} records; Nova RFT accepts at most {self.max_records}"
            )
        self.report.stats = self._stats()
        return self.report

    def _stats(self) -> dict[str, Any]:
        chars = self.prompt_chars.summary()
        tokens = {
            key: (estimate_tokens(value) if key != "mean" and value is not None else None)
            for key, value in chars.items()
        }
        tokens["mean"] = round(chars["mean"] / CHARS_PER_TOKEN, 1) if chars["mean"] is not None else None
        return {
            "records": self.records,
            "valid_records": self.valid_records,
            "blank_lines": self.blank_lines,
            "bytes": self.byte_count,
            "prompt_chars": chars,
            "prompt_tokens_estimate": {**tokens, "chars_per_token": CHARS_PER_TOKEN, "estimate": True},
            "prompts_over_max_length": self.over_limit,
            "max_prompt_length": self.max_prompt_length,
            "turns": self.turns.summary(),
            "duplicates": self.duplicates,
            "duplicates_not_checked": self.duplicates_untracked,
            "fields_seen": dict(sorted(self.fields.items())),
            "reference_answer_types": dict(sorted(self.answer_types.items())),
        }


def validate_dataset_lines(
    lines: Iterable[str | bytes | OverlongLine],
    *,
    source: str = "<dataset>",
    max_prompt_length: int | None = None,
    min_records: int = MIN_RECORDS,
    max_records: int = MAX_RECORDS,
    max_issues: int = DEFAULT_MAX_ISSUES,
    prompt_length_is_error: bool = True,
) -> ValidationReport:
    """Validate JSONL lines (str or bytes, with or without line endings) in one pass.

    Never raises for bad content: every problem becomes an `Issue` in the report.
    `prompt_length_is_error=False` reports prompts over `max_prompt_length` as warnings (the length
    is only an estimate; `orch start-job` uses this so an estimate never blocks a job).
    """
    if max_prompt_length is not None and max_prompt_length < 1:
        raise ValueError("max_prompt_length must be a positive number of tokens")
    validator = _Validator(
        source, max_prompt_length, min_records, max_records, max_issues, prompt_length_is_error
    )
    for line_number, raw in enumerate(_strip_line_endings(lines), start=1):
        validator.feed(line_number, raw)
    return validator.finish()


def validate_dataset_file(path: str | os.PathLike[str], **kwargs: Any) -> ValidationReport:
    """Validate a JSONL file, streaming it line by line (binary reads, so bad UTF-8 is reported).

    Raises `OSError` when the file cannot be read; content problems go into the report.
    """
    kwargs.setdefault("source", os.fspath(path))
    with open(path, "rb") as handle:
        return validate_dataset_lines(_bounded_lines(handle), **kwargs)


def _bounded_lines(handle: Any, limit: int | None = None) -> Iterator[bytes | OverlongLine]:
    """Lines of a binary file; a line longer than `limit` is skipped in chunks and yields its size."""
    limit = MAX_LINE_BYTES if limit is None else limit
    while line := handle.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while chunk := handle.readline(limit):
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
        yield OverlongLine(size)


def _strip_line_endings(lines: Iterable[str | bytes | OverlongLine]) -> Iterator[str | bytes | OverlongLine]:
    """Drop one trailing newline per line; a file's final newline does not make a blank line.

    Only `\\n` separates lines (as in `open(..., "rb")`), so a stray `\\r` inside a line is data.
    """
    for raw in lines:
        if isinstance(raw, OverlongLine):
            yield raw
        elif isinstance(raw, bytes):
            yield raw[:-1] if raw.endswith(b"\n") else raw
        else:
            yield raw[:-1] if raw.endswith("\n") else raw


def _tool_problem(tool: Any) -> tuple[tuple[str, str] | None, str]:
    """((field suffix, message) or None, tool name): [AWS] RFTTool / RFTFunction / RFTFunctionParameters."""
    if not isinstance(tool, dict) or tool.get("type") != "function":
        return ("", 'must be {"type": "function", "function": {...}}'), ""
    function = tool.get("function")
    if not isinstance(function, dict):
        return (".function", "must be an object with name, description and parameters"), ""
    name = function.get("name")
    if not isinstance(name, str) or not name.strip():
        return (".function.name", "must be a non-empty string"), ""
    description = function.get("description")
    if not isinstance(description, str) or not description.strip():
        return (".function.description", "must be a non-empty string"), name
    parameters = function.get("parameters")
    if not isinstance(parameters, dict) or parameters.get("type") != "object":
        return (".function.parameters", 'must be an object with "type": "object"'), name
    if not isinstance(parameters.get("properties"), dict):
        return (".function.parameters.properties", "must be an object"), name
    required = parameters.get("required")
    if required is not None and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        return (".function.parameters.required", "must be a list of strings"), name
    return None, name


def _json_problem(exc: ValueError) -> str:
    """The decoder's complaint with its column; its "line 1" would contradict the file line we name."""
    if isinstance(exc, json.JSONDecodeError) and exc.lineno == 1:
        return f"{exc.msg} at column {exc.colno}"
    return str(exc)


def _loads(text: str) -> Any:
    """`json.loads` that refuses NaN/Infinity, too-long integers and deep nesting with a ValueError."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_bounded_int)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep") from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (use a string, or leave the field out)")


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > 4000:
        raise ValueError(f"integer of {len(digits.lstrip('-'))} digits (at most 4000)")
    return int(digits)


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Iterative, so it cannot overflow the stack whatever the depth."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_report(path: str | os.PathLike[str], **kwargs: Any) -> ValidationReport:
    """Validate a file; an unreadable file is a ConfigError (exit 2)."""
    try:
        return validate_dataset_file(path, **kwargs)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def require_valid(
    report: ValidationReport, hint: str = " (`orch validate-dataset` lists all of them)"
) -> None:
    """DatasetError (exit 3) naming the error count and the first error, when the report has errors."""
    if not report.ok:
        raise DatasetError(report.summary() + hint)
