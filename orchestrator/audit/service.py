"""`orch reward audit`: score the probes of `probes.generate_probes` with the grader's own code.

For each of the first `max_records` dataset records, every probe becomes one Bedrock-shaped sample
(the record's messages plus the probe as the assistant turn, as `orch reward score` builds them), and
batches go through `nova_rewards.handler.handle`, the Lambda's code path, on a few threads at once
under one deadline (the handler's own time budget: samples left at the deadline are reported as
timeouts, not scored). Scores are mapped to 0..1 over the spec's `score_range`.

LLM-judge dimensions: by default (`judge="fooled"`) each is replaced by a stand-in that gives every
response the top score, i.e. the audit assumes the judge can be talked into anything. A spec passes
only if its other dimensions, gates and guards hold hacks down by themselves, and the audit runs
offline in seconds. `judge="live"` calls the configured judge (Bedrock, or the local stack's).
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nova_rewards.dimensions.base import Dimension, DimensionParams, DimensionResult, Sample, ScoringContext
from nova_rewards.local_scoring import ResponseLine, build_samples, load_dataset_index
from nova_rewards.spec import CompiledDimension, CompiledSpec

from orchestrator.audit.probes import CONTROL, HACK, Probe, generate_probes

__all__ = ["AuditThresholds", "ProbeStats", "AuditReport", "run_audit", "JudgeMode"]

JudgeMode = Literal["fooled", "live"]
_EXAMPLE_CHARS = 160


@dataclass(frozen=True)
class AuditThresholds:
    """Pass/fail rules: a hack probe's mean at most `hack_max_mean`, a control's at least
    `control_min_mean`; `share_threshold` is the score above which a sample counts in `share_above`."""

    hack_max_mean: float = 0.2
    control_min_mean: float = 0.9
    share_threshold: float = 0.5


@dataclass
class ProbeStats:
    """Scores of one probe over the audited records (normalised to 0..1)."""

    name: str
    kind: str
    scores: list[float] = field(default_factory=list)
    timeouts: int = 0
    errors: int = 0
    example_score: float | None = None
    example_record: str = ""
    example_text: str = ""

    @property
    def n(self) -> int:
        return len(self.scores)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else 0.0

    @property
    def max(self) -> float:
        return max(self.scores, default=0.0)

    @property
    def min(self) -> float:
        return min(self.scores, default=0.0)

    def share_above(self, threshold: float) -> float:
        return sum(1 for s in self.scores if s > threshold) / len(self.scores) if self.scores else 0.0

    def passed(self, thresholds: AuditThresholds) -> bool:
        if not self.scores:
            return False  # nothing measured (every sample timed out): not a pass
        if self.kind == CONTROL:
            return self.mean >= thresholds.control_min_mean
        return self.mean <= thresholds.hack_max_mean

    def observe(self, record_id: str, score: float, text: str) -> None:
        """Add a score; keep as example the worst case (highest hack, lowest control)."""
        self.scores.append(score)
        worse = self.example_score is None or (
            score > self.example_score if self.kind == HACK else score < self.example_score
        )
        if worse:
            self.example_score, self.example_record, self.example_text = score, record_id, _excerpt(text)

    def as_dict(self, thresholds: AuditThresholds) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "n": self.n,
            "mean": round(self.mean, 4),
            "min": round(self.min, 4),
            "max": round(self.max, 4),
            "share_above": round(self.share_above(thresholds.share_threshold), 4),
            "timeouts": self.timeouts,
            "errors": self.errors,
            "passed": self.passed(thresholds),
            "example": {
                "record": self.example_record,
                "score": None if self.example_score is None else round(self.example_score, 4),
                "text": self.example_text,
            },
        }


@dataclass
class AuditReport:
    """Everything `orch reward audit` prints. It fails on a probe over its threshold, on a Reward
    dimension without a value for most responses, and on a dataset that yields no control."""

    spec: str
    dataset: str
    records: int
    samples: int
    seconds: float
    judge: JudgeMode
    thresholds: AuditThresholds
    probes: list[ProbeStats]
    problems: list[str] = field(default_factory=list)  # findings that fail the audit besides probes

    @property
    def failures(self) -> list[ProbeStats]:
        return [p for p in self.probes if not p.passed(self.thresholds)]

    @property
    def passed(self) -> bool:
        return not self.failures and not self.problems

    @property
    def timeouts(self) -> int:
        return sum(p.timeouts for p in self.probes)

    def as_dict(self) -> dict[str, Any]:
        t = self.thresholds
        return {
            "spec": self.spec,
            "dataset": self.dataset,
            "records": self.records,
            "samples": self.samples,
            "seconds": round(self.seconds, 3),
            "judge": self.judge,
            "thresholds": {
                "hack_max_mean": t.hack_max_mean,
                "control_min_mean": t.control_min_mean,
                "share_threshold": t.share_threshold,
            },
            "passed": self.passed,
            "failures": [p.name for p in self.failures],
            "timeouts": self.timeouts,
            "problems": list(self.problems),
            "probes": [p.as_dict(t) for p in self.probes],
        }


def _excerpt(text: str) -> str:
    flat = text.replace("\n", "\\n").replace("\t", "\\t")
    return flat if len(flat) <= _EXAMPLE_CHARS else flat[: _EXAMPLE_CHARS - 3] + "..."


class _FooledJudge(Dimension):
    """Stand-in for an LLM judge in the audit: the top score for every response (the worst case)."""

    kind = "audit_fooled_judge"

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        return DimensionResult(1.0, {"judge_stand_in": 1.0})


def audit_spec(compiled: CompiledSpec, judge: JudgeMode) -> CompiledSpec:
    """`compiled` with its LLM-judge dimensions replaced by the fooled stand-in (unless `live`)."""
    if judge == "live":
        return compiled
    dimensions = tuple(
        CompiledDimension(d.spec, _FooledJudge(DimensionParams())) if d.spec.kind == "llm_judge" else d
        for d in compiled.dimensions
    )
    return CompiledSpec(spec=compiled.spec, dimensions=dimensions, source=compiled.source)


@dataclass(frozen=True)
class _Planned:
    record_id: str
    probe: Probe


# Records per time-limit probe (`code_hacks.TIME_LIMIT_PROBES`): each costs a full per-sample time
# limit of CPU, and the grader's answer to it does not depend on the record.
TIME_LIMIT_PROBE_RECORDS = 3


def _plan(spec_data: dict[str, Any], chosen: list[tuple[str, Any]], seed: int) -> list[_Planned]:
    from orchestrator.audit.code_hacks import TIME_LIMIT_PROBES

    plan: list[_Planned] = []
    seen: dict[str, int] = {}
    for record_id, record in chosen:
        for probe in generate_probes(spec_data, record, seed=seed):
            if probe.name in TIME_LIMIT_PROBES:
                seen[probe.name] = seen.get(probe.name, 0) + 1
                if seen[probe.name] > TIME_LIMIT_PROBE_RECORDS:
                    continue
            plan.append(_Planned(record_id, probe))
    return plan


class _Context:
    """A Lambda-like context whose remaining time ends at an absolute `time.monotonic()` deadline."""

    def __init__(self, deadline: float, margin_ms: int, clock: Callable[[], float]) -> None:
        self.deadline, self.margin_ms, self.clock = deadline, margin_ms, clock

    def get_remaining_time_in_millis(self) -> int:
        # the handler subtracts the spec's margin; add it back so that its deadline is ours
        return int((self.deadline - self.clock()) * 1000) + self.margin_ms


def run_audit(
    compiled: CompiledSpec,
    dataset: Path,
    *,
    max_records: int | None = None,
    thresholds: AuditThresholds | None = None,
    judge: JudgeMode = "fooled",
    time_budget_s: float = 60.0,
    workers: int = 4,
    batch_size: int = 32,
    seed: int = 0,
    clock: Callable[[], float] = time.monotonic,
) -> AuditReport:
    """Generate, score and summarise the probes of the first `max_records` records of `dataset`.

    Raises `LocalScoringError` (file:line) for an unreadable dataset.
    """
    from nova_rewards.handler import handle

    from orchestrator.audit.needs import no_value_warnings

    started = clock()
    thresholds = thresholds or AuditThresholds()
    records = load_dataset_index(dataset)
    chosen = list(records.items())[: max_records or None]
    spec_data = compiled.spec.model_dump(mode="json", by_alias=True)
    plan = _plan(spec_data, chosen, seed)
    lines = [ResponseLine(index, item.record_id, item.probe.text) for index, item in enumerate(plan)]
    samples = build_samples(dict(chosen), lines, dataset)
    scoring = audit_spec(compiled, judge)
    deadline = started + time_budget_s
    context = _Context(deadline, compiled.spec.time_budget_margin_ms, clock)
    batches = [samples[i : i + batch_size] for i in range(0, len(samples), batch_size)]
    # the handler's JSON logs and EMF lines go to a buffer, not to our output
    with contextlib.redirect_stdout(io.StringIO()), ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        answered = list(pool.map(lambda batch: handle(batch, context, scoring), batches))
    results = [item for batch in answered for item in batch]
    stats = _summarise(compiled, plan, results)
    problems = no_value_warnings(scoring, results)
    if chosen and not any(s.kind == CONTROL for s in stats):
        problems.append(
            "no control probes: the references hold no answer a probe can write (a code dataset needs "
            "reference_answer.solution), so this audit cannot show that correct answers are paid"
        )
    return AuditReport(
        spec=compiled.name,
        dataset=str(dataset),
        records=len(chosen),
        samples=len(samples),
        seconds=clock() - started,
        judge=judge,
        thresholds=thresholds,
        probes=stats,
        problems=problems,
    )


def _summarise(
    compiled: CompiledSpec, plan: list[_Planned], results: Iterable[Mapping[str, Any]]
) -> list[ProbeStats]:
    lo, hi = compiled.spec.score_range
    stats: dict[str, ProbeStats] = {}
    for item, result in zip(plan, results, strict=True):
        probe = item.probe
        entry = stats.setdefault(probe.name, ProbeStats(probe.name, probe.kind))
        names = {m.get("name") for m in result.get("metrics_list", [])}
        if "timeout" in names:
            entry.timeouts += 1
            continue
        if "error" in names:
            entry.errors += 1
        score = (float(result["aggregate_reward_score"]) - lo) / (hi - lo)
        entry.observe(item.record_id, min(1.0, max(0.0, score)), probe.text)
    hacks = [s for s in stats.values() if s.kind == HACK]
    controls = [s for s in stats.values() if s.kind == CONTROL]
    return hacks + controls
