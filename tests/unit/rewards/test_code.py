"""code_tests and its sandbox: extraction, test shapes, and adversarial solutions.

Every adversarial solution must score 0 within its limits, and leave the host as it was: no
stray processes, no files outside the sandbox directory, no leftover directories. The full red
team is in tests/redteam/; the verdict rules in test_code_verdicts.py.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from nova_rewards import sandbox
from nova_rewards.dimensions import Sample, ScoringContext, get_dimension_class
from nova_rewards.dimensions.code import STDIN, extract_code, with_prelude
from nova_rewards.sandbox import SandboxLimits, TestSuite, UnsupportedTest, run_suite
from pydantic import ValidationError

ADD_TESTS = {"tests": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0", "assert add(10, 5) == 15"]}
GOOD = "def add(a, b):\n    return a + b\n"
# small limits keep the adversarial cases fast
LIMITS = SandboxLimits(wall_seconds=3.0, per_test_seconds=0.5, cpu_seconds=3, memory_bytes=256 * 1024 * 1024)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("```python\nx = 1\n```", "x = 1\n"),
        ("```py\nx = 1\n```", "x = 1\n"),
        ("Intro\n```python\nx = 1\n```\nUsage:\n```python\nx = 2\n```", "x = 2\n"),  # the last python block
        ("```python\nx = 1\n```\n```text\noutput\n```", "x = 1\n"),  # python blocks win over others
        ("```\nx = 3\n```", "x = 3\n"),  # untagged fence
        ("x = 4", "x = 4"),  # raw code
        ("```python\nx = 5", "x = 5"),  # unterminated fence
        ("   ", None),
    ],
)
def test_extract_code(response: str, expected: str | None) -> None:
    assert extract_code(response) == expected


def test_extract_code_require_fence() -> None:
    assert extract_code("x = 4", require_fence=True) is None


SOLUTION_BLOCK = "```python\nfrom math import gcd\ndef g(xs):\n    return gcd(*xs)\n```\n"


@pytest.mark.parametrize(
    ("response", "needs", "expected"),
    [
        # a usage example, the model's own asserts, sample output after the solution
        (SOLUTION_BLOCK + "Usage:\n```python\nprint(g([4, 6]))\n```\n", {"g"}, "from math import gcd"),
        (SOLUTION_BLOCK + "```python\nassert g([4, 6]) == 2\n```\nOutput:\n```\n2\n```", {"g"}, "def g"),
        # a naive first version, then the corrected one: the last that defines the name
        ("```python\ndef g(xs): return 1\n```\nFixed:\n```python\ndef g(xs): return 2\n```", {"g"}, "2"),
        # a pytest file after the solution imports the name: it does not provide it
        (
            SOLUTION_BLOCK
            + "```python\nfrom solution import g\n\ndef test_g():\n    assert g([2]) == 2\n```",
            {"g"},
            "gcd",
        ),
        # a method task: the class is what the tests need
        ("```python\nclass S:\n    def f(self): return 1\n```\n```python\nS().f()\n```", {"S"}, "class S"),
        # a program without a language tag, then sample input and output blocks
        ("```\nprint(input()[::-1])\n```\nIn:\n```\nabc\n```\nOut:\n```\ncba\n```", {STDIN}, "input("),
    ],
)
def test_extract_code_picks_the_block_the_tests_need(response: str, needs: set[str], expected: str) -> None:
    code = extract_code(response, needs=frozenset(needs))
    assert code is not None and expected in code
    compile(code, "solution.py", "exec")


def test_extract_code_borrows_what_the_chosen_block_uses_from_earlier_blocks() -> None:
    response = (
        "```python\nimport math\nMOD = 7\nprint('demo')\n```\n"
        "```python\ndef g(n):\n    return math.factorial(n) % MOD\n```\n```python\nprint(g(3))\n```"
    )
    code = extract_code(response, needs=frozenset({"g"}))
    assert code == "import math\nMOD = 7\ndef g(n):\n    return math.factorial(n) % MOD\n"  # no demo print
    scope: dict[str, object] = {}
    exec(code, scope)  # trusted test text
    assert scope["g"](3) == 6  # type: ignore[operator]


def test_borrowed_definitions_go_after_the_future_imports() -> None:
    response = (
        "```python\nimport math\n```\n"
        '```python\n"""Doc."""\nfrom __future__ import annotations\n\ndef g(n: int) -> Node:\n'
        "    return math.isqrt(n)\n```\n"
    )
    code = extract_code(response, needs=frozenset({"g"}))
    assert code is not None and code.index("__future__") < code.index("import math") < code.index("def g")
    compile(code, "solution.py", "exec")


@pytest.mark.parametrize(
    "response",
    [
        "Here is the code:\n\nimport math\n\ndef g(n):\n    return math.isqrt(n)\n",
        "Sure.\ndef g(n):\n    return n\n\n\ndef h(n):\n    return g(n)\n\nIt is O(1).\n\nHope it helps!",
        "@cache\ndef g(n):\n    return n\nThe decorator memoises it.",
    ],
)
def test_extract_code_without_fences_drops_the_prose(response: str) -> None:
    code = extract_code(response)
    assert code is not None and "def g" in code and "Here" not in code and "helps" not in code
    compile(code, "solution.py", "exec")
    assert extract_code("just prose, no code at all.") == "just prose, no code at all."


def test_a_fence_indented_in_a_list_item_is_dedented() -> None:
    response = "1. The function:\n   ```python\n   def g(n):\n       return n\n   ```\n2. Done."
    assert extract_code(response) == "def g(n):\n    return n\n"


LEETCODE = """class Solution:
    def top(self, nums: List[int], k: int) -> List[int]:
        return [x for x, _ in Counter(nums).most_common(k)]
