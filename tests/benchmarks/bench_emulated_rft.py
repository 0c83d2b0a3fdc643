"""Benchmark: `orch demo` on a fresh local stack, run twice, and what the emulated RFT job saw.

Prints the wall time of the first run (stack start, package if stale, provisioning, upload, job) and
of the second (everything reused), the grader invocations of the emulated job and the grader latency
distribution the emulator measured (from the job's metrics file). Starts its own LocalStack on a
free port with temporary state and stops it at the end.

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
