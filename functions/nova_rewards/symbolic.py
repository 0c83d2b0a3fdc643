"""Symbolic equivalence of two math answers: Math-Verify (then sympy) in a killable worker process.

The worker runs Math-Verify (Hugging Face's LaTeX/expression parser and equivalence checker: sets,
intervals, tuples, matrices, equations, inequalities, closed forms) on the main thread of its own
process, where its SIGALRM timeouts work; when Math-Verify cannot parse an answer, sympy's
`parse_expr` is tried on the allow-listed text of `to_sympy_syntax`.

Why a process: sympy can take unbounded time (`simplify` of a crafted expression, `9**9**9`), and
SIGALRM only works on the main thread (Math-Verify's known failure under thread pools). A child
process can always be killed, from any thread. The caller gives each request a time limit; on
overrun the worker is killed (with its process group), a warm spare takes over at once and
`SymbolicTimeout` is raised for that sample only. sympy and Math-Verify are imported by the worker,
never by the Lambda handler, so cold start does not pay for them. Lambda has no /dev/shm, so no
multiprocessing pool: a plain `subprocess` speaking JSON lines over one socket (its stdin and stdout).
A socket, not pipes: a pipe end of a process can be opened through `/proc/<pid>/fd/` by any process of
the same user while that process is dumpable, so in a spec that also runs `code_tests`, a solution
could read or forge the verdicts of its batch-mates' answers; a socket cannot be opened that way
(ENXIO). The worker also makes itself non-dumpable.

Safety: sympy's `parse_expr` evaluates Python, so text reaches it only after `to_sympy_syntax`
has turned it into an allow-listed vocabulary (digits, operators, brackets, one-letter variables,
a few function names); anything else is "not comparable". Math-Verify parses LaTeX with an ANTLR
grammar (no eval). The worker also caps its own memory.

Run as `python -m nova_rewards.symbolic` to start a worker (protocol below).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import math
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from typing import Any

__all__ = ["to_sympy_syntax", "SymbolicChecker", "SymbolicTimeout", "symbolic_equal"]

MAX_EXPR_CHARS = 10_000
_RETRY_START_AFTER_S = 60.0
_WORKER_MEMORY_BYTES = 1024 * 1024 * 1024


class SymbolicTimeout(TimeoutError):
    """The worker did not answer within the request's time limit; it was killed and replaced."""


_LATEX_REPLACEMENTS = (
    ("\\left", ""),
    ("\\right", ""),
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\cdot", "*"),
    ("\\times", "*"),
    ("\\div", "/"),
    ("\\pi", " pi "),
    ("\\infty", " oo "),
    ("\\ln", " log"),
    ("\\log", " log"),
    ("\\sin", " sin"),
    ("\\cos", " cos"),
    ("\\tan", " tan"),
    ("\\exp", " exp"),
    ("\\!", ""),
    ("\\,", ""),
    ("\\;", ""),
    ("$", ""),
    ("^", "**"),
    ("\u2212", "-"),
)
_FUNCTIONS = {"sqrt", "pi", "oo", "log", "sin", "cos", "tan", "exp", "E", "I"}
_IDENT_RE = re.compile(r"[A-Za-z]+")
_ALLOWED_RE = re.compile(r"^[0-9A-Za-z+\-*/().,\s]*$")


def _replace_frac_and_sqrt(text: str) -> str:
    """`\\frac{a}{b}` -> `((a)/(b))`, `\\sqrt{x}` -> `sqrt(x)`, `\\sqrt[n]{x}` -> `(x)**(1/(n))`."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("\\frac", i):
            i += 5
            num, i = _group(text, i)
            den, i = _group(text, i)
            out.append(f"(({_replace_frac_and_sqrt(num)})/({_replace_frac_and_sqrt(den)}))")
        elif text.startswith("\\sqrt", i):
            i += 5
            index = None
            if i < len(text) and text[i] == "[":
                close = text.index("]", i)
                index, i = text[i + 1 : close], close + 1
            arg, i = _group(text, i)
            arg = _replace_frac_and_sqrt(arg)
            out.append(f"sqrt({arg})" if index is None else f"(({arg})**(1/({index})))")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _group(text: str, i: int) -> tuple[str, int]:
    """A `{...}` group (nested) or a single character at `text[i]`, and the index after it."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        raise ValueError("missing argument")
    if text[i] != "{":
        return text[i], i + 1
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], j + 1
    raise ValueError("unbalanced braces")


