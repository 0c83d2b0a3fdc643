"""Run untrusted Python (a model's solution) against tests in an isolated, bounded child process.

Built for AWS Lambda, where there are no namespaces, no `unshare`, no /dev/shm and only /tmp is
writable, and for being called from worker threads (no signals in the parent, no `preexec_fn`,
which is unsafe with threads: the child lowers its own limits before running anything untrusted).

Isolation, layer by layer (details in `sandbox_child.py`):
- a fresh interpreter `python -I -S -B`: no environment variables (the parent's AWS credentials
  never reach it), no site-packages, no bytecode written;
- a fresh private temporary directory as working directory, deleted afterwards;
- resource limits: CPU seconds, address space, file size, processes, open files, no core dumps;
- an audit hook: no sockets, no subprocesses/fork/exec, no signals, no ctypes (nor other C
  modules that bypass audit events), no writes outside the directory, no directory fds outside
  it, no reads of /proc, /sys or other sandboxes' directories; process and signal functions are
  also deleted from `os`/`posix`/`signal` before the solution runs;
- a wall-clock timeout that kills the child's whole process group (it runs in its own session);
- per-test timers inside the child, so one slow test fails alone;
- results are lines tagged with a random nonce in a file, so printed text cannot fake a pass.

Test shapes (`TestSuite.from_reference`):
- `{"tests": ["assert add(1, 2) == 3", ...], "setup": "optional code run before the tests"}`
  (or just the list): each statement is one test, run after the solution in its namespace;
- `{"inputs": ["1 2\\n", ...], "outputs": ["3\\n", ...]}`: the solution runs as `__main__` once per
  case with that stdin; its stdout must equal the output up to whitespace.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["SandboxLimits", "TestSuite", "TestRun", "run_suite"]

_CHILD_SOURCE = Path(__file__).with_name("sandbox_child.py")
_MAX_RESULTS_BYTES = 1_000_000
_MAX_CODE_CHARS = 100_000


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Bounds of one run. Defaults suit Lambda (512 MB+ memory, a few seconds per sample)."""

    wall_seconds: float = 10.0  # whole run, killed after this
    per_test_seconds: float = 2.0  # each test (and loading the solution)
    cpu_seconds: int = 10
    memory_bytes: int = 512 * 1024 * 1024
    file_bytes: int = 1024 * 1024  # any single file the solution writes
    output_bytes: int = 256 * 1024  # captured stdout per stdin/stdout case
    open_files: int = 64
    processes: int = 0  # RLIMIT_NPROC: no new processes (not enforced for root; the hook is)


@dataclass(frozen=True, slots=True)
class TestSuite:
    """Tests of one task: assert statements, or stdin/stdout cases."""

    __test__ = False  # not a pytest test class, despite the name

    mode: str  # "tests" | "io"
    tests: tuple[str, ...] = ()
    setup: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.tests) if self.mode == "tests" else len(self.inputs)

    @classmethod
    def from_reference(cls, reference: Any) -> TestSuite | None:
        """The suite described by a reference answer, None when it has no tests (see module doc)."""
        if isinstance(reference, list) and reference and all(isinstance(t, str) for t in reference):
            return cls(mode="tests", tests=tuple(reference))
        if not isinstance(reference, Mapping):
            return None
        tests = reference.get("tests")
        if isinstance(tests, list) and tests and all(isinstance(t, str) for t in tests):
            setup = reference.get("setup")
            return cls(mode="tests", tests=tuple(tests), setup=setup if isinstance(setup, str) else None)
        inputs, outputs = reference.get("inputs"), reference.get("outputs")
        if (
            isinstance(inputs, list)
            and isinstance(outputs, list)
            and inputs
            and len(inputs) == len(outputs)
            and all(isinstance(x, str) for x in [*inputs, *outputs])
        ):
            return cls(mode="io", inputs=tuple(inputs), outputs=tuple(outputs))
        return None


@dataclass(frozen=True, slots=True)
class TestRun:
    """Outcome of a run: per-test verdicts and how the child ended."""

    __test__ = False

    passed: tuple[bool, ...]
    completed: bool  # the harness reported the end of the suite
    timed_out: bool  # killed by the wall-clock limit
    duration_s: float
    stderr_tail: str = ""

    @property
    def fraction(self) -> float:
        return sum(self.passed) / len(self.passed) if self.passed else 0.0


def _payload(code: str, suite: TestSuite, limits: SandboxLimits, nonce: str) -> dict[str, Any]:
    return {
        "nonce": nonce,
        "mode": suite.mode,
        "code": code,
        "tests": list(suite.tests),
        "setup": suite.setup,
        "inputs": list(suite.inputs),
        "outputs": list(suite.outputs),
        "limits": asdict(limits),
    }


def _python() -> str:
    """This interpreter (embedded runtimes may leave sys.executable empty)."""
    return sys.executable or shutil.which("python3") or "python3"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _read_verdicts(path: Path, nonce: str, size: int) -> tuple[list[bool], bool]:
    verdicts = [False] * size
    seen: set[int] = set()
    completed = False
    if not path.exists():
        return verdicts, completed
    with path.open("rb") as fh:
        data = fh.read(_MAX_RESULTS_BYTES).decode("utf-8", errors="replace")
    for line in data.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0] != nonce:
            continue
        if parts[1] == "done":
            completed = True
        elif len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            if 0 <= index < size and index not in seen:
                seen.add(index)
                verdicts[index] = parts[2] == "1"
    return verdicts, completed


def run_suite(
    code: str, suite: TestSuite, limits: SandboxLimits | None = None, *, temp_root: str | None = None
) -> TestRun:
    """Run `code` against `suite` in a sandboxed child; safe to call from any thread.

    The child's private directory is created under `temp_root` (default: the system temporary
    directory, /tmp in Lambda) and removed afterwards.
    """
    limits = limits or SandboxLimits()
    started = time.monotonic()
    if len(code) > _MAX_CODE_CHARS:
        return TestRun((False,) * suite.size, False, False, 0.0, "code too long")
    nonce = secrets.token_hex(16)
    workdir = Path(tempfile.mkdtemp(prefix="nova-sbx-", dir=temp_root))
    try:
        shutil.copyfile(_CHILD_SOURCE, workdir / "_harness.py")
        (workdir / "payload.json").write_text(json.dumps(_payload(code, suite, limits, nonce)), "utf-8")
        stderr_path = workdir / "stderr.txt"
        with stderr_path.open("wb") as stderr:
            proc = subprocess.Popen(
                [_python(), "-I", "-S", "-B", "-X", "utf8", "_harness.py"],
                cwd=workdir,
                env={"LANG": "C.UTF-8"},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
                close_fds=True,
            )
            timed_out = False
            try:
                proc.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(proc)  # also reaps anything the solution left running
                proc.wait()
        verdicts, completed = _read_verdicts(workdir / "results.txt", nonce, suite.size)
        with stderr_path.open("rb") as fh:
            fh.seek(max(0, stderr_path.stat().st_size - 2000))
            stderr_tail = fh.read().decode("utf-8", errors="replace")
        return TestRun(tuple(verdicts), completed, timed_out, time.monotonic() - started, stderr_tail)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def limits_for(overrides: Mapping[str, Any]) -> SandboxLimits:
    """SandboxLimits with some fields replaced (for dimension parameters)."""
    return SandboxLimits(**{**asdict(SandboxLimits()), **dict(overrides)})
