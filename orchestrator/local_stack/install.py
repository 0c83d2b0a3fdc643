"""Install the pinned LocalStack and this project's LocalStack plugins into `.orch/localstack-venv`.

LocalStack lives in its own virtual environment because the version that runs without Docker and
without an auth token (`localstack-core` 2026.3.0) needs Python 3.13, while the project runs on 3.11+.
The project itself is installed there editable and without dependencies, only so that LocalStack's
plugin loader (plux) sees this project's entry points (`localstack.lambda.runtime_executor`,
`localstack.aws.provider`). A stamp file makes a second `ensure_installed` a fast no-op.

This module uses the standard library only, so it also runs before the project's own venv exists:
`python3 -m orchestrator.local_stack.install` is what `make demo` runs beside that venv's install
(the two installs take about the same time; side by side they cost one).

pip runs with `--no-compile`: byte-compiling every module of LocalStack and its dependencies took
21 of the 35 s of this install, and LocalStack imports a fraction of them; Python compiles those on
first import and keeps the .pyc in the venv.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestrator import env_vars
from orchestrator.errors import LocalStackError

# The last localstack-core release that starts in host mode without an auth token. Its plugin
# interfaces (runtime executor, provider registry) are internals, so the version is pinned exactly.
LOCALSTACK_REQUIREMENT = "localstack-core[runtime]==2026.3.0"
LOCALSTACK_VERSION = "2026.3.0"
# Newer releases of these break 2026.3.0 at import or TLS set-up (cbor2 6 changed its C API,
# pyOpenSSL 26 / cryptography 47 removed APIs LocalStack's TLS helpers use); service_identity
# is needed by the bundled twisted for its certificate checks.
CONSTRAINTS: tuple[str, ...] = ("cbor2<6", "pyopenssl<26", "cryptography<47", "service_identity")
PYTHON_MINOR = "3.13"
PIP_TIMEOUT_S = 1800
STAMP_NAME = ".orch-install.json"
EXECUTOR_NAMESPACE = "localstack.lambda.runtime_executor"
EXECUTOR_NAME = "host"  # LAMBDA_RUNTIME_EXECUTOR=host (pyproject.toml entry point)


@dataclass(frozen=True)
class InstallResult:
    """What `ensure_installed` did: `changed` is False when the stamp was already current."""

    venv: Path
    changed: bool
    steps: tuple[str, ...]

    def report(self) -> list[str]:
        """What to tell the user: the steps taken, or that nothing was needed."""
        return list(self.steps) if self.changed else [f"LocalStack is installed and current in {self.venv}"]


def venv_dir(project_dir: Path) -> Path:
    """The LocalStack virtual environment of a checkout (architecture.md: `.orch/localstack-venv/`)."""
    return project_dir / ".orch" / "localstack-venv"


def venv_python(project_dir: Path) -> Path:
    return venv_dir(project_dir) / "bin" / "python"


def find_python313(environ: dict[str, str] | None = None) -> Path:
    """Locate a Python 3.13 interpreter: `ORCH_PYTHON313`, `python3.13` on PATH, then pyenv's versions."""
    env = os.environ if environ is None else environ
    candidates: list[str] = []
    if env.get(env_vars.ORCH_PYTHON313):
        candidates.append(env[env_vars.ORCH_PYTHON313])
    on_path = shutil.which(f"python{PYTHON_MINOR}", path=env.get("PATH"))
    if on_path:
        candidates.append(on_path)
    candidates += sorted(glob.glob(f"/root/.pyenv/versions/{PYTHON_MINOR}*/bin/python"), reverse=True)
    candidates += sorted(
        glob.glob(os.path.expanduser(f"~/.pyenv/versions/{PYTHON_MINOR}*/bin/python")), reverse=True
    )
    for candidate in candidates:
        if _python_minor(candidate) == PYTHON_MINOR:
            return Path(candidate)
    raise LocalStackError(
        f"Python {PYTHON_MINOR} not found (LocalStack {LOCALSTACK_VERSION} needs it): install it "
        f"(e.g. `pyenv install {PYTHON_MINOR}`) or set {env_vars.ORCH_PYTHON313} to its interpreter."
    )


