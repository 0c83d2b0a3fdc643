"""`orch reward audit` wall time per bundled spec, as the pre-stop hook runs it (`--max-records 10`).

Prints numbers; asserts nothing. Reference: the hook gives each audit 20 s. Each run is a fresh
`orch` process (interpreter start, imports, spec load, probe generation, scoring through the handler).
The `code` spec needs `orchestrator/audit/code_hacks.py` (sandbox workstream); without it that row says so.

Usage: .venv/bin/python tests/benchmarks/bench_audit.py   (noisy on a busy machine: check `uptime`)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPECS = ("math", "support", "json_extraction", "code")
HOOK_TIMEOUT_S = 20.0


def run(spec: str) -> tuple[float, dict | str]:
    command = [str(Path(sys.executable).parent / "orch"), "reward", "audit", "--spec", spec,
               "--dataset", f"datasets/{spec}.jsonl", "--max-records", "10", "--json"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    try:
        return elapsed, json.loads(done.stdout)
    except json.JSONDecodeError:
        return elapsed, (done.stderr.strip().splitlines() or ["no output"])[-1]


def main() -> int:
    print(f"{'spec':<16}{'wall s':>8}{'hook limit s':>14}{'samples':>9}{'scoring s':>11}  verdict")
    for spec in SPECS:
        elapsed, report = run(spec)
        if isinstance(report, str):
            print(
                f"{spec:<16}{elapsed:>8.2f}{HOOK_TIMEOUT_S:>14.0f}{'-':>9}{'-':>11}  not run: {report[:80]}"
            )
            continue
        verdict = "passed" if report["passed"] else f"failed: {', '.join(report['failures'])[:60]}"
        print(
            f"{spec:<16}{elapsed:>8.2f}{HOOK_TIMEOUT_S:>14.0f}{report['samples']:>9}"
            f"{report['seconds']:>11.2f}  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
