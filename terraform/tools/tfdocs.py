"""Generate the Requirements/Inputs/Outputs/Resources tables of the Terraform READMEs.

A small stand-in for terraform-docs (not installable offline): it reads each module's .tf files with
python-hcl2 8.x and rewrites the part of README.md between the BEGIN/END markers, leaving the prose
above and below untouched. Tables are never edited by hand; tests/terraform checks they are current.

    .venv/bin/python terraform/tools/tfdocs.py            # rewrite every module and environment README
    .venv/bin/python terraform/tools/tfdocs.py --check    # exit 1 and name the stale READMEs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import hcl2

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
TERRAFORM_DIR = Path(__file__).resolve().parent.parent
_OPTIONS = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True, preserve_heredocs=False)


class DocsError(Exception):
    """A README cannot be generated (missing markers, unreadable HCL)."""


def documented_dirs(root: Path = TERRAFORM_DIR) -> list[Path]:
    """Every module and environment root whose README carries generated tables."""
    return sorted(p for p in [*root.glob("modules/*"), *root.glob("environments/*")] if p.is_dir())


def load_blocks(module_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Parse all .tf files of one directory and merge their top-level blocks by block type."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for tf_file in sorted(module_dir.glob("*.tf")):
        try:
            with tf_file.open(encoding="utf-8") as handle:
                parsed = hcl2.load(handle, serialization_options=_OPTIONS)
        except Exception as exc:  # python-hcl2 raises lark errors of several types
            raise DocsError(f"{tf_file}: cannot parse HCL: {exc}") from exc
        for block_type, blocks in parsed.items():
            merged.setdefault(block_type, []).extend(blocks)
    return merged


def _expr(value: Any) -> str:
    """Show an HCL value or expression the way it is written in the .tf file."""
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        return value
    return json.dumps(value)


def _default(value: Any) -> str:
    if value is None:
        return "`null`"
    if isinstance(value, str) and not value.startswith("${"):
        return f'`"{value}"`'
    return f"`{_expr(value) if isinstance(value, str) else json.dumps(value)}`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _named(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return sorted((name, body) for block in blocks for name, body in block.items() if name != "__is_block__")


def requirements_table(blocks: dict[str, list[dict[str, Any]]]) -> list[str]:
    rows = ["| Name | Version |", "|------|---------|"]
    for terraform in blocks.get("terraform", []):
        if "required_version" in terraform:
            rows.append(f"| terraform | `{terraform['required_version']}` |")
        for providers in terraform.get("required_providers", []):
            for name, spec in _named([providers]):
                rows.append(f"| {name} ({spec.get('source', name)}) | `{spec.get('version', 'any')}` |")
    return rows if len(rows) > 2 else ["No requirements."]


def inputs_table(blocks: dict[str, list[dict[str, Any]]]) -> list[str]:
    variables = _named(blocks.get("variable", []))
    if not variables:
        return ["No inputs."]
    rows = [
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for name, body in variables:
        default = _default(body["default"]) if "default" in body else "n/a"
        required = "no" if "default" in body else "yes"
        rows.append(
            f"| `{name}` | {_cell(body.get('description', ''))} | `{_cell(_expr(body.get('type', 'any')))}` "
            f"| {_cell(default)} | {required} |"
        )
    return rows


def outputs_table(blocks: dict[str, list[dict[str, Any]]]) -> list[str]:
    outputs = _named(blocks.get("output", []))
    if not outputs:
        return ["No outputs."]
    rows = ["| Name | Description |", "|------|-------------|"]
    rows += [f"| `{name}` | {_cell(body.get('description', ''))} |" for name, body in outputs]
    return rows


def resources_list(blocks: dict[str, list[dict[str, Any]]]) -> list[str]:
    items = []
    for kind in ("module", "resource"):
        for block in blocks.get(kind, []):
            if kind == "module":
                items += [f"- `module.{n}` (`{b.get('source')}`)" for n, b in _named([block])]
                continue
            for rtype, named in block.items():
                items += [f"- `{rtype}.{name}`" for name, _ in _named([named])]
    return sorted(items) or ["No resources."]


def render(module_dir: Path) -> str:
    """The generated section (markers included) for one module or environment directory."""
    blocks = load_blocks(module_dir)
    parts = [
        BEGIN,
        "<!-- Generated by terraform/tools/tfdocs.py; do not edit by hand. -->",
        "## Requirements",
        "\n".join(requirements_table(blocks)),
        "## Resources and modules",
        "\n".join(resources_list(blocks)),
        "## Inputs",
        "\n".join(inputs_table(blocks)),
        "## Outputs",
        "\n".join(outputs_table(blocks)),
        END,
    ]
    return "\n\n".join(parts)


def updated_readme(module_dir: Path) -> tuple[str, str]:
    """Return (current, expected) README text; raises DocsError if the markers are missing."""
    readme = module_dir / "README.md"
    if not readme.is_file():
        raise DocsError(f"{readme}: missing (write the prose and a {BEGIN}/{END} pair, then run this tool)")
    current = readme.read_text(encoding="utf-8")
    if current.count(BEGIN) != 1 or current.count(END) != 1 or current.index(BEGIN) > current.index(END):
        raise DocsError(f"{readme}: needs exactly one {BEGIN} ... {END} section")
    head, rest = current.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return current, head + render(module_dir) + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale READMEs instead of rewriting them")
    parser.add_argument("dirs", nargs="*", type=Path, help="module/environment directories (default: all)")
    args = parser.parse_args(argv)
    stale = []
    for module_dir in args.dirs or documented_dirs():
        try:
            current, expected = updated_readme(module_dir)
        except DocsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if current == expected:
            continue
        stale.append(module_dir)
        if not args.check:
            (module_dir / "README.md").write_text(expected, encoding="utf-8")
    for module_dir in stale:
        print(f"{'stale' if args.check else 'updated'}: {module_dir / 'README.md'}")
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
