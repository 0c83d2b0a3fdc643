"""Evaluate a Terraform root offline (tfparse) into concrete resources, data sources and outputs.

`orch local provision` applies the `local` environment without the AWS provider (it cannot be
downloaded here). tfparse evaluates variables, tfvars, locals, `for_each`/`count` and module calls,
but it leaves three kinds of holes, which this module fills or reports:

- a reference to a value only the provider computes (`aws_iam_role.this.arn`) comes back as the
  referenced block's random id: it is replaced with the value LocalStack will compute (`Planned.computed`);
- some expressions come back as markers `{"__attribute__": "each.value.x"}` / `"var.x"`: resolved from
  the block's `for_each` value or the module call chain (a `var` marker that nothing sets is null);
- it fails silently (a false validation is just `condition: false`): checked and reported with file:line.

Anything still unresolved is an error naming the resource, the attribute, the file and line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError

MARKER = "__attribute__"
META = "__tfmeta"
_INDEX = re.compile(r'\[("?)([^\]"]*)\1\]$')
_ADDRESS_TAIL = re.compile(
    r"^(?P<module>(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)(?:(?P<data>data)\.)?(?P<type>[a-z0-9_]+)\."
)


@dataclass
class Block:
    """One resource or data source instance of the evaluated configuration."""

    address: str  # module.stack.module.grader["math"].aws_lambda_function.this
    mode: str  # "resource" or "data"
    type: str
    attrs: dict[str, Any]
    filename: str
    line: int
    module_path: str  # module.stack.module.grader["math"] ("" at the root)
    key: str | None  # for_each key or count index of this instance
    id: str  # tfparse's id of the block (what references point at)
    references: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.address} ({self.filename}:{self.line})"

    @property
    def name(self) -> str:
        """The resource name (`this`), without instance key."""
        tail = self.address.rsplit(".", 1)[-1]
        return tail.split("[", 1)[0]


@dataclass
class Evaluated:
    """The evaluated configuration: resource and data blocks, root outputs, backend settings."""

    resources: list[Block]
    data: list[Block]
    outputs: dict[str, Any]
    backend: dict[str, Any] | None
    modules: list[dict[str, Any]]  # module call blocks (their arguments resolve `var.x` markers)


def evaluate(env_dir: Path, tfvars: str | None = "terraform.tfvars") -> Evaluated:
    """Run tfparse over an environment root; tfvars relative to it (tfparse joins them to the root)."""
    import tfparse

    vars_paths = []
    if tfvars is not None:
        if not (env_dir / tfvars).is_file():
            raise ConfigError(f"{env_dir / tfvars}: tfvars file not found")
        vars_paths.append(tfvars)
    try:
        raw = tfparse.load_from_path(str(env_dir), stop_on_hcl_error=True, vars_paths=vars_paths)
    except Exception as exc:  # tfparse raises its own ParseError and plain exceptions
        raise ConfigError(f"{env_dir}: Terraform configuration does not parse: {exc}") from exc
    return from_tfparse(raw)


def from_tfparse(raw: dict[str, list[dict[str, Any]]]) -> Evaluated:
    """Split tfparse's output into resources, data blocks and outputs; check it failed nowhere silently."""
    _check_conditions(raw)
    resources, data = [], []
    for kind, blocks in raw.items():
        for block in blocks:
            meta = block.get(META, {})
            if meta.get("type") not in ("resource", "data"):
                continue
            if block.get("count") == 0:
                continue
            parsed = _block(kind, block)
            if parsed.key is None and isinstance(block.get("for_each"), dict | list) and block["for_each"]:
                raise ConfigError(
                    f"{parsed.where}: for_each was not expanded offline (tfparse stops on a null value "
                    "inside the for_each collection): drop null values or use optional() defaults"
                )
            (resources if parsed.mode == "resource" else data).append(parsed)
    outputs = {}
    for block in raw.get("output", []):
        path = block.get(META, {}).get("path", "")
        if path.startswith("output."):
            outputs[path.removeprefix("output.")] = block.get("value")
    backend = None
    for block in raw.get("terraform", []):
        if block.get(META, {}).get("path") == "terraform" and isinstance(block.get("backend"), dict):
            backend = {
                "type": block["backend"].get(META, {}).get("label"),
                **_strip(block["backend"]),
            }
    return Evaluated(resources, data, outputs, backend, raw.get("module", []))


