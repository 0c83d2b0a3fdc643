"""`make demo` on a fresh clone, installs included; then a second run; then `orch local provision` with
nothing changed. Goals (issue 11): < 120 s fresh, < 45 s second, < 15 s no-change provision.

Run: `.venv/bin/python tests/benchmarks/bench_demo.py [--keep]` (minutes: it clones this checkout's
HEAD into a temporary directory, as `git clone` of the repository would, and installs everything
there: the project venv, LocalStack's venv, the grader package). The clone's stack runs on a free
port and is stopped at the end (`orch local down`, by the PID the clone recorded). pip's own download
and wheel cache (~/.cache/pip) is used as on any machine that installed a Python package before.
"""

from __future__ import annotations

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

from orchestrator.local_stack.stack import free_port  # noqa: E402

GOALS = {"fresh make demo": 120.0, "second make demo": 45.0, "no-change provision": 15.0}
TIMEOUT_S = 1800


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return seconds, done.stdout


def phases(output: str) -> str:
    """The demo's own timings: package build, provision, the whole demo."""
    pattern = (
        r"grader package: built .*?([\d.]+) s\)"
        r"|provision local: .*?([\d.]+) s\)"
        r"|demo finished in ([\d.]+) s"
    )
    found = re.findall(pattern, output)
    names = ("package", "provision", "demo")
    parts = [f"{names[i]} {value} s" for match in found for i, value in enumerate(match) if value]
    return ", ".join(parts)


def main() -> int:
    keep = "--keep" in sys.argv
    tmp = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (tmp / "shared").symlink_to(shared)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "ORCH_ENV"))}
    env["ORCH_LOCAL_PORT"] = str(port)
    results: dict[str, float] = {}
    try:
        results["fresh make demo"], first = timed(["make", "demo"], clone, env)
        print(f"fresh make demo: {results['fresh make demo']:.1f} s ({phases(first)})")
        results["second make demo"], second = timed(["make", "demo"], clone, env)
        print(f"second make demo: {results['second make demo']:.1f} s ({phases(second)})")
        results["no-change provision"], _ = timed([".venv/bin/orch", "local", "provision"], clone, env)
    finally:
        subprocess.run(
            [str(clone / ".venv/bin/orch"), "local", "down", "--port", str(port)],
            cwd=clone,
            env=env,
            timeout=120,
            check=False,
        )
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    for name, seconds in results.items():
        verdict = "ok" if seconds < GOALS[name] else "ABOVE GOAL"
        print(f"{name:22} {seconds:7.1f} s   goal < {GOALS[name]:.0f} s   {verdict}   (load {load:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
