"""The user's own rollouts: sampled responses per prompt id, rehearsed as a policy strategy.

Format (JSONL, one object per line), either of:

    {"id": "<prompt id>", "responses": ["<response text>", ...]}   several responses of one prompt
    {"id": "<prompt id>", "response": "<response text>", ...}      one sample, as `orch baseline` writes

Lines of one id add up, so a baseline's rollouts file (one line per sample, extra fields ignored) is
used as it is.

`id` is the training record's `id` field; records without one are named by their 1-based line number
in the training file ("17"). Named per job by the tag `nova-rft-emulator:rollouts` = an s3:// URI.
Bad input fails the job with a message naming the file, the line and what to fix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

ROLLOUTS_TAG = "nova-rft-emulator:rollouts"


class RolloutsError(ValueError):
    """The rollouts file is unusable; the message names the file and line."""


def prompt_key(record: Mapping[str, Any], index: int) -> str:
    """The prompt id a rollout refers to: the record's `id`, else its 1-based line number."""
    value = record.get("id")
    return str(value) if value is not None and value != "" else str(index + 1)


def parse_rollouts(text: str, source: str, known_ids: Sequence[str]) -> dict[str, list[str]]:
    """{prompt id: responses}; RolloutsError for a broken line, a bad field or an unknown id."""
    known = set(known_ids)
    rollouts: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            item = json.loads(line)
        except ValueError as exc:  # JSONDecodeError, or an integer past the digit limit
            raise RolloutsError(f"{where}: not valid JSON ({_json_error(exc)}); expected {_FORMAT}") from None
        if not isinstance(item, dict) or "id" not in item:
            raise RolloutsError(f"{where}: expected {_FORMAT}")
        key, responses = str(item["id"]), _responses_of(item, where)
        if key not in known:
            raise RolloutsError(
                f"{where}: field 'id' {key!r} names no record of the training dataset "
                "(use the record's 'id' field, or its 1-based line number when it has none)"
            )
        rollouts.setdefault(key, []).extend(responses)
    if not rollouts:
        raise RolloutsError(f"{source}: no rollouts; expected one {_FORMAT} per line")
    return rollouts


def _responses_of(item: Mapping[str, Any], where: str) -> list[str]:
    if "responses" in item:
        responses = item["responses"]
        if not isinstance(responses, list) or not responses or not all(isinstance(r, str) for r in responses):
            raise RolloutsError(f"{where}: field 'responses' must be a non-empty list of strings")
        return responses
    if isinstance(item.get("response"), str):
        return [item["response"]]
    raise RolloutsError(f"{where}: expected {_FORMAT}")


_FORMAT = '{"id": <prompt id>, "responses": ["...", ...]} or {"id": <prompt id>, "response": "..."}'


def _json_error(exc: ValueError) -> str:
    """What `json.loads` objected to (a JSONDecodeError's message lacks the position `str` adds)."""
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