"""


def test_leetcode_prelude_names_are_imported_when_used_but_never_bound() -> None:
    code = with_prelude(LEETCODE)
    assert code.splitlines()[:2] == ["from collections import Counter", "from typing import List"]
    scope: dict[str, Any] = {}
    exec(code, scope)  # trusted test text
    assert scope["Solution"]().top([1, 1, 2], 1) == [1]
    tests = ["assert Solution().top([3, 3, 1], 1) == [3]", "assert Solution().top([5], 1) == [5]"]
    cls = get_dimension_class("code_tests")
    result = cls(cls.Params()).score(Sample("s", (), f"```python\n{LEETCODE}```", tests), ScoringContext())
    assert result.value == 1.0


@pytest.mark.parametrize(
    "code",
    [
        "from typing import List\ndef f(x: List[int]):\n    return x\n",  # imported: unchanged
        "def f(List):\n    return List\n",  # bound as a parameter
        "def f(x):\n    return x\n",  # no prelude name at all
        "def deque(x):\n    return deque\n",
    ],
)
def test_prelude_leaves_code_that_binds_its_names_alone(code: str) -> None:
    assert with_prelude(code) == code


def test_extract_code_falls_back_to_the_last_python_block() -> None:
    response = "```python\ndef h(): pass\n```\n```python\nprint(1)\n```"
    assert extract_code(response, needs=frozenset({"g"})) == "print(1)\n"
    assert extract_code("```python\n(((\n```\n```python\nx = 1\n```", needs=frozenset({"g"})) == "x = 1\n"


@pytest.mark.parametrize(
    ("reference", "mode", "size"),
    [
        (ADD_TESTS, "calls", 3),
        (["assert f() == 1"], "calls", 1),  # a bare list of asserts
        ({"tests": ["assert f()"], "setup": "import math"}, "calls", 1),
        ({"inputs": ["1\n", "2\n"], "outputs": ["1", "4"]}, "io", 2),
        ({"inputs": ["1\n"], "outputs": []}, None, 0),  # lengths differ
        ({"tests": []}, None, 0),
        ({"tests": [1, 2]}, None, 0),  # not strings
        ("assert True", None, 0),
        (None, None, 0),
    ],
)
def test_suite_from_reference(reference: object, mode: str | None, size: int) -> None:
    suite = TestSuite.from_reference(reference)
    if mode is None:
        assert suite is None
    else:
        assert suite is not None and (suite.mode, suite.size) == (mode, size)


def test_unsupported_test_forms_are_refused_before_running() -> None:
    with pytest.raises(UnsupportedTest, match=r"tests\[1\]"):
        TestSuite.from_reference({"tests": ["assert f(1) == 2", "for x in range(3): assert f(x) == x"]})


def _calls(*tests: str, setup: str | None = None) -> TestSuite:
    return TestSuite.from_tests(list(tests), setup)


@pytest.mark.parametrize(
    ("code", "suite", "expected"),
    [
        (GOOD, _calls(*ADD_TESTS["tests"]), (True, True, True)),
        ("def add(a, b):\n    return 3\n", _calls(*ADD_TESTS["tests"]), (True, False, False)),
        ("def add(a, b) return", _calls("assert add(1, 2) == 3"), (False,)),  # syntax error
        ("raise ValueError('boom')\n" + GOOD, _calls("assert add(1, 2) == 3"), (False,)),  # crashes
        # setup code runs in the solution's namespace after it
        (
            "def add(a, b):\n    return math.floor(a) + b\n",
            _calls("assert add(1.5, 2) == 3", setup="import math"),
            (True,),
        ),
        # stdin/stdout cases: output compared up to whitespace
        (
            "a, b = map(int, input().split())\nprint(a + b)",
            TestSuite("io", inputs=("1 2\n", "3 4\n"), outputs=("3\n", "8")),
            (True, False),
        ),
        (
            "import sys\nprint(sys.stdin.read().upper())",
            TestSuite("io", inputs=("ab",), outputs=("AB",)),
            (True,),
        ),
        # one slow test fails alone (per-test timer), the others still count
        (
            "import time\ndef f(x):\n    if x == 2:\n        time.sleep(10)\n    return x\n",
            _calls("assert f(1) == 1", "assert f(2) == 2", "assert f(3) == 3"),
            (True, False, True),
        ),
        # the file system is read-only for solutions, even their own directory
        ("open('notes.txt', 'w').write('hi')\n" + GOOD, _calls("assert add(1, 1) == 2"), (False,)),
        # ... but reading the standard library works
        (
            "import json\ndef add(a, b):\n    return json.loads(json.dumps(a + b))\n",
            _calls("assert add(1, 1) == 2"),
            (True,),
        ),
        # the environment is empty: no credentials inherited
        (
            "import os\ndef add(a, b):\n    return 0 if 'AWS_SECRET_ACCESS_KEY' in os.environ else a + b\n",
            _calls("assert add(1, 1) == 2"),
            (True,),
        ),
        # io programs: sys.exit(0) after the output is fine, output through fd 1 is captured
        (
            "import os, sys\nos.write(1, sys.stdin.read().upper().encode())\nsys.exit(0)",
            TestSuite("io", inputs=("ab",), outputs=("AB",)),
            (True,),
        ),
    ],
)
def test_run_suite(code: str, suite: TestSuite, expected: tuple[bool, ...]) -> None:
    assert run_suite(code, suite, LIMITS).passed == expected


TRUTH_TESTS = ("assert ok('ab1')", "assert not ok('ab')", "assert ok('x9') is True")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # `assert f(x)` is a truth test in Python: a match object or a count passes it
        ("import re\ndef ok(s):\n    return re.search(r'\\d', s)\n", (True, True, False)),
        ("def ok(s):\n    return sum(c.isdigit() for c in s)\n", (True, True, False)),
        ("def ok(s):\n    return any(c.isdigit() for c in s)\n", (True, True, True)),
        ("def ok(s):\n    return [1]\n", (True, False, False)),  # a constant is never right on both
        ("def ok(s):\n    return s\n", (True, False, False)),
    ],
)
def test_bare_asserts_test_truthiness(code: str, expected: tuple[bool, ...]) -> None:
    assert run_suite(code, _calls(*TRUTH_TESTS), LIMITS).passed == expected


def test_len_of_the_result_is_compared_as_an_int() -> None:
    suite = _calls("assert len(f(5)) == 5", "assert len(f(0)) == 0", "assert len(f(2)) == 2")
    assert run_suite("def f(n):\n    return list(range(n))\n", suite, LIMITS).passed == (True,) * 3
    assert run_suite("def f(n):\n    return 'x' * n\n", suite, LIMITS).passed == (True,) * 3
    assert run_suite("def f(n):\n    return [0] * (n + 1)\n", suite, LIMITS).passed == (False,) * 3
    assert run_suite("def f(n):\n    return n\n", suite, LIMITS).passed == (False,) * 3  # no len()


def _children_of_this_process() -> list[int]:
    me = str(os.getpid())
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # ppid
            found.append(int(stat.split("/")[2]))
    return found


OUTSIDE = os.path.join(tempfile.gettempdir(), f"nova-h2-outside-{os.getpid()}.txt")

ADVERSARIAL = [
    # (name, solution) - each must pass no test. An attack that fails quietly and then defines a
    # right answer is rightly credited: tests/redteam/ gates the right answer on the attack's success
    ("infinite loop", "def add(a, b):\n    while True:\n        pass\n"),
    # swallowing the per-test timer: only the wall-clock kill stops it
    (
        "loop that catches BaseException",
        "def add(a, b):\n    while True:\n        try:\n            while True: pass\n"
        "        except BaseException:\n            pass\n",
    ),
    ("top-level infinite loop", "while True:\n    pass\n"),
    (
        "fork bomb",
        "import os\nwhile True:\n    try:\n        os.fork()\n    except Exception:\n        pass\n",
    ),
    ("fork in solution", "import os\ndef add(a, b):\n    os.fork()\n    return a + b\n"),
    ("subprocess", "import subprocess\nsubprocess.run(['true'])\n" + GOOD),
    ("memory hog", "x = bytearray(8 * 1024 ** 3)\n" + GOOD),
    (
        "growing memory",
        "def add(a, b):\n    chunks = []\n    while True:\n        chunks.append(bytearray(10 ** 7))\n",
    ),
    ("network", "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\n" + GOOD),
    ("dns", "import socket\nsocket.getaddrinfo('example.com', 80)\n" + GOOD),
    ("write outside", f"open({OUTSIDE!r}, 'w').write('x')\n" + GOOD),
    ("os.open outside", f"import os\nos.open({OUTSIDE!r}, os.O_CREAT | os.O_WRONLY)\n" + GOOD),
    # a directory fd outside the sandbox, then a relative open against it
    (
        "dir_fd escape",
        f"import os\nfd = os.open({os.path.dirname(OUTSIDE)!r}, os.O_RDONLY)\n"
        f"os.open({os.path.basename(OUTSIDE)!r}, os.O_CREAT | os.O_WRONLY, dir_fd=fd)\n" + GOOD,
    ),
    (
        "chdir then write",
        f"import os\nos.chdir({os.path.dirname(OUTSIDE)!r})\nopen({os.path.basename(OUTSIDE)!r}, 'w')\n"
        + GOOD,
    ),
    ("huge file", "f = open('big.bin', 'wb')\nwhile True:\n    f.write(b'x' * 65536)\n"),
    ("huge output", "while True:\n    print('x' * 100000)\n"),
    ("kill the parent", "import os\nos.kill(os.getppid(), 9)\n" + GOOD),
    ("read parent environment", "open('/proc/%d/environ' % __import__('os').getppid()).read()\n" + GOOD),
    ("pidfd signal", "import os, signal\nsignal.pidfd_send_signal(os.pidfd_open(os.getppid()), 9)\n" + GOOD),
    ("posix.fork", "import posix\nposix.fork()\n" + GOOD),
    (
        "sqlite file outside",
        f"import sqlite3\nsqlite3.connect({OUTSIDE!r}).execute('create table t(x)')\n" + GOOD,
    ),
    ("fake pass lines", "print('1 0 1')\nprint('done')\nimport os\nos._exit(0)\n"),
    ("raise limits", "import resource\nresource.setrlimit(resource.RLIMIT_CPU, (100, 100))\n" + GOOD),
]


@pytest.mark.parametrize(("name", "code"), ADVERSARIAL, ids=[name for name, _ in ADVERSARIAL])
def test_adversarial_solutions_score_zero_and_host_stays_healthy(
    name: str, code: str, tmp_path: Path
) -> None:
    children_before = set(_children_of_this_process())  # e.g. the sympy worker of other tests
    sibling = tmp_path / "nova-sbx-sibling"  # as if another sample were running next to this one
    sibling.mkdir()
    (sibling / "sibling.txt").write_text("payload of another sample")
    started = time.monotonic()
    run = run_suite(code, _calls(*ADD_TESTS["tests"]), LIMITS, temp_root=str(tmp_path))
    assert run.passed == (False, False, False), name
    assert time.monotonic() - started < LIMITS.wall_seconds + 2.0
    assert not os.path.exists(OUTSIDE)
    assert set(_children_of_this_process()) <= children_before
    containers = [p for p in tmp_path.iterdir() if p != sibling]  # this process's directory of sandboxes
    assert len(containers) == 1 and list(containers[0].iterdir()) == []  # this run's directory is gone


STDLIB_SOLUTION = """
import collections, dataclasses, enum, fractions, functools, heapq, itertools, json, math, re, statistics
import sys, typing, warnings
sys.setrecursionlimit(5000)
Point = collections.namedtuple("Point", "x y")  # uses sys._getframe: must stay allowed


