"""The grader packages an environment deploys, built before Terraform plans (`orch local provision`,
`orch demo`).

- The shared package `build/grader-<arch>.zip` of this machine's architecture is rebuilt when what it
  is built from changed: a stamp beside it (`grader-<arch>.zip.sources`) records the digest of
  `functions/nova_rewards` plus the pinned runtime requirements, and the zip's own SHA-256. A stamp
  that differs (a source edited, a dependency upgraded, the zip replaced or missing) means a rebuild,
  so a stale zip is never deployed; an equal stamp skips the ~20 s build.
- Every grader with a `spec_file` of the user's (in `graders` or `custom_graders` of the environment's
  variables files) gets its content-addressed package `grader-<arch>-spec-<key>.zip`
  (`orchestrator.packaging.build_spec_package`), after its spec is validated.

The variables are read from the files Terraform itself reads, in Terraform's order: `terraform.tfvars`,
`*.auto.tfvars` (sorted), then each `-var-file` given; a later file's value of a variable replaces an
earlier one's, as in Terraform. Relative `spec_file` paths are relative to the environment directory,
where Terraform runs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError

Echo = Callable[[str], None]
GRADER_VARIABLES = ("graders", "custom_graders")
DEFAULT_ARCHITECTURE = "arm64"  # the modules' default (optional(string, "arm64"))


@dataclass(frozen=True)
class GraderSource:
    """One grader of an environment's variables: its name, architecture and spec file (None: bundled)."""

    name: str
    architecture: str
    spec_file: Path | None


def variables_files(env_dir: Path, var_files: Sequence[Path] = ()) -> list[Path]:
    """The variables files Terraform reads for a run in `env_dir`, in its order of precedence."""
    files = [env_dir / "terraform.tfvars"] if (env_dir / "terraform.tfvars").is_file() else []
    return files + sorted(env_dir.glob("*.auto.tfvars")) + [Path(f) for f in var_files]