def _block(kind: str, block: dict[str, Any]) -> Block:
    meta = block[META]
    address = meta["path"]
    match = _ADDRESS_TAIL.match(address)
    module_path = match.group("module").rstrip(".") if match else ""
    index = _INDEX.search(address)
    return Block(
        address=address,
        mode=meta["type"],
        type=kind,
        attrs={k: v for k, v in block.items() if k not in (META, "id", "depends_on", "count")},
        filename=meta.get("filename", "?"),
        line=int(meta.get("line_start", 0)),
        module_path=module_path,
        key=index.group(2) if index else None,
        id=block["id"],
        references=[ref["id"] for ref in meta.get("references", []) if isinstance(ref, dict)],
    )


def _check_conditions(raw: dict[str, list[dict[str, Any]]]) -> None:
    """tfparse reports a failed validation/precondition as `condition: false`, not as an error."""
    failures = []
    for kind in ("variable", "output"):
        for block in raw.get(kind, []):
            for field_name in ("validation", "precondition"):
                checks = block.get(field_name)
                for check in checks if isinstance(checks, list) else [checks] if checks else []:
                    if isinstance(check, dict) and check.get("condition") is False:
                        meta = check.get(META, {})
                        where = f"{meta.get('filename', '?')}:{meta.get('line_start', '?')}"
                        path = block.get(META, {}).get("path", kind)
                        failures.append(
                            f"{path} ({where}): {check.get('error_message', 'condition is false')}"
                        )
    if failures:
        raise ConfigError("Terraform validation failed:\n  " + "\n  ".join(failures))


def _strip(value: Any) -> Any:
    """Drop tfparse's metadata (`__tfmeta` and nested blocks' random `id`) from a value."""
    if isinstance(value, dict):
        nested_block = META in value
        return {k: _strip(v) for k, v in value.items() if k != META and not (nested_block and k == "id")}
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


# (referenced block, name of the referencing attribute, referencing block) -> the value it stands for
Computed = Callable[[Block, str, Block], Any]


