"""The EMULATED policy: a softmax over response strategies, trained with GRPO-style advantages.

No language model is trained. The policy is one logit per strategy name (see `strategies.py`). For a
prompt whose available strategies are S, the probability of strategy s is

    pi(s | S) = softmax over S of (theta_s + log prior(kind(s)) - log n_kind(S))

so that, before any update, each kind holds its prior share whatever the number of strategies of that
kind (a pre-trained model mostly answers the question; it rarely games the grader):
correct 0.45, wrong 0.35, hack 0.20; with user rollouts, the rollouts take 0.40 and the rest shares 0.60.

Sampling mixes pi with EXPLORATION = 10% uniform over the available strategies (a model's sampling
temperature: every behaviour keeps being tried). Each step, for every prompt group of
`trainingSamplePerPrompt` samples scored by the REAL grader, the advantage of sample i is
(r_i - mean) / std of the group (0 for a group with no spread: no signal, exactly as in GRPO), and

    theta_s += eta * (mean advantage of strategy s's samples this step - beta * theta_s)

(beta = KL_COEF = 0.1: GRPO's pull towards the reference policy, which keeps rare strategies
explorable). The mean advantage per strategy, rather than the plain policy-gradient sum, makes a rare
strategy that the grader pays well count at once: the emulator is a search for what the grader
rewards, and must find a hack within a few steps if there is one.

Hyperparameters, scaled (documented in docs/architecture.md):
- `learningRate`: eta = learningRate * 1e5, capped at 20 (1e-5 -> 1.0; 1e-6 moves the policy little
  in a few steps, as a too-small learning rate would);
- `batchSize`: prompt groups per step; `trainingSamplePerPrompt`: samples per group;
- `epochCount`: passes over the dataset (capped by the emulator's max-steps setting).
Sampling uses a seeded `random.Random`: the same job (ARN) samples the same strategies.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from nova_rft_localstack.candidates import CORRECT, HACK, ROLLOUT, WRONG, Candidate
from nova_rft_localstack.strategies import strategy_of

KIND_PRIOR = {CORRECT: 0.45, WRONG: 0.35, HACK: 0.20}
ROLLOUT_PRIOR = 0.40
LR_SCALE = 1e5
MAX_ETA = 20.0
MAX_LOGIT = 30.0
KL_COEF = 0.1
EXPLORATION = 0.1
DEFAULT_LEARNING_RATE = 1e-5  # when the job gives none


def effective_rate(learning_rate: float | None) -> float:
    """The step size on the strategy logits for a job's learningRate."""
    rate = DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate
    return min(MAX_ETA, max(0.0, rate * LR_SCALE))


def group_advantages(rewards: Sequence[float | None]) -> list[float]:
    """(r - mean) / std over the scored samples of a group; 0 for unscored samples and no spread."""
    scored = [r for r in rewards if r is not None]
    if len(scored) < 2:
        return [0.0] * len(rewards)
    mean, std = statistics.fmean(scored), statistics.pstdev(scored)
    if std < 1e-9:
        return [0.0] * len(rewards)
    return [0.0 if r is None else (r - mean) / std for r in rewards]


@dataclass(frozen=True)
class Group:
    """One prompt's draw: what was available, what was drawn, and the grader's rewards (None: unscored)."""

    available: Sequence[Candidate]
    drawn: Sequence[Candidate]
    rewards: Sequence[float | None]


class StrategyPolicy:
    """Logits over strategy names and the kind of each; sample per prompt, update from rewards."""

    def __init__(self, learning_rate: float | None, with_rollouts: bool = False) -> None:
        self.eta = effective_rate(learning_rate)
        self.logits: dict[str, float] = {}
        self.kinds: dict[str, str] = {}
        share = 1.0 - ROLLOUT_PRIOR if with_rollouts else 1.0
        self.prior = {kind: p * share for kind, p in KIND_PRIOR.items()}
        self.prior[ROLLOUT] = ROLLOUT_PRIOR if with_rollouts else 1e-9

    def _register(self, candidates: Iterable[Candidate]) -> list[str]:
        names: list[str] = []
        for candidate in candidates:
            name = strategy_of(candidate)
            if name not in self.kinds:
                self.kinds[name] = candidate.kind
                self.logits[name] = 0.0
            if name not in names:
                names.append(name)
        return names

    def distribution(self, candidates: Sequence[Candidate]) -> dict[str, float]:
        """pi(. | S) over the strategies available in `candidates`."""
        names = self._register(candidates)
        per_kind: dict[str, int] = {}
        for name in names:
            per_kind[self.kinds[name]] = per_kind.get(self.kinds[name], 0) + 1
        scores = [
            self.logits[n] + math.log(self.prior[self.kinds[n]]) - math.log(per_kind[self.kinds[n]])
            for n in names
        ]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        return {name: w / total for name, w in zip(names, weights, strict=True)}

    def sample(self, candidates: Sequence[Candidate], count: int, rng: random.Random) -> list[Candidate]:
        """`count` candidates drawn from pi(. | S) mixed with EXPLORATION (uniform over the strategies);
        within a strategy (user rollouts), uniformly."""
        dist = self.distribution(candidates)
        names = list(dist)
        weights = [(1 - EXPLORATION) * dist[n] + EXPLORATION / len(names) for n in names]
        chosen = rng.choices(names, weights=weights, k=count)
        by_name: dict[str, list[Candidate]] = {}
        for candidate in candidates:
            by_name.setdefault(strategy_of(candidate), []).append(candidate)
        return [rng.choice(by_name[name]) for name in chosen]

    def update(self, groups: Sequence[Group]) -> None:
        """One step: each strategy's logit moves by its mean group-relative advantage this step.

        A strategy drawn in groups with spread gets eta * mean(A) (samples in groups without spread
        carry no advantage and are left out); then every logit is pulled towards the reference
        policy by KL_COEF, as GRPO's beta term does, so rarely drawn strategies stay explorable.
        Using the mean advantage per strategy (not the sum) makes one good sample of a rare strategy
        count as much as many of a common one: the policy finds what the grader pays for, quickly.
        """
        totals: dict[str, list[float]] = {}
        for group in groups:
            self._register(group.available)
            advantages = group_advantages(group.rewards)
            if not any(advantages):
                continue  # no spread: no signal (GRPO's zero-advantage group)
            for candidate, advantage, reward in zip(group.drawn, advantages, group.rewards, strict=True):
                if reward is not None:
                    totals.setdefault(strategy_of(candidate), []).append(advantage)
        for name in self.logits:
            mean_advantage = statistics.fmean(totals[name]) if name in totals else 0.0
            value = self.logits[name] + self.eta * (mean_advantage - KL_COEF * self.logits[name])
            self.logits[name] = max(-MAX_LOGIT, min(MAX_LOGIT, value))

    def mix(self, prompts: Sequence[Sequence[Candidate]]) -> dict[str, float]:
        """The expected strategy mix over these prompts: the mean of pi(. | S_prompt), largest first."""
        totals: dict[str, float] = {}
        for candidates in prompts:
            for name, p in self.distribution(candidates).items():
                totals[name] = totals.get(name, 0.0) + p / len(prompts)
        return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))

    def kind_shares(self, mix: Mapping[str, float]) -> dict[str, float]:
        """Share of each kind in a mix."""
        shares = {kind: 0.0 for kind in (CORRECT, WRONG, HACK, ROLLOUT)}
        for name, p in mix.items():
            shares[self.kinds[name]] += p
        return shares
