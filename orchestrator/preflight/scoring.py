"""Scoring engines shared by `orch reward score` and `orch baseline`: in-process (the Lambda's own
handler code) or the deployed grader Lambda. Both return the grader's response items, one per sample,
in sample order, so their `--json` output is identical for identical inputs."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.preflight.errors import ScoringIncompleteError
from orchestrator.preflight.lambda_grader import BatchOutcome, LambdaGrader, make_batches, score_batches


def score_locally(compiled: Any, samples: Sequence[dict[str, Any]], batch_size: int) -> list[dict[str, Any]]:
    """The handler in this process, batch by batch; its logs and EMF records are discarded."""
    from nova_rewards.handler import handle

    results: list[dict[str, Any]] = []
    for start in range(0, len(samples), batch_size):
        with contextlib.redirect_stdout(io.StringIO()):
            results.extend(handle(list(samples[start : start + batch_size]), None, compiled))
    return results


@dataclass
class RemoteRun:
    """The outcome of scoring with the deployed grader."""

    outcomes: list[BatchOutcome]
    batch_size: int
    concurrency: int

    @property
    def failed(self) -> list[BatchOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def throttles(self) -> int:
        return sum(o.throttles for o in self.outcomes)

    def results(self) -> list[dict[str, Any]]:
        """Every item in sample order; ScoringIncompleteError (exit 6) names each failed batch."""
        failed = self.failed
        if failed:
            lines = "; ".join(o.describe() for o in failed[:5])
            more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
            raise ScoringIncompleteError(
                f"{len(failed)} of {len(self.outcomes)} grader batches failed: {lines}{more}"
            )
        return [item for outcome in self.outcomes for item in outcome.items or []]


def score_remotely(
    grader: LambdaGrader,
    samples: Sequence[dict[str, Any]],
    *,
    batch_size: int,
    chunk_size: int,
    concurrency: int,
    on_done: Callable[[BatchOutcome], None] | None = None,
) -> RemoteRun:
    """Bedrock-shaped batches of at most min(batch_size, the spec's chunk_size) samples and 6 MB."""
    size = max(1, min(batch_size, chunk_size))
    batches = make_batches(samples, size)
    return RemoteRun(score_batches(grader, batches, concurrency, on_done), size, concurrency)
