"""Run untrusted Python (a model's solution) in a confined child; judge its results here.

Built for AWS Lambda (Python 3.12 on Firecracker microVMs: no root, no namespaces, no Docker, only
/tmp writable) and for being called from worker threads (no signals, no `preexec_fn`).

The boundary, layer by layer:
- **Verdicts in this process.** The child receives the solution and the calls to make (or the
  stdin texts), never the expected values (`sandbox_verdicts.py`). It answers with JSON lines of
  plain data; this process decodes them strictly and compares. An exit status, an exception, a
  `SystemExit`, a missing or malformed line never passes a case.
- **This process is non-dumpable** (`PR_SET_DUMPABLE` 0, set when this module is imported): a
  process of the same user without CAP_SYS_PTRACE cannot open its `/proc/<pid>/environ`, `mem`,
  `fd/...` under any path spelling, so the execution role's credentials stay unreadable.
- **The child** (`sandbox_child.py`): a fresh `python -I -S -B` with an empty environment, its own
  session and process group, resource limits (CPU, memory, file size, open files), then
  non-dumpable, no_new_privs, no capabilities, Landlock (read-only libraries, nothing else; no TCP;
  scoped signals) where the kernel has it, and a seccomp-BPF filter that is required: no sockets,
  no process creation, no exec, no ptrace, no cross-process memory, no signals to other processes,
  no pidfds, no io_uring, no file-system changes (the file system is read-only for the solution,
  with or without Landlock, so it behaves the same in Lambda and on a laptop). The child reports
  its active layers before any untrusted code runs; without seccomp the run is refused
  (`SandboxUnavailable`), never degraded.
- **Bounds.** A wall-clock kill of the child's process group; the results are read with a byte
  cap, and only what could equal an expected value is parsed and built (`_line_cap`,
  `plain_bounds`: the child chooses the data, e.g. a set of ints with one hash); the child's
  private directory is removed with depth, entry and time limits, and that time is counted in
  the run's budget.
- **Siblings.** Each child's directory has a random 128-bit name inside a per-process directory of
  mode 0311 (enter, never list), so concurrent samples cannot find each other's; their memory and
  /proc entries are protected as the grader's are (each child is non-dumpable too). A child's
  stdin and stdout are one socket: until its first line runs a child is dumpable, and a pipe's
  /proc/<pid>/fd entry could then be opened by a sibling; a socket's cannot. A child may add only
  a few threads to the user's process count (RLIMIT_NPROC), which the grader shares.
- **No side channel.** The child's stderr goes to /dev/null; nothing it writes reaches logs or
  exceptions; callers get verdicts and `timed_out`, not durations.

Layers in AWS Lambda (found at run time: the child tries each and reports what it installed;
the first run of a process logs it, `sandbox_layers()` asks on demand): PR_SET_DUMPABLE,
no_new_privs and seccomp filters need no privilege; Landlock needs Linux >= 5.13 with the LSM
enabled, which Lambda's Firecracker kernels have not offered, so there the child runs with every
layer but Landlock (probed with `landlock_create_ruleset(NULL, 0, VERSION)`). Details and what
the sandbox does not guarantee: functions/nova_rewards/README.md, `code_tests`.

Libraries: no maintained PyPI package fits (python bindings of libseccomp need libseccomp.so,
absent from Lambda's image; `landlock` is a pre-release); the child assembles its ~350-instruction
BPF program and calls prctl/landlock through ctypes (stdlib), tested in tests/unit/rewards.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import marshal
import os
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nova_rewards.sandbox_verdicts import (
    CallCase,
    TestSuite,
    UnsupportedTest,
    case_passed,
    check_reference,
    decode_plain,
    output_matches,
    parse_json_line,
    plain_bounds,
)

__all__ = [
    "SandboxLimits",
    "SandboxUnavailable",
    "TestRun",
    "TestSuite",
    "UnsupportedTest",
    "check_reference",
    "harden_grader",
    "run_suite",
    "sandbox_layers",
]

_log = logging.getLogger(__name__)
_CHILD = Path(__file__).with_name("sandbox_child.py")
_MAX_CODE_CHARS = 100_000
_CLEANUP_MAX_DEPTH = 32
_CLEANUP_MAX_ENTRIES = 10_000
_PR_SET_DUMPABLE = 4


class SandboxUnavailable(RuntimeError):
    """The child could not install its mandatory layers (seccomp); no untrusted code ran."""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Bounds of one run. Defaults suit Lambda (512 MB+ memory, a few seconds per sample)."""

    wall_seconds: float = 10.0  # whole run including cleanup; the child is killed at this point
    per_test_seconds: float = 2.0  # CPU time of each case (and of loading the solution); 3x in wall time
    cpu_seconds: int = 10
    memory_bytes: int = 512 * 1024 * 1024
    output_bytes: int = 256 * 1024  # captured stdout per stdin/stdout case
    open_files: int = 64
    result_bytes: int = 4 * 1024 * 1024  # everything the child may send back
    landlock: bool = True  # False only to test the Lambda-like layers on a Landlock kernel


