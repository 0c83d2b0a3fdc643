"""Build the grader Lambda zips (`build/grader-<arch>.zip`), reproducibly.

A zip holds `nova_rewards` (from `functions/`) and only its runtime dependencies, as manylinux wheels
for the Lambda platform (CPython 3.12, x86_64 or arm64), installed with pip's cross-platform options.
Not included: boto3 (the Lambda runtime provides it) and aws-lambda-powertools (the library writes
EMF with the stdlib; see `nova_rewards.observability` for the measurement behind that choice).

Reproducible: entries sorted, timestamps fixed to 1980-01-01, permissions fixed (0644), no `bin/`
scripts and no RECORD lines for them (their shebangs name the building venv, so two checkouts would
differ), no bytecode from the build machine. Same inputs (sources, pinned requirements, cached wheels,
the 3.12 interpreter) give the same bytes, wherever the checkout and its venv live.

Bytecode: Lambda's /var/task is read-only, so without .pyc files in the zip every cold start compiles
every imported module from source. Measured (CPython 3.12, the x86_64 zip, import + first batch of 64
math samples): ~530-1000 ms without .pyc, ~155 ms with them. So by default the build compiles the
package with a CPython 3.12 interpreter (the Lambda's version: the .pyc magic number must match)
using `unchecked-hash` pycs (no timestamps; Python does not even stat the source), recorded paths
under /var/task and PYTHONHASHSEED=0, which keeps the bytes reproducible. `--no-compile` skips it.

A grader with a spec file of the user's (Terraform `spec_file`) deploys `grader-<arch>-spec-<key>.zip`:
the shared zip's bytes plus one entry `user_specs/<file name>` (REWARD_SPEC names it relative to the
task root, the function's working directory). `<key>` hashes both inputs exactly as
terraform/modules/rft_stack computes it, so Terraform looks for the package of the spec it reads, and
a changed spec or base zip can never deploy an old package.

Wheels are cached in `.orch/wheel-cache/<arch>/`: the build first installs from the cache with
`--no-index` (offline) and downloads only when the cache cannot satisfy the requirements.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestrator import env_vars
from orchestrator.errors import OrchError

__all__ = [
    "ARCHITECTURES",
    "PYTHON_VERSION",
    "PackagingError",
    "BuiltPackage",
    "runtime_requirements",
    "build_package",
    "write_reproducible_zip",
    "repo_root",
    "find_python312",
    "SPEC_ENTRY_DIR",
    "spec_package_path",
    "build_spec_package",
    "sources_digest",
]

PYTHON_VERSION = "3.12"
# Lambda arch -> pip platform tags (AL2023, glibc 2.34: manylinux2014 and manylinux_2_28 both run)
ARCHITECTURES: dict[str, tuple[str, ...]] = {
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
}
# Runtime dependencies of functions/nova_rewards; versions are pinned to the ones in this venv so the
# Lambda runs what the tests ran. sympy brings mpmath; pydantic brings pydantic-core & co. Math-Verify
# (imported only by the math worker process) brings latex2sympy2_extended, whose generated LaTeX parser
# needs the ANTLR runtime of the same version (4.13.2): pinned here explicitly, not left to the resolver.
RUNTIME_PACKAGES = (
    "pydantic",
    "jsonschema",
    "sympy",
    "math-verify",
    "latex2sympy2_extended",
    "antlr4-python3-runtime",
)
# Bulky test suites of dependencies, never imported at run time.
EXCLUDED_DIRS = ("sympy/*/tests", "sympy/*/*/tests", "sympy/*/*/*/tests", "mpmath/tests")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
# zlib's default level. Measured on the x86_64 zip (66 MB unpacked): level 9 took 4.4 s for a zip 1%
# smaller (19.7 MB against 19.9 MB) than level 6 in 1.2 s; every build pays it, every deploy does not.
COMPRESS_LEVEL = 6
PIP_TIMEOUT_S = 900
LAMBDA_TASK_ROOT = "/var/task"
PYTHON312_ENV = env_vars.ORCH_PYTHON312
SPEC_ENTRY_DIR = "user_specs"  # where a user's spec sits inside the zip (REWARD_SPEC=user_specs/<name>)


class PackagingError(OrchError):
    """The grader package could not be built."""

    exit_code = 2


@dataclass(frozen=True)
class BuiltPackage:
    arch: str
    path: Path
    size: int
    sha256: str
    files: int

    def as_dict(self) -> dict[str, object]:
        return {"arch": self.arch, "path": str(self.path), "size": self.size, "sha256": self.sha256}


def repo_root() -> Path:
    """The checkout this `orchestrator` package lives in."""
    return Path(__file__).resolve().parents[1]


def runtime_requirements() -> list[str]:
    """Pinned requirement strings of the Lambda's runtime dependencies."""
    pins = []
    for name in RUNTIME_PACKAGES:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pins.append(name)
    return pins


