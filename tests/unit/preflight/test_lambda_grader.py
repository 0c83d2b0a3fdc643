"""The deployed-grader engine: batching limits, throttling retries, per-batch errors, REPORT lines."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.preflight.errors import ScoringIncompleteError
from orchestrator.preflight.lambda_grader import (
    LambdaGrader,
    bounded_concurrency,
    make_batches,
    parse_report,
    score_batches,
)
from orchestrator.preflight.scoring import score_remotely
from tests.unit.preflight.fakes import FakeLambda, client_error, echo_scores


def sample(i: int, text: str = "answer") -> dict:
    return {
        "id": f"s{i}",
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": text}],
    }


def no_sleep(_: float) -> None:
    return None


def test_batches_respect_count_and_bytes() -> None:
    samples = [sample(i, "x" * 100) for i in range(10)]
    assert [len(b.samples) for b in make_batches(samples, 4)] == [4, 4, 2]
    one = len(json.dumps(samples[0]).encode())
    by_bytes = make_batches(samples, 100, max_bytes=2 + 3 * one + 2 * 2)  # "[a, b, c]": room for exactly 3
    assert [len(b.samples) for b in by_bytes] == [3, 3, 3, 1]
    assert [b.start for b in by_bytes] == [0, 3, 6, 9]
    for batch in by_bytes:
        assert len(json.dumps(batch.samples).encode()) <= 2 + 3 * one + 2 * 2


def test_oversized_sample_is_its_own_failed_batch_without_a_call() -> None:
    samples = [sample(0), sample(1, "y" * 5000), sample(2)]
    batches = make_batches(samples, 10, max_bytes=1000)
    assert [(len(b.samples), b.oversized is not None) for b in batches] == [(1, False), (1, True), (1, False)]
    fake = FakeLambda()
    outcome = LambdaGrader(fake, "fn", sleep=no_sleep).invoke(batches[1])
    assert not outcome.ok and "over Lambda's 6 MB invoke limit" in outcome.error and fake.calls == 0


def test_throttles_are_retried_with_backoff_and_counted() -> None:
    def script(n: int, batch: list) -> list:
        if n <= 2:
            raise client_error("TooManyRequestsException", 429)
        return echo_scores(batch)

    delays: list[float] = []
    grader = LambdaGrader(FakeLambda(script), "fn", sleep=delays.append, base_delay_s=0.1, max_delay_s=5)
    outcome = grader.invoke(make_batches([sample(0)], 1)[0])
    assert outcome.ok and outcome.attempts == 3 and outcome.throttles == 2
    assert len(delays) == 2 and 0 <= delays[0] <= 0.1 and 0 <= delays[1] <= 0.2  # full jitter, doubling cap


def test_gives_up_after_max_attempts() -> None:
    def script(n: int, batch: list) -> list:
        raise client_error("TooManyRequestsException", 429)

    outcome = LambdaGrader(FakeLambda(script), "fn", sleep=no_sleep, max_attempts=3).invoke(
        make_batches([sample(0)], 1)[0]
    )
    assert not outcome.ok and outcome.throttles == 3 and "gave up after 3 attempts" in outcome.error


def test_access_denied_is_not_retried() -> None:
    def script(n: int, batch: list) -> list:
        raise client_error("AccessDeniedException", 403)

    fake = FakeLambda(script)
    outcome = LambdaGrader(fake, "fn", sleep=no_sleep).invoke(make_batches([sample(0)], 1)[0])
    assert fake.calls == 1 and "AccessDeniedException" in outcome.error


def test_function_error_and_contract_violation_are_batch_errors() -> None:
    fake = FakeLambda(lambda n, batch: {"errorType": "SpecError", "errorMessage": "bad spec\nline 2"})
    fake.function_error = "Unhandled"
    outcome = LambdaGrader(fake, "fn", sleep=no_sleep).invoke(make_batches([sample(0)], 1)[0])
    assert outcome.error == "function error SpecError: bad spec" and fake.calls == 1
    wrong_ids = FakeLambda(lambda n, batch: [{"id": "other", "aggregate_reward_score": 1.0}])
    outcome = LambdaGrader(wrong_ids, "fn", sleep=no_sleep).invoke(make_batches([sample(0)], 1)[0])
    assert "contract violation" in outcome.error and "'s0'" in outcome.error


def test_score_batches_keeps_order_and_bounds_concurrency() -> None:
    fake = FakeLambda(delay_s=0.02)
    samples = [sample(i, "z" * i) for i in range(40)]
    run = score_remotely(LambdaGrader(fake, "fn"), samples, batch_size=3, chunk_size=256, concurrency=4)
    assert run.batch_size == 3 and len(run.outcomes) == 14
    assert run.results() == echo_scores(samples)
    assert 1 < fake.max_in_flight <= 4


def test_chunk_size_of_the_spec_caps_the_batch() -> None:
    run = score_remotely(
        LambdaGrader(FakeLambda(), "fn"),
        [sample(i) for i in range(10)],
        batch_size=256,
        chunk_size=4,
        concurrency=2,
    )
    assert [len(o.batch.samples) for o in run.outcomes] == [4, 4, 2]


def test_failed_batches_are_named() -> None:
    def script(n: int, batch: list) -> list:
        if batch[0]["id"] == "s2":
            raise client_error("InvalidRequestContentException", 400)
        return echo_scores(batch)

    run = score_remotely(
        LambdaGrader(FakeLambda(script), "fn"),
        [sample(i) for i in range(6)],
        batch_size=2,
        chunk_size=256,
        concurrency=2,
    )
    with pytest.raises(
        ScoringIncompleteError, match=r"1 of 3 grader batches failed: batch 1 \(samples 2..3\)"
    ) as err:
        run.results()
    assert err.value.exit_code == 6


def test_parse_report_cold_and_warm() -> None:
    cold = (
        "START RequestId: r1 Version: $LATEST\nEND RequestId: r1\n"
        "REPORT RequestId: r1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 80 MB\tInit Duration: 410.20 ms\n"
    )
    report = parse_report(cold)
    assert report is not None and report.cold_start
    assert (report.duration_ms, report.billed_duration_ms, report.memory_size_mb) == (12.5, 13.0, 512)
    assert (report.max_memory_used_mb, report.init_duration_ms) == (80, 410.2)
    warm = parse_report(cold.replace("\tInit Duration: 410.20 ms", ""))
    assert warm is not None and not warm.cold_start
    assert parse_report("no report here") is None


def test_log_tail_is_parsed_into_the_outcome() -> None:
    fake = FakeLambda()
    fake.log_tail = "\t".join(
        [
            "REPORT RequestId: r",
            "Duration: 5.00 ms",
            "Billed Duration: 5 ms",
            "Memory Size: 128 MB",
            "Max Memory Used: 40 MB",
        ]
    )
    outcome = LambdaGrader(fake, "fn", tail_logs=True).invoke(make_batches([sample(0)], 1)[0])
    assert outcome.report is not None and outcome.report.max_memory_used_mb == 40


@pytest.mark.parametrize(
    ("requested", "reserved", "expected"), [(8, None, 8), (8, 48, 8), (8, 4, 3), (8, 1, 1)]
)
def test_concurrency_stays_below_the_reservation(requested: int, reserved: int | None, expected: int) -> None:
    assert bounded_concurrency(requested, reserved) == expected


def test_score_batches_on_no_batches() -> None:
    assert score_batches(LambdaGrader(FakeLambda(), "fn"), [], 4) == []


@settings(max_examples=150)
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=400), max_size=40),
    max_count=st.integers(min_value=1, max_value=10),
    max_bytes=st.integers(min_value=60, max_value=2000),
)
def test_batches_partition_the_samples_within_both_limits(
    lengths: list[int], max_count: int, max_bytes: int
) -> None:
    samples = [sample(i, "é" * n) for i, n in enumerate(lengths)]  # multi-byte text: bytes, not characters
    batches = make_batches(samples, max_count, max_bytes)
    assert [s for b in batches for s in b.samples] == samples
    assert [b.start for b in batches] == [
        sum(len(x.samples) for x in batches[:i]) for i in range(len(batches))
    ]
    for batch in batches:
        assert 1 <= len(batch.samples) <= max_count
        size = len(json.dumps(batch.samples, ensure_ascii=False).encode("utf-8"))
        if batch.oversized is None:
            assert size <= max_bytes
        else:
            assert len(batch.samples) == 1 and size > max_bytes
    for batch, following in zip(batches, batches[1:], strict=False):
        if batch.oversized is None and following.oversized is None:  # no early cut: the next one did not fit
            grown = batch.samples + following.samples[:1]
            too_big = len(json.dumps(grown, ensure_ascii=False).encode("utf-8")) > max_bytes
            assert len(batch.samples) == max_count or too_big
