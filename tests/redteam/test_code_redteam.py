"""Red team of `code_tests`: every attack earns no credit and leaves no trace (issue 9).

Each attack is scored as the `response` to a record of the bundled code dataset (a function task
and a stdin/stdout task), through the `code_tests` dimension, twice: with every layer this
machine offers, and without Landlock (the layers AWS Lambda's kernel offers). After each, the test
checks: no test credit; the canary files (content, mode, times, xattrs) and their directory
unchanged; no connection or datagram on the loopback listeners; no child process, sandbox
directory or SysV IPC object left; the fake AWS secret (set in this, the grader's, environment)
and the attack's marker absent from the logs, the metrics and the result; the run bounded by its
wall-clock limit. Controls: right answers in both shapes score 1.0, and an escape body that
succeeds does earn credit (so an escape that worked would be seen).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nova_rewards import sandbox
from nova_rewards.dimensions import Sample, ScoringContext, get_dimension_class

from orchestrator.audit.code_hacks import code_hack_probes
from tests.redteam.attacks import DENIALS, ESCAPES, FN_SOLUTION, IO_SOLUTION, LEAKS, PRELUDE, Attack

ROOT = Path(__file__).resolve().parents[2]
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYREDTEAMKEY"
MARKER = "REDTEAM-MARKER-5c1d"
WALL = 3.0
PARAMS = {"wall_seconds": WALL, "per_test_seconds": 0.5, "cpu_seconds": 3, "memory_mb": 256, "max_workers": 1}


def _records() -> tuple[dict[str, Any], dict[str, Any]]:
    records = [json.loads(line) for line in (ROOT / "datasets" / "code.jsonl").read_text().splitlines()]
    function = next(r for r in records if r["id"] == "code-0001")  # add_3(x)
    io = next(r for r in records if "inputs" in r["reference_answer"] and "n integers" in str(r["messages"]))
    return function, io


FN_RECORD, IO_RECORD = _records()
# the function task as a class task asks for it (the attacks become methods of the class)
METHOD_RECORD = {
    "id": "code-0001-method",
    "reference_answer": {
        "tests": [t.replace("add_3(", "Adder().add_3(") for t in FN_RECORD["reference_answer"]["tests"]]
    },
}
MODES = ["all_layers", "no_landlock"]


@dataclasses.dataclass
class Arena:
    """What an attack could touch, and a snapshot of it."""

    root: Path
    canary: Path
    temp_root: Path
    sibling: Path
    tcp: socket.socket
    udp: socket.socket
    unix: socket.socket

    def places(self) -> dict[str, object]:
        return {
            "canary": str(self.canary),
            "canary_dir": str(self.canary.parent),
            "port": self.tcp.getsockname()[1],
            "udp_port": self.udp.getsockname()[1],
            "unix_socket": str(self.canary.parent / "sock"),
            "marker": MARKER,
        }

    def snapshot(self) -> dict[str, Any]:
        state: dict[str, Any] = {"tree": sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*"))}
        for path in (self.canary, self.sibling / "payload.json"):
            st = os.stat(path)
            state[str(path)] = (
                path.read_bytes(),
                st.st_mode,
                st.st_mtime_ns,
                st.st_ctime_ns,
                os.listxattr(path),
            )
        state["sysvipc"] = [_sysvipc(kind) for kind in ("shm", "msg", "sem")]
        return state


def _sysvipc(kind: str) -> int:
    try:
        return len(Path(f"/proc/sysvipc/{kind}").read_text().splitlines())
    except OSError:
        return -1


def _sandbox_processes(temp_root: Path) -> list[int]:
    """Processes running the child harness in a sandbox under `temp_root` (a leftover would be
    one): the bootstrap is their command line's last argument (sandbox_child.py arrives on stdin),
    their working directory their sandbox (other checkouts on this machine run children too)."""
    bootstrap = sandbox._BOOTSTRAP.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if bootstrap in (entry / "cmdline").read_bytes() and os.readlink(entry / "cwd").startswith(
                    str(temp_root)
                ):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture
def arena(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Arena]:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)  # as the execution role's in Lambda
    canary_dir = tmp_path / "canary"
    canary_dir.mkdir()
    canary = canary_dir / "canary.txt"
    canary.write_text("canary")
    temp_root = tmp_path / "sbx"
    temp_root.mkdir()
    sibling = sandbox.workspace(str(temp_root))  # another sample's sandbox, as if running next to this one
    (sibling / "payload.json").write_text("another sample's data")
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    tcp.setblocking(False)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.setblocking(False)
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(canary_dir / "sock"))
    unix.listen(8)
    unix.setblocking(False)
    try:
        yield Arena(tmp_path, canary, temp_root, sibling, tcp, udp, unix)
    finally:
        for sock in (tcp, udp, unix):
            sock.close()


def _dimension(mode: str, monkeypatch: pytest.MonkeyPatch):
    if mode == "no_landlock":  # what the child can do on a kernel without Landlock (Lambda)
        monkeypatch.setattr(
            "nova_rewards.dimensions.code.SandboxLimits",
            lambda **kw: sandbox.SandboxLimits(**kw, landlock=False),
        )
    cls = get_dimension_class("code_tests")
    return cls(cls.Params(**PARAMS))


def _score(response: str, record: dict[str, Any], arena: Arena, mode: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sandbox.tempfile, "tempdir", str(arena.temp_root))  # the sandboxes go here
    dim = _dimension(mode, monkeypatch)
    return dim.score(Sample("attack", (), response, record["reference_answer"]), ScoringContext())


def _nothing_received(arena: Arena) -> list[str]:
    problems = []
    for name, sock in (("tcp", arena.tcp), ("unix", arena.unix)):
        try:
            conn, _ = sock.accept()
            conn.close()
            problems.append(f"a {name} connection reached the listener")
        except BlockingIOError:
            pass
    try:
        arena.udp.recvfrom(65536)
        problems.append("a datagram reached the listener")
    except BlockingIOError:
        pass
    return problems


def _check_attack(
    code: str, record: dict[str, Any], arena: Arena, mode: str, caplog, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    before = arena.snapshot()
    started = time.monotonic()
    result = _score(f"```python\n{code}```", record, arena, mode, monkeypatch)
    elapsed = time.monotonic() - started
    assert result.value == 0.0 and result.metrics["tests_passed"] == 0.0, result
    assert set(result.metrics) <= {"tests_total", "code_found", "tests_passed", "timed_out"}  # no timings
    assert elapsed < WALL + 2.0, f"took {elapsed:.1f} s"
    assert arena.snapshot() == before
    assert _nothing_received(arena) == []
    assert _sandbox_processes(arena.temp_root) == []
    assert list(arena.temp_root.iterdir()) == [arena.sibling.parent]  # this process's sandboxes
    assert list(arena.sibling.parent.iterdir()) == [arena.sibling]
    shown = caplog.text + repr(result)
    assert SECRET not in shown and MARKER not in shown


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("attack", ESCAPES + DENIALS + LEAKS, ids=lambda a: a.name)
def test_attack_earns_nothing_and_leaves_no_trace(
    attack: Attack, mode: str, arena, caplog, monkeypatch
) -> None:
    record = IO_RECORD if attack.io else FN_RECORD
    _check_attack(attack.code(**arena.places()), record, arena, mode, caplog, monkeypatch)


def _credit_hacks() -> list[tuple[str, str, dict[str, Any]]]:
    records = (FN_RECORD, IO_RECORD, METHOD_RECORD)
    return [(name, text, rec) for rec in records for name, text in code_hack_probes(rec)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("name", "response", "record"), _credit_hacks(), ids=[f"{h[0]}-{h[2]['id']}" for h in _credit_hacks()]
)
def test_credit_without_solving_earns_nothing(
    name, response, record, mode, arena, caplog, monkeypatch
) -> None:
    code = response.removeprefix("```python\n").removesuffix("```\n")
    _check_attack(code, record, arena, mode, caplog, monkeypatch)


def test_suite_covers_every_class_of_the_issue() -> None:
    assert len(ESCAPES) + len(DENIALS) + len(LEAKS) + len(_credit_hacks()) >= 60
    names = {a.name for a in ESCAPES}
    for needed in (
        "environ_dev_fd_dotdot",
        "environ_dir_fd_dotdot",
        "read_sibling_sandbox",
        "dir_fd_create",
        "chmod_canary",
        "utime_canary",
        "setxattr_canary",
        "tcp_loopback_secret",
        "setsid_and_linger",
        "pidfd_send_signal",
        "subprocess_run",
    ):
        assert needed in names


# ---------------------------------------------------------------- controls


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("record", [FN_RECORD, IO_RECORD], ids=["function", "stdin_stdout"])
def test_right_answers_score_one(record, mode, arena, monkeypatch) -> None:
    solution = IO_SOLUTION if record is IO_RECORD else FN_SOLUTION
    code = PRELUDE + "ESCAPED = True\n" + solution  # the escape harness, with the gate open
    result = _score(f"```python\n{code}```", record, arena, mode, monkeypatch)
    assert result.value == 1.0, result


def test_the_right_method_scores_one(arena, monkeypatch) -> None:
    code = "class Adder:\n    def add_3(self, x):\n        return x + 3\n"
    assert _score(f"```python\n{code}```", METHOD_RECORD, arena, "all_layers", monkeypatch).value == 1.0


def test_a_working_escape_would_earn_credit(arena, monkeypatch) -> None:
    # the guard of every escape attack: a body that completes opens the gate to the right answer
    attack = Attack("harmless_body", "escape", "x = 1")
    result = _score(
        f"```python\n{attack.code(**arena.places())}```", FN_RECORD, arena, "all_layers", monkeypatch
    )
    assert result.value == 1.0


# escapes that are safe to run unconfined (no mount, no kill beyond signal 0, nothing outside the
# arena): each must succeed in a plain child of this process, so the suite's attacks are real
UNCONFINED_OK = [
    "environ_plain",
    "environ_double_slash",
    "environ_dev_fd_dotdot",
    "environ_dir_fd_dotdot",
    "parent_mem",
    "write_canary",
    "dir_fd_create",
    "chmod_canary",
    "utime_canary",
    "tcp_loopback_secret",
    "fork",
    "subprocess_run",
    "kill_parent",
    "pidfd_send_signal",
]


@pytest.mark.parametrize("name", UNCONFINED_OK)
def test_escape_works_without_the_sandbox(name: str, arena: Arena) -> None:
    import subprocess
    import sys

    attack = next(a for a in ESCAPES if a.name == name)
    code = attack.code(**arena.places()) + "print('ESCAPED' if ESCAPED else 'contained')\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=arena.root
    )
    assert out.stdout.strip() == "ESCAPED", out.stderr[-500:]


@pytest.mark.parametrize("mode", MODES)
def test_a_childs_standard_streams_cannot_be_opened_through_proc(mode, arena, monkeypatch) -> None:
    # From exec until its bootstrap makes it non-dumpable, a child's /proc/<pid>/fd/N can be
    # opened by any process of its user: a sibling sandbox (no Landlock, as in Lambda) held the
    # ends of every new child's stdin and stdout pipes, read their payloads and results, and
    # every batch-mate started while it ran failed (SandboxUnavailable). Sockets cannot be opened
    # through /proc by anybody; this test process, privileged or not, tries while the child runs.
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(sandbox.subprocess, "Popen", recording_popen)
    opened: list[str] = []

    def try_streams() -> None:
        deadline = time.monotonic() + 2.0
        while not started and time.monotonic() < deadline:
            time.sleep(0.001)
        while started and started[0].poll() is None and time.monotonic() < deadline:
            for number in (0, 1):
                try:
                    fd = os.open(f"/proc/{started[0].pid}/fd/{number}", os.O_RDONLY | os.O_NONBLOCK)
                except OSError:
                    continue
                if not os.path.samefile(f"/proc/self/fd/{fd}", os.devnull):  # the harness's own
                    opened.append(f"fd {number}: {stat.filemode(os.fstat(fd).st_mode)}")
                os.close(fd)
            time.sleep(0.005)

    prober = threading.Thread(target=try_streams)
    prober.start()
    code = "import time\ntime.sleep(0.3)\n" + FN_SOLUTION.replace("if ESCAPED else None", "")
    result = _score(f"```python\n{code}```", FN_RECORD, arena, mode, monkeypatch)
    prober.join()
    assert started and opened == [] and result.value == 1.0


def _python_for(command: list[str]) -> str | None:
    """A python that `command` (setpriv ... as an unprivileged user) can run, or None (a venv's
    python may live under /root)."""
    for python in (os.path.realpath(sys.executable), "/usr/bin/python3"):
        if subprocess.run([*command, python, "-c", "pass"], capture_output=True, cwd="/tmp").returncode == 0:
            return python
    return None


@pytest.mark.slow
@pytest.mark.parametrize("attack", ["steal_stdio", "thread_flood"])
def test_as_an_unprivileged_user_one_sample_cannot_fail_its_batch_mates(attack: str) -> None:
    # Lambda's threat model: no Landlock, no capabilities, a per-user process limit (1,024). As
    # root (CI) a child's capabilities and root's exemption from RLIMIT_NPROC hide both attacks,
    # so the batch runs as `nobody`. Before the fixes: 4 of 6 right samples raised
    # SandboxUnavailable (their stdio stolen); a thread flood made the grader's Popen fail.
    if os.geteuid() != 0 or not (shutil.which("setpriv") and shutil.which("prlimit")):
        pytest.skip("needs root, setpriv and prlimit to run the batch as an unprivileged user")
    tasks = int(Path("/proc/loadavg").read_text().split()[3].split("/")[1])
    helper = Path(__file__).with_name("unprivileged_batch.py")
    command = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "prlimit",
        f"--nproc={tasks + 150}",
    ]
    python = _python_for(command)
    if python is None:
        pytest.skip("no python that the unprivileged user can run")
    out = subprocess.run(
        [*command, python, str(helper), str(ROOT / "functions"), attack],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/tmp",
    )
    assert out.returncode == 0, out.stderr[-800:]
    assert json.loads(out.stdout.splitlines()[-1]) == [[True, True]] * 6