def to_sympy_syntax(answer: str) -> str | None:
    """`answer` (LaTeX or plain math) as a string safe for sympy's parser, None when not allowed."""
    text = str(answer)
    if len(text) > MAX_EXPR_CHARS or "__" in text:
        return None
    text = re.sub(r"\\(?:text|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}", r"\1", text)
    try:
        text = _replace_frac_and_sqrt(text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac"))
    except (ValueError, IndexError, RecursionError):  # malformed or absurdly nested LaTeX
        return None
    for old, new in _LATEX_REPLACEMENTS:
        text = text.replace(old, new)
    text = text.replace("{", "(").replace("}", ")").replace("[", "(").replace("]", ")")
    if "=" in text:  # "x = 5" / "y = 2x + 1": compare the right-hand side
        lhs, _, rhs = text.partition("=")
        if "=" in rhs or re.search(r"\d", lhs):
            return None  # "3 or 4 = 4", "2+3=5": a computation, not a named answer
        text = rhs
    text = text.strip().rstrip(".")
    if not text or not _ALLOWED_RE.match(text):
        return None
    for ident in _IDENT_RE.findall(text):
        if ident not in _FUNCTIONS and len(ident) > 1:
            return None  # "x" and "y" are variables; "os" or "system" are not maths
    return text


# ---------------------------------------------------------------- worker side (child process)


def _limit_own_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (_WORKER_MEMORY_BYTES, _WORKER_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):  # pragma: no cover - platform without limits
        pass


def _make_non_dumpable() -> None:
    """PR_SET_DUMPABLE 0: other processes of this user lose /proc access to this one (fds, memory)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (ImportError, OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _as_latex(answer: str) -> str:
    """An extracted answer as Math-Verify input: boxed, so that its text is taken whole."""
    depth = 0
    for ch in answer:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            break
    return f"\\boxed{{{answer}}}" if depth == 0 else f"${answer}$"


@functools.lru_cache(maxsize=1024)
def _parsed(answer: str, timeout_s: int) -> list[Any]:
    """Math-Verify's parse of one answer, cached: the samples of one prompt share their reference.

    The answer is already extracted and wrapped as LaTeX (`_as_latex`), so the LaTeX extraction alone
    is tried first: the default also runs the plain-expression extraction on the same text, which
    costs about a quarter of the worker's time on the peer suite and changes no verdict there. Only
    when LaTeX finds nothing is the default (both extractions) tried."""
    from math_verify import LatexExtractionConfig, parse

    latex = _as_latex(answer)
    return parse(latex, extraction_config=[LatexExtractionConfig()], parsing_timeout=timeout_s) or parse(
        latex, parsing_timeout=timeout_s
    )


def _math_verify_equal(pred: str, gold: str, timeout_s: int) -> bool | None:
    """Math-Verify's verdict, None when it cannot parse one side."""
    from math_verify import verify

    gold_parsed = _parsed(gold, timeout_s)
    pred_parsed = _parsed(pred, timeout_s)
    if not gold_parsed or not pred_parsed:
        return None
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=timeout_s))


def _sympy_equal(a_text: str, b_text: str, tol: float) -> bool | None:
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    transformations = (*standard_transformations, implicit_multiplication_application, convert_xor)
    local = {name: sympy.Symbol(name) for name in "abcdfghjklmnopqrstuvwxyz"}
    local.update({"E": sympy.E, "I": sympy.I, "pi": sympy.pi, "oo": sympy.oo})
    try:
        a = parse_expr(a_text, local_dict=local, transformations=transformations, evaluate=True)
        b = parse_expr(b_text, local_dict=local, transformations=transformations, evaluate=True)
    except Exception:  # noqa: BLE001 - unparseable text is "not comparable", not an error
        return None
    try:
        if sympy.simplify(a - b) == 0:
            return True
        if not a.free_symbols and not b.free_symbols:
            av, bv = complex(sympy.N(a)), complex(sympy.N(b))
            return abs(av - bv) <= max(1e-12, tol * max(abs(av), abs(bv)))
        return bool(a.equals(b))
    except Exception:  # noqa: BLE001
        return None


