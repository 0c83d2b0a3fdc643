"""Run as an unprivileged user by test_code_redteam.py: one attacking sample next to right ones.

Usage: python unprivileged_batch.py FUNCTIONS_DIR ATTACK. Prints one JSON line: the verdicts of
the right samples started while the attacker ran (each a list of booleans, or the exception).
Stdlib and `nova_rewards.sandbox` only, so any python of the machine can run it.
"""

from __future__ import annotations

import json
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
from nova_rewards.sandbox import SandboxLimits, TestSuite, run_suite  # noqa: E402

# what a sibling can do without Landlock (Lambda): open a new child's /proc/<pid>/fd/0 and /1 in
# the window before it turns non-dumpable, and hold and drain them
STEAL_STDIO = """
import os, time
parent, me, held, seen = os.getppid(), os.getpid(), [], set()
end = time.monotonic() + 3.0
while time.monotonic() < end:
    for name in os.listdir('/proc'):
        if not name.isdigit() or name in seen or int(name) == me:
            continue
        try:
            if int(open(f'/proc/{name}/stat').read().rsplit(')', 1)[1].split()[1]) != parent:
                seen.add(name)
                continue
        except (OSError, ValueError, IndexError):
            seen.add(name)
            continue
        for number in (0, 1):
            try:
                held.append(os.open(f'/proc/{name}/fd/{number}', os.O_RDONLY | os.O_NONBLOCK))
                seen.add(name)
            except OSError:
                pass
    for fd in held:
        try:
            os.read(fd, 1 << 20)
        except OSError:
            pass
"""
# threads count against the user's process limit, which the grader shares
THREAD_FLOOD = """
import threading, time
threading.stack_size(32768)
stop = threading.Event()
try:
    while True:
        threading.Thread(target=stop.wait, daemon=True).start()
except BaseException:
    pass
time.sleep(3.0)
"""
ATTACKS = {"steal_stdio": STEAL_STDIO, "thread_flood": THREAD_FLOOD}


def main() -> None:
    limits = SandboxLimits(
        wall_seconds=8.0, per_test_seconds=5.0, cpu_seconds=6, memory_bytes=160 << 20, landlock=False
    )
    suite = TestSuite.from_tests(["assert add_3(0) == 3", "assert add_3(1) == 4"])
    verdicts: dict[int, object] = {}

    def right_sample(index: int) -> None:
        time.sleep(1.0 + 0.2 * index)  # while the attacker runs
        try:
            verdicts[index] = list(run_suite("def add_3(x):\n    return x + 3\n", suite, limits).passed)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            verdicts[index] = repr(exc)[:120]

    threads = [threading.Thread(target=right_sample, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    run_suite(ATTACKS[sys.argv[2]] + "def add_3(x):\n    return None\n", suite, limits)
    for thread in threads:
        thread.join()
    print(json.dumps([verdicts[i] for i in sorted(verdicts)]))


if __name__ == "__main__":
    main()