@dataclass(frozen=True, slots=True)
class TestRun:
    """Outcome of a run: per-case verdicts and how the child ended."""

    __test__ = False

    passed: tuple[bool, ...]
    completed: bool  # the child reported the end of the suite
    timed_out: bool  # killed by the wall-clock limit
    duration_s: float  # for benchmarks; never report it (a timing channel)
    layers: tuple[str, ...] = ()

    @property
    def fraction(self) -> float:
        return sum(self.passed) / len(self.passed) if self.passed else 0.0


def harden_grader() -> bool:
    """Make this process non-dumpable (see the module doc); True when the kernel accepted it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


_HARDENED = harden_grader()


# reads the harness's code object (compiled once, in this process) then runs it; see sandbox_child
_BOOTSTRAP = """import ctypes, marshal, os
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0 first: siblings lose /proc access to us
def _read_exactly(n):
    data = b""
    while len(data) < n:
        chunk = os.read(0, n - len(data))
        if not chunk:
            raise SystemExit(4)
        data += chunk
    return data
exec(marshal.loads(_read_exactly(int(_read_exactly(10)))))
"""
_harness_lock = threading.Lock()
_harness: list[bytes] = []


def _harness_code() -> bytes:
    with _harness_lock:
        if not _harness:
            code = compile(_CHILD.read_text("utf-8"), str(_CHILD), "exec", dont_inherit=True)
            _harness.append(marshal.dumps(code))
        return _harness[0]


def _payload(code: str, suite: TestSuite, limits: SandboxLimits) -> bytes:
    """What the child reads on stdin: its harness, then the run (marshalled plain literals)."""
    payload: dict[str, Any] = {
        "mode": suite.mode,
        "code": code,
        "setup": suite.setup,
        "limits": asdict(limits),
        "landlock": limits.landlock,
    }
    if suite.mode == "io":
        payload["inputs"] = list(suite.inputs)  # never the outputs
    else:  # never the expected values
        payload["calls"] = [
            (
                c.function,
                c.args,
                dict(c.kwargs),
                c.wrap,
                c.owner and (*c.owner[:2], dict(c.owner[2]), c.owner[3]),
            )
            for c in suite.calls
        ]
    harness = _harness_code()
    return f"{len(harness):010d}".encode() + harness + marshal.dumps(payload)


def _python() -> str:
    return sys.executable or "python3"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()  # in case it left its group (seccomp forbids it; belt and braces)


def _exchange(channel: socket.socket, payload: bytes, deadline: float, cap: int) -> tuple[bytes, bool]:
    """Send the payload, read the results (at most `cap` bytes) until EOF or the deadline.

    Returns (results, timed_out). Runs on any thread: selectors, no signals.
    """
    received = bytearray()
    pending = memoryview(payload)
    channel.setblocking(False)
    with selectors.DefaultSelector() as selector:
        selector.register(channel, selectors.EVENT_READ | selectors.EVENT_WRITE)
        sending = True
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(received), True
            for _, events in selector.select(remaining):
                if sending and events & selectors.EVENT_WRITE:
                    try:
                        pending = pending[channel.send(pending[:65536], socket.MSG_NOSIGNAL) :]
                    except BlockingIOError:
                        pass
                    except OSError:  # the child stopped reading: it gets no more
                        pending = pending[:0]
                    if not pending:
                        sending = False
                        with contextlib.suppress(OSError):
                            channel.shutdown(socket.SHUT_WR)  # the child reads EOF
                        selector.modify(channel, selectors.EVENT_READ)
                if events & selectors.EVENT_READ:
                    try:
                        chunk = channel.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:  # e.g. ECONNRESET: the child exited without reading everything
                        chunk = b""
                    if not chunk:
                        return bytes(received), False
                    received += chunk
                    if len(received) > cap:
                        return bytes(received[:cap]), False


def _line_cap(suite: TestSuite, limits: SandboxLimits) -> int:
    """The longest result line worth parsing: one that could hold a passing answer. Parsing costs
    this process memory many times the text (`[{},{},...]`: ~25 bytes per byte), so the child
    chooses how much only within this bound."""
    if suite.mode == "io":
        return 6 * limits.output_bytes + 1024  # the output, every byte escaped
    return max(plain_bounds(case.expected)[1] for case in suite.calls) + 1024


def _result_cap(suite: TestSuite, limits: SandboxLimits) -> int:
    """What the child may send: `result_bytes`, or more when the expected values are large (a
    right answer to each call fits its line cap; six results of 120,000 ints lost the last case)."""
    if suite.mode == "io":
        return limits.result_bytes
    return max(limits.result_bytes, sum(plain_bounds(case.expected)[1] + 1024 for case in suite.calls) + 4096)


def _parse_results(
    data: bytes, size: int, line_cap: int
) -> tuple[tuple[str, ...], dict[int, dict[str, Any]], bool]:
    """(layers, first line per case index, done). Malformed or overlong lines are ignored (they
    fail cases)."""
    # the harness writes size + 2 lines; more are the solution's (bounded: parsing costs this process)
    lines = data.split(b"\n", 2 * size + 64)[: 2 * size + 64]
    layers: tuple[str, ...] = ()
    cases: dict[int, dict[str, Any]] = {}
    done = False
    for number, line in enumerate(lines):
        if not line.strip() or len(line) > line_cap:
            continue
        try:
            item = parse_json_line(line)
        except (ValueError, RecursionError):
            continue
        if type(item) is not dict:
            continue
        if number == 0:  # written before any untrusted code ran
            raw = item.get("layers")
            if type(raw) is list and all(type(x) is str for x in raw):
                layers = tuple(raw)
            continue
        if item.get("done") is True:
            done = True
        index = item.get("i")
        if type(index) is int and 0 <= index < size and index not in cases:
            cases[index] = item
    return layers, cases, done


def _verdicts(
    suite: TestSuite,
    cases: Mapping[int, Mapping[str, Any]],
    rel_tol: float,
    abs_tol: float,
    output_float_tol: float = 0.0,
) -> list[bool]:
    verdicts = []
    for index in range(suite.size):
        item = cases.get(index)
        if item is None or item.get("ok") is not True:
            verdicts.append(False)
        elif suite.mode == "io":
            out = item.get("out")
            verdicts.append(type(out) is str and output_matches(out, suite.outputs[index], output_float_tol))
        else:
            verdicts.append(_call_verdict(suite.calls[index], item.get("v"), rel_tol, abs_tol))
    return verdicts


def _call_verdict(case: CallCase, raw: Any, rel_tol: float, abs_tol: float) -> bool:
    budget = [plain_bounds(case.expected)[0] + 16]  # a passing result is no larger than expected
    try:
        got = decode_plain(raw, budget=budget)
    except (ValueError, TypeError, RecursionError):  # malformed, or an unhashable set member
        return False
    return case_passed(case, got, rel_tol, abs_tol)


def remove_tree(root: Path, deadline: float) -> bool:
    """Delete `root` within depth/entry/time limits; True when it is gone.

    Iterative (a deep tree cannot exhaust the stack) and relative to directory fds (a long path
    cannot fail it). The solution cannot create files (seccomp), so this only ever meets an empty
    directory; the limits keep that true of the cost should a layer ever be missing.
    """
    entries = 0
    stack = [(str(root), 0)]
    while stack:
        path, depth = stack[-1]
        if time.monotonic() > deadline or depth > _CLEANUP_MAX_DEPTH or entries > _CLEANUP_MAX_ENTRIES:
            return False
        try:
            children = list(os.scandir(path))
        except FileNotFoundError:
            stack.pop()
            continue
        except OSError:
            return False
        subdirs = [c.path for c in children if c.is_dir(follow_symlinks=False)]
        for child in children:
            entries += 1
            if not child.is_dir(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(child.path)
        if subdirs:
            stack.extend((sub, depth + 1) for sub in subdirs)
            continue
        with contextlib.suppress(FileNotFoundError):
            os.rmdir(path)
        stack.pop()
    return True


_layers_logged = threading.Event()
_containers: dict[str, Path] = {}
_containers_lock = threading.Lock()


def _container(temp_root: str | None) -> Path:
    """This process's directory of sandboxes under `temp_root`: mode 0311, so a child (same user,
    no capabilities, no chmod) can enter its own directory but never list its siblings'."""
    key = os.path.realpath(temp_root or tempfile.gettempdir())
    with _containers_lock:
        path = _containers.get(key)
        if path is None or not path.is_dir():
            path = Path(tempfile.mkdtemp(prefix=f"nova-sbx-{os.getpid()}-", dir=key))
            path.chmod(0o311)
            atexit.register(_remove_quietly, path)
            _containers[key] = path
        return path


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()


