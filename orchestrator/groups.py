"""The click group of `orch` and its sub-groups: an unknown sub-command names the one meant."""

from __future__ import annotations

from typing import Any

import click

# Words of LocalStack's own CLI (`localstack start`, `localstack stop`) and their `orch local` names.
SYNONYMS = {"start": "up", "stop": "down", "run": "up", "kill": "down"}


class SuggestingGroup(click.Group):
    """A group whose error for an unknown sub-command suggests the nearest name or its synonym (click
    suggests only for commands registered up front, which a lazy group has none of)."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name = args[0] if args else ""
        unknown = name and not name.startswith("-") and self.get_command(ctx, name) is None
        if unknown and not ctx.resilient_parsing:
            raise click.UsageError(f"No such command {name!r}.{self.suggestion(ctx, name)}", ctx)
        return super().resolve_command(ctx, args)

    def suggestion(self, ctx: click.Context, name: str) -> str:
        import difflib  # only on this error path: `orch --help` stays fast

        known = self.list_commands(ctx)
        synonym = SYNONYMS.get(name)
        guesses = [synonym] if synonym in known else difflib.get_close_matches(name, known, n=1)
        return f" Did you mean {guesses[0]!r}?" if guesses else ""
