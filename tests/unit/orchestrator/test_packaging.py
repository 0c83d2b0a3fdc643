"""`orch reward package`: reproducible zips with the right platform wheels."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from orchestrator.packaging import (
    FIXED_DATE,
    PackagingError,
    _prune,
    build_package,
    find_python312,
    repo_root,
    runtime_requirements,
    write_reproducible_zip,
)

CACHE = repo_root() / ".orch" / "wheel-cache"


def make_tree(root: Path, mtime: int) -> None:
    for name, text in {"b.py": "b = 1\n", "a/z.txt": "z", "a/c.json": "{}", "run.sh": "#!/bin/sh\n"}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (mtime, mtime))
    (root / "run.sh").chmod(0o755)


def test_zip_bytes_do_not_depend_on_mtimes_or_modes(tmp_path: Path) -> None:
    make_tree(tmp_path / "one", 1_000_000_000)
    make_tree(tmp_path / "two", 1_700_000_000)
    (tmp_path / "two" / "b.py").chmod(0o600)
    write_reproducible_zip(tmp_path / "one", tmp_path / "one.zip")
    write_reproducible_zip(tmp_path / "two", tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["a/c.json", "a/z.txt", "b.py", "run.sh"]  # sorted
    assert {i.date_time for i in infos} == {FIXED_DATE}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}


def test_prune_removes_scripts_bytecode_and_dependency_tests(tmp_path: Path) -> None:
    for name in ("bin/isympy", "x/__pycache__/m.cpython-312.pyc", "x/m.pyc", "sympy/core/tests/test_a.py",
                 "sympy/core/basic.py", "mpmath/tests/t.py", "x/keep.py"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    _prune(tmp_path)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["sympy/core/basic.py", "x/keep.py"]


def test_unknown_arch_and_bad_source(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="unknown architecture 'sparc'"):
        build_package("sparc", output_dir=tmp_path, cache_dir=tmp_path)
    with pytest.raises(PackagingError, match="not the nova_rewards package"):
        build_package("x86_64", output_dir=tmp_path, cache_dir=tmp_path, source_dir=tmp_path)


def test_runtime_requirements_are_pinned_and_exclude_boto3() -> None:
    pins = runtime_requirements()
    assert [p.split("==")[0] for p in pins] == [
        "pydantic",
        "jsonschema",
        "sympy",
        "math-verify",  # the math worker; with the ANTLR runtime its LaTeX grammar was generated for
        "latex2sympy2_extended",
        "antlr4-python3-runtime",
    ]
    assert all("==" in p for p in pins)


def test_package_without_dependencies_is_reproducible(tmp_path: Path) -> None:
    # no pip involved: just the library, twice, into different directories
    first = build_package("x86_64", output_dir=tmp_path / "a", cache_dir=tmp_path / "c", requirements=[])
    second = build_package("x86_64", output_dir=tmp_path / "b", cache_dir=tmp_path / "c", requirements=[])
    assert first.sha256 == second.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    with zipfile.ZipFile(first.path) as archive:
        names = archive.namelist()
    assert "nova_rewards/handler.py" in names
    assert not any("__pycache__" in n for n in names)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arch", "so_suffix"), [("x86_64", "x86_64-linux-gnu.so"), ("arm64", "aarch64-linux-gnu.so")]
)
def test_grader_zip_is_reproducible_and_has_platform_wheels(
    tmp_path: Path, arch: str, so_suffix: str
) -> None:
    python312 = find_python312()
    # a snapshot of the sources: the same inputs for both builds even while the tree is being edited
    source = tmp_path / "src"
    shutil.copytree(repo_root() / "functions" / "nova_rewards", source)
    options = {"cache_dir": CACHE, "compile_with": python312, "source_dir": source}
    first = build_package(arch, output_dir=tmp_path / "a", **options)
    second = build_package(arch, output_dir=tmp_path / "b", **options)
    assert first.path.name == f"grader-{arch}.zip"
    assert first.sha256 == second.sha256  # same inputs, same bytes
    assert first.path.read_bytes() == second.path.read_bytes()
    with zipfile.ZipFile(first.path) as archive:
        names = archive.namelist()
    assert "nova_rewards/handler.py" in names
    assert f"pydantic_core/_pydantic_core.cpython-312-{so_suffix}" in names
    top = {n.split("/")[0] for n in names}
    assert {"pydantic", "jsonschema", "sympy", "mpmath", "nova_rewards"} <= top
    assert not top & {"boto3", "botocore", "aws_lambda_powertools", "bin", "orchestrator"}
    if python312:
        assert "nova_rewards/__pycache__/handler.cpython-312.pyc" in names


def _venv_elsewhere(root: Path) -> str:
    """A second venv at another path whose pip is this venv's pip: a second checkout's interpreter."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    (site,) = root.glob("lib/python*/site-packages")
    (site / "first-checkout.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return str(root / "bin" / "python")


@pytest.mark.slow
def test_two_checkouts_build_identical_bytes(tmp_path: Path) -> None:
    # Different venv paths give console scripts different shebangs; nothing of that may reach the zip.
    options = {"cache_dir": CACHE, "requirements": runtime_requirements(), "compile_with": None}
    here = build_package("x86_64", output_dir=tmp_path / "a", **options)
    other_python = _venv_elsewhere(tmp_path / "second-checkout" / ".venv")
    there = build_package("x86_64", output_dir=tmp_path / "b", pip_python=other_python, **options)
    assert here.path.read_bytes() == there.path.read_bytes()
    with zipfile.ZipFile(here.path) as archive:
        names = archive.namelist()
        records = [archive.read(n).decode() for n in names if n.endswith(".dist-info/RECORD")]
    assert not {n.split("/")[0] for n in names} & {"bin", "share"}
    assert records and not any(line.startswith("../") for r in records for line in r.splitlines())


@pytest.mark.slow
def test_x86_64_zip_runs_the_handler_on_python312(tmp_path: Path) -> None:
    python312 = find_python312()
    if python312 is None or os.uname().machine != "x86_64":
        pytest.skip("needs CPython 3.12 on x86_64")
    built = build_package("x86_64", output_dir=tmp_path, cache_dir=CACHE, compile_with=python312)
    task = tmp_path / "task"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(task)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"name": "z", "dimensions": [{"name": "p", "kind": "python",
                                "params": {"function": "json:dumps"}}]}))  # fmt: skip
    script = (
        "import json, sys\n"
        "from nova_rewards.handler import lambda_handler\n"
        "msgs = [{'role': 'user', 'content': 'q'}, {'role': 'assistant', 'content': 'x'}]\n"
        "event = [{'id': 'a', 'messages': msgs}]\n"
        "print(json.dumps(lambda_handler(event, None)), file=sys.stderr)\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "REWARD_SPEC": str(spec), "PYTHONDONTWRITEBYTECODE": "1"}
    code = f"import sys; sys.path.insert(0, {str(task)!r})\n" + script  # -I: only the zip's packages
    result = subprocess.run(
        [python312, "-I", "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    # json.dumps returns a str, not a number: the sample is an error, the batch still answers
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stderr.strip().splitlines()[-1])
    assert item["id"] == "a" and item["aggregate_reward_score"] == 0.0


def test_find_python312_honours_the_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "python-fake"
    fake.write_text("#!/bin/sh\necho cpython 3 12\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ORCH_PYTHON312", str(fake))
    assert find_python312() == str(fake)
    fake.write_text("#!/bin/sh\necho cpython 3 11\n")  # a wrong version is never chosen
    assert find_python312() != str(fake)


@pytest.mark.slow
def test_package_command_prints_path_size_and_sha256(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from orchestrator.cli import cli

    args = ["reward", "package", "--output-dir", str(tmp_path), "--arch", "arm64", "--no-compile", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (built,) = json.loads(result.stdout)
    path = Path(built["path"])
    assert path == tmp_path / "grader-arm64.zip"
    assert built["size"] == path.stat().st_size
    assert built["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    human = CliRunner().invoke(cli, args[:-1])
    assert f"{path}  {built['size']:,} bytes  sha256 {built['sha256']}" in human.stdout  # same bytes again
