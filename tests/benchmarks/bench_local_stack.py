"""Local stack numbers: LocalStack cold and warm start, provisioning `local`, grader invoke latency.

Run: `.venv/bin/python tests/benchmarks/bench_local_stack.py` (needs `orch local install` and
build/grader-<arch>.zip; uses free ports and temporary state, never .orch/localstack).

- cold start: a fresh state directory (empty plux/LocalStack caches), install excluded;
- warm start: a restart on the same state directory (caches populated);
- provision: `orch local provision` (real terraform init/plan/apply), first run (creates everything)
  and second run (plan finds no changes; goal < 15 s, issue 11);
- grader invoke: first invoke of the math grader (cold: new runtime process, imports, spec load) and
  the median of warm invokes, measured at the client through LocalStack (batch of 8 samples).
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from orchestrator.local_stack.provision import data_dir_for, provision  # noqa: E402
from orchestrator.local_stack.stack import LocalStack, free_port  # noqa: E402
from tests.integration.grader_batches import bedrock_batch  # noqa: E402

WARM_INVOKES = 20


def timed_start(stack: LocalStack) -> float:
    started = time.perf_counter()
    stack.start(timeout=180, install_first=False)
    return time.perf_counter() - started


def invoke_ms(client, function: str, payload: bytes) -> float:
    started = time.perf_counter()
    response = client.invoke(FunctionName=function, Payload=payload)
    response["Payload"].read()
    if response.get("FunctionError"):
        raise SystemExit(f"{function} failed: {response}")
    return (time.perf_counter() - started) * 1000


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-localstack-") as tmp:
        stack = LocalStack(ROOT, port=free_port(), state_dir=Path(tmp) / "state")
        stack.ensure_installed()
        cold = timed_start(stack)
        stack.stop()
        warm = timed_start(stack)
        try:
            outputs_file = Path(tmp) / "outputs.json"
            first = provision(ROOT, stack.endpoint_url, outputs_file=outputs_file)
            second = provision(ROOT, stack.endpoint_url, outputs_file=outputs_file)
            assert not second.changes, f"second provision planned changes: {second.changes}"
            function = first.outputs["grader_arns"]["math"].rsplit(":", 1)[-1]
            client = stack.client("lambda", read_timeout=320, retries={"max_attempts": 1})
            payload = json.dumps(bedrock_batch("math", 8)).encode()
            cold_invoke = invoke_ms(client, function, payload)
            warm_invokes = [invoke_ms(client, function, payload) for _ in range(WARM_INVOKES)]
        finally:
            stack.stop()
            shutil.rmtree(data_dir_for(ROOT, "local", stack.endpoint_url), ignore_errors=True)
    print(f"localstack cold start (fresh state, install excluded): {cold:6.2f} s")
    print(f"localstack warm start (same state dir):                 {warm:6.2f} s")
    print(f"provision local, first run ({len(first.changes)} resources created):   {first.seconds:6.2f} s")
    print(f"provision local, second run (no changes; goal < 15 s):   {second.seconds:6.2f} s")
    print(f"math grader invoke, cold (8 samples):                   {cold_invoke:7.1f} ms")
    print(
        f"math grader invoke, warm median / min / max ({WARM_INVOKES}x):   "
        f"{statistics.median(warm_invokes):7.1f} / {min(warm_invokes):.1f} / {max(warm_invokes):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
