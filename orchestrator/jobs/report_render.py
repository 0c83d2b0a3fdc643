"""`orch report` output: PNG plots (matplotlib, Agg backend, imported on use) and one self-contained
HTML page that embeds them as data URIs, so the page opens anywhere with no network and no files.

Plots: reward curve with its spread (min..max band, mean +- std), per-dimension curves, strategy mix
over steps (emulated jobs), score histograms (first, middle, last step), grader latency, verdicts.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.jobs.report import ReportData

MAX_STRATEGIES = 8  # strategies drawn by name in the mix plot; the rest are summed as "other"


@dataclass(frozen=True)
class Plot:
    name: str  # file stem: reward, dimensions, strategies, histograms, latency
    title: str
    png: bytes


def _figure(height: float = 3.6, right: float = 0.97) -> tuple[Any, Any]:
    """A figure on the Agg canvas and its axes. Figure + FigureCanvasAgg, not pyplot: no GUI backend
    selection, no global figure registry, and a faster import. Fixed margins instead of
    tight_layout, which draws every figure twice."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, height), dpi=90)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.1, right=right, bottom=0.15, top=0.95)
    return figure, figure.subplots()


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _x_axis(axes: Any, data: ReportData) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_xlabel(data.x_label)
    if data.emulated:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def _xs(data: ReportData) -> list[float]:
    return [p["x"] for p in data.points]


def reward_plot(data: ReportData) -> bytes:
    figure, axes = _figure()
    xs = _xs(data)
    mean = [p.get("reward_mean", 0.0) for p in data.points]
    low = [p.get("reward_min", m) for p, m in zip(data.points, mean, strict=True)]
    high = [p.get("reward_max", m) for p, m in zip(data.points, mean, strict=True)]
    std = [p.get("reward_std", 0.0) for p in data.points]
    axes.fill_between(xs, low, high, alpha=0.15, color="#3a86ff", label="min..max")
    axes.fill_between(
        xs, [m - s for m, s in zip(mean, std, strict=True)], [m + s for m, s in zip(mean, std, strict=True)],
        alpha=0.3, color="#3a86ff", label="mean +- std",
    )  # fmt: skip
    axes.plot(xs, mean, marker="o", color="#1d3557", label="mean")
    _x_axis(axes, data)
    axes.set_ylabel("reward")
    axes.legend(loc="upper left", fontsize=8)
    return _png(figure)


def dimensions_plot(data: ReportData) -> bytes | None:
    names = sorted({name for p in data.points for name in p.get("dimensions", {})})
    if not names:
        return None
    figure, axes = _figure()
    for name in names:
        points = [(p["x"], p["dimensions"][name]) for p in data.points if name in p.get("dimensions", {})]
        axes.plot([x for x, _ in points], [y for _, y in points], marker=".", label=name)
    _x_axis(axes, data)
    axes.set_ylabel("dimension mean")
    axes.legend(loc="upper left", fontsize=7, ncol=2)
    return _png(figure)


def strategies_plot(data: ReportData) -> bytes | None:
    steps = [p for p in data.points if p.get("strategy_mix")]
    if not steps:
        return None
    totals: dict[str, float] = {}
    for p in steps:
        for name, share in p["strategy_mix"].items():
            totals[name] = totals.get(name, 0.0) + share
    named = sorted(totals, key=lambda n: -totals[n])[:MAX_STRATEGIES]
    layers = [[p["strategy_mix"].get(n, 0.0) for p in steps] for n in named]
    other = [1.0 - sum(p["strategy_mix"].get(n, 0.0) for n in named) for p in steps]
    figure, axes = _figure(right=0.68)
    axes.stackplot(
        [p["x"] for p in steps],
        *layers,
        [max(0.0, o) for o in other],
        labels=[*named, "other"],
        alpha=0.85,
    )
    _x_axis(axes, data)
    axes.set_ylabel("share of the policy")
    axes.set_ylim(0, 1)
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7)
    return _png(figure)