def workspace(temp_root: str | None) -> Path:
    """A new private directory (mode 0700, a 128-bit random name) for one child."""
    path = _container(temp_root) / secrets.token_hex(16)
    path.mkdir(mode=0o700)
    return path


def _note_layers(layers: tuple[str, ...]) -> None:
    if not _layers_logged.is_set():
        _layers_logged.set()
        grader = "nondumpable" if _HARDENED else "DUMPABLE (prctl failed)"
        _log.info("code sandbox layers: grader %s; child %s", grader, ", ".join(layers) or "none")


def _run_child(
    code: str, suite: TestSuite, limits: SandboxLimits, temp_root: str | None
) -> tuple[bytes, bool]:
    """(results the child sent, timed out): one child, killed by the deadline, directory removed."""
    deadline = time.monotonic() + limits.wall_seconds
    workdir = workspace(temp_root)
    try:
        # One socket is the child's stdin and stdout. Pipes would not do: from exec until its
        # first line makes it non-dumpable, the child's /proc/<pid>/fd/0 and /1 can be opened by
        # any process of the same user, so a sibling sandbox could hold an end of them and steal
        # the payload or the results; a socket cannot be opened through /proc (ENXIO).
        channel, child_end = socket.socketpair()
        try:
            with child_end:
                proc = subprocess.Popen(
                    [_python(), "-I", "-S", "-B", "-X", "utf8", "-c", _BOOTSTRAP],
                    cwd=workdir,
                    env={"LANG": "C.UTF-8"},
                    stdin=child_end.fileno(),
                    stdout=child_end.fileno(),
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                    close_fds=True,
                )
            try:
                return _exchange(channel, _payload(code, suite, limits), deadline, _result_cap(suite, limits))
            finally:
                _kill_group(proc)
                proc.wait()
        finally:
            channel.close()
    finally:
        # cleanup shares the run's budget (plus a grace second for a run that used all of it)
        if not remove_tree(workdir, max(deadline, time.monotonic()) + 1.0):
            _log.warning("code sandbox: could not remove %s within its limits", workdir)