def _worker_equal(pred: str, gold: str, tol: float, timeout_s: int = 5) -> bool | None:
    """Math-Verify first; sympy on the allow-listed text when Math-Verify cannot parse a side."""
    try:
        verdict = _math_verify_equal(pred, gold, timeout_s)
    except Exception:  # noqa: BLE001 - absent or crashed: "not decided" here, sympy may still decide
        verdict = None
    if verdict is not None:
        return verdict
    a_expr, b_expr = to_sympy_syntax(pred), to_sympy_syntax(gold)
    if a_expr is None or b_expr is None:
        return None
    return _sympy_equal(a_expr, b_expr, tol)


# Typical answers parsed by a spare worker before it reports ready: the LaTeX parser (ANTLR) caches
# its decisions per process, so a warm spare parses the next answers several times faster.
_WARM_UP = (
    ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}"),
    ("(1, 2)", "\\{1, 2\\}"),
    ("x \\le 3", "(-\\infty, 3]"),
    ("y = 2x + 1", "2x+1"),
    ("\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}"),
    ("3\\pi", "9.42"),
    ("x^2 - 1", "(x-1)(x+1)"),
    ("[0, 1)", "0 \\le x < 1"),
)


def _worker_main(warm: bool = False) -> int:
    """Serve requests `{"a": pred, "b": gold, "tol": float, "timeout": int}` -> `{"equal": bool | null}`,
    one JSON object per line. `warm`: parse typical answers first (spares have the time)."""
    _limit_own_memory()
    _make_non_dumpable()
    import sympy  # noqa: F401 - import before announcing readiness

    with contextlib.suppress(ImportError):  # without Math-Verify, sympy alone decides
        import math_verify  # noqa: F401
    if warm:
        for pred, gold in _WARM_UP:
            with contextlib.suppress(Exception):
                _worker_equal(pred, gold, 1e-6, 2)

    sys.stdout.write('{"ready": true}\n')
    sys.stdout.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            equal = _worker_equal(
                request["a"],
                request["b"],
                float(request.get("tol", 1e-6)),
                int(request.get("timeout", 5)),
            )
        except Exception:  # noqa: BLE001
            equal = None
        sys.stdout.write(json.dumps({"equal": equal}) + "\n")
        sys.stdout.flush()
    return 0


# ---------------------------------------------------------------- caller side


class _Worker:
    """A worker process and the parent's end of the socket that is its stdin and stdout."""

    def __init__(self, proc: subprocess.Popen[bytes], channel: socket.socket) -> None:
        self.proc = proc
        self.channel = channel
        self.reader = channel.makefile("rb")

    def poll(self) -> int | None:
        return self.proc.poll()

    def send_line(self, line: bytes) -> None:
        self.channel.sendall(line, socket.MSG_NOSIGNAL)  # EPIPE as an error, never SIGPIPE

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.reader.close()
        self.channel.close()


