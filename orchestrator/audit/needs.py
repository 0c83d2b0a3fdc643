"""No silent misconfiguration: does every dimension find what it needs in every dataset record?

A dimension that cannot read its reference returns no value, and the composition then averages the
other dimensions without it: a spec whose `answer_key` is not in the references silently becomes a
format-only reward. Two checks catch that:

- before training, `check_dataset_needs` asks every dimension (`Dimension.check_record`) about every
  record and groups the gaps by dimension and need, with the first lines that lack it
  (`orch reward check SPEC --dataset FILE`);
- after scoring, `no_value_warnings` names the Reward dimensions that returned no value for more than
  half of the scored responses (`orch reward score`, the same rule as the grader's `NoValueDimensions`
  metric).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nova_rewards.compose import NO_VALUE_SHARE
from nova_rewards.dimensions.base import Sample
from nova_rewards.errors import LocalScoringError
from nova_rewards.local_scoring import read_jsonl
from nova_rewards.spec import CompiledSpec

__all__ = ["Gap", "DatasetNeeds", "check_dataset_needs", "no_value_warnings"]

_SHOWN_LINES = 5


@dataclass
class Gap:
    """Records that lack what one dimension needs."""

    dimension: str
    kind: str
    need: str
    lines: list[int] = field(default_factory=list)  # the first few (1-based line numbers)
    count: int = 0

    def describe(self, path: Path) -> str:
        shown = ", ".join(str(n) for n in self.lines)
        more = f" and {self.count - len(self.lines)} more" if self.count > len(self.lines) else ""
        return (
            f"{path}: dimension {self.dimension!r} ({self.kind}) needs {self.need}; "
            f"{self.count} record(s) lack it, lines {shown}{more}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "kind": self.kind,
            "need": self.need,
            "records": self.count,
            "first_lines": list(self.lines),
        }


@dataclass
class DatasetNeeds:
    """The outcome of checking one dataset against one spec."""

    path: Path
    records: int
    gaps: list[Gap]

    @property
    def ok(self) -> bool:
        return not self.gaps

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "records": self.records,
            "ok": self.ok,
            "gaps": [gap.as_dict() for gap in self.gaps],
        }


def _record_sample(number: int, record: Any, path: Path) -> Sample:
    if not isinstance(record, Mapping):
        raise LocalScoringError(f"{path}:{number}: a dataset record must be a JSON object")
    messages = record.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, Mapping) for m in messages):
        raise LocalScoringError(f"{path}:{number}: `messages` must be a list of message objects")
    metadata = {k: v for k, v in record.items() if k not in ("messages", "reference_answer")}
    return Sample(
        id=str(record.get("id", number - 1)),
        prompt_messages=tuple(messages),
        response="",
        reference=record.get("reference_answer"),
        metadata=metadata,
    )


def check_dataset_needs(compiled: CompiledSpec, path: Path, *, shown: int = _SHOWN_LINES) -> DatasetNeeds:
    """Ask every dimension of `compiled` about every record of the JSONL dataset at `path`."""
    gaps: dict[tuple[str, str], Gap] = {}
    records = 0
    for number, record in read_jsonl(path):
        records += 1
        sample = _record_sample(number, record, path)
        for dim in compiled.dimensions:
            try:
                need = dim.dimension.check_record(sample)
            except Exception as exc:  # a broken check is a finding, not a crash
                need = f"a readable reference (its check raised {type(exc).__name__}: {exc})"
            if need is None:
                continue
            gap = gaps.setdefault((dim.name, need), Gap(dim.name, dim.spec.kind, need))
            gap.count += 1
            if len(gap.lines) < shown:
                gap.lines.append(number)
    if records == 0:
        raise LocalScoringError(f"{path}: no records")
    return DatasetNeeds(path=path, records=records, gaps=list(gaps.values()))


def no_value_warnings(compiled: CompiledSpec, results: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per Reward dimension (weight > 0) without a value for more than half of the scored
    responses (responses that errored, timed out or were empty do not count)."""
    scored = [item for item in results if _scored(item)]
    if not scored:
        return []
    lines = []
    for dim_spec in compiled.spec.dimensions:
        if dim_spec.type != "Reward" or dim_spec.weight <= 0:
            continue
        missing = sum(1 for item in scored if dim_spec.name not in _metric_names(item))
        if missing / len(scored) > NO_VALUE_SHARE:
            lines.append(
                f"warning: reward dimension {dim_spec.name!r} ({dim_spec.kind}) returned no value for "
                f"{missing} of {len(scored)} scored responses, so the other dimensions alone made their "
                f"reward; run `orch reward check {compiled.source.removeprefix('bundled:')} --dataset FILE`"
            )
    return lines


def _metric_names(item: Mapping[str, Any]) -> set[str]:
    metrics = item.get("metrics_list")
    if not isinstance(metrics, list):
        return set()
    return {name for m in metrics if isinstance(m, Mapping) and isinstance(name := m.get("name"), str)}


def _scored(item: Mapping[str, Any]) -> bool:
    names = _metric_names(item)
    return not ({"error", "timeout", "guard.empty"} & names)
