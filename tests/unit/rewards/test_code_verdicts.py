"""The trusted half of code_tests: test parsing, plain-data transport, the exact comparison, and
the pieces of the boundary that can be checked without running a child (the seccomp program,
the bounded cleanup, the dataset check)."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import struct
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nova_rewards import sandbox
from nova_rewards.sandbox_verdicts import (
    CallCase,
    UnsupportedTest,
    case_passed,
    check_reference,
    decode_plain,
    output_matches,
    parse_assert,
    parse_json_line,
    plain_bounds,
    same,
)

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location(
    "sandbox_child", ROOT / "functions/nova_rewards/sandbox_child.py"
)
child = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(child)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("test", "case"),
    [
        ("assert add(1, 2) == 3", CallCase("add", (1, 2), (), 3)),
        ("assert 3 == add(1, 2)", CallCase("add", (1, 2), (), 3)),
        ("assert f(x=[1, (2,)]) == {'a': None}", CallCase("f", (), (("x", [1, (2,)]),), {"a": None})),
        ("assert f(-1.5) is None", CallCase("f", (-1.5,), (), None)),
        ("assert sorted(f('ba')) == ['a', 'b']", CallCase("f", ("ba",), (), ["a", "b"], wrap="sorted")),
        ("assert set(f()) == {1, 2}", CallCase("f", (), (), {1, 2}, wrap="set")),
        ("assert is_ok(3)", CallCase("is_ok", (3,), (), True, "bool")),
        ("assert not is_ok(4)", CallCase("is_ok", (4,), (), False, "bool")),
        ("assert is_ok(3) is True", CallCase("is_ok", (3,), (), True)),
        ("assert len(f(3)) == 9592", CallCase("f", (3,), (), 9592, "len")),
        (
            "assert math.isclose(area(2), 12.56, rel_tol=0.01)",
            CallCase("area", (2,), (), 12.56, None, 0.01, 0.0),
        ),
        ("assert f(b'x', 1+2j) == (b'y', frozenset())", None),  # a call inside a literal
        ("assert set(f((3, 4), (4, 5))) == set((4,))", CallCase("f", ((3, 4), (4, 5)), (), {4}, wrap="set")),
        ("assert sorted(f()) == sorted([2, 1])", CallCase("f", (), (), [1, 2], wrap="sorted")),
        ("assert f() == set()", CallCase("f", (), (), set())),
        ("assert abs(area(1) - 3.14) < 0.01", CallCase("area", (1,), (), 3.14, None, 0.0, 0.01)),
        ("assert abs(3.14 - area(1)) <= 1e-3", CallCase("area", (1,), (), 3.14, None, 0.0, 1e-3)),
        # methods, when the task asks for a class
        (
            "assert Solution().two_sum([2, 7], 9) == [0, 1]",
            CallCase("two_sum", ([2, 7], 9), (), [0, 1], owner=("Solution", (), (), True)),
        ),
        (
            "assert sorted(Graph(3, edges=[(0, 1)]).path(0, 1)) == [0, 1]",
            CallCase(
                "path", (0, 1), (), [0, 1], "sorted", owner=("Graph", (3,), (("edges", [(0, 1)]),), True)
            ),
        ),
        ("assert Util.double(2) == 4", CallCase("double", (2,), (), 4, owner=("Util", (), (), False))),
        (
            "assert not Solution().ok(1)",
            CallCase("ok", (1,), (), False, "bool", owner=("Solution", (), (), True)),
        ),
    ],
)
def test_parse_assert(test: str, case: CallCase | None) -> None:
    if case is None:
        with pytest.raises(UnsupportedTest):
            parse_assert(test)
    else:
        assert parse_assert(test) == case


@pytest.mark.parametrize(
    "test",
    [
        "assert f(1) == f(1)",  # two calls
        "assert f(x) == 1",  # a variable
        "assert f(1) != 2",
        "assert f(1) == 2 and f(2) == 3",
        "assert a.b.method(1) == 2",  # a chain of attributes
        "assert f(1)(2) == 3",
        "assert Solution(x).f(1) == 2",  # a constructor argument that is not a literal
        "assert f(g(1)) == 2",
        "assert f(*[1]) == 2",
        "x = f(1)",
        "assert f(1) == 2; import os",
        "assert f(1) is 2",
        "assert f(1) is 1",  # 1 == True, but `is 1` is not a bool check
        "assert abs(f(1) - 2) > 0.1",
        "assert set(f(1)) == set(g(2))",
        "for i in range(3): assert f(i) == i",
        "assert f(1) == [i for i in range(3)]",
        "assert True",
        "assert f(1) ==",
    ],
)
def test_unsupported_forms_are_refused(test: str) -> None:
    with pytest.raises(UnsupportedTest):
        parse_assert(test)


@pytest.mark.parametrize(
    ("expected", "got", "equal"),
    [
        (1, 1, True),
        (1, True, False),  # bool is not int
        (True, 1, False),
        (0, False, False),
        (True, True, True),
        (1.0, 1, True),  # int and float compare as numbers
        (3, 3.0, True),
        (0.1 + 0.2, 0.3, True),  # within the default relative tolerance
        (37.8, 37.78, False),
        (float("nan"), float("nan"), False),
        ([1, 2], (1, 2), False),  # lists and tuples are different types
        ((1, [2.0]), (1, [2]), True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ({1: "x"}, {1.0: "x"}, True),
        ({True: "x"}, {1: "x"}, False),
        ({1, 2}, frozenset({1, 2}), True),
        ({1, 2}, [1, 2], False),
        (None, None, True),
        (None, 0, False),
        ("a", b"a", False),
        (b"a", b"a", True),
        (1 + 2j, complex(1, 2), True),
        (10**30, 10**30 + 1, False),  # ints compare exactly, never through a float
        (10**400, 1.0, False),  # too large for a float: unequal, not an error
        (3, 3.0000000000000004, True),  # a float's rounding error on an int answer
        (3, 2.9999999999999996, True),
        (23416728348467685, 23416728348467744.0, False),  # fib(80) by Binet's formula: 1e-15 off, wrong
        (2**60, float(2**60), True),  # a float that is exactly the int
        ([12586269025], [12586269025.000002], True),
        ({"n": 10**12}, {"n": 1.0000000000006e12}, False),
        (10**12, float("inf"), False),
    ],
)
def test_same(expected: object, got: object, equal: bool) -> None:
    assert same(expected, got) is equal


def test_float_tolerance_is_a_parameter() -> None:
    assert not same(1.0, 1.001)
    assert same(1.0, 1.001, rel_tol=0.01)
    assert same(0.0, 1e-7, abs_tol=1e-6)


def test_wrappers_and_isclose_apply_in_the_parent() -> None:
    assert case_passed(CallCase("f", (), (), ["a", "b"], wrap="sorted"), ["b", "a"], 1e-9, 0.0)
    assert not case_passed(CallCase("f", (), (), {1}, wrap="set"), [[1]], 1e-9, 0.0)  # unhashable: a failure
    close = CallCase("f", (), (), 3.14, None, 0.01, 0.0)
    assert case_passed(close, 3.13, 1e-9, 0.0)
    assert not case_passed(close, "3.14", 1e-9, 0.0)


plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**12_000, max_value=2**16_000).map(lambda n: -n if n & 1 else n)  # hex
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary()
    | st.complex_numbers(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text() | st.integers(), inner, max_size=4)
        | st.frozensets(st.integers() | st.text(), max_size=4)
    ),
    max_leaves=20,
)


@given(plain)
def test_child_encoding_round_trips_through_the_parent(value: object) -> None:
    line = child.dumps({"i": 0, "ok": True, "v": child.encode(value)}).encode()
    values, text = plain_bounds(value)
    assert len(line) <= text + 1024  # the line cap of the parent (sandbox._line_cap) lets it through
    decoded = decode_plain(parse_json_line(line)["v"], budget=[values])  # and the value budget
    assert same(value, decoded, rel_tol=0.0) and type(decoded) is type(value)


def _colliding_ints(count: int) -> list[int]:
    return [((1 << 61) - 1) * k for k in range(1, count)]  # hash(int) is the value mod 2**61 - 1


@pytest.mark.parametrize("tag", ["$set", "$frozenset"])
def test_a_result_larger_than_the_expected_value_is_refused_before_it_is_built(tag: str) -> None:
    # 150,000 ints of one hash would take minutes to put in a set, in the grader, holding the GIL
    raw = parse_json_line(json.dumps({tag: _colliding_ints(150_000)}).encode())
    started = time.monotonic()
    with pytest.raises(ValueError, match="larger than the expected"):
        decode_plain(raw, budget=[plain_bounds({1, 2, 3})[0] + 16])
    assert time.monotonic() - started < 0.5


def test_colliding_dict_keys_are_refused_too() -> None:
    raw = {"$dict": [[n, 0] for n in _colliding_ints(50_000)]}
    with pytest.raises(ValueError):
        decode_plain(raw, budget=[plain_bounds({1: 0})[0] + 16])


@pytest.mark.parametrize("body", ["0x", "--0x1", "12", 12, "0xzz"])
def test_malformed_hex_ints_are_refused(body: object) -> None:
    with pytest.raises(ValueError):
        decode_plain({"$int": body})


def test_nan_crosses_but_equals_nothing() -> None:
    decoded = decode_plain(parse_json_line(child.dumps({"v": child.encode(float("nan"))}).encode())["v"])
    assert math.isnan(decoded) and not same(float("nan"), decoded)


class _AlwaysEqualInt(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__

    def __int__(self) -> int:
        return 99


class _LyingDict(dict):
    def items(self):  # type: ignore[override]
        return [("forged", 1)]


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (_AlwaysEqualInt(3), 3),  # its stored value, not what its methods claim
        (_LyingDict(a=1), {"$dict": [["a", 1]]}),
        (__import__("collections").Counter("aab"), {"$dict": [["a", 2], ["b", 1]]}),
        (__import__("collections").namedtuple("P", "x y")(1, 2), {"$tuple": [1, 2]}),
        (type("S", (str,), {"__str__": lambda s: "forged"})("ab"), "ab"),
    ],
)
def test_subclasses_cross_as_their_stored_data(value: object, plain: object) -> None:
    assert child.encode(value) == plain


@pytest.mark.parametrize(
    "value",
    [
        object(),
        [1, object()],
        {"k": type("Anything", (), {"__eq__": lambda s, o: True})()},
        type("Fake", (), {"__class__": property(lambda s: int)})(),  # isinstance(x, int) would lie
        __import__("fractions").Fraction(1, 2),
    ],
)
def test_non_plain_values_never_cross(value: object) -> None:
    with pytest.raises(child._Unsupported):
        child.encode(value)


@pytest.mark.parametrize(
    "raw",
    [b'{"$eq": 1}', b'{"$tuple": 1}', b'{"$float": "1.5"}', b'{"$set": [[1]]}', b"NaN", b'{"a": 1, "b": 2}'],
)
def test_malformed_child_data_is_refused(raw: bytes) -> None:
    with pytest.raises((ValueError, TypeError)):
        decode_plain(parse_json_line(raw))


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_seccomp_program_is_well_formed(machine: str) -> None:
    program = child.seccomp_program(machine, 1234)
    assert 0 < len(program) < 4096  # the kernel's limit
    for index, packed in enumerate(program):
        code, jt, jf, _k = struct.unpack("HBBI", packed)
        if code & 0x07 == 0x05:  # a jump: both targets inside the program
            assert index + 1 + max(jt, jf) < len(program)
    last = struct.unpack("HBBI", program[-1])
    assert last[0] == 0x06 and last[3] == 0x7FFF0000  # falls through to ALLOW


def test_cleanup_is_bounded(tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    path = deep
    for _ in range(sandbox._CLEANUP_MAX_DEPTH + 5):
        path = path / "d"
    path.mkdir(parents=True)
    assert sandbox.remove_tree(deep, time.monotonic() + 5) is False  # too deep: gives up quickly
    shallow = tmp_path / "shallow"
    (shallow / "a" / "b").mkdir(parents=True)
    (shallow / "a" / "f").write_text("x")
    assert sandbox.remove_tree(shallow, time.monotonic() + 5) is True and not shallow.exists()
    assert sandbox.remove_tree(tmp_path / "missing", time.monotonic() + 5) is True
    assert sandbox.remove_tree(deep, time.monotonic() - 1) is False  # no time left: stops at once


def test_grader_process_is_not_dumpable() -> None:
    import ctypes

    assert sandbox._HARDENED
    assert ctypes.CDLL(None).prctl(3, 0, 0, 0, 0) == 0  # PR_GET_DUMPABLE


def test_every_bundled_code_record_can_be_judged_outside_the_child() -> None:
    lines = (ROOT / "datasets" / "code.jsonl").read_text().splitlines()
    problems = [
        (i + 1, check_reference(json.loads(line)["reference_answer"])) for i, line in enumerate(lines)
    ]
    assert [p for p in problems if p[1]] == []


@pytest.mark.parametrize(
    "reference",
    [
        {"tests": ["assert is_even(2) == True", "assert is_even(4) == True"]},  # `return True` passes
        {"tests": ["assert f(1) is None"]},
        {"inputs": ["1\n", "2\n"], "outputs": ["yes\n", " yes"]},  # `print("yes")` passes
    ],
)
def test_suites_a_constant_answer_passes_are_refused(reference: object) -> None:
    assert "same result" in (check_reference(reference) or "")


def test_suites_with_two_distinct_expectations_are_accepted() -> None:
    assert check_reference({"tests": ["assert is_even(2) == True", "assert is_even(3) == False"]}) is None
    assert check_reference({"inputs": ["1\n", "2\n"], "outputs": ["1\n", "4\n"]}) is None


def test_check_reference_names_the_test() -> None:
    message = check_reference({"tests": ["assert f(1) == 1", "assert helper() in range(3)"]})
    assert message is not None and "tests[1]" in message
    assert check_reference({"no": "tests"}) is not None


HEADERS = {
    "x86_64": (Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"), r"#define __NR_(\w+) (\d+)"),
    "aarch64": (Path("/usr/include/asm-generic/unistd.h"), r"#define __NR(?:3264)?_(\w+)\s+(\d+)"),
}


@pytest.mark.parametrize("machine", sorted(HEADERS))
def test_syscall_numbers_match_the_kernel_headers(machine: str) -> None:
    import re

    path, pattern = HEADERS[machine]
    if not path.exists():
        pytest.skip(f"{path} is not installed (linux-libc-dev)")
    numbers = {m.group(1): int(m.group(2)) for m in re.finditer(pattern, path.read_text())}
    assert {name: numbers.get(name) for name in child._NR[machine]} == child._NR[machine]


def _run_bpf(program: list[bytes], arch: int, nr: int, args: tuple[int, ...] = ()) -> int:
    """A classic-BPF interpreter for the few opcodes the filter uses, over a seccomp_data."""
    data = struct.pack("<iI", nr, arch) + struct.pack("<Q", 0) + b"".join(struct.pack("<Q", a) for a in args)
    data = data.ljust(64, b"\0")
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = struct.unpack("HBBI", program[pc])
        if code == 0x20:  # ld [k]
            acc = struct.unpack_from("<I", data, k)[0]
        elif code == 0x06:  # ret k
            return k
        else:
            taken = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += jt if taken else jf
        pc += 1


ALLOW, EPERM, ENOSYS, KILL = 0x7FFF0000, 0x00050001, 0x00050026, 0x80000000


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_seccomp_decisions_on_both_architectures(machine: str) -> None:
    nr, arch, me = child._NR[machine], child._AUDIT_ARCH[machine], 4242
    program = child.seccomp_program(machine, me)

    def decide(name_or_nr: str | int, *args: int) -> int:
        number = nr[name_or_nr] if isinstance(name_or_nr, str) else name_or_nr
        return _run_bpf(program, arch, number, args)

    assert _run_bpf(program, 0x40000003, 1) == KILL  # another ABI (i386)
    assert decide("socket", 2, 1, 0) == EPERM
    assert decide("execve") == EPERM and decide("ptrace", 16, 1) == EPERM
    assert decide("openat", 0, 0, os.O_RDONLY | os.O_CLOEXEC) == ALLOW
    assert (
        decide("openat", 0, 0, os.O_WRONLY) == EPERM
        and decide("openat", 0, 0, os.O_RDONLY | os.O_CREAT) == EPERM
    )
    assert decide("clone", 0x11) == EPERM  # fork-like (SIGCHLD)
    assert decide("clone", 0x3D0F00) == ALLOW  # pthread_create's flags (CLONE_THREAD among them)
    assert decide("kill", me, 9) == ALLOW and decide("kill", me + 1, 0) == EPERM
    assert decide("kill", 0xFFFFFFFF, 0) == EPERM  # kill(-1, ...)
    assert decide("prlimit64", 0, 7) == ALLOW and decide("prlimit64", 1, 7) == EPERM
    assert decide("fcntl", 3, 8, 1) == EPERM and decide("fcntl", 3, 1) == ALLOW  # F_SETOWN / F_GETFD
    assert decide("unlinkat") == EPERM and decide("fchmod") == EPERM and decide("setxattr") == EPERM
    assert decide(425) == EPERM and decide(434) == EPERM  # io_uring_setup, pidfd_open
    assert decide(435) == ENOSYS and decide(437) == ENOSYS  # clone3, openat2: the C library falls back
    assert decide(436) == ALLOW  # close_range
    # the result socket: no out-of-band data, no descriptors, no ancillary data in either direction
    assert all(decide(name, 3) == EPERM for name in ("sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg"))
    assert decide("recvmmsg", 3) == EPERM
    assert decide(0 if machine == "x86_64" else 63) == ALLOW  # read


def test_result_lines_longer_than_a_passing_answer_are_never_parsed(monkeypatch) -> None:
    # `[{},{},...]` costs the grader ~25 bytes of memory per byte of text: 4 MB of it ~100 MB
    suite = sandbox.TestSuite.from_tests(["assert f(1) == [1, 2]", "assert f(2) == 'ab'"])
    cap = sandbox._line_cap(suite, sandbox.SandboxLimits())
    parsed: list[int] = []
    real = sandbox.parse_json_line
    monkeypatch.setattr(sandbox, "parse_json_line", lambda line: parsed.append(len(line)) or real(line))
    amplifier = b'{"i": 0, "ok": true, "v": [' + b"{}," * 1_300_000 + b"{}]}"
    data = b'{"layers": ["seccomp"]}\n' + amplifier + b'\n{"i": 1, "ok": true, "v": "ab"}\n'
    layers, cases, _ = sandbox._parse_results(data, 2, cap)
    assert layers == ("seccomp",) and set(cases) == {1}
    assert max(parsed) <= cap < 10_000


@pytest.mark.parametrize(
    ("got", "expected", "tol", "matches"),
    [
        ("0.3333333333333333\n", "0.333333\n", 1e-6, True),  # a real within the judge's error
        ("2.5 7", "2.50 7", 1e-6, True),
        ("3", "3.0", 1e-6, True),
        ("0.3333333333333333", "0.333333", 0.0, False),  # exact when the tolerance is 0
        ("2.5001", "2.5", 1e-6, False),
        ("1.0", "1", 1e-6, False),  # an expected integer stays exact
        ("nan", "0.5", 1e-6, False),
        ("inf", "1e308", 1e-6, False),
        ("0x1p-1", "0.5", 1e-6, False),  # not a number as a judge reads one
        ("0.5", "0.5 1", 1e-6, False),  # one token missing
        ("yes", "yes", 0.0, True),
    ],
)
def test_output_matches(got: str, expected: str, tol: float, matches: bool) -> None:
    assert output_matches(got, expected, tol) is matches
