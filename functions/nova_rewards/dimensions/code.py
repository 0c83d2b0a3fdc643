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

import re
from collections.abc import Sequence
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

__all__ = ["CodeTests", "extract_code"]

_FENCE_RE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_TAGS = {"python", "py", "python3", "py3"}


def extract_code(response: str, *, require_fence: bool = False) -> str | None:
    """The Python code of a response: its last ```python block, else its last fenced block, else
    (unless `require_fence`) the whole response. None when there is nothing to run."""
    blocks = [(m.group(1).lower(), m.group(2)) for m in _FENCE_RE.finditer(response)]
    python_blocks = [body for tag, body in blocks if tag in _PYTHON_TAGS]
    if python_blocks:
        code = python_blocks[-1]
    elif blocks:
        code = blocks[-1][1]
    elif require_fence:
        return None
    else:
        code = response
    return code if code.strip() else None


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
    all_or_nothing: bool = Field(
        False,
        description="1.0 only when every test passes, else 0.0: a constant or special-cased answer that "
        "passes some tests earns nothing (the usual RLVR code reward)",
    )


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
        code = extract_code(sample.response, require_fence=self.params.require_fence)
        if code is None or len(code) > self.params.max_code_chars:
            return DimensionResult(0.0, {**metrics, "code_found": 0.0, "tests_passed": 0.0})
        p = self.params
        run = run_suite(code, suite, self._limits(ctx), rel_tol=p.float_rel_tol, abs_tol=p.float_abs_tol)
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
