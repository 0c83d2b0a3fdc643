"""Every example in every `--help` names options its command has: a new user copies them first."""

from __future__ import annotations

import re
import shlex

import click
import pytest

from orchestrator.cli import cli

SHELL_OPERATORS = {">", ">>", "|", "&&", ";"}


def all_commands() -> list[tuple[str, click.Command]]:
    """(path, command) of every leaf command, e.g. ("reward score", <Command>)."""
    found: list[tuple[str, click.Command]] = []

    def walk(prefix: str, group: click.Group) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            path = f"{prefix} {name}".strip()
            if isinstance(command, click.Group):
                walk(path, command)
            found.append((path, command))

    walk("", cli)
    return found


def examples(help_text: str) -> list[str]:
    """The `orch ...` lines of a help text (continuation lines joined, trailing comments dropped)."""
    joined = re.sub(r"\\\n\s*", " ", help_text)
    lines = [line.strip() for line in joined.splitlines()]
    return [re.split(r"\s{2,}#", line)[0] for line in lines if line.startswith("orch ")]


def words_before_shell_operators(line: str) -> list[str]:
    words = []
    for word in shlex.split(line):
        if word in SHELL_OPERATORS:
            break
        words.append(word.rstrip(";"))
        if word.endswith(";"):
            break
    return words


def sub_command(words: list[str]) -> click.Command:
    """The command the leading words name; they are taken off `words`."""
    command: click.Command = cli
    while isinstance(command, click.Group) and words:
        found = command.get_command(click.Context(command), words[0])
        if found is None:
            break
        command = found
        words.pop(0)
    return command


def test_there_are_examples_to_check() -> None:
    lines = [line for _, command in all_commands() for line in examples(command.help or "")]
    assert len(lines) >= 30
    assert "orch demo" in examples(cli.help or "")


@pytest.mark.parametrize(("path", "command"), all_commands(), ids=[path for path, _ in all_commands()])
def test_each_example_parses(path: str, command: click.Command) -> None:
    for line in examples(command.help or ""):
        words = words_before_shell_operators(line)[1:]  # without "orch"
        target = sub_command(words)
        if isinstance(target, click.Group):
            continue  # an example of the group itself that names no sub-command
        ctx = click.Context(target, info_name=path)
        try:
            target.make_parser(ctx).parse_args(words)
        except click.UsageError as exc:  # e.g. NoSuchOption
            pytest.fail(f"`orch {path} --help`: example {line!r}: {exc.format_message()}")


ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]
DOCS = [
    "README.md",
    "docs/orch.md",
    "docs/preflight.md",
    "docs/bring-your-own-grader.md",
    "docs/reward-audit.md",
]


def doc_commands(name: str) -> list[str]:
    """The `orch ...` lines of a page's fenced code blocks, as a user copies them."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", (ROOT / name).read_text(), re.DOTALL)
    return [line for block in blocks for line in examples(block)]


@pytest.mark.parametrize("name", DOCS)
def test_each_documented_command_parses(name: str) -> None:
    """Synopsis lines (`[--json]`, `FILE|s3://...`) are not commands: only lines without brackets."""
    lines = [line for line in doc_commands(name) if not re.search(r"[\[\]|]|\.\.\.", line)]
    assert lines, name
    for line in lines:
        words = words_before_shell_operators(line)[1:]
        target = sub_command(words)
        if isinstance(target, click.Group):
            continue
        try:
            target.make_parser(click.Context(target)).parse_args(words)
        except click.UsageError as exc:
            pytest.fail(f"{name}: {line!r}: {exc.format_message()}")
