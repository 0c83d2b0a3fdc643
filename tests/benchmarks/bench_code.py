"""`code_tests`: per-sample overhead, batch throughput and import cost of the sandbox, side by side
with the audit-hook sandbox it replaced.

    .venv/bin/python tests/benchmarks/bench_code.py [--samples 40] [--rounds 3] [--reference abdba5f]

Scores right answers of the bundled code dataset (fenced; half function tasks with 4 asserts,
half stdin/stdout tasks with 4 cases) with the `code` spec's `code_tests` parameters:
- per sample: one sample at a time (max_workers=1), median wall time per sample;
- batch: all samples in one `score_batch` call at the spec's `max_workers`, samples/s;
- import: `import nova_rewards.dimensions.code` in a fresh interpreter (it also hardens the grader
  process) against `import nova_rewards.handler`, which specs without code_tests stop at.

The reference is the same measurement of `functions/` at commit `--reference` (the sandbox before
issue 9), extracted with `git archive`; rounds alternate between the two versions, so a machine
shared with other work slows both alike. Goals (issue 9): <= 60 ms per sample, at most 20% slower
than the reference, no added import cost for specs without code_tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOAL_MS = 60.0
MAX_REGRESSION = 1.2


def _samples(limit: int) -> list:
    from nova_rewards.dimensions import Sample

    records = {}
    for line in (ROOT / "datasets" / "code.jsonl").read_text().splitlines():
        record = json.loads(line)
        records[record["id"]] = record
    seen: set[str] = set()
    samples = []
    for line in (ROOT / "datasets" / "responses" / "code.responses.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["id"] in seen or not row["response"].startswith("```python"):
            continue
        seen.add(row["id"])  # the first response of a task is the right, fenced one
        samples.append(Sample(row["id"], (), row["response"], records[row["id"]]["reference_answer"]))
    shaped = sorted(samples, key=lambda s: "inputs" in s.reference)  # function tasks first
    return shaped[: limit // 2] + shaped[-(limit - limit // 2) :]


def _dimension(max_workers: int | None = None):
    from nova_rewards.dimensions import get_dimension_class

    spec = json.loads((ROOT / "functions" / "nova_rewards" / "specs" / "code.json").read_text())
    params = next(d["params"] for d in spec["dimensions"] if d["kind"] == "code_tests")
    cls = get_dimension_class("code_tests")
    return cls(cls.Params(**{**params, "max_workers": max_workers or params["max_workers"]}))


def measure(functions: Path, limit: int) -> dict[str, float]:
    """One round in this process: {per_sample_ms, batch_per_s} for the code under `functions`."""
    sys.path.insert(0, str(functions))
    from nova_rewards.dimensions import ScoringContext

    samples = _samples(limit)
    single, batch = _dimension(1), _dimension()
    ctx = ScoringContext()
    single.score(samples[0], ctx)  # warm the page cache
    times = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    for sample in samples:
        started = time.perf_counter()
        result = single.score(sample, ctx)
        times.append(time.perf_counter() - started)
        assert result.value == 1.0, (sample.id, result)
    after = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    cpu = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in zip(before, after, strict=True))
    started = time.perf_counter()
    results = batch.score_batch(samples, ctx)
    rate = len(samples) / (time.perf_counter() - started)
    assert all(getattr(r, "value", None) == 1.0 for r in results), results
    return {
        "per_sample_ms": statistics.median(times) * 1000,
        "cpu_ms": cpu / len(samples) * 1000,  # grader + child CPU: what a loaded machine cannot inflate
        "batch_per_s": rate,
    }


def _import_ms(functions: Path, module: str, repeat: int = 5) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.check_output([sys.executable, "-c", code], cwd=functions, text=True))
        for _ in range(repeat)
    ]
    return statistics.median(runs) * 1000


def _extract(commit: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", commit, "functions"], cwd=ROOT, capture_output=True, check=True
    )
    archive_path = into / "functions.tar"
    archive_path.write_bytes(archive.stdout)
    with tarfile.open(archive_path) as tar:
        tar.extractall(into, filter="data")
    return into / "functions"


def _round(functions: Path, limit: int) -> dict[str, float]:
    out = subprocess.check_output(
        [sys.executable, __file__, "--measure", str(functions), "--samples", str(limit)], text=True
    )
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference", default="abdba5f", help="commit of the reference sandbox")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.samples)))
        return 0
    current = ROOT / "functions"
    with tempfile.TemporaryDirectory() as tmp:
        reference = _extract(args.reference, Path(tmp))
        rounds: dict[str, list[dict[str, float]]] = {"current": [], "reference": []}
        for _ in range(args.rounds):
            rounds["current"].append(_round(current, args.samples))
            rounds["reference"].append(_round(reference, args.samples))
        ref_import = _import_ms(reference, "nova_rewards.dimensions.code")
    med = {
        name: {
            key: statistics.median(r[key] for r in runs) for key in ("per_sample_ms", "cpu_ms", "batch_per_s")
        }
        for name, runs in rounds.items()
    }
    cur, ref = med["current"], med["reference"]
    workers = _dimension_workers()
    load = os.getloadavg()[0]
    print(
        f"{args.samples} right answers (4 tests or cases), {args.rounds} alternating rounds, load {load:.1f}"
    )
    print(f"goal: <= {GOAL_MS:.0f} ms per sample and <= {MAX_REGRESSION} x the reference ({args.reference})")
    for key, label in (("per_sample_ms", "wall ms/sample"), ("cpu_ms", "CPU ms/sample ")):
        ratio = cur[key] / ref[key]
        print(f"{label}: {cur[key]:6.1f}   reference {ref[key]:6.1f}   ratio {ratio:.2f}")
    print(
        f"batch ({workers} workers): {cur['batch_per_s']:.1f} samples/s   reference {ref['batch_per_s']:.1f}"
    )
    handler_ms = _import_ms(current, "nova_rewards.handler")
    code_ms = _import_ms(current, "nova_rewards.dimensions.code")
    print(
        f"import: nova_rewards.handler {handler_ms:.1f} ms (specs without code_tests stop here);"
        f" nova_rewards.dimensions.code {code_ms:.1f} ms, reference {ref_import:.1f} ms"
    )
    probe = (
        "import sys, nova_rewards.handler, nova_rewards.spec as s; s.load_spec('math'); "
        "print(sorted(m for m in sys.modules if 'sandbox' in m or m == 'ctypes'))"
    )
    loaded = subprocess.check_output([sys.executable, "-c", probe], cwd=current, text=True).strip()
    print(f"modules of the sandbox loaded by the handler with the math spec: {loaded} (goal: [])")
    return 0


def _dimension_workers() -> int:
    spec = json.loads((ROOT / "functions" / "nova_rewards" / "specs" / "code.json").read_text())
    return next(d["params"]["max_workers"] for d in spec["dimensions"] if d["kind"] == "code_tests")


if __name__ == "__main__":
    sys.exit(main())
