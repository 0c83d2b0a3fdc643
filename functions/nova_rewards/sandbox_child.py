"""The harness that runs untrusted code inside the sandbox's child process (see `sandbox.py`).

This file is copied into the child's fresh temporary directory and run as
`python -I -S -B -X utf8 _harness.py`: isolated mode (no environment variables, no user site),
no `site` (no site-packages), so only the standard library exists in the child.

Order matters, everything before step 4 is trusted code:
1. read `payload.json` (code, tests, limits, a secret nonce) and delete it;
2. lower its own resource limits (CPU, address space, file size, processes, open files, core);
3. open the results file;
4. install an audit hook that refuses sockets, process creation, signals, ctypes, GC
   introspection, limit changes, reads of /proc and /sys, and any file write outside the directory;
5. run the solution and each test, appending `<nonce> <index> <0|1>` lines to the results file.

Audit hooks are not a security boundary on their own (CPython says so); here they are one layer
of several: the resource limits, the empty environment, the private directory, the wall-clock
kill of the whole process group and the nonce (a solution cannot print its way to a pass).
Known limit: the tests run in the solution's own interpreter, so a solution that walks the
harness's frames could find the nonce; a policy would have to learn that deliberately.

Stdlib only, and no imports from `nova_rewards`: the child has no access to the package.
"""

import contextlib
import io
import json
import os
import resource
import signal
import sys

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_BLOCKED_EVENTS = frozenset(
    {
        "os.system",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "os.kill",
        "os.killpg",
        "os.setuid",
        "os.symlink",
        "os.link",
        "os.chroot",
        "subprocess.Popen",
        "signal.pthread_kill",
        "resource.setrlimit",
        "resource.prlimit",
        "sys._current_frames",
        "sys._current_exceptions",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "socket.__new__",
        "socket.bind",
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.sendto",
        "socket.socketpair",
        "mmap.__new__",
        "webbrowser.open",
        "urllib.Request",
    }
)
_PATH_EVENTS = frozenset(
    {
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.truncate",
        "os.utime",
        "shutil.rmtree",
        "shutil.move",
        "shutil.copyfile",
        "sqlite3.connect",
        "os.mkfifo",
        "os.mknod",
    }
)
_BLOCKED_PREFIXES = ("ctypes.", "socket.")
# C modules that reach the OS without raising the audit events above (or whose files are opened
# by C code): refused at import
_BLOCKED_IMPORTS = frozenset(
    {"_posixsubprocess", "_ctypes", "ctypes", "_gdbm", "_dbm", "_sqlite3", "_multiprocessing", "_posixshmem"}
)
# functions removed from their modules before the solution runs (belt and braces: several have
# no audit event, e.g. pidfd_open + pidfd_send_signal would reach the grader process)
_DISARMED = {
    "posix": (
        "fork",
        "forkpty",
        "system",
        "kill",
        "killpg",
        "pidfd_open",
        "posix_spawn",
        "posix_spawnp",
        "execv",
        "execve",
        "register_at_fork",
        "setsid",
        "setpgid",
    ),
    "os": (
        "fork",
        "forkpty",
        "system",
        "kill",
        "killpg",
        "pidfd_open",
        "posix_spawn",
        "posix_spawnp",
        "execv",
        "execve",
        "execl",
        "execle",
        "execlp",
        "execlpe",
        "execvp",
        "execvpe",
        "spawnv",
        "spawnve",
        "spawnl",
        "spawnle",
        "spawnvp",
        "spawnvpe",
        "spawnlp",
        "spawnlpe",
        "popen",
        "register_at_fork",
        "setsid",
        "setpgid",
    ),
    "signal": ("pidfd_send_signal", "pthread_kill"),
}
_READ_BLOCKED = ("/proc", "/sys", "/dev/mem", "/dev/kmem")
_MAX_WRITE_OPENS = 64


class SandboxTimeout(BaseException):
    """Raised by the per-test timer; a BaseException so `except Exception` in tests does not eat it."""


class _CappedBuffer(io.BytesIO):
    """Captured stdout that refuses to grow past `cap` bytes."""

    def __init__(self, cap):
        super().__init__()
        self._cap = cap

    def write(self, data):
        if self.tell() + len(data) > self._cap:
            raise OSError("output limit exceeded")
        return super().write(data)

    def close(self):
        """Stay readable: the solution (or the text wrapper's finaliser) may close stdout."""


def _set_limits(limits):
    def lower(name, value):
        res = getattr(resource, name, None)
        if res is None or value is None:
            return
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(res, (value, value))

    lower("RLIMIT_CPU", int(limits["cpu_seconds"]))
    lower("RLIMIT_AS", int(limits["memory_bytes"]))
    lower("RLIMIT_FSIZE", int(limits["file_bytes"]))
    lower("RLIMIT_NOFILE", int(limits["open_files"]))
    lower("RLIMIT_CORE", 0)
    lower("RLIMIT_NPROC", int(limits["processes"]))