class SymbolicChecker:
    """A lazily started worker, shared by threads (one request at a time), killed on timeout.

    A spare worker is started in the background after a kill, so the next request does not wait
    for sympy's import: a slow sample costs its own time limit, not its batch-mates'.
    """

    def __init__(
        self, *, startup_timeout: float = 15.0, cache_size: int = 4096, python: str | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._proc: _Worker | None = None
        self._spare: _Worker | None = None
        self._startup_timeout = startup_timeout
        self._python = python or sys.executable or shutil.which("python3") or "python3"
        self._cache: OrderedDict[tuple[str, str, float], bool | None] = OrderedDict()
        self._cache_size = cache_size
        self._broken_until = 0.0

    def _spawn(self, *, warm: bool = False) -> _Worker:
        env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "PATH": os.environ.get("PATH", "")}
        channel, child_end = socket.socketpair()
        try:
            with child_end:
                proc = subprocess.Popen(
                    [self._python, "-m", "nova_rewards.symbolic", *(["--warm"] if warm else [])],
                    stdin=child_end.fileno(),
                    stdout=child_end.fileno(),
                    stderr=subprocess.DEVNULL,
                    env=env,
                    cwd="/tmp" if os.path.isdir("/tmp") else None,
                    start_new_session=True,  # its own process group: killed as a whole on timeout
                )
        except BaseException:
            channel.close()
            raise
        return _Worker(proc, channel)

    def _start(self, ready_timeout: float | None) -> _Worker:
        """A ready worker: the spare when there is one, else a new process; then a new spare starts
        in the background, so that a kill rarely leaves the next sample waiting for imports.

        Waiting for a worker's imports is not the sample's own work, so it is not bounded by the
        sample's time limit (a correct answer must not time out because its predecessor was slow)
        but by `ready_timeout` (the caller's deadline) and `startup_timeout`. When the caller's time
        runs out first, `SymbolicTimeout` is raised and the worker keeps starting for the next sample.
        """
        proc, self._spare = (self._spare, None) if self._spare is not None else (self._spawn(), None)
        wait = self._startup_timeout if ready_timeout is None else min(self._startup_timeout, ready_timeout)
        if self._read_line(proc, wait) is None:
            if proc.poll() is None and wait < self._startup_timeout:
                self._spare = proc  # still importing: keep it for the next sample
                raise SymbolicTimeout(f"no worker ready within {wait:.2f} s (one is starting)")
            self._kill(proc)
            raise RuntimeError("symbolic worker did not start")
        with contextlib.suppress(OSError):
            self._spare = self._spawn(warm=True)
        return proc

    @staticmethod
    def _read_line(worker: _Worker, timeout: float) -> bytes | None:
        # One request in flight at a time, so nothing is left in the reader's buffer between lines
        # and waiting on the socket itself is exact.
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(worker.channel, selectors.EVENT_READ)
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return None
            try:
                line = worker.reader.readline()
            except OSError:
                return None
            return line or None

    @staticmethod
    def _kill(worker: _Worker) -> None:
        worker.kill()

    def close(self) -> None:
        """Stop the workers (a worker is restarted on the next request)."""
        with self._lock:
            for proc in (self._proc, self._spare):
                if proc is not None:
                    self._kill(proc)
            self._proc = self._spare = None

    def equal(
        self, a: str, b: str, *, tol: float = 1e-6, timeout: float = 2.0, ready_timeout: float | None = None
    ) -> bool | None:
        """Whether answer `a` equals reference `b`: True/False when decided, None when neither
        Math-Verify nor sympy can compare them. Raises `SymbolicTimeout` when the worker takes
        longer than `timeout` seconds (it is then killed and replaced), or when no worker is ready
        within `ready_timeout` seconds (default: `startup_timeout`)."""
        a, b = str(a), str(b)
        if len(a) > MAX_EXPR_CHARS or len(b) > MAX_EXPR_CHARS:
            return None
        key = (a, b, tol)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            result = self._ask(a, b, tol, timeout, ready_timeout)
            self._cache[key] = result
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return result

    def _ask(self, a: str, b: str, tol: float, timeout: float, ready_timeout: float | None) -> bool | None:
        if self._proc is None or self._proc.poll() is not None:
            if time.monotonic() < self._broken_until:
                return None
            try:
                self._proc = self._start(ready_timeout)
            except SymbolicTimeout:  # an OSError too (TimeoutError): not a broken environment
                raise
            except (OSError, RuntimeError):
                # no sympy in this environment, or no room for a process: answers that need the
                # symbolic fallback are "not decided" for a while instead of failing every sample
                self._proc = None
                self._broken_until = time.monotonic() + _RETRY_START_AFTER_S
                return None
        proc = self._proc
        request = {"a": a, "b": b, "tol": tol, "timeout": max(1, math.ceil(timeout))}
        try:
            proc.send_line((json.dumps(request) + "\n").encode())
        except OSError:
            self._replace(proc)
            return None
        line = self._read_line(proc, timeout)
        if line is None:  # timed out or died: the worker's state is unknown, replace it
            died = proc.poll() is not None
            self._replace(proc)
            if died:
                return None
            raise SymbolicTimeout(f"symbolic comparison took longer than {timeout:.2f} s")
        try:
            return json.loads(line).get("equal")
        except ValueError:
            return None

    def _replace(self, proc: _Worker) -> None:
        """Kill `proc`; the next request promotes the spare (see `_start`)."""
        self._kill(proc)
        self._proc = None


_CHECKER: SymbolicChecker | None = None
_CHECKER_LOCK = threading.Lock()


def symbolic_equal(
    a: str, b: str, *, tol: float = 1e-6, timeout: float = 2.0, ready_timeout: float | None = None
) -> bool | None:
    """Module-level convenience over one shared `SymbolicChecker` (raises `SymbolicTimeout`)."""
    global _CHECKER
    with _CHECKER_LOCK:
        if _CHECKER is None:
            _CHECKER = SymbolicChecker()
            atexit.register(_CHECKER.close)
        checker = _CHECKER
    return checker.equal(a, b, tol=tol, timeout=timeout, ready_timeout=ready_timeout)


if __name__ == "__main__":
    sys.exit(_worker_main(warm="--warm" in sys.argv[1:]))