def run_suite(
    code: str,
    suite: TestSuite,
    limits: SandboxLimits | None = None,
    *,
    temp_root: str | None = None,
    rel_tol: float = 1e-9,
    abs_tol: float = 0.0,
    output_float_tol: float = 0.0,
) -> TestRun:
    """Run `code` against `suite` in a confined child and judge it here; safe from any thread.

    Raises `SandboxUnavailable` when this process is not non-dumpable or the child did not report
    seccomp active (no untrusted code ran: the child stops before it).
    """
    limits = limits or SandboxLimits()
    started = time.monotonic()
    if not _HARDENED:  # a child could read this process's environment: run nothing
        raise SandboxUnavailable("the grader could not make itself non-dumpable (prctl)")
    if len(code) > _MAX_CODE_CHARS:
        return TestRun((False,) * suite.size, False, False, 0.0)
    data, timed_out = _run_child(code, suite, limits, temp_root)
    layers, cases, done = _parse_results(data, suite.size, _line_cap(suite, limits))
    _note_layers(layers)
    if "seccomp" not in layers:
        why = "it timed out while starting" if timed_out else f"layers: {', '.join(layers) or 'none'}"
        raise SandboxUnavailable(f"the code sandbox did not confirm its seccomp filter ({why})")
    verdicts = _verdicts(suite, cases, rel_tol, abs_tol, output_float_tol)
    return TestRun(tuple(verdicts), done, timed_out, time.monotonic() - started, layers)


def sandbox_layers(temp_root: str | None = None, *, landlock: bool = True) -> tuple[str, ...]:
    """The layers a child installs on this machine (runs a trivial child, ~30 ms)."""
    suite = TestSuite(mode="io", inputs=("",), outputs=("",))
    limits = SandboxLimits(landlock=landlock)
    data, _ = _run_child("pass", suite, limits, temp_root)
    return _parse_results(data, 1, _line_cap(suite, limits))[0]
