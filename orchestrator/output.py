"""Output of `orch` commands: JSON for scripts, rich tables for people.

With `--json`, stdout carries exactly one JSON document and nothing else; progress bars, spinners
and notes go to stderr (and only when stderr is a terminal), so `orch ... --json | jq` always works.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def to_json(value: Any) -> str:
    """Deterministic JSON (sorted keys, ISO datetimes) for stdout and for hashing."""
    return json.dumps(value, indent=2, sort_keys=True, default=_json_default, ensure_ascii=False)


@dataclass
class Output:
    """Where a command writes: `emit_json` / `table` / `line` to stdout, `note` to stderr."""

    json_mode: bool = False
    stdout: Console = field(default_factory=lambda: Console(soft_wrap=True))
    stderr: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))

    @property
    def interactive(self) -> bool:
        """True when live progress (bars, spinners) may be drawn on stderr."""
        return self.stderr.is_terminal

    def emit_json(self, value: Any) -> None:
        # Plain write: rich would re-wrap or highlight the JSON.
        self.stdout.file.write(to_json(value) + "\n")
        self.stdout.file.flush()

    def line(self, text: str = "", *, style: str | None = None) -> None:
        """A line for people (suppressed in JSON mode)."""
        if not self.json_mode:
            self.stdout.print(text, style=style, highlight=False, markup=False)

    def note(self, text: str, *, style: str | None = "dim") -> None:
        """A remark on stderr (always allowed, even in JSON mode)."""
        self.stderr.print(text, style=style, highlight=False, markup=False)

    def table(self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        if self.json_mode:
            return
        table = Table(title=title, title_justify="left", show_lines=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.stdout.print(table)

    def key_values(self, title: str | None, pairs: Iterable[tuple[str, Any]]) -> None:
        self.table(title, ("field", "value"), ((k, _human(v)) for k, v in pairs if v not in (None, "", {})))


def _human(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=_json_default, sort_keys=True)
    return str(value)


def make_output(json_mode: bool) -> Output:
    """The Output of a command; a separate function so tests can build one over captured streams."""
    return Output(json_mode=json_mode, stdout=Console(file=sys.stdout, soft_wrap=True))


@contextmanager
def transfer_progress(output: Output) -> Iterator[Callable[[str, int], Callable[[int], None]] | None]:
    """A progress-bar factory for boto3 transfers on stderr (None when stderr is not a terminal).

    boto3 calls the callbacks from its worker threads; rich's Progress is thread-safe.
    """
    if not output.interactive:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=output.stderr, transient=True) as progress:

        def factory(name: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(f"upload {name}", total=total)
            return lambda sent: progress.update(task, advance=sent)

        yield factory
