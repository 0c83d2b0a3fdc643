"""Where the EMULATED policy's response strategies come from, per prompt.

A `StrategySource` turns one dataset record into the candidate responses the policy may choose from
for that prompt, each tagged with a strategy name that is stable across prompts (so the policy can
learn "answer in \\boxed{}" or "address the grader" as a behaviour, not a single text):

- `BuiltinSource`: correct answers in each accepted form, wrong answers, cheap hacks (`candidates.py`);
- `ProbeSource`: the probes of `orch reward audit`'s library, `orchestrator.audit.probes.generate_probes`
  (stdlib only, imported lazily inside LocalStack): kind "control" -> correct, "hack" -> hack;
- `RolloutSource`: the user's own sampled responses for the prompt (`rollouts.py`), one strategy.

`CombinedSource` concatenates sources and caches per prompt, so every epoch sees the same texts.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from nova_rft_localstack.candidates import CORRECT, HACK, ROLLOUT, Candidate, builtin_candidates

ProbeGenerator = Callable[..., Sequence[Any]]  # generate_probes(spec, record, *, seed) -> [Probe]
ROLLOUT_STRATEGY = "rollout:user"


def record_seed(seed: int, index: int) -> int:
    """A per-prompt seed derived from the run's seed (stable across processes, unlike hash())."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{index}".encode()).digest()[:8], "big")


class StrategySource(Protocol):
    """Candidates for one record (`record` = the dataset line: messages, reference_answer, extras)."""

    def candidates(self, record: Mapping[str, Any], index: int) -> list[Candidate]: ...


class BuiltinSource:
    """Correct, wrong and hack strategies made from `reference_answer` (always available)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def candidates(self, record: Mapping[str, Any], index: int) -> list[Candidate]:
        rng = random.Random(record_seed(self.seed, index))
        return builtin_candidates(record.get("reference_answer"), rng)


def import_probe_generator() -> ProbeGenerator | None:
    """`orchestrator.audit.probes.generate_probes`, or None when the probe library is not installed."""
    try:
        from orchestrator.audit.probes import generate_probes
    except ImportError:
        return None
    return generate_probes


class ProbeSource:
    """The reward-hacking probes (and controls) of the audit's probe library, for the grader's spec."""

    KINDS = {"control": CORRECT, "hack": HACK}

    def __init__(self, spec: Mapping[str, Any], generate: ProbeGenerator, seed: int) -> None:
        self.spec = spec
        self.generate = generate
        self.seed = seed
        self.first_error: str | None = None  # a probe library failure costs its probes, not the job

    def candidates(self, record: Mapping[str, Any], index: int) -> list[Candidate]:
        try:
            probes = self.generate(self.spec, record, seed=self.seed)
        except Exception as exc:  # another team's library on arbitrary records: degrade, and say so
            self.first_error = self.first_error or f"record {index + 1}: {type(exc).__name__}: {exc}"
            return []
        return [
            Candidate(f"probe:{probe.name}", self.KINDS.get(probe.kind, HACK), probe.text) for probe in probes
        ]


class RolloutSource:
    """The user's sampled responses for a prompt: one strategy, which picks one response at random."""

    def __init__(
        self, rollouts: Mapping[str, Sequence[str]], key_of: Callable[[Mapping[str, Any], int], str]
    ) -> None:
        self.rollouts = rollouts
        self.key_of = key_of

    def candidates(self, record: Mapping[str, Any], index: int) -> list[Candidate]:
        responses = self.rollouts.get(self.key_of(record, index))
        if not responses:
            return []
        return [Candidate(f"{ROLLOUT_STRATEGY}#{k}", ROLLOUT, text) for k, text in enumerate(responses)]


class CombinedSource:
    """All candidates of several sources for a prompt, first name wins, cached per prompt index."""

    def __init__(self, sources: Sequence[StrategySource]) -> None:
        self.sources = list(sources)
        self._cache: dict[int, list[Candidate]] = {}

    def candidates(self, record: Mapping[str, Any], index: int) -> list[Candidate]:
        if index not in self._cache:
            seen: dict[str, Candidate] = {}
            for source in self.sources:
                for candidate in source.candidates(record, index):
                    seen.setdefault(candidate.strategy, candidate)
            self._cache[index] = list(seen.values())
        return self._cache[index]


def strategy_of(candidate: Candidate) -> str:
    """The policy's name for a candidate: all user rollouts of a prompt are one strategy, `rollout:user`."""
    return ROLLOUT_STRATEGY if candidate.kind == ROLLOUT else candidate.strategy
