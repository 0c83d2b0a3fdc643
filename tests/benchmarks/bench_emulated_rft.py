"""Benchmark: `orch demo` on a fresh local stack, run twice, what the emulated RFT job saw, and one
emulated job alone: 5 steps x 16 prompts x 4 samples with the math grader (reference: < 10 s).

Prints the wall time of the first run (stack start, package if stale, provisioning, upload, job) and
of the second (everything reused), the grader invocations of the emulated job and the grader latency
distribution the emulator measured (from the job's metrics file); then starts a NEW job with the same
inputs (another --run-id) and times it from CreateModelCustomizationJob to Completed. Starts its own
LocalStack on a free port with temporary state and stops it at the end.

Run: `.venv/bin/python tests/benchmarks/bench_emulated_rft.py`
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from orchestrator.local_stack.provision import data_dir_for  # noqa: E402
from orchestrator.local_stack.stack import LocalStack, free_port  # noqa: E402

JOB_REFERENCE_S = 10.0  # issue 12: 5 steps x 16 prompts x 4 samples, math grader, local stack


def time_one_job(stack: LocalStack, demo_job_name: str) -> tuple[float, dict]:
    """A new job with the demo job's inputs (other name and token): seconds from create to Completed."""
    bedrock = stack.client("bedrock")
    request = bedrock.get_model_customization_job(jobIdentifier=demo_job_name)
    create = {
        key: request[key]
        for key in ("roleArn", "trainingDataConfig", "outputDataConfig", "customizationConfig")
    }
    name = f"bench-{int(time.time())}"
    started = time.monotonic()
    arn = bedrock.create_model_customization_job(
        jobName=name,
        customModelName=name,
        baseModelIdentifier=request["baseModelArn"],
        customizationType="REINFORCEMENT_FINE_TUNING",
        jobTags=[{"key": "nova-rft-emulator:max-steps", "value": "5"}],
        **create,
    )["jobArn"]
    while True:
        job = bedrock.get_model_customization_job(jobIdentifier=arn)
        if job["status"] in ("Completed", "Failed", "Stopped"):
            return time.monotonic() - started, job
        time.sleep(0.05)


def demo(stack: LocalStack, *args: str) -> tuple[str, float]:
    env = {**os.environ, **stack.client_env()}
    command = [
        sys.executable,
        "-c",
        "from orchestrator.cli import main; main()",
        "demo",
        "--port",
        str(stack.port),
    ]
    started = time.monotonic()
    done = subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"orch demo exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout, elapsed


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-emulated-rft-") as state:
        stack = LocalStack(ROOT, port=free_port(), state_dir=state)
        try:
            started = time.monotonic()
            stack.start()  # here, so that its state stays in the temporary directory
            start_s = time.monotonic() - started
            first, first_s = demo(stack)
            second, second_s = demo(stack)
            uri = re.search(r"metrics file: (s3://\S+)", first).group(1)
            bucket, key = uri[len("s3://") :].split("/", 1)
            body = stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            summary = json.loads(body.splitlines()[-1])
            job_name = re.search(r"RFT job (\S+):", first).group(1)
            job_s, job = time_one_job(stack, job_name)
        finally:
            stack.stop()
            shutil.rmtree(data_dir_for(ROOT, "local", stack.endpoint_url), ignore_errors=True)
    print(f"local stack start:                                    {start_s:6.1f} s")
    print(f"orch demo, first run (provision + upload + job):      {first_s:6.1f} s")
    print(f"orch demo, second run (all reused; goal < 45 s):      {second_s:6.1f} s")
    print(f"emulated job: {summary['steps']} steps, {summary['grader_invocations']} grader invocations")
    print(
        "grader latency seen by the emulator (ms): "
        + ", ".join(f"{q} {summary[f'grader_latency_ms_{q}']:.0f}" for q in ("p50", "p90", "p95", "max"))
    )
    print("reward mean per step: " + ", ".join(f"{m:.3f}" for m in summary["reward_mean_per_step"]))
    print(f"final policy: top strategy {summary['top_strategy']}, hack share {summary['hack_share']:.0%}")
    hp = job["customizationConfig"]["rftConfig"]["hyperParameters"]
    print(
        f"emulated job alone ({job['status']}; 5 steps x {hp['batchSize']} prompts x "
        f"{hp['trainingSamplePerPrompt']} samples, math grader): {job_s:6.1f} s   "
        f"(reference: < {JOB_REFERENCE_S:.0f} s)"
    )
    return 0 if job["status"] == "Completed" and job_s < JOB_REFERENCE_S else 1


if __name__ == "__main__":
    sys.exit(main())
