"""Score candidate responses locally, through the same handler code the Lambda runs.

Inputs: a Nova RFT dataset (JSONL records with `messages`, `reference_answer`, extra fields such as
`id`) and a responses file (JSONL `{"id": ..., "response": "..."}`). Each response is matched to the
dataset record with the same `id` (a record without `id` is matched by its 0-based line number, as
a string); several responses may share an id (several rollouts of one prompt). Every response
becomes one Bedrock-shaped sample: the record's messages plus the response as the assistant turn,
and the record's other fields in `metadata` (where Bedrock delivers them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nova_rewards import jsonsafe
from nova_rewards.errors import LocalScoringError

__all__ = ["ResponseLine", "read_jsonl", "load_dataset_index", "load_responses", "build_samples"]


@dataclass(frozen=True, slots=True)
class ResponseLine:
    """One candidate response and where it came from (for error messages)."""

    line: int
    id: str
    response: str


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(1-based line number, parsed object) per non-blank line; errors name file:line.

    Lines are read as bytes and decoded one by one, so a binary or Latin-1 file is reported at its
    line; NaN/Infinity (a NaN reference would match the answer "nan"), nesting deeper than 64 levels
    and 5,000-digit numbers are refused (`nova_rewards.jsonsafe.loads`).
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise LocalScoringError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield number, jsonsafe.loads(raw)
            except UnicodeDecodeError as exc:
                raise LocalScoringError(
                    f"{path}:{number}: not UTF-8 ({exc.reason} at byte {exc.start} of the line): "
                    "save the file as UTF-8"
                ) from None
            except json.JSONDecodeError as exc:
                raise LocalScoringError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
            except ValueError as exc:
                raise LocalScoringError(f"{path}:{number}: {exc}") from None


def _id_text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def load_dataset_index(path: Path) -> dict[str, dict[str, Any]]:
    """Dataset records by id (`id` field, else the 0-based line number as a string)."""
    records: dict[str, dict[str, Any]] = {}
    where: dict[str, int] = {}
    for number, record in read_jsonl(path):
        if not isinstance(record, dict):
            raise LocalScoringError(f"{path}:{number}: a dataset record must be a JSON object")
        messages = record.get("messages")
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise LocalScoringError(f"{path}:{number}: `messages` must be a list of message objects")
        if "id" in record:
            key = _id_text(record["id"])
            if key is None:
                raise LocalScoringError(f"{path}:{number}: `id` must be a non-empty string or an integer")
        else:
            key = str(number - 1)
        if key in records:
            raise LocalScoringError(f"{path}:{number}: duplicate id {key!r} (first on line {where[key]})")
        records[key] = record
        where[key] = number
    if not records:
        raise LocalScoringError(f"{path}: no records")
    return records


def load_responses(path: Path) -> list[ResponseLine]:
    """Every candidate response, in file order."""
    lines: list[ResponseLine] = []
    for number, entry in read_jsonl(path):
        if not isinstance(entry, dict):
            raise LocalScoringError(f"{path}:{number}: a response line must be a JSON object")
        key = _id_text(entry.get("id"))
        if key is None:
            raise LocalScoringError(f"{path}:{number}: `id` is missing or not a string/integer")
        response = entry.get("response")
        if not isinstance(response, str):
            raise LocalScoringError(f"{path}:{number}: `response` must be a string")
        lines.append(ResponseLine(number, key, response))
    if not lines:
        raise LocalScoringError(f"{path}: no responses")
    return lines


def build_samples(
    dataset: dict[str, dict[str, Any]], responses: list[ResponseLine], responses_path: Path
) -> list[dict[str, Any]]:
    """Bedrock-shaped samples, one per response, in response order."""
    samples = []
    for line in responses:
        record = dataset.get(line.id)
        if record is None:
            raise LocalScoringError(f"{responses_path}:{line.line}: id {line.id!r} is not in the dataset")
        metadata = {key: value for key, value in record.items() if key != "messages"}
        samples.append(
            {
                "id": line.id,
                "messages": [*record["messages"], {"role": "assistant", "content": line.response}],
                "metadata": metadata,
            }
        )
    return samples