def histograms_plot(data: ReportData) -> bytes | None:
    with_rewards = [p for p in data.points if p.get("rewards")]
    if not with_rewards:
        return None
    chosen = {0: with_rewards[0], len(with_rewards) // 2: with_rewards[len(with_rewards) // 2]}
    chosen[len(with_rewards) - 1] = with_rewards[-1]
    figure, axes = _figure()
    for point in chosen.values():
        axes.hist(point["rewards"], bins=20, alpha=0.45, label=f"step {point['x']}")
    axes.set_xlabel("reward")
    axes.set_ylabel("samples")
    axes.legend(loc="upper left", fontsize=8)
    return _png(figure)


def latency_plot(data: ReportData) -> bytes | None:
    if not any("grader_latency_ms_p50" in p for p in data.points):
        return None
    figure, axes = _figure(3.2)
    xs = _xs(data)
    labels = ("p50", "p95") if data.emulated else ("average", "maximum")
    for key, label in zip(("grader_latency_ms_p50", "grader_latency_ms_p95"), labels, strict=True):
        axes.plot(xs, [p.get(key, 0.0) for p in data.points], marker=".", label=f"{label} (ms)")
    _x_axis(axes, data)
    axes.set_ylabel("grader latency (ms)")
    axes.legend(loc="upper left", fontsize=8)
    return _png(figure)


PLOTS: tuple[tuple[str, str, Callable[[ReportData], bytes | None]], ...] = (
    ("reward", "Reward per step, with its spread", reward_plot),
    ("dimensions", "Per-dimension means (the grader's metrics_list)", dimensions_plot),
    ("strategies", "Strategy mix of the emulated policy", strategies_plot),
    ("histograms", "Score histograms (first, middle and last step)", histograms_plot),
    ("latency", "Grader latency", latency_plot),
)


def render_plots(data: ReportData) -> list[Plot]:
    if not data.points:
        return []
    plots = []
    for name, title, draw in PLOTS:
        png = draw(data)
        if png is not None:
            plots.append(Plot(name, title, png))
    return plots


# -- HTML ---------------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 64em; color: #1d3557; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccd; padding: .25em .6em; }
th { background: #eef; } .verdict { background: #fff3cd; border-left: 6px solid #d62828; padding: .6em 1em;
margin: .5em 0; } .ok { background: #e6f4ea; border-left: 6px solid #2a9d4b; padding: .6em 1em; }
figure { margin: 1.5em 0; } img { max-width: 100%; } .note { color: #555; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else _e(value)


def render_html(data: ReportData, plots: list[Plot]) -> str:
    job = data.job
    parts = [
        f"<h1>RFT job report: {_e(job.get('jobName'))}</h1>",
        _table(
            ["field", "value"],
            [
                ["status", job.get("status")],
                ["failure message", job.get("failureMessage") or ""],
                ["job ARN", job.get("jobArn")],
                ["created", job.get("creationTime")],
                ["ended", job.get("endTime") or ""],
                ["data source", data.source],
            ],
        ),
        "<h2>Reward-signal verdicts</h2>",
    ]
    if data.verdicts:
        parts += [
            f'<div class="verdict"><b>{_e(v.get("code"))}</b> (step {_e(v.get("step"))}): '
            f"{_e(v.get('message'))}</div>"
            for v in data.verdicts
        ]
    else:
        parts.append('<div class="ok">No warning about the reward signal.</div>')
    summary = data.summary or {}
    if summary.get("final_strategy_mix"):
        mix = sorted(summary["final_strategy_mix"].items(), key=lambda item: -item[1])
        overtook = summary.get("hack_overtook_step")
        parts += [
            "<h2>What the emulated policy learnt</h2>",
            f"<p>Hacking strategies hold <b>{summary.get('hack_share', 0.0):.0%}</b> of the final policy; "
            + (
                f"a hack overtook correct answers at step <b>{_e(overtook)}</b>.</p>"
                if overtook
                else "no hack was ever ahead of correct answers.</p>"
            ),
            _table(["strategy", "final share"], [[n, f"{s:.1%}"] for n, s in mix if s >= 0.001]),
        ]
    parts.append("<h2>Plots</h2>")
    for plot in plots:
        encoded = base64.b64encode(plot.png).decode("ascii")
        parts.append(
            f'<figure id="plot-{plot.name}"><figcaption>{_e(plot.title)}</figcaption>'
            f'<img alt="{_e(plot.title)}" src="data:image/png;base64,{encoded}"></figure>'
        )
    if not plots:
        parts.append('<p class="note">No data points to plot.</p>')
    if data.points:
        columns = ["x", "reward_mean", "reward_min", "reward_max", "reward_std", "grader_error_rate"]
        columns += ["top_strategy"] if data.emulated else []
        parts += [
            f"<h2>Per {_e(data.x_label)}</h2>",
            _table(columns, [[_fmt(p.get(c, "")) for c in columns] for p in data.points]),
        ]
    if data.output_files:
        parts += ["<h2>Job output</h2>", _table(["object", "bytes"], [[u, n] for u, n in data.output_files])]
    parts += [f'<p class="note">{_e(note)}</p>' for note in data.notes]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>RFT report {_e(job.get('jobName'))}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )


def write_report(data: ReportData, directory: Path) -> tuple[Path, list[Path]]:
    """report.html plus one PNG per plot in `directory`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    plots = render_plots(data)
    pngs = []
    for plot in plots:
        path = directory / f"{plot.name}.png"
        path.write_bytes(plot.png)
        pngs.append(path)
    page = directory / "report.html"
    page.write_text(render_html(data, plots), encoding="utf-8")
    return page, pngs
