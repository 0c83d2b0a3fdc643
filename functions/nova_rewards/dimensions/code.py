"""`code_tests`: the share of a task's tests that the response's Python code passes.

The code runs in `nova_rewards.sandbox` (a confined child interpreter that never sees the expected
values; see its docstring for the layers) and is judged in this process
(`nova_rewards.sandbox_verdicts`: the reference shapes and the exact comparison). A reference
whose tests cannot be judged that way raises (the sample gets the failure score); datasets are
checked beforehand with `check_reference`. A batch runs its samples on a few threads, each
waiting on its own child process.

Metrics carry no timing (a child could encode data in its run time): only counts and `timed_out`.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
import textwrap
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import Field

from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)
from nova_rewards.sandbox import SandboxLimits, TestSuite, run_suite

__all__ = ["STDIN", "CodeTests", "extract_code", "with_prelude"]

_FENCE_RE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_TAGS = {"python", "py", "python3", "py3"}
_READS_STDIN = re.compile(r"\binput\s*\(|\bstdin\b|\bopen\s*\(\s*0\b|\bfileinput\b|\bos\.read\s*\(\s*0\b")
_CODE_START = re.compile(r"(?:def |async def |class |import |from [\w.]+ import |@\w)")
_TRIM_ATTEMPTS = 12  # lines of prose dropped from the end of an unfenced answer, at most
_BUILTINS = frozenset(dir(builtins))
STDIN = "<stdin>"  # what a stdin/stdout program needs, in place of the names a call test needs


def extract_code(
    response: str, *, require_fence: bool = False, needs: frozenset[str] = frozenset()
) -> str | None:
    """The Python code of a response; None when there is nothing to run.

    One fenced block: that block. Several (models add usage examples, their own asserts, sample
    input and output, a first naive version): the last block that provides what the tests need
    (`needs`: the names they call, or STDIN for a program), with the definitions it uses from
    earlier blocks (an import or a helper shown first); else the last ```python block, else the
    last block. No fence (unless `require_fence`): the whole response, or when it is not Python,
    from its first `def`/`class`/`import` line without the prose paragraphs after the code.
    """
    # dedented: a fence inside a markdown list item is indented with it, its code too
    blocks = [(m.group(1).lower(), textwrap.dedent(m.group(2))) for m in _FENCE_RE.finditer(response)]
    python_blocks = [body for tag, body in blocks if tag in _PYTHON_TAGS]
    if python_blocks:
        code = python_blocks[-1]
    elif blocks:
        code = blocks[-1][1]
    elif require_fence:
        return None
    else:
        code = _unfenced_code(response)
    if len(blocks) > 1 and needs:
        parse = functools.cache(_parsed)  # both passes may parse the same blocks
        every_block = [body for _, body in blocks]
        code = (
            _block_providing(needs, python_blocks, parse)
            or _block_providing(needs, every_block, parse)
            or code
        )
    return code if code.strip() else None


def _unfenced_code(response: str) -> str:
    """The code of an answer without fences: "Here is the code:" before it, an explanation after."""
    if _parsed(response) is not None:
        return response
    lines = response.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return response
    lines = lines[start:]
    for _ in range(_TRIM_ATTEMPTS):
        code = "".join(lines)
        if _parsed(code) is not None:
            return code
        lines.pop()  # a line of prose after the code (a markdown paragraph is one line)
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            break
    return response


def _parsed(body: str) -> ast.Module | None:
    try:  # the model's text, parsed in the grader: errors only (a deep nesting is a RecursionError)
        return ast.parse(body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _defined(statement: ast.stmt) -> set[str]:
    """Names a top-level statement binds (def, class, import, assignment)."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in statement.names}
    if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _provides(needs: frozenset[str], body: str, tree: ast.Module) -> bool:
    if STDIN in needs:
        return bool(_READS_STDIN.search(body))
    # made here, not imported: a pytest file the model adds (`from solution import f`) runs nothing
    made = [s for s in tree.body if not isinstance(s, ast.Import | ast.ImportFrom)]
    return needs <= set().union(*(_defined(s) for s in made))


def _block_providing(
    needs: frozenset[str], bodies: list[str], parse: Callable[[str], ast.Module | None]
) -> str | None:
    """The last of `bodies` that provides `needs`, preceded by the definitions it uses (and not
    makes itself) from the blocks before it; None when no block provides them. Blocks are parsed
    from the last one back, and only as far as needed (parsing 12,000 characters takes ~40 ms)."""
    for index in range(len(bodies) - 1, -1, -1):
        tree = parse(bodies[index])
        if tree is not None and _provides(needs, bodies[index], tree):
            break
    else:
        return None
    own = set().union(*(_defined(s) for s in tree.body)) if tree.body else set()
    missing = _used(tree) - own - _BUILTINS
    borrowed: list[str] = []
    for body in reversed(bodies[:index] if missing else []):
        earlier = parse(body)
        for statement in reversed(earlier.body if earlier else []):
            names = _defined(statement) & missing
            if names and (STDIN not in needs or not isinstance(statement, ast.Assign | ast.AnnAssign)):
                borrowed.insert(0, ast.get_source_segment(body, statement) or "")
                missing = (missing - names) | (_used(statement) - _defined(statement))
    return _insert_after_header(bodies[index], tree, borrowed) if borrowed else bodies[index]


def _insert_after_header(body: str, tree: ast.Module, statements: list[str]) -> str:
    """`body` with `statements` after its docstring and `from __future__` imports (which must stay
    first)."""
    lead = 0
    for statement in tree.body:
        docstring = isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        if not (docstring or (isinstance(statement, ast.ImportFrom) and statement.module == "__future__")):
            break
        lead = statement.end_lineno or lead
    lines = body.splitlines(keepends=True)
    return "".join([*lines[:lead], *(s + "\n" for s in statements), *lines[lead:]])


# What LeetCode's Python 3 runs before a solution (`from typing import *`, collections, heapq,
# math...): code written for it says `List[int]` or `deque()` without importing them.
# fmt: off
_PRELUDE_FROM = {
    "typing": "List Dict Set Tuple Optional Union Any Callable Deque DefaultDict Iterable Iterator "
              "Generator Sequence FrozenSet",
    "collections": "deque defaultdict Counter OrderedDict namedtuple",
    "heapq": "heappush heappop heapify heappushpop heapreplace nlargest nsmallest",
    "bisect": "bisect_left bisect_right insort",
    "math": "inf gcd comb isqrt sqrt ceil floor log2 factorial",
    "functools": "lru_cache cache reduce cmp_to_key",
    "itertools": "accumulate permutations combinations product chain groupby zip_longest",
}
# fmt: on
_PRELUDE = {
    name: f"from {module} import {name}" for module, names in _PRELUDE_FROM.items() for name in names.split()
}
_PRELUDE_MODULES = ("math", "heapq", "bisect", "collections", "itertools", "functools", "re", "string")
_PRELUDE.update((module, f"import {module}") for module in _PRELUDE_MODULES)
_PRELUDE_HINT = re.compile(r"\b(?:" + "|".join(sorted(_PRELUDE)) + r")\b")


def with_prelude(code: str) -> str:
    """`code` with imports of the LeetCode prelude names it uses but never binds (it would stop
    at a NameError without them; a name it binds anywhere is left alone)."""
    if not _PRELUDE_HINT.search(code):
        return code
    tree = _parsed(code)
    if tree is None:
        return code
    bound: set[str] = set()
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.Global | ast.Nonlocal):
            bound.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    missing = sorted((used - bound) & _PRELUDE.keys())
    return _insert_after_header(code, tree, [_PRELUDE[name] for name in missing]) if missing else code


class CodeTestsParams(DimensionParams):
    """Parameters of `code_tests` (limits per sample)."""

    language: Literal["python"] = "python"
    require_fence: bool = Field(False, description="only code inside ``` fences counts")
    wall_seconds: float = Field(10.0, gt=0.0, le=120.0)
    per_test_seconds: float = Field(
        2.0,
        gt=0.0,
        le=60.0,
        description="CPU seconds per test (a test that sleeps or blocks ends at 3x this in wall time): "
        "concurrent samples do not make a right solution time out",
    )
    cpu_seconds: int = Field(10, ge=1, le=120)
    memory_mb: int = Field(
        256, ge=64, le=8192, description="per child; memory_mb x max_workers must fit in the Lambda"
    )
    output_kb: int = Field(256, ge=1, le=65536)
    max_workers: int = Field(2, ge=1, le=32, description="samples run concurrently")
    max_code_chars: int = Field(50_000, ge=1, le=100_000)
    float_rel_tol: float = Field(1e-9, ge=0.0, le=0.1, description="relative tolerance of float results")
    float_abs_tol: float = Field(0.0, ge=0.0, le=1.0, description="absolute tolerance of float results")
    output_float_tol: float = Field(
        1e-6,
        ge=0.0,
        le=0.1,
        description="stdin/stdout cases: an expected token written as a real number (0.333333, 2.50) "
        "matches a printed number within this absolute or relative error, as judges check; 0 for exact",
    )
    all_or_nothing: bool = Field(
        False,
        description="1.0 only when every test passes, else 0.0: a constant or special-cased answer that "
        "passes some tests earns nothing (the usual RLVR code reward)",
    )