def build_package(
    arch: str,
    *,
    output_dir: Path,
    cache_dir: Path,
    source_dir: Path | None = None,
    requirements: list[str] | None = None,
    compile_with: str | None = None,
    pip_python: str = sys.executable,
    log: Callable[[str], None] = lambda _text: None,
) -> BuiltPackage:
    """Build `output_dir/grader-<arch>.zip` and return its path, size and sha256.

    `compile_with`: a CPython 3.12 interpreter to byte-compile the package with (None: no .pyc).
    `pip_python`: the interpreter whose pip installs the wheels (the running one by default).
    """
    if arch not in ARCHITECTURES:
        raise PackagingError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
    source = source_dir or repo_root() / "functions" / "nova_rewards"
    if not (source / "handler.py").is_file():
        raise PackagingError(f"{source}: not the nova_rewards package (no handler.py)")
    pins = runtime_requirements() if requirements is None else requirements
    wheels = cache_dir / arch
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"grader-{arch}-") as tmp:
        staging = Path(tmp) / "pkg"
        _install_dependencies(arch, pins, wheels, staging, pip_python, log)
        _prune(staging)
        shutil.copytree(
            source, staging / "nova_rewards", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        if compile_with:
            _compile(staging, compile_with)
        target = output_dir / f"grader-{arch}.zip"
        count = write_reproducible_zip(staging, target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    return BuiltPackage(arch=arch, path=target, size=target.stat().st_size, sha256=digest, files=count)


def _pip_platform_args(arch: str) -> list[str]:
    args = []
    for tag in ARCHITECTURES[arch]:
        args += ["--platform", tag]
    return args + [
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
    ]


def _install_dependencies(
    arch: str, pins: list[str], wheels: Path, staging: Path, pip_python: str, log: Callable[[str], None]
) -> None:
    """Install from the wheel cache; fill the cache from PyPI first when it is incomplete."""
    if not pins:
        staging.mkdir(parents=True)
        return
    wheels.mkdir(parents=True, exist_ok=True)
    install = [
        pip_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--no-index", "--find-links", str(wheels), "--target", str(staging), *_pip_platform_args(arch), *pins,
    ]  # fmt: skip
    if _run(install).returncode == 0:
        log(f"{arch}: dependencies installed from the wheel cache {wheels}")
        return
    log(f"{arch}: downloading wheels into {wheels} ({', '.join(pins)})")
    download = [
        pip_python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--timeout", "30", "--retries", "5", "--dest", str(wheels), *_pip_platform_args(arch), *pins,
    ]  # fmt: skip
    result = _run(download)
    if result.returncode != 0:
        raise PackagingError(f"pip download for {arch} failed:\n{_tail(result.stderr)}")
    shutil.rmtree(staging, ignore_errors=True)
    result = _run(install)
    if result.returncode != 0:
        raise PackagingError(f"pip install for {arch} failed:\n{_tail(result.stderr)}")


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_NO_INPUT": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired:
        raise PackagingError(f"pip took longer than {PIP_TIMEOUT_S} s: {' '.join(command[:4])}") from None


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _prune(staging: Path) -> None:
    """Drop what the Lambda never runs and what would make the zip machine-dependent."""
    for outside_packages in ("bin", "share"):  # console scripts, man pages
        shutil.rmtree(staging / outside_packages, ignore_errors=True)
    for record in staging.glob("*.dist-info/RECORD"):
        _drop_entries_outside_target(record)
    for pattern in EXCLUDED_DIRS:
        for path in staging.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
    for cache in list(staging.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for compiled in staging.rglob("*.py[co]"):
        compiled.unlink()


def _drop_entries_outside_target(record: Path) -> None:
    """Remove RECORD lines of files installed outside the package directories (`../../bin/...`).

    pip rewrites a console script's shebang to the interpreter that runs it, and RECORD keeps the
    hash of that script: the venv's path would leak into the zip, so two checkouts of the same commit
    would build different bytes (and Terraform's `source_code_hash` would redeploy for nothing). The
    scripts themselves are not shipped, so their lines go too.
    """
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("../")]
    if len(kept) != len(lines):
        record.write_text("".join(kept), encoding="utf-8")


def find_python312() -> str | None:
    """A CPython 3.12 interpreter: $ORCH_PYTHON312, `python3.12` on PATH, or a pyenv 3.12.x."""
    candidates = [os.environ.get(PYTHON312_ENV), shutil.which("python3.12")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(p / "bin" / "python") for p in sorted(pyenv.glob("3.12.*"), reverse=True)]
    for candidate in candidates:
        if candidate and _is_python312(candidate):
            return candidate
    return None


def _is_python312(executable: str) -> bool:
    probe = "import sys; print(sys.implementation.name, *sys.version_info[:2])"
    try:
        result = subprocess.run([executable, "-c", probe], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.split() == ["cpython", "3", "12"]


def _compile(staging: Path, python: str) -> None:
    """Byte-compile everything reproducibly (see the module docstring)."""
    if not _is_python312(python):
        raise PackagingError(f"{python} is not CPython {PYTHON_VERSION}; its .pyc files would be ignored")
    command = [
        python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
        "-d", LAMBDA_TASK_ROOT, str(staging),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, env=env)
    if result.returncode != 0:
        raise PackagingError(f"byte-compiling the package failed:\n{_tail(result.stdout + result.stderr)}")


def _files(root: Path) -> Iterable[tuple[str, Path]]:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(root).as_posix(), path


def write_reproducible_zip(root: Path, target: Path) -> int:
    """Zip every file under `root` with sorted names, fixed dates and modes; returns the file count."""
    entries = sorted(_files(root))
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.external_attr = (0o100644 & 0xFFFF) << 16
            info.create_system = 3  # unix, so the mode bits are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=COMPRESS_LEVEL)
    partial.replace(target)
    return len(entries)


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def spec_package_path(base_zip: Path, spec_file: Path) -> Path:
    """`grader-<arch>-spec-<key>.zip` beside `base_zip`: the name terraform/modules/rft_stack derives
    (key = first 16 hex of sha256("<sha256 of base>:<sha256 of spec>:<spec file name>"))."""
    material = ":".join([_file_sha256(base_zip), _file_sha256(spec_file), spec_file.name])
    key = hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]
    return base_zip.with_name(f"{base_zip.stem}-spec-{key}.zip")


def validate_spec_file(spec_file: Path) -> None:
    """PackagingError unless `spec_file` loads as a reward spec; callers check before the ~20 s base
    build, so a typo in a kind name is reported at once."""
    from nova_rewards.errors import SpecError
    from nova_rewards.spec import load_spec

    if not spec_file.is_file():
        raise PackagingError(f"spec_file {spec_file}: no such file")
    try:
        load_spec(spec_file)
    except SpecError as exc:
        raise PackagingError(f"spec_file {spec_file} is not a valid reward spec: {exc}") from None


def build_spec_package(base_zip: Path, spec_file: Path) -> BuiltPackage:
    """The grader package of a spec file of the user's: `base_zip` plus `user_specs/<spec name>`.

    The spec is validated first (`nova_rewards.spec.load_spec`): a spec that cannot load would only
    fail at the grader's first invocation. Copying the base bytes and appending one entry keeps the
    build fast (no recompression) and reproducible (same inputs, same bytes); a package already at the
    content-addressed name is reused.
    """
    if not base_zip.is_file():
        raise PackagingError(f"{base_zip}: no base grader package (run `orch reward package` first)")
    validate_spec_file(spec_file)
    target = spec_package_path(base_zip, spec_file)
    if not target.is_file():
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(base_zip, partial)
        with zipfile.ZipFile(partial, "a") as archive:
            info = zipfile.ZipInfo(f"{SPEC_ENTRY_DIR}/{spec_file.name}", date_time=FIXED_DATE)
            info.external_attr = (0o100644 & 0xFFFF) << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, spec_file.read_bytes(), compresslevel=COMPRESS_LEVEL)
        partial.replace(target)
    with zipfile.ZipFile(target) as archive:
        files = len(archive.infolist())
    arch = base_zip.stem.removeprefix("grader-")
    return BuiltPackage(arch, target, target.stat().st_size, _file_sha256(target), files)


def sources_digest(source_dir: Path, requirements: Iterable[str]) -> str:
    """SHA-256 over what a grader package is built from: every file of `source_dir` (path and bytes,
    bytecode caches excluded) and the pinned requirements. Equal digests: the same package."""
    digest = hashlib.sha256()
    for name, path in sorted(_files(source_dir)):
        if "__pycache__" in name or name.endswith((".pyc", ".pyo")):
            continue
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    digest.update("\n".join(requirements).encode("utf-8"))
    return digest.hexdigest()
