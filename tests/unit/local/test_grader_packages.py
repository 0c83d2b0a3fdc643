"""Grader packages of an environment: the shared zip's stamp, the packages of users' spec files, and the
variables files they are read from (orchestrator/packaging.py, orchestrator/local_stack/packages.py)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError
from orchestrator.local_stack import packages
from orchestrator.packaging import PackagingError, build_spec_package, sources_digest, spec_package_path

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "terraform" / "modules" / "reward_lambda" / "tests" / "fixtures"
EXAMPLE = REPO / "examples" / "byo-grader"


def test_python_names_the_spec_package_as_terraform_does():
    """terraform/modules/rft_stack/tests/rft_stack.tftest.hcl asserts Terraform derives this very name
    from the same two files: the two formulas agree."""
    name = spec_package_path(FIXTURES / "grader-x86_64.zip", FIXTURES / "custom_spec.json").name
    assert name == "grader-x86_64-spec-0afe553929c87dc8.zip"
    assert (FIXTURES / name).is_file()


def _base(tmp_path: Path) -> Path:
    base = tmp_path / "build" / "grader-x86_64.zip"
    base.parent.mkdir()
    shutil.copyfile(FIXTURES / "grader-x86_64.zip", base)
    return base


def test_spec_package_is_the_base_plus_the_spec_reproducibly(tmp_path):
    base = _base(tmp_path)
    spec = tmp_path / "triage.json"
    shutil.copyfile(EXAMPLE / "ticket_triage.json", spec)
    built = build_spec_package(base, spec)
    with zipfile.ZipFile(built.path) as archive:
        names = archive.namelist()
        assert archive.read("user_specs/triage.json") == spec.read_bytes()
    with zipfile.ZipFile(base) as archive:
        assert set(names) == set(archive.namelist()) | {"user_specs/triage.json"}
    first = built.path.read_bytes()
    built.path.unlink()
    assert build_spec_package(base, spec).path.read_bytes() == first  # same inputs, same bytes


def test_a_changed_spec_or_base_names_another_package(tmp_path):
    base = _base(tmp_path)
    spec = tmp_path / "triage.json"
    shutil.copyfile(EXAMPLE / "ticket_triage.json", spec)
    before = build_spec_package(base, spec).path
    data = json.loads(spec.read_text())
    data["description"] = "changed"
    spec.write_text(json.dumps(data))
    after_spec = build_spec_package(base, spec).path
    base.write_bytes(base.read_bytes() + b"\0")  # a rebuilt shared zip
    after_base = spec_package_path(base, spec)
    assert len({before, after_spec, after_base}) == 3


def test_an_invalid_spec_is_refused_before_it_is_packaged(tmp_path):
    base = _base(tmp_path)
    spec = tmp_path / "broken.json"
    spec.write_text('{"name": "x", "dimensions": [{"name": "a", "kind": "no_such_kind"}]}')
    with pytest.raises(PackagingError, match=r"broken\.json is not a valid reward spec"):
        build_spec_package(base, spec)
    assert not list(base.parent.glob("*-spec-*"))


def test_sources_digest_follows_every_source_byte_and_the_pins(tmp_path):
    source = tmp_path / "nova_rewards"
    source.mkdir()
    (source / "handler.py").write_text("x = 1\n")
    (source / "__pycache__").mkdir()
    first = sources_digest(source, ["sympy==1.0"])
    (source / "__pycache__" / "handler.cpython-312.pyc").write_bytes(b"cache")
    assert sources_digest(source, ["sympy==1.0"]) == first  # caches do not count
    assert sources_digest(source, ["sympy==1.1"]) != first
    (source / "specs").mkdir()
    (source / "specs" / "new.json").write_text("{}")
    assert sources_digest(source, ["sympy==1.0"]) != first


def test_the_stamp_says_when_the_shared_zip_is_current(tmp_path):
    root = tmp_path
    (root / "functions" / "nova_rewards").mkdir(parents=True)
    handler = root / "functions" / "nova_rewards" / "handler.py"
    handler.write_text("x = 1\n")
    target = root / "build" / "grader-x86_64.zip"
    assert not packages.package_is_current(root, target)  # not built
    target.parent.mkdir()
    target.write_bytes(b"zip")
    assert not packages.package_is_current(root, target)  # no stamp: not known to be current
    packages.record_stamp(root, target)
    assert packages.package_is_current(root, target)
    handler.write_text("x = 2\n")  # a source changed (whatever its mtime)
    assert not packages.package_is_current(root, target)
    packages.record_stamp(root, target)
    target.write_bytes(b"another zip")  # the zip was replaced behind the stamp's back
    assert not packages.package_is_current(root, target)


def _env(tmp_path: Path, tfvars: str) -> Path:
    env_dir = tmp_path / "terraform" / "environments" / "local"
    env_dir.mkdir(parents=True)
    (env_dir / "terraform.tfvars").write_text(tfvars)
    return env_dir


def test_grader_sources_merge_graders_and_custom_graders_of_every_file(tmp_path):
    env_dir = _env(tmp_path, 'graders = {\n  math = { spec = "math", architecture = "x86_64" }\n}\n')
    spec = tmp_path / "mine" / "triage.json"
    spec.parent.mkdir()
    shutil.copyfile(EXAMPLE / "ticket_triage.json", spec)
    mine = tmp_path / "mine" / "triage.tfvars"
    triage = f'triage = {{ spec_file = "{spec}", architecture = "x86_64" }}'
    mine.write_text(f"custom_graders = {{\n  {triage}\n}}\n")
    (env_dir / "z.auto.tfvars").write_text(
        'graders = {\n  code = { spec_file = "../../../mine/triage.json" }\n}\n'
    )
    sources = packages.grader_sources(env_dir, [mine])
    assert sources == [  # the auto file replaced `graders` of terraform.tfvars, as in Terraform
        packages.GraderSource("code", "arm64", spec.resolve()),
        packages.GraderSource("triage", "x86_64", spec.resolve()),
    ]


@pytest.mark.parametrize(
    ("tfvars", "message"),
    [
        ('graders = {\n  t = { spec_file = "nope.json" }\n}\n', r"graders\.t\.spec_file nope\.json: no such"),
        ('graders = {\n  t = { spec_file = "${path.cwd}/x.json" }\n}\n', r"must be a literal path"),
        ('graders = "math"\n', r"`graders` must be a map"),
        ("graders = {\n", r"not a valid Terraform variables file"),
    ],
)
def test_bad_variables_name_the_file_and_field(tmp_path, tfvars, message):
    env_dir = _env(tmp_path, tfvars)
    with pytest.raises(ConfigError, match=message) as caught:
        packages.grader_sources(env_dir)
    assert "terraform.tfvars" in str(caught.value)


def test_the_kit_environments_read_as_bundled_graders():
    sources = packages.grader_sources(REPO / "terraform" / "environments" / "local")
    assert {s.name for s in sources} >= {"math", "support", "json_extraction", "code"}
    assert all(s.spec_file is None for s in sources)


def test_the_example_tfvars_points_at_the_example_spec():
    env_dir = REPO / "terraform" / "environments" / "local"
    sources = packages.grader_sources(env_dir, [EXAMPLE / "triage.tfvars"])
    triage = next(s for s in sources if s.name == "triage")
    assert triage.spec_file == (EXAMPLE / "ticket_triage.json").resolve()


def test_a_copied_example_that_would_deploy_the_kits_spec_is_refused(tmp_path):
    """`cp -r examples/byo-grader ~/triage` keeps the example's relative spec_file: the grader deployed
    was the kit's example, not the copy beside the variables file that the user edits."""
    env_dir = REPO / "terraform" / "environments" / "local"
    copy = tmp_path / "triage"
    shutil.copytree(EXAMPLE, copy)
    with pytest.raises(ConfigError) as caught:
        packages.grader_sources(env_dir, [copy / "triage.tfvars"])
    message = str(caught.value)
    assert str(copy / "triage.tfvars") in message and "custom_graders.triage.spec_file" in message
    assert f'spec_file = "{(copy / "ticket_triage.json").resolve()}"' in message
    (copy / "triage.tfvars").write_text(
        (copy / "triage.tfvars")
        .read_text()
        .replace("../../../examples/byo-grader/ticket_triage.json", str(copy / "ticket_triage.json"))
    )
    (triage,) = [s for s in packages.grader_sources(env_dir, [copy / "triage.tfvars"]) if s.name == "triage"]
    assert triage.spec_file == (copy / "ticket_triage.json").resolve()