def _needs(suite: TestSuite) -> frozenset[str]:
    """What the code must provide: the names the tests call (`Owner` of a method), or stdin."""
    if suite.mode == "io":
        return frozenset({STDIN})
    called = {case.owner[0] if case.owner else case.function for case in suite.calls}
    setup = _parsed(suite.setup) if suite.setup else None  # the reference's setup may define some
    return frozenset(called - set().union(*(_defined(s) for s in setup.body))) if setup else frozenset(called)


class CodeTests(Dimension):
    """Fraction of the reference tests passed (0 when the code is missing, crashes or hangs)."""

    kind = "code_tests"
    Params = CodeTestsParams
    params: CodeTestsParams

    def _limits(self, ctx: ScoringContext) -> SandboxLimits:
        p = self.params
        remaining = ctx.remaining()
        if remaining <= 0:
            raise TimeoutError("no time left to run the code")
        wall = min(p.wall_seconds, remaining)
        return SandboxLimits(
            wall_seconds=wall,
            per_test_seconds=min(p.per_test_seconds, wall),
            cpu_seconds=p.cpu_seconds,
            memory_bytes=p.memory_mb * 1024 * 1024,
            output_bytes=p.output_kb * 1024,
        )

    def check_record(self, sample: Sample) -> str | None:
        if TestSuite.from_reference(sample.reference) is not None:
            return None
        return "reference_answer.tests (assert statements) or .inputs/.outputs (stdin/stdout cases)"

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        suite = TestSuite.from_reference(sample.reference)
        if suite is None:
            return DimensionResult(None)
        metrics = {"tests_total": float(suite.size)}
        code = extract_code(sample.response, require_fence=self.params.require_fence, needs=_needs(suite))
        if code is None or len(code) > self.params.max_code_chars:
            return DimensionResult(0.0, {**metrics, "code_found": 0.0, "tests_passed": 0.0})
        if suite.mode == "calls":  # function and class tasks, as LeetCode poses them; programs import
            code = with_prelude(code)
        p = self.params
        run = run_suite(
            code,
            suite,
            self._limits(ctx),
            rel_tol=p.float_rel_tol,
            abs_tol=p.float_abs_tol,
            output_float_tol=p.output_float_tol,
        )
        metrics.update(
            code_found=1.0,
            tests_passed=float(sum(run.passed)),
            timed_out=1.0 if run.timed_out else 0.0,
        )
        value = run.fraction
        if p.all_or_nothing:
            value = 1.0 if value == 1.0 else 0.0
        return DimensionResult(value, metrics)

    def score_batch(
        self, samples: Sequence[Sample], ctx: ScoringContext
    ) -> list[DimensionResult | BaseException]:
        """Score samples concurrently: each waits on its own child process."""
        if len(samples) <= 1 or self.params.max_workers == 1:
            return super().score_batch(samples, ctx)

        def one(sample: Sample) -> DimensionResult | BaseException:
            try:
                return self.score(sample, ctx)
            except Exception as exc:  # one bad sample never fails the batch
                return exc

        with ThreadPoolExecutor(max_workers=self.params.max_workers) as pool:
            return list(pool.map(one, samples))
