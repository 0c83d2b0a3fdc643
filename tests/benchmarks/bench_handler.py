"""Grader handler benchmark: cold start, warm batch latency, peak memory on a ~6 MB batch.

Prints numbers; asserts nothing. Goal (docs): cold start (import + first batch of 64 samples with the
math spec, no judge) < 300 ms. Each measurement that needs a fresh interpreter runs in a subprocess:

- venv, bytecode cached: this venv's Python with a filled bytecode cache (a developer machine);
- venv, no bytecode: every module compiled from source (what a zip without .pyc costs on Lambda);
- cold/zip-py312: the built Lambda zip (build/grader-x86_64.zip, `make package`) extracted and run by
  CPython 3.12 with the shipped .pyc files: the closest thing to a Lambda cold start on this machine.

Usage: .venv/bin/python tests/benchmarks/bench_handler.py   (numbers are noisy on a busy machine:
check `uptime` and rerun; the loaded spec is the bundled `math`.)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = 5

CHILD = r"""
import contextlib, io, json, os, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from nova_rewards.handler import lambda_handler
t1 = time.perf_counter()
event = json.loads(sys.argv[2])
with contextlib.redirect_stdout(io.StringIO()):
    response = lambda_handler(event, None)
t2 = time.perf_counter()
assert len(response) == len(event)
print(json.dumps({"import_ms": (t1 - t0) * 1000, "batch_ms": (t2 - t1) * 1000}))
"""

MEMORY_CHILD = r"""
import contextlib, io, json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
from nova_rewards.handler import lambda_handler
payload = open(sys.argv[2], encoding="utf-8").read()
with contextlib.redirect_stdout(io.StringIO()):
    lambda_handler(json.loads(sys.argv[3]), None)  # warm up: spec, lazy imports
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
event = json.loads(payload)
with contextlib.redirect_stdout(io.StringIO()):
    response = lambda_handler(event, None)
elapsed = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
del event, response
tracemalloc.start()  # second run under tracemalloc (which slows allocation-heavy code ~10x)
event = json.loads(payload)
with contextlib.redirect_stdout(io.StringIO()):
    response = lambda_handler(event, None)
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
out = json.dumps(response)
print(json.dumps({"samples": len(event), "peak_mb": peak / 2**20, "elapsed_ms": elapsed * 1000,
                  "rss_mb": rss / 1024, "rss_before_mb": base_rss / 1024, "response_kb": len(out) / 1024}))
"""


def math_event(count: int, response_chars: int = 0) -> list[dict]:
    """A batch like the math dataset's: some right, some wrong, padded to `response_chars`."""
    event = []
    for i in range(count):
        answer = i * 7 + (1 if i % 3 == 0 else 0)
        text = f"{i} groups of 7 make {i} * 7 = {i * 7}. The answer is {answer}."
        if response_chars > len(text):
            filler = " ".join(
                f"step{j}: we carefully check quantity {j} against the total." for j in range(4000)
            )
            text = filler[: response_chars - len(text)] + " " + text
        event.append(
            {
                "id": f"s{i}",
                "messages": [
                    {"role": "system", "content": "Solve the problem."},
                    {"role": "user", "content": f"A box holds 7 pens. How many pens are in {i} boxes?"},
                    {"role": "assistant", "content": text},
                ],
                "metadata": {"reference_answer": {"final_answer": str(i * 7)}, "task_id": f"t{i}"},
            }
        )
    return event


def run_child(python: str, code: str, args: list[str], env_extra: dict[str, str]) -> dict:
    env = {**os.environ, "REWARD_SPEC": "math", "AWS_LAMBDA_FUNCTION_NAME": "bench", **env_extra}
    result = subprocess.run(
        [python, "-c", code, *args], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def cold(label: str, python: str, path: str, bytecode: str) -> None:
    """`bytecode`: "cached" (a bytecode cache filled by a first run), "none" (empty cache, nothing
    written: every module compiled from source) or "shipped" (only the .pyc files in `path`)."""
    event = json.dumps(math_event(64))
    samples = []
    with tempfile.TemporaryDirectory() as prefix:
        if bytecode == "cached":
            extra = {"PYTHONPYCACHEPREFIX": prefix, "PYTHONDONTWRITEBYTECODE": ""}
            run_child(python, CHILD, [path, event], extra)  # fills the cache
        elif bytecode == "none":
            extra = {"PYTHONPYCACHEPREFIX": prefix, "PYTHONDONTWRITEBYTECODE": "1"}
        else:
            extra = {"PYTHONDONTWRITEBYTECODE": "1"}
        for _ in range(RUNS):
            started = time.perf_counter()
            numbers = run_child(python, CHILD, [path, event], extra)
            numbers["process_ms"] = (time.perf_counter() - started) * 1000
            samples.append(numbers)
    best = min(s["import_ms"] + s["batch_ms"] for s in samples)
    imp = statistics.median(s["import_ms"] for s in samples)
    batch = statistics.median(s["batch_ms"] for s in samples)
    proc = statistics.median(s["process_ms"] for s in samples)
    print(
        f"cold start [{label}]: import {imp:.0f} ms + first batch of 64 {batch:.0f} ms "
        f"= {imp + batch:.0f} ms (median of {RUNS}, best {best:.0f} ms; "
        f"whole process incl. interpreter start {proc:.0f} ms)"
    )


def warm() -> None:
    import contextlib
    import io

    os.environ["REWARD_SPEC"] = "math"
    from nova_rewards.handler import lambda_handler

    event = math_event(64)
    with contextlib.redirect_stdout(io.StringIO()):
        lambda_handler(event, None)
        timings = []
        for _ in range(50):
            started = time.perf_counter()
            lambda_handler(event, None)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"warm batch of 64 (math spec): median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, "
        f"{64 / statistics.median(timings) * 1000:.0f} samples/s"
    )


def memory(path: str) -> None:
    # 256 samples of ~23 KB each: a batch JSON just under the 6 MB synchronous payload limit
    event = math_event(256, response_chars=23_000)
    payload = json.dumps(event)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        handle.write(payload)
    try:
        warmup = json.dumps(math_event(4))
        numbers = run_child(sys.executable, MEMORY_CHILD, [path, handle.name, warmup], {})
    finally:
        os.unlink(handle.name)
    print(
        f"~6 MB batch ({len(payload) / 2**20:.2f} MB JSON, {numbers['samples']} samples): "
        f"{numbers['elapsed_ms']:.0f} ms, "
        f"tracemalloc peak {numbers['peak_mb']:.1f} MB (incl. the parsed event), "
        f"max RSS {numbers['rss_mb']:.0f} MB (before the batch {numbers['rss_before_mb']:.0f} MB), "
        f"response {numbers['response_kb']:.0f} KB"
    )


def find_python312() -> str | None:
    sys.path.insert(0, str(ROOT))
    from orchestrator.packaging import find_python312 as find

    return find()


def main() -> int:
    functions = str(ROOT / "functions")
    version = "py" + ".".join(map(str, sys.version_info[:2]))
    cold(f"venv {version}, bytecode cached", sys.executable, functions, "cached")
    cold(f"venv {version}, no bytecode", sys.executable, functions, "none")
    zip_path = ROOT / "build" / "grader-x86_64.zip"
    python312 = find_python312()
    if zip_path.is_file() and python312 and os.uname().machine == "x86_64":
        with tempfile.TemporaryDirectory() as task:
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(task)
            cold("Lambda zip, CPython 3.12, shipped .pyc", python312, task, "shipped")
    else:
        print("cold start [Lambda zip]: skipped (run `make package` first; needs CPython 3.12 on x86_64)")
    warm()
    memory(functions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
