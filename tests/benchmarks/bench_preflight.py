"""Pre-flight numbers on the local stack: the load test's achievable batches/s against the local math
grader, and `orch baseline` on 100 prompts x 4 samples end to end (goal: under 60 s).

Run: `.venv/bin/python tests/benchmarks/bench_preflight.py` (needs `orch local install` and
build/grader-<arch>.zip; starts its own LocalStack on a free port with temporary state).

References printed beside the numbers:
- batches/s: what a training step needs, from `orch plan` arithmetic (a 32 x 4 step in calls of 4
  samples is 32 calls; grading it within 60 s needs 32 / 60 = 0.53 batches/s);
- baseline: the issue's goal of 60 s for 100 x 4 locally.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from orchestrator.local_stack.provision import provision  # noqa: E402
from orchestrator.local_stack.stack import LocalStack, free_port  # noqa: E402

DATASET = ROOT / "datasets" / "math.jsonl"
RESPONSES = ROOT / "datasets" / "responses" / "math.responses.jsonl"
STEP_CALLS, STEP_TARGET_S = 32, 60.0
BASELINE_GOAL_S = 60.0


def orch(stack: LocalStack, *args: str, cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, **stack.client_env(), "ORCH_LOCAL_STATE_DIR": str(stack.state_dir)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from orchestrator.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"orch {' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, done


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-preflight-") as tmp:
        work = Path(tmp)
        stack = LocalStack(ROOT, port=free_port(), state_dir=work / "localstack")
        stack.start(timeout=180, install_first=False)
        try:
            outputs = work / "local.json"
            provision(ROOT, stack.endpoint_url, environment="local", outputs_file=outputs, method="offline")
            env_args = ["--env", "local", "--outputs", str(outputs)]
            print(
                f"reference: a {STEP_CALLS}-call step within {STEP_TARGET_S:.0f} s needs "
                f"{STEP_CALLS / STEP_TARGET_S:.2f} batches/s"
            )
            for concurrency in (1, 2, 4):
                _, done = orch(
                    stack,
                    "reward",
                    "loadtest",
                    *env_args,
                    "--grader",
                    "math",
                    "--dataset",
                    str(DATASET),
                    "--responses",
                    str(RESPONSES),
                    "--concurrency",
                    str(concurrency),
                    "--duration",
                    "8",
                    "--batch-size",
                    "4",
                    "--no-save",
                    "--json",
                    cwd=work,
                )
                report = json.loads(done.stdout)
                lat = report["latency_ms"]
                print(
                    f"loadtest math, batch 4, concurrency {concurrency}:"
                    f" {report['batches_per_s']:.1f} batches/s ({report['samples_per_s']:.0f} samples/s),"
                    f" p50/p95/p99 {lat['p50']}/{lat['p95']}/{lat['p99']} ms,"
                    f" throttles {report['throttles']},"
                    f" errors {report['errors']}, cold starts {report['cold_starts']}"
                )
            for label, extra in (("remote scoring", []), ("local scoring", ["--local-scoring"])):
                rollouts = work / f"rollouts-{len(extra)}.jsonl"
                elapsed, done = orch(
                    stack,
                    "baseline",
                    *env_args,
                    "--dataset",
                    str(DATASET),
                    "--grader",
                    "math",
                    "--max-records",
                    "100",
                    "--samples",
                    "4",
                    "--concurrency",
                    "8",
                    "--rollouts",
                    str(rollouts),
                    "--json",
                    *extra,
                    cwd=work,
                )
                report = json.loads(done.stdout)
                verdict = "OK" if elapsed < BASELINE_GOAL_S else "OVER GOAL"
                print(
                    f"baseline 100 x 4 ({label}): {elapsed:.1f} s end to end"
                    f" (goal < {BASELINE_GOAL_S:.0f} s: {verdict});"
                    f" sampling {report['sampling']['elapsed_s']} s,"
                    f" pass rate {report['pass_rate']:.1%}, verdict {report['verdict']}"
                )
            print(
                "(the two baselines sample different variants: the emulated base model's per-prompt counter"
            )
            print(" continues across runs of one LocalStack process, like further samples of a real model)")
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