class Resolver:
    """Replace block-id references and markers in attributes with concrete values."""

    def __init__(self, raw_modules: list[dict[str, Any]], blocks: list[Block], computed: Computed) -> None:
        self.by_id = {block.id: block for block in blocks}
        self.modules = {m[META]["path"]: m for m in raw_modules if META in m}
        self.computed = computed

    def resolve_block(self, block: Block) -> dict[str, Any]:
        attrs = _strip(block.attrs)
        attrs.pop("for_each", None)
        return {name: self._value(block, name, value) for name, value in attrs.items()}

    def resolve_value(self, block: Block, name: str, value: Any) -> Any:
        """Resolve a free-standing value (an output) in the context of `block`."""
        return self._value(block, name, _strip(value))

    def _value(self, block: Block, name: str, value: Any) -> Any:
        if isinstance(value, str) and value in self.by_id:
            return self.computed(self.by_id[value], name, block)
        if isinstance(value, dict) and MARKER in value:
            return self._marker(block, name, value[MARKER])
        if isinstance(value, dict):
            return {k: self._value(block, k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(block, name, item) for item in value]
        return value

    def _marker(self, block: Block, name: str, expression: str) -> Any:
        if expression.startswith("each.value.") and isinstance(block.attrs.get("for_each"), dict):
            item = block.attrs["for_each"].get(block.key or "")
            field_name = expression.removeprefix("each.value.")
            if isinstance(item, dict) and field_name in item:
                return self._value(block, name, item[field_name])
        if expression == "each.key" and block.key is not None:
            return block.key
        if expression.startswith("var."):
            return self._variable(block.module_path, expression.removeprefix("var."), block, name)
        raise ConfigError(
            f"{block.where}: attribute '{name}' = {expression} could not be evaluated offline "
            "(tfparse left it unresolved); simplify the expression or set it in terraform.tfvars"
        )

    def _variable(self, module_path: str, variable: str, block: Block, name: str) -> Any:
        """Follow `var.x` up the module calls; a variable nothing sets is null (tfparse marks nulls)."""
        while module_path:
            call = self.modules.get(module_path, {})
            value = call.get(variable)
            if value is None:
                return None
            if not (isinstance(value, dict) and MARKER in value):
                return self._value(block, name, _strip(value))
            expression = value[MARKER]
            if not expression.startswith("var."):
                raise ConfigError(
                    f"{block.where}: attribute '{name}' = {expression} could not be evaluated offline"
                )
            variable = expression.removeprefix("var.")
            module_path = _parent_module(module_path)
        return None


def _parent_module(module_path: str) -> str:
    parts = re.findall(r"module\.[^.\[]+(?:\[[^\]]*\])?", module_path)
    return ".".join(parts[:-1])


_LEFT_INTERPOLATION = re.compile(r"\$\{(each|var|local|module|count|data|path)\.")


def unresolved(value: Any, path: str = "") -> list[str]:
    """Attribute paths that still hold a marker or a raw `${...}` (reported before anything is applied).

    IAM policy variables such as `${aws:username}` are not Terraform references and pass.
    """
    if isinstance(value, str) and _LEFT_INTERPOLATION.search(value):
        return [f"{path} = {value!r}"]
    if isinstance(value, dict):
        if MARKER in value:
            return [f"{path} = {value[MARKER]}"]
        return [hit for k, v in value.items() for hit in unresolved(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in unresolved(v, f"{path}[{i}]")]
    return []


def render_policy_document(attrs: dict[str, Any]) -> str:
    """The JSON an `aws_iam_policy_document` data source renders, from its evaluated statements."""
    statements = attrs.get("statement") or []
    statements = statements if isinstance(statements, list) else [statements]
    rendered = [_render_statement(_strip(statement)) for statement in statements]
    document: dict[str, Any] = {"Version": attrs.get("version") or "2012-10-17", "Statement": rendered}
    if attrs.get("policy_id"):
        document["Id"] = attrs["policy_id"]
    return json.dumps(document, separators=(",", ":"))


def _render_statement(statement: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if statement.get("sid"):
        out["Sid"] = statement["sid"]
    out["Effect"] = statement.get("effect") or "Allow"
    for key, name in (("actions", "Action"), ("not_actions", "NotAction")):
        if statement.get(key):
            out[name] = _one_or_list(sorted(statement[key]))
    for key, name in (("resources", "Resource"), ("not_resources", "NotResource")):
        if statement.get(key):
            out[name] = _one_or_list(sorted(statement[key]))
    for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        if statement.get(key):
            out[name] = _principals(statement[key])
    conditions = statement.get("condition")
    if conditions:
        out["Condition"] = _conditions(conditions if isinstance(conditions, list) else [conditions])
    return out


def _principals(blocks: Any) -> Any:
    blocks = blocks if isinstance(blocks, list) else [blocks]
    merged: dict[str, list[str]] = {}
    for block in blocks:
        merged.setdefault(block["type"], []).extend(block.get("identifiers") or [])
    if list(merged) == ["*"] and merged["*"] == ["*"]:
        return "*"
    return {kind: _one_or_list(sorted(ids)) for kind, ids in merged.items()}


def _conditions(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for block in blocks:
        out.setdefault(block["test"], {})[block["variable"]] = _one_or_list(list(block.get("values") or []))
    return out


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


# Nested blocks whose own `id` argument tfparse overwrites with its random block id.
NESTED_ID_BLOCKS = {"aws_s3_bucket_lifecycle_configuration": "rule"}


def restore_nested_ids(env_dir: Path, block: Block, attrs: dict[str, Any]) -> None:
    """Put back literal `id` arguments of nested blocks (read from the source with python-hcl2)."""
    nested = NESTED_ID_BLOCKS.get(block.type)
    if nested is None or not attrs.get(nested):
        return
    import hcl2
    from hcl2 import SerializationOptions

    path = (env_dir / block.filename).resolve()
    options = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
    document = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=options)
    source = None
    for resource in document.get("resource", []):
        source = resource.get(block.type, {}).get(block.name) or source
    items = attrs[nested] if isinstance(attrs[nested], list) else [attrs[nested]]
    ids = [item.get("id") for item in (source or {}).get(nested, [])]
    if len(ids) != len(items) or not all(isinstance(i, str) and "${" not in i for i in ids):
        raise ConfigError(f"{block.where}: every `{nested}` block needs a literal `id` for the offline apply")
    for item, literal in zip(items, ids, strict=True):
        item["id"] = literal
