"""Benchmark: the LLM-judge dimension's batch latency and throughput against an emulated judge.

    .venv/bin/python tests/benchmarks/bench_judge.py

The judge runs through the real boto3 Converse path against the local fake Bedrock runtime
(tests/fakes/bedrock_runtime.py) answering after a fixed emulated model latency (200 ms).
Goal: a 64-sample batch takes <= 3x one call (calls run concurrently, bounded by max_concurrency).
Also measured: the same batch through the whole grader (handler + `support` spec), and throughput.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LATENCY_S = 0.2
BATCH = 64
GOAL_RATIO = 3.0


def _environment(url: str, scratch: str) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "REWARD_JUDGE_MODEL_ID"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.path.join(scratch, "none"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(scratch, "none"),
        REWARD_SPEC="support",
    )


def _samples(n: int, tag: str) -> list:
    from nova_rewards.dimensions import Sample

    return [
        Sample(
            id=f"{tag}-{i}",
            prompt_messages=({"role": "user", "content": f"Where is my order NW-{10000 + i}?"},),
            response=f"Hi, thanks for reaching out. Order NW-{10000 + i} ships tomorrow. ({tag})",
        )
        for i in range(n)
    ]


def _judge(max_concurrency: int):
    from nova_rewards.dimensions.judge import LlmJudge, LlmJudgeParams

    return LlmJudge(LlmJudgeParams(rubric="tone_empathy.md", max_concurrency=max_concurrency))


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_dimension() -> tuple[float, dict[int, float]]:
    from nova_rewards.dimensions import ScoringContext

    judge = _judge(32)
    judge.score(_samples(1, "warm")[0], ScoringContext())  # client creation is a one-off per process
    one = statistics.median(
        _timed(lambda i=i: judge.score(_samples(1, f"one{i}")[0], ScoringContext())) for i in range(5)
    )
    batch_times = {}
    for concurrency in (16, 32, 64):
        judge = _judge(concurrency)
        runs = []
        for r in range(3):
            samples = _samples(BATCH, f"b{concurrency}-{r}")  # fresh texts: no dedup between runs
            outcomes: list = []
            runs.append(
                _timed(lambda j=judge, s=samples, o=outcomes: o.extend(j.score_batch(s, ScoringContext())))
            )
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            if errors:
                raise SystemExit(f"judge errors in the benchmark: {errors[:3]}")
        batch_times[concurrency] = statistics.median(runs)
    return one, batch_times


def bench_throughput(total: int = 512) -> float:
    from nova_rewards.dimensions import ScoringContext

    judge = _judge(64)
    samples = _samples(total, "tp")
    elapsed = _timed(lambda: judge.score_batch(samples, ScoringContext()))
    return total / elapsed


def bench_handler() -> float:
    """64 support replies through the whole grader (guards, rules, judge, length, similarity, EMF)."""
    from nova_rewards import handler

    records = [json.loads(line) for line in (ROOT / "datasets" / "support.jsonl").read_text().splitlines()]
    event = [
        {
            "id": rec["id"],
            "messages": [
                *rec["messages"],
                {
                    "role": "assistant",
                    "content": f"Thank you for reaching out. {rec['reference_answer']['answer']}",
                },
            ],
            "metadata": {"reference_answer": rec["reference_answer"]},
        }
        for rec in records[:BATCH]
    ]
    handler.reset_spec_cache()
    with contextlib.redirect_stdout(io.StringIO()):  # EMF lines
        handler.lambda_handler(event[:1], None)  # spec load and client creation, once per container
        return _timed(lambda: handler.lambda_handler(event, None))


_COLD = """
import contextlib, io, json, sys, time
t0 = time.perf_counter()
from nova_rewards import handler
t1 = time.perf_counter()
event = json.loads(sys.stdin.read())
with contextlib.redirect_stdout(io.StringIO()):
    handler.lambda_handler(event, None)
t2 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_batch_ms": (t2 - t1) * 1000,
                  "boto3_loaded": "boto3" in sys.modules}))
"""


def bench_cold_start() -> dict[str, float]:
    """A fresh interpreter: import the handler, then score one 64-sample support batch (judge included)."""
    import subprocess

    records = [json.loads(line) for line in (ROOT / "datasets" / "support.jsonl").read_text().splitlines()]
    event = [
        {
            "id": rec["id"],
            "messages": [
                *rec["messages"],
                {"role": "assistant", "content": rec["reference_answer"]["answer"]},
            ],
            "metadata": {"reference_answer": rec["reference_answer"]},
        }
        for rec in records[:BATCH]
    ]
    done = subprocess.run(
        [sys.executable, "-c", _COLD],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    import logging

    from tests.fakes.bedrock_runtime import FakeBedrockRuntime, FakeReply

    logging.getLogger("nova_rewards").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory() as scratch,
        FakeBedrockRuntime(lambda _r: FakeReply.score(4, delay_s=LATENCY_S)) as fake,
    ):
        _environment(fake.url, scratch)
        one, batches = bench_dimension()
        throughput = bench_throughput()
        grader = bench_handler()
        cold = bench_cold_start()
        requests = fake.request_count
    print(
        f"emulated judge latency        {LATENCY_S * 1000:.0f} ms per call (fake Bedrock runtime, real boto3)"
    )
    print(f"one call (median of 5)        {one * 1000:.0f} ms")
    for concurrency, seconds in batches.items():
        ratio = seconds / one
        print(
            f"{BATCH}-sample batch, conc {concurrency:>2}    {seconds * 1000:.0f} ms = {ratio:.2f}x one call "
            f"(serial would be {BATCH * one * 1000:.0f} ms)"
        )
    print(f"throughput, 512 samples       {throughput:.0f} samples/s at max_concurrency 64")
    print(f"grader, {BATCH} support replies   {grader * 1000:.0f} ms (handler + support spec, judge conc 32)")
    print(
        f"cold start, fresh process     import {cold['import_ms']:.0f} ms + first {BATCH}-sample "
        f"support batch {cold['first_batch_ms']:.0f} ms (boto3 import + client creation included, "
        f"{LATENCY_S * 1000:.0f} ms judge latency included)"
    )
    print(f"judge requests served         {requests}")
    ratio = batches[32] / one
    verdict = "PASS" if ratio <= GOAL_RATIO else "FAIL"
    print(
        f"goal: {BATCH}-sample batch <= {GOAL_RATIO:.0f}x one call at the spec's concurrency (32): "
        f"{ratio:.2f}x {verdict}"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