def test_a_bad_spec_is_named_before_the_base_package_is_built(tmp_path, monkeypatch):
    """A typo in a kind name was reported only after the ~20 s build of the shared zip."""
    from orchestrator import packaging
    from tests.unit.orchestrator.orch_helpers import run_orch

    def no_build(*args, **kwargs):
        raise AssertionError("the base package was built before the spec was checked")

    monkeypatch.setattr(packages, "ensure_base_package", no_build)
    monkeypatch.setattr(packaging, "build_package", no_build)
    spec = tmp_path / "typo.json"
    spec.write_text((EXAMPLE / "ticket_triage.json").read_text().replace('"label_match"', '"label_mach"'))
    tfvars = tmp_path / "mine.tfvars"
    tfvars.write_text(
        f'custom_graders = {{\n  triage = {{ spec_file = "{spec}", architecture = "x86_64" }}\n}}\n'
    )
    env_dir = REPO / "terraform" / "environments" / "local"
    with pytest.raises(
        ConfigError, match=r"grader triage: spec_file .*typo\.json is not a valid reward spec"
    ):
        packages.ensure_packages(REPO, env_dir, "x86_64", lambda line: None, [tfvars])
    run = run_orch(
        ["reward", "package", "--no-compile", "--output-dir", str(tmp_path), "--spec-file", str(spec)]
    )
    assert run.exit_code == 2 and "unknown dimension kind 'label_mach'" in run.stderr
