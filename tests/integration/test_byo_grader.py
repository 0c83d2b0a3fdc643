"""docs/bring-your-own-grader.md, run as written on the session's local stack.

Every `orch` line of the page's ```bash blocks runs, in order, with `~/triage` (and the `/home/you/triage`
of its ```hcl block, written as the variables file) pointing at a copy of examples/byo-grader in a
temporary directory outside the package; `JOB` is the job name `orch demo` printed. Then: a changed spec
is redeployed (another package, the function updated), and `local` is provisioned back without the
grader so the session's other tests see the kit's environment.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.local_stack.provision import provision
from orchestrator.local_stack.stack import LocalStack

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "bring-your-own-grader.md"
EXAMPLE = ROOT / "examples" / "byo-grader"
FUNCTION = "nova-rft-local-triage"


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.DOTALL)


def doc_commands() -> list[str]:
    return [line.strip() for block in doc_blocks("bash") for line in block.splitlines() if line.strip()]


def run_orch(line: str, home: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = shlex.split(line.replace("~/triage", str(home)))
    assert args[0] == "orch", line
    command = [sys.executable, "-c", "from orchestrator.cli import main; main()", *args[1:]]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def test_the_page_runs_as_written(local_stack: LocalStack, provisioned_local, tmp_path) -> None:
    home = tmp_path / "triage"
    commands = doc_commands()
    assert commands[0] == "cp -r examples/byo-grader ~/triage"
    shutil.copytree(EXAMPLE, home)
    (hcl,) = doc_blocks("hcl")
    (home / "triage.tfvars").write_text(hcl.replace("/home/you/triage", str(home)))
    env = {
        **os.environ,
        **local_stack.client_env(),
        "ORCH_LOCAL_PORT": str(local_stack.port),
        "COLUMNS": "200",
    }
    env.pop("ORCH_ENV", None)
    outputs: dict[str, str] = {}
    try:
        for line in commands[1:]:
            line = line.replace("JOB", outputs.get("job", "JOB"))
            done = run_orch(line, home, env)
            text = done.stdout + done.stderr
            if line.startswith("orch reward audit"):
                check_audit(done)
            else:
                assert done.returncode == 0, f"{line}\n{text}"
            if line.startswith("orch demo"):
                outputs["job"] = re.search(r"^job (\S+): Completed$", done.stdout, re.MULTILINE).group(1)
                check_demo(done.stdout)
            if line.startswith("orch local provision"):
                assert re.search(
                    r"grader package: triage \(ticket_triage\.json\) -> build/grader-\S+-spec-", text
                )
            if line.startswith("orch report"):
                report = ROOT / "reports" / outputs["job"] / "report.html"
                assert report.is_file() and "<img" in report.read_text()
                shutil.rmtree(report.parent)  # the page's default output dir, inside the checkout
        assert {"job"} <= set(outputs)
        check_redeploy_on_spec_change(local_stack, home, env)
    finally:
        provision(ROOT, local_stack.endpoint_url, environment="local")  # back to the kit's graders
    assert FUNCTION not in {
        f["FunctionName"] for f in local_stack.client("lambda").list_functions()["Functions"]
    }


def check_audit(done: subprocess.CompletedProcess[str]) -> None:
    """The example spec passes its own audit: every hack probe held down, every control paid."""
    failing = set(re.findall(r"^│ (\S+)\s+│ (?:hack|control)\s+│.*│ FAIL", done.stdout, re.MULTILINE))
    assert not failing and done.returncode == 0, done.stdout + done.stderr
    assert "control_bare" in done.stdout and "all_labels" in done.stdout


def check_demo(out: str) -> None:
    """The emulated job called the user's grader Lambda and learnt the task."""
    means = [
        float(m) for m in re.search(r"reward mean per step: (.+)$", out, re.MULTILINE).group(1).split(", ")
    ]
    assert len(means) == 5 and means[-1] > means[0], out
    assert re.search(r"^\s+label\s+\d\.\d{3}", out, re.MULTILINE), out  # the spec's own dimension
    assert re.search(r"final strategy mix: (correct:|probe:control_)", out), out  # a correct answer on top


def check_redeploy_on_spec_change(local_stack: LocalStack, home: Path, env: dict[str, str]) -> None:
    """Editing the spec builds another package and updates the function; the old zip is not reused."""
    lam = local_stack.client("lambda")
    before = lam.get_function(FunctionName=FUNCTION)["Configuration"]["CodeSha256"]
    spec = json.loads((home / "ticket_triage.json").read_text())
    spec["dimensions"][0]["params"]["synonyms"]["charge"] = "billing"
    (home / "ticket_triage.json").write_text(json.dumps(spec, indent=2))
    done = run_orch("orch local provision --var-file ~/triage/triage.tfvars", home, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^local: .*updated", done.stdout, re.MULTILINE), done.stdout
    assert lam.get_function(FunctionName=FUNCTION)["Configuration"]["CodeSha256"] != before
    again = run_orch("orch local provision --var-file ~/triage/triage.tfvars", home, env)
    assert "local: no changes" in again.stdout, again.stdout + again.stderr