def read_variables(path: Path) -> dict[str, Any]:
    """Top-level variables of one .tfvars file (strings unquoted)."""
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
    try:
        return dict(hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=options))
    except OSError as exc:
        raise ConfigError(f"cannot read the variables file {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"{path}: not a valid Terraform variables file: {first_line}") from None


def grader_sources(env_dir: Path, var_files: Sequence[Path] = ()) -> list[GraderSource]:
    """Every grader the environment deploys (`graders` merged with `custom_graders`)."""
    values: dict[str, tuple[Path, Any]] = {}
    for path in variables_files(env_dir, var_files):
        for name, value in read_variables(path).items():
            if name in GRADER_VARIABLES:
                values[name] = (path, value)
    sources = []
    for variable in GRADER_VARIABLES:
        path, graders = values.get(variable, (env_dir, {}))
        if not isinstance(graders, dict):
            raise ConfigError(f"{path}: `{variable}` must be a map of graders")
        for name, grader in sorted(graders.items()):
            sources.append(_grader_source(path, variable, name, grader, env_dir))
    return sources


def _grader_source(path: Path, variable: str, name: str, grader: Any, env_dir: Path) -> GraderSource:
    if not isinstance(grader, dict):
        raise ConfigError(f"{path}: {variable}.{name} must be an object (spec or spec_file, architecture)")
    spec_file = grader.get("spec_file")
    if spec_file is not None and (not isinstance(spec_file, str) or "${" in spec_file):
        raise ConfigError(
            f"{path}: {variable}.{name}.spec_file must be a literal path string (orch reads it to build "
            "the grader's package)"
        )
    architecture = str(grader.get("architecture") or DEFAULT_ARCHITECTURE)
    if not spec_file:
        return GraderSource(name, architecture, None)
    resolved = (env_dir / Path(spec_file).expanduser()).resolve()
    if not resolved.is_file():
        relative = "" if Path(spec_file).expanduser().is_absolute() else f" (read from {env_dir})"
        raise ConfigError(f"{path}: {variable}.{name}.spec_file {spec_file}: no such file{relative}")
    _refuse_a_spec_beside_the_file_that_is_not_deployed(path, f"{variable}.{name}", spec_file, resolved)
    return GraderSource(name, architecture, resolved)


def _refuse_a_spec_beside_the_file_that_is_not_deployed(
    path: Path, field: str, spec_file: str, resolved: Path
) -> None:
    """A relative `spec_file` is read from the environment directory (where Terraform runs), not from the
    variables file's. A copied `examples/byo-grader/` kept the example's relative path: the copy's spec,
    the one its owner edits, sat beside the variables file while the kit's example was deployed."""
    relative = Path(spec_file).expanduser()
    if relative.is_absolute():
        return
    beside = [path.parent / relative, path.parent / relative.name]
    meant = next((c.resolve() for c in beside if c.is_file() and c.resolve() != resolved), None)
    if meant is not None:
        raise ConfigError(
            f"{path}: {field}.spec_file {spec_file} is read from the environment directory and names "
            f"{resolved}, not {meant} beside this file: write the absolute path of the spec to deploy, "
            f'e.g. spec_file = "{meant}"'
        )


# -- the shared package ---------------------------------------------------------------------------------


def stamp_path(zip_path: Path) -> Path:
    return zip_path.with_name(zip_path.name + ".sources")


def package_stamp(root: Path, zip_path: Path) -> dict[str, str]:
    """What the zip at `zip_path` must have been built from: sources digest; plus the zip's SHA-256."""
    from orchestrator.packaging import runtime_requirements, sources_digest

    stamp = {"sources": sources_digest(root / "functions" / "nova_rewards", runtime_requirements())}
    if zip_path.is_file():
        stamp["zip_sha256"] = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    return stamp


def record_stamp(root: Path, zip_path: Path) -> None:
    """Write the stamp of a zip just built from this checkout's sources."""
    stamp_path(zip_path).write_text(json.dumps(package_stamp(root, zip_path), sort_keys=True) + "\n")


def package_is_current(root: Path, zip_path: Path) -> bool:
    """True when the zip exists and its stamp names today's sources and the zip's own bytes."""
    if not zip_path.is_file() or not stamp_path(zip_path).is_file():
        return False
    try:
        recorded = json.loads(stamp_path(zip_path).read_text())
    except ValueError:
        return False
    return bool(recorded == package_stamp(root, zip_path))


def ensure_base_package(
    root: Path, arch: str, echo: Echo, clock: Callable[[], float] = time.monotonic
) -> Path:
    """build/grader-<arch>.zip, rebuilt with `orch reward package`'s builder unless its stamp is current."""
    from orchestrator.packaging import PackagingError, build_package, find_python312

    target = root / "build" / f"grader-{arch}.zip"
    if package_is_current(root, target):
        echo(f"grader package: {target.relative_to(root)} is up to date")
        return target
    started = clock()
    stamp_path(target).unlink(missing_ok=True)  # no stamp while the zip is being replaced
    try:
        built = build_package(
            arch,
            output_dir=root / "build",
            cache_dir=root / ".orch" / "wheel-cache",
            compile_with=find_python312(),
        )
    except PackagingError as exc:
        raise ConfigError(f"building the grader package failed: {exc}") from None
    record_stamp(root, target)
    echo(f"grader package: built {built.path} ({built.size:,} bytes, {clock() - started:.1f} s)")
    return Path(built.path)


# -- every package of an environment --------------------------------------------------------------------


def ensure_packages(
    root: Path,
    env_dir: Path,
    arch: str,
    echo: Echo,
    var_files: Sequence[Path] = (),
) -> list[Path]:
    """The shared package of `arch` and the package of every grader of `arch` with a spec file of the
    user's. Graders of another architecture are left to Terraform, which refuses them on `local`."""
    from orchestrator.packaging import PackagingError, build_spec_package, validate_spec_file

    sources = grader_sources(env_dir, var_files)  # read first: a bad variables file fails fast
    for source in sources:  # and a bad spec, before the base package is built
        if source.spec_file is not None:
            try:
                validate_spec_file(source.spec_file)
            except PackagingError as exc:
                raise ConfigError(f"grader {source.name}: {exc}") from None
    base = ensure_base_package(root, arch, echo)
    built = [base]
    for source in sources:
        if source.spec_file is None or source.architecture != arch:
            continue
        try:
            package = build_spec_package(base, source.spec_file)
        except PackagingError as exc:
            raise ConfigError(f"grader {source.name}: {exc}") from None
        echo(f"grader package: {source.name} ({source.spec_file.name}) -> {package.path.relative_to(root)}")
        built.append(package.path)
    return built