def _install_audit_hook(root):
    root = os.path.realpath(root)
    abspath, normpath, fspath, sep, isdir = (
        os.path.abspath,
        os.path.normpath,
        os.fspath,
        os.sep,
        os.path.isdir,
    )
    write_opens = [0]
    # other sandboxes' directories (concurrent samples): their payloads hold their nonces
    siblings = os.path.join(os.path.dirname(root), "nova-sbx-")

    def inside(path):
        try:
            full = normpath(abspath(fspath(path)))
        except Exception:
            return False
        return full == root or full.startswith(root + sep)

    def hook(event, args):
        if event in _BLOCKED_EVENTS or event.startswith(_BLOCKED_PREFIXES):
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "import" and args and args[0] in _BLOCKED_IMPORTS:
            raise PermissionError(f"sandbox: importing {args[0]} is not allowed")
        if event == "open":
            path, _mode, flags = (list(args) + [None, None, None])[:3]
            if isinstance(path, int) or path is None:
                return
            mode = args[1] if len(args) > 1 else None
            writing = (isinstance(flags, int) and flags & _WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+")
            )
            if writing:
                if not inside(path):
                    raise PermissionError(f"sandbox: writing {path!r} is not allowed")
                write_opens[0] += 1
                if write_opens[0] > _MAX_WRITE_OPENS:
                    raise PermissionError("sandbox: too many files written")
                return
            try:
                full = normpath(abspath(fspath(path)))
            except Exception:
                return
            if full.startswith(_READ_BLOCKED) or (full.startswith(siblings) and not inside(full)):
                raise PermissionError(f"sandbox: reading {path!r} is not allowed")
            # a directory fd outside would let `os.open(name, flags, dir_fd=fd)` write outside:
            # the "open" event does not carry dir_fd, so such fds are never handed out
            if not inside(full) and isdir(full):
                raise PermissionError(f"sandbox: opening directory {path!r} is not allowed")
        elif event in _PATH_EVENTS:
            for path in args[:2]:
                if isinstance(path, str | bytes) and not inside(path):
                    raise PermissionError(f"sandbox: {event} outside the sandbox is not allowed")

    sys.addaudithook(hook)


def _disarm():
    for module_name, names in _DISARMED.items():
        module = sys.modules.get(module_name) or __import__(module_name)
        for name in names:
            if hasattr(module, name):
                delattr(module, name)


def _timed(func, seconds):
    """Run `func`; True when it returned (or exited with status 0), False on any failure."""

    def on_alarm(signum, frame):
        raise SandboxTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        func()
        return True
    except SystemExit as exc:
        return exc.code in (None, 0)
    except BaseException:  # noqa: BLE001 - any failure of untrusted code is a failed test
        return False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _same_output(got, expected):
    return got.split() == expected.split()


def _run_tests(payload, report):
    scope = {"__name__": "__solution__", "__builtins__": __builtins__}
    try:
        code = compile(payload["code"], "solution.py", "exec")
    except BaseException:  # noqa: BLE001
        code = None
    per_test = float(payload["limits"]["per_test_seconds"])
    loaded = code is not None and _timed(lambda: exec(code, scope), per_test)
    setup = payload.get("setup")
    if loaded and setup:
        loaded = _timed(lambda: exec(compile(setup, "setup.py", "exec"), scope), per_test)
    for index, test in enumerate(payload["tests"]):
        name = f"test_{index}"
        passed = loaded and _timed(lambda t=test, n=name: exec(compile(t, n, "exec"), scope), per_test)
        report(index, passed)


def _run_io_cases(payload, report):
    try:
        code = compile(payload["code"], "solution.py", "exec")
    except BaseException:  # noqa: BLE001
        code = None
    per_test = float(payload["limits"]["per_test_seconds"])
    cap = int(payload["limits"]["output_bytes"])
    real_in, real_out = sys.stdin, sys.stdout
    for index, (given, expected) in enumerate(zip(payload["inputs"], payload["outputs"], strict=True)):
        if code is None:
            report(index, False)
            continue
        buffer = _CappedBuffer(cap)
        sys.stdin = io.TextIOWrapper(io.BytesIO(given.encode("utf-8")), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(buffer, encoding="utf-8", write_through=True)
        scope = {"__name__": "__main__", "__builtins__": __builtins__}
        wrapper = sys.stdout
        try:
            ran = _timed(lambda s=scope: exec(code, s), per_test)
            try:
                wrapper.flush()
            except BaseException:  # noqa: BLE001
                ran = False
        finally:
            sys.stdin, sys.stdout = real_in, real_out
        got = bytes(buffer.getbuffer()).decode("utf-8", errors="replace")
        report(index, ran and _same_output(got, expected))


def main():
    with open("payload.json", encoding="utf-8") as fh:
        payload = json.load(fh)
    os.remove("payload.json")
    nonce = payload.pop("nonce")
    _set_limits(payload["limits"])
    results = open("results.txt", "w", encoding="utf-8", buffering=1)  # noqa: SIM115
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - user prints go nowhere
    _disarm()
    _install_audit_hook(os.getcwd())

    def report(index, passed):
        results.write(f"{nonce} {index} {1 if passed else 0}\n")

    if payload["mode"] == "io":
        _run_io_cases(payload, report)
    else:
        _run_tests(payload, report)
    results.write(f"{nonce} done\n")
    results.flush()
    os._exit(0)  # skip interpreter teardown: atexit handlers of the solution never run


if __name__ == "__main__":
    main()