def _python_minor(interpreter: str) -> str | None:
    try:
        out = subprocess.run(
            [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def expected_stamp(project_dir: Path) -> dict[str, object]:
    """What the stamp must say for the installation to be current."""
    pyproject = (project_dir / "pyproject.toml").read_bytes()
    return {
        "localstack": LOCALSTACK_REQUIREMENT,
        "constraints": list(CONSTRAINTS),
        "pyproject_sha256": hashlib.sha256(pyproject).hexdigest(),
        "project_dir": str(project_dir.resolve()),
    }


def is_installed(project_dir: Path) -> bool:
    """True when the venv exists and its stamp matches the pinned versions and pyproject.toml."""
    stamp = venv_dir(project_dir) / STAMP_NAME
    if not venv_python(project_dir).exists() or not stamp.exists():
        return False
    try:
        return json.loads(stamp.read_text()) == expected_stamp(project_dir)
    except (OSError, ValueError):
        return False


def ensure_installed(project_dir: Path, *, force: bool = False) -> InstallResult:
    """Create the venv, install pinned LocalStack and this project (editable, no deps) if needed.

    Serialised with a lock file: test sessions and `orch local up` may race on a fresh checkout.
    """
    project_dir = project_dir.resolve()
    venv = venv_dir(project_dir)
    if not force and is_installed(project_dir):
        return InstallResult(venv, changed=False, steps=())
    lock_path = project_dir / ".orch" / "localstack-install.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_installed(project_dir):  # another process finished it meanwhile
            return InstallResult(venv, changed=False, steps=())
        return _install(project_dir, venv, force)


def _install(project_dir: Path, venv: Path, force: bool) -> InstallResult:
    steps: list[str] = []
    if not venv_python(project_dir).exists():
        python = find_python313()
        _run([str(python), "-m", "venv", str(venv)], "create the LocalStack venv")
        steps.append(f"created {venv} with {python}")
    if force or _installed_version(project_dir, "localstack-core") != LOCALSTACK_VERSION:
        _pip(project_dir, ["install", "--quiet", "--no-compile", LOCALSTACK_REQUIREMENT, *CONSTRAINTS])
        steps.append(f"installed {LOCALSTACK_REQUIREMENT}")
    _pip(project_dir, ["install", "--quiet", "--no-compile", "--no-deps", "-e", str(project_dir)])
    steps.append("installed this project (editable, no deps) for its LocalStack plugins")
    clear_plux_cache()
    _check_plugin_visible(project_dir)
    (venv / STAMP_NAME).write_text(json.dumps(expected_stamp(project_dir), indent=2) + "\n")
    return InstallResult(venv, changed=True, steps=tuple(steps))


def clear_plux_cache(cache_home: Path | None = None) -> int:
    """Delete plux's cached entry-point lists so that new or changed plugin entry points are seen."""
    root = cache_home or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    removed = 0
    for cached in (root / "plux").glob("*.entry_points.txt"):
        cached.unlink(missing_ok=True)
        removed += 1
    return removed


def _check_plugin_visible(project_dir: Path) -> None:
    """LocalStack silently falls back to Docker when the `host` executor is missing: check it loads."""
    code = (
        "from plux import PluginManager; import sys; "
        f"sys.exit(0 if PluginManager({EXECUTOR_NAMESPACE!r}).exists({EXECUTOR_NAME!r}) else 1)"
    )
    try:
        done = subprocess.run([str(venv_python(project_dir)), "-c", code], capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise LocalStackError(f"Install failed: cannot check the LocalStack plugins: {exc}") from exc
    if done.returncode != 0:
        raise LocalStackError(
            f"Install failed: LocalStack does not see this project's Lambda executor plugin "
            f"({EXECUTOR_NAMESPACE}:{EXECUTOR_NAME}); check pyproject.toml's entry points"
        )


def _installed_version(project_dir: Path, distribution: str) -> str | None:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    try:
        out = subprocess.run(
            [str(venv_python(project_dir)), "-c", code], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _pip(project_dir: Path, args: list[str]) -> None:
    _run([str(venv_python(project_dir)), "-m", "pip", *args], f"pip {' '.join(args[:3])}")


def _run(cmd: list[str], what: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise LocalStackError(f"Install failed: {what} took longer than {PIP_TIMEOUT_S} s") from exc
    except OSError as exc:
        raise LocalStackError(f"Install failed: {what}: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise LocalStackError(f"Install failed: {what} (exit {done.returncode}):\n{tail}")


def main(argv: list[str] | None = None) -> int:
    """`python3 -m orchestrator.local_stack.install [--force] [PROJECT_DIR]`: `orch local install`
    without the project's venv (PROJECT_DIR defaults to the checkout this module is in)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    force = "--force" in args
    paths = [a for a in args if a != "--force"]
    project_dir = Path(paths[0]) if paths else Path(__file__).resolve().parents[2]
    try:
        result = ensure_installed(project_dir, force=force)
    except LocalStackError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return LocalStackError.exit_code
    print("\n".join(result.report()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