@dataclasses.dataclass
class Box:
    size: int


@functools.lru_cache(None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def f():
    warnings.warn("harmless")
    return (fib(60), Point(1, 2).y, Box(3).size, json.dumps([1]), str(fractions.Fraction(2, 6)),
            statistics.mean([1, 2, 3]), heapq.nsmallest(1, [5, 4]), math.isqrt(17))
"""


def test_ordinary_stdlib_solutions_still_work() -> None:
    # the hardening must not break the standard library that real solutions use
    expected = "(1548008755920, 2, 3, '[1]', '1/3', 2, [4], 4)"
    run = run_suite(STDLIB_SOLUTION, _calls(f"assert f() == {expected}"), LIMITS)
    assert run.passed == (True,)


RIGHT_IN_OTHER_SHAPES = """
import collections, enum
def counts(s):
    return collections.Counter(s)
Point = collections.namedtuple("Point", "x y")
def point():
    return Point(1, 2)
class Color(enum.IntEnum):
    RED = 3
def red():
    return Color.RED
def evens(n):
    return (i for i in range(n) if i % 2 == 0)
def half(n):
    return n / 2
def raw(n):
    return bytearray(n)
"""


def test_right_answers_in_other_python_shapes_pass() -> None:
    # what `assert f(...) == literal` accepts in Python, without trusting the object's __eq__
    suite = _calls(
        "assert counts('aab') == {'a': 2, 'b': 1}",
        "assert point() == (1, 2)",
        "assert red() == 3",
        "assert list(evens(5)) == [0, 2, 4]",
        "assert half(4) == 2",
        "assert raw(2) == b'\\x00\\x00'",
    )
    assert run_suite(RIGHT_IN_OTHER_SHAPES, suite, LIMITS).passed == (True,) * 6


def test_huge_stdout_in_io_mode_is_capped() -> None:
    limits = SandboxLimits(wall_seconds=3.0, per_test_seconds=1.0, output_bytes=1024)
    run = run_suite("print('x' * 5000)", TestSuite("io", inputs=("",), outputs=("x" * 5000,)), limits)
    assert run.passed == (False,)


def test_sandbox_runs_off_the_main_thread() -> None:
    results: list[tuple[bool, ...]] = []
    suite = _calls(*ADD_TESTS["tests"])
    threads = [
        threading.Thread(target=lambda: results.append(run_suite(GOOD, suite, LIMITS).passed))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [(True, True, True)] * 3


# ---------------------------------------------------------------- the dimension


def _dim(**params: object):
    cls = get_dimension_class("code_tests")
    return cls(cls.Params(**params))


@pytest.mark.parametrize(
    ("response", "reference", "value", "passed"),
    [
        (f"Here:\n```python\n{GOOD}```", ADD_TESTS, 1.0, 3.0),
        ("```python\ndef add(a, b):\n    return 0\n```", ADD_TESTS, pytest.approx(1 / 3), 1.0),
        ("I cannot solve this.", ADD_TESTS, 0.0, 0.0),
        ("   ", ADD_TESTS, 0.0, 0.0),  # no code at all
        (GOOD, {"no": "tests"}, None, None),  # reference without tests: not scorable
    ],
)
def test_dimension(response: str, reference: object, value, passed) -> None:
    result = _dim(wall_seconds=5).score(Sample("s", (), response, reference), ScoringContext())
    assert result.value == value
    if passed is not None:
        assert result.metrics["tests_passed"] == passed
        assert result.metrics["tests_total"] == 3.0


def test_all_or_nothing_pays_only_code_that_passes_every_test() -> None:
    constant = "```python\ndef add(a, b):\n    return 0\n```"  # right for add(0, 0) only
    partial = _dim(wall_seconds=5).score(Sample("s", (), constant, ADD_TESTS), ScoringContext())
    strict = _dim(wall_seconds=5, all_or_nothing=True)
    assert partial.value == pytest.approx(1 / 3)
    assert strict.score(Sample("s", (), constant, ADD_TESTS), ScoringContext()).value == 0.0
    assert strict.score(Sample("s", (), f"```python\n{GOOD}```", ADD_TESTS), ScoringContext()).value == 1.0


def test_dimension_batch_runs_concurrently_and_keeps_order() -> None:
    bad = "```python\ndef add(a, b):\n    return 0\n```"
    samples = [Sample(str(i), (), GOOD if i % 2 == 0 else bad, ADD_TESTS) for i in range(6)]
    results = _dim(max_workers=3).score_batch(samples, ScoringContext())
    assert [r.value for r in results] == [1.0, pytest.approx(1 / 3)] * 3


def test_dimension_refuses_to_run_without_time_left() -> None:
    samples = [Sample("s", (), GOOD, ADD_TESTS)]
    results = _dim().score_batch(samples, ScoringContext(deadline=0.0))
    assert isinstance(results[0], TimeoutError)


@pytest.mark.parametrize(
    "params",
    [{"wall_seconds": 0}, {"memory_mb": 1}, {"language": "ruby"}, {"max_workers": 0}, {"network": True}],
)
def test_params_are_validated(params: dict) -> None:
    with pytest.raises(ValidationError):
        get_dimension_class("code_tests").Params(**params)


def test_child_environment_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    # credentials in the grader's environment (as in Lambda) must not reach the solution
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "test")
    code = "import os\ndef leaked():\n    return sorted(k for k in os.environ if k.startswith('AWS'))\n"
    run = run_suite(code, _calls("assert leaked() == []"), LIMITS)
    assert run.passed == (True,)


def test_layers_are_reported_once_before_any_untrusted_code(monkeypatch, caplog) -> None:
    import logging
    import threading

    from nova_rewards import sandbox

    monkeypatch.setattr(sandbox, "_layers_logged", threading.Event())
    caplog.set_level(logging.INFO, logger="nova_rewards.sandbox")
    run_suite(GOOD, _calls("assert add(1, 2) == 3"), LIMITS)
    run_suite(GOOD, _calls("assert add(1, 2) == 3"), LIMITS)
    lines = [r.getMessage() for r in caplog.records if "sandbox layers" in r.getMessage()]
    assert len(lines) == 1 and "grader nondumpable" in lines[0] and "seccomp" in lines[0]


def test_no_code_runs_when_the_grader_is_not_hardened(monkeypatch) -> None:
    from nova_rewards import sandbox

    monkeypatch.setattr(sandbox, "_HARDENED", False)
    with pytest.raises(sandbox.SandboxUnavailable):
        run_suite(GOOD, _calls("assert add(1, 2) == 3"), LIMITS)


def test_dimension_raises_on_a_test_it_cannot_judge_outside_the_child() -> None:
    reference = {"tests": ["assert add(1, 2) == 3", "assert all(add(i, 0) == i for i in range(3))"]}
    with pytest.raises(UnsupportedTest, match=r"tests\[1\]"):
        _dim().score(Sample("s", (), GOOD, reference), ScoringContext())


IO_SUM = TestSuite("io", inputs=("2\n3 4\n", "1\n5\n"), outputs=("7\n", "5\n"))
# the spec's limits (code.json): a loaded machine must not fail a right program
IO_LIMITS = SandboxLimits(wall_seconds=8.0, per_test_seconds=2.0, memory_bytes=160 * 1024 * 1024)


@pytest.mark.parametrize(
    "program",
    [
        "n = int(input())\nprint(sum(map(int, input().split())))",
        "import sys\nn = int(sys.stdin.buffer.readline())\n"
        "print(sum(map(int, sys.stdin.buffer.readline().split())))",
        "import sys\nd = sys.stdin.read().split()\n"
        "sys.stdout.buffer.write(str(sum(map(int, d[1:]))).encode())",
        "d = open(0).read().split()\nprint(sum(map(int, d[1:])))",
        "import os\nd = os.read(0, 1000).split()\nos.write(1, str(sum(map(int, d[1:]))).encode())",
        "import sys\nprint(sum(map(int, sys.stdin.read().split()[1:])))\nsys.exit()",
        # `exit()` and `quit()` come from `site`, which the child skips (-S): they must exist all the same
        "n = int(input())\nprint(sum(map(int, input().split())))\nexit()",
        "n = int(input())\nprint(sum(map(int, input().split())))\nquit(0)",
        # the big-stack idiom: the answer is printed by a thread the interpreter waits for at exit;
        # its 128 MB stack and the interpreter fit the memory limit (no 64 MB malloc arena per thread)
        "import sys, threading, time\nsys.setrecursionlimit(10 ** 6)\nthreading.stack_size(2 ** 27)\n"
        "def main():\n    time.sleep(0.2)\n    n = int(input())\n    print(sum(map(int, input().split())))\n"
        "threading.Thread(target=main).start()",
        "import sys\nd = sys.__stdin__.read().split()\nsys.__stdout__.write(str(sum(map(int, d[1:]))))",
        "import sys\nd = sys.stdin.read().split()\n"
        "sys.stdout.write(str(sum(map(int, d[1:]))))\nsys.stdout.close()",
        # the fast-output idiom: print into a buffer, write it out from an atexit handler
        "import atexit, io, sys\nbuffer = io.StringIO()\nsys.stdout = buffer\n"
        "atexit.register(lambda: sys.__stdout__.write(buffer.getvalue()))\n"
        "d = sys.stdin.read().split()\nprint(sum(map(int, d[1:])))",
        "import os\nd = input(), input()\nprint(sum(map(int, d[1].split())), flush=True)\nos._exit(0)",
        "import os, sys\nif os.path.exists(os.path.join(os.path.dirname(__file__), 'input.txt')):\n"
        "    sys.stdin = open('input.txt')\nd = input(), input()\nprint(sum(map(int, d[1].split())))",
    ],
    ids=[
        "input",
        "buffer_readline",
        "buffer_write",
        "open_0",
        "raw_fds",
        "sys_exit",
        "site_exit",
        "site_quit",
        "thread_main",
        "dunder_streams",
        "close_stdout",
        "atexit_output",
        "flush_then_os_exit",
        "dunder_file",
    ],
)
def test_right_programs_read_and_write_as_they_would_anywhere(program: str) -> None:
    assert run_suite(program, IO_SUM, IO_LIMITS).passed == (True, True)


def test_a_thread_that_never_ends_fails_its_case_within_the_limit() -> None:
    # the interpreter would wait for it forever: the case's timer ends the wait, not the wall clock
    program = "import threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()\nprint(7)"
    started = time.monotonic()
    run = run_suite(program, TestSuite("io", inputs=("",), outputs=("7",)), LIMITS)
    assert run.passed == (False,) and not run.timed_out and time.monotonic() - started < 2.0


def test_ints_past_the_int_str_limit_cross_exactly() -> None:
    big = 7**6000  # 5,071 digits: decimal text of it is refused on both sides
    suite = _calls(f"assert big(0) == {hex(big)}", f"assert big(1) == {hex(big + 1)}", "assert big(2) == -1")
    code = "def big(n):\n    return -1 if n == 2 else 7 ** 6000 + (n == 1)\n"
    assert run_suite(code, suite, LIMITS).passed == (True, True, True)
    assert run_suite(code.replace("(n == 1)", "2 * (n == 1)"), suite, LIMITS).passed == (True, False, True)


CLASS_TASK = """
from typing import List

class Solution:
    calls = 0

    def __init__(self, base=0):
        self.base = base
        Solution.calls += 1

    def twoSum(self, nums: List[int], target: int) -> List[int]:
        seen = {}
        for i, n in enumerate(nums):
            if target - n in seen:
                return [seen[target - n] + self.base, i + self.base]
            seen[n] = i
        return []

    @staticmethod
    def double(x):
        return 2 * x

    def count(self):
        return Solution.calls  # a new instance per test: the first test sees 1, the second 2
"""


def test_methods_are_called_as_the_tests_spell_them() -> None:
    suite = _calls(
        "assert Solution().twoSum([2, 7, 11, 15], 9) == [0, 1]",
        "assert Solution(base=1).twoSum([3, 3], 6) == [1, 2]",
        "assert Solution.double(21) == 42",
        "assert Solution().count() == 3",
        "assert sorted(Solution().twoSum([1, 5, 2], 3)) == [0, 2]",
    )
    assert run_suite(CLASS_TASK, suite, LIMITS).passed == (True,) * 5
    wrong = CLASS_TASK.replace("return 2 * x", "return x")
    assert run_suite(wrong, suite, LIMITS).passed == (True, True, False, True, True)


def test_a_child_may_add_only_a_few_tasks_to_its_users_process_count() -> None:
    # RLIMIT_NPROC counts every thread of the user (AWS Lambda allows 1,024): as a non-root user, a
    # sample that started 1,000 idle threads left the grader unable to start the next child. The
    # child's limit is the machine's task count when it started plus a few (root is exempt).
    code = "import resource\ndef nproc():\n    return resource.getrlimit(resource.RLIMIT_NPROC)\n"
    suite = _calls("assert nproc() == (0, 0)")  # the value is read from the result, not compared
    before = int(Path("/proc/loadavg").read_text().split()[3].split("/")[1])
    data, _ = sandbox._run_child(code, suite, LIMITS, None)
    soft, hard = json.loads(data.splitlines()[1])["v"]["$tuple"]
    after = int(Path("/proc/loadavg").read_text().split()[3].split("/")[1])
    assert soft == hard and min(before, after) - 64 <= soft - 32 <= max(before, after) + 64


@pytest.mark.parametrize(
    "program",
    [
        "import os\nd = input(), input()\nprint(sum(map(int, d[1].split())))\nos._exit(0)",  # never flushed
        "import os\nd = input(), input()\nprint(sum(map(int, d[1].split())), flush=True)\nos._exit(1)",
        "import sys\nd = input(), input()\nprint(sum(map(int, d[1].split())))\nsys.exit(2)",
    ],
    ids=["os_exit_unflushed", "os_exit_status_1", "sys_exit_status_2"],
)
def test_programs_fail_as_they_would_anywhere(program: str) -> None:
    assert run_suite(program, IO_SUM, IO_LIMITS).passed == (False, False)


def _cpu_bound(seconds: float) -> str:
    body = f"    end = time.process_time() + {seconds}\n    while time.process_time() < end:\n        pass\n"
    return "import time\ndef work(n):\n" + body + "    return n\n"


@pytest.mark.slow
def test_a_cases_limit_is_its_own_cpu_time_not_its_batch_mates(tmp_path: Path) -> None:
    # Three processes spinning on the one CPU the child may use: a case that needs 0.2 s of CPU
    # takes ~0.8 s of wall time. On a wall-clock timer of 0.5 s it failed; the limit is CPU time.
    import subprocess
    import sys

    cpu = min(os.sched_getaffinity(0))
    spin = "import os, time\nos.sched_setaffinity(0, {%d})\nend = time.time() + 20\n"
    spin += "while time.time() < end:\n    pass\n"
    # each in its own session, as a sandbox child is (with scheduler autogroups, a session's share)
    burners = [subprocess.Popen([sys.executable, "-c", spin % cpu], start_new_session=True) for _ in range(3)]
    saved = os.sched_getaffinity(0)
    try:
        time.sleep(0.2)
        os.sched_setaffinity(0, {cpu})  # the child inherits it
        code = _cpu_bound(0.2)
        limits = SandboxLimits(wall_seconds=10.0, per_test_seconds=0.5, cpu_seconds=5)
        started = time.monotonic()
        run = run_suite(code, _calls("assert work(1) == 1", "assert work(2) == 2"), limits)
        contended = time.monotonic() - started
        over = run_suite(_cpu_bound(0.8), _calls("assert work(1) == 1"), limits)
    finally:
        os.sched_setaffinity(0, saved)
        for burner in burners:
            burner.kill()
            burner.wait()
    assert contended > 0.8, "the burners did not contend"  # the premise: wall time well over 0.5 s a case
    assert run.passed == (True, True)
    assert over.passed == (False,)  # 0.8 s of CPU: over the limit however long it took


@pytest.mark.slow
def test_a_case_that_outlives_its_timer_fails_even_if_it_swallows_the_timeout() -> None:
    # catch the timer's exception and start over: the second try ran with no timer and returned
    # a right answer far past the limit (earned credit for a solution too slow for it)
    body = _cpu_bound(0.5).replace("def work(n):\n", "def attempt(n):\n")
    code = body + "def work(n):\n    while True:\n        try:\n            return attempt(n)\n"
    code += "        except BaseException:\n            pass\n"
    limits = SandboxLimits(wall_seconds=3.0, per_test_seconds=0.3, cpu_seconds=2)
    assert run_suite(code, _calls("assert work(1) == 1"), limits).passed == (False,)
    assert run_suite(_cpu_bound(0.05), _calls("assert work(1) == 1"), limits).passed == (True,)  # control


@pytest.mark.parametrize(
    "evasion",
    [
        "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    signal.signal(signal.SIGPROF, signal.SIG_IGN)",
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGPROF})",
        "signal.setitimer(signal.ITIMER_PROF, 0)\n    signal.setitimer(signal.ITIMER_REAL, 0)",
        "import os\n    os.times = lambda: os.times_result((0.0,) * 5)",
    ],
    ids=["ignore", "block", "disarm", "fake_clock"],
)
def test_a_case_past_its_limit_fails_whatever_it_does_to_the_timers(evasion: str) -> None:
    work = _cpu_bound(0.6).replace("def work(n):\n", f"import signal\ndef work(n):\n    {evasion}\n")
    limits = SandboxLimits(wall_seconds=3.0, per_test_seconds=0.3, cpu_seconds=2)
    assert run_suite(work, _calls("assert work(1) == 1"), limits).passed == (False,)


def test_large_right_results_are_all_received() -> None:
    # the results' byte cap grows with the expected values: three results of ~30 KB each passed a
    # 64 KB cap, and the third (right) one was cut off
    tests = [f"assert big({k}) == {list(range(k, k + 5000))!r}" for k in range(3)]
    limits = SandboxLimits(wall_seconds=3.0, per_test_seconds=0.5, result_bytes=64 * 1024)
    run = run_suite("def big(k):\n    return list(range(k, k + 5000))\n", _calls(*tests), limits)
    assert run.passed == (True, True, True)


def test_a_thread_left_by_an_earlier_case_does_not_fail_the_next_one() -> None:
    # case 1's program leaves a thread that never ends and exits with os._exit(0): its process
    # would be gone; case 2 runs in the same child and must not wait for that thread
    program = (
        "import os, threading, time\nn = int(input())\n"
        "if n == 1:\n    threading.Thread(target=time.sleep, args=(60,)).start()\n"
        "print(n * 2, flush=True)\nif n == 1:\n    os._exit(0)\n"
    )
    limits = SandboxLimits(wall_seconds=6.0, per_test_seconds=0.3)
    suite = TestSuite("io", inputs=("1\n", "2\n"), outputs=("2", "4"))
    assert run_suite(program, suite, limits).passed == (True, True)
