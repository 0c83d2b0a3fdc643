"""Load test: bounded in count and time, batches cycle through the samples, hand-checked summary."""

from __future__ import annotations

from orchestrator.preflight.lambda_grader import Batch, BatchOutcome, InvokeReport, LambdaGrader
from orchestrator.preflight.loadtest import LoadTestSettings, run_loadtest, summarise
from tests.unit.preflight.fakes import FakeLambda


def sample(i: int) -> dict:
    return {"id": f"s{i}", "messages": [{"role": "assistant", "content": "x"}]}


def test_bounded_by_count_and_cycling_through_the_samples() -> None:
    seen: list[str] = []

    def script(n: int, batch: list) -> list:
        seen.extend(s["id"] for s in batch)
        return [{"id": s["id"], "aggregate_reward_score": 1.0} for s in batch]

    fake = FakeLambda(script)
    settings = LoadTestSettings(concurrency=3, duration_s=60, batch_size=4, max_batches=10)
    report = run_loadtest(LambdaGrader(fake, "fn"), [sample(i) for i in range(7)], settings)
    assert fake.calls == 10 and report["batches"] == report["batches_ok"] == 10
    assert report["samples_scored"] == 40 and fake.max_in_flight <= 3
    assert sorted(seen) == sorted(f"s{i % 7}" for i in range(40))  # 40 draws from a cycle of 7


def test_bounded_by_time() -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    def script(n: int, batch: list) -> list:
        now[0] += 1.0  # each call takes one "second"
        return [{"id": s["id"], "aggregate_reward_score": 0.0} for s in batch]

    settings = LoadTestSettings(concurrency=1, duration_s=5, batch_size=1, max_batches=1000)
    report = run_loadtest(LambdaGrader(FakeLambda(script), "fn"), [sample(0)], settings, clock=clock)
    assert report["batches"] == 5 and report["elapsed_s"] == 5.0 and report["batches_per_s"] == 1.0


def outcome(latency: float, ok: bool = True, throttles: int = 0, init: float | None = None) -> BatchOutcome:
    batch = Batch(0, 0, [sample(0), sample(1)])
    report = InvokeReport(latency, latency + 1, 512, 70 if init else 60, init)
    return BatchOutcome(
        batch,
        items=[{}] * 2 if ok else None,
        error=None if ok else "boom",
        latency_ms=latency,
        throttles=throttles,
        report=report,
    )


def test_summary_hand_checked() -> None:
    outcomes = [outcome(float(ms)) for ms in range(10, 110, 10)]  # 10, 20, ..., 100 ms
    outcomes[0] = outcome(10.0, init=300.0)
    outcomes.append(outcome(5.0, ok=False, throttles=2))
    settings = LoadTestSettings(concurrency=2, duration_s=5, batch_size=2, max_batches=100)
    report = summarise(outcomes, settings, elapsed_s=2.0)
    assert report["batches"] == 11 and report["batches_ok"] == 10 and report["errors"] == 1
    assert report["batches_per_s"] == 5.0 and report["samples_per_s"] == 10.0  # 10 ok / 2 s; 20 samples / 2 s
    # nearest rank over the 10 answered: p50 = 5th = 50, p95 = 10th = 100, p99 = 100
    assert report["latency_ms"] == {"p50": 50.0, "p95": 100.0, "p99": 100.0, "mean": 55.0, "max": 100.0}
    assert report["throttles"] == 2 and report["first_errors"] == ["batch 0 (samples 0..1): boom"]
    assert report["cold_starts"] == 1 and report["init_duration_ms"]["p50"] == 300.0
    assert report["max_memory_used_mb"] == 70 and report["memory_size_mb"] == 512
    assert report["billed_duration_ms"]["max"] == 101.0
