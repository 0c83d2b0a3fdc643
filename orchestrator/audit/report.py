"""Terminal rendering of an `AuditReport` and of a dataset-needs check (rich tables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.audit.needs import DatasetNeeds
from orchestrator.audit.service import AuditReport


def print_audit(report: AuditReport, console: Any) -> None:
    """One row per probe (hacks, then controls) and a verdict line."""
    from rich.table import Table
    from rich.text import Text

    t = report.thresholds
    table = Table(
        title=(
            f"reward audit of {report.spec}: {report.records} records, {report.samples} probe responses, "
            f"{report.seconds:.1f} s (judge: {report.judge})"
        )
    )
    for column, justify in (
        ("probe", "left"),
        ("kind", "left"),
        ("n", "right"),
        ("mean", "right"),
        ("max", "right"),
        (f">{t.share_threshold:g}", "right"),
        ("verdict", "left"),
        ("example (worst case: record, score, response)", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for probe in report.probes:
        ok = probe.passed(t)
        verdict = Text("ok" if ok else "FAIL", style="green" if ok else "bold red")
        if probe.timeouts:
            verdict.append(f" ({probe.timeouts} timed out)", style="yellow")
        text = probe.example_text if len(probe.example_text) <= 60 else probe.example_text[:57] + "..."
        example = f'{probe.example_record} {probe.example_score or 0:.2f} "{text}"'
        table.add_row(
            probe.name,
            probe.kind,
            str(probe.n),
            f"{probe.mean:.3f}",
            f"{probe.max:.3f}",
            f"{probe.share_above(t.share_threshold):.0%}",
            verdict,
            Text(example),  # responses are data, never rich markup ("[bold]" in a probe stays text)
        )
    console.print(table)
    for line in report.problems:
        console.print(line.removeprefix("warning: "), style="bold red", highlight=False)
    if report.passed:
        console.print(
            f"passed: every hack probe's mean <= {t.hack_max_mean:g}, "
            f"every control's >= {t.control_min_mean:g}",
            highlight=False,
        )
    else:
        names = ", ".join(p.name for p in report.failures) or "none"
        console.print(
            f"FAILED: {len(report.failures)} probe(s) ({names}) and {len(report.problems)} other problem(s); "
            f"hacks must average <= {t.hack_max_mean:g} and controls >= {t.control_min_mean:g}",
            style="bold red",
            highlight=False,
        )


def print_needs(needs: DatasetNeeds, console: Any) -> None:
    """What each dimension lacks in the dataset, or one line saying nothing is missing."""
    if needs.ok:
        console.print(
            f"{needs.path}: every dimension finds what it needs in all {needs.records} records",
            highlight=False,
        )
        return
    for gap in needs.gaps:
        console.print(gap.describe(Path(needs.path)), style="red", highlight=False)
