"""`orch validate-dataset` and `orch upload-dataset`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.datasets.validation import (
    CHARS_PER_TOKEN,
    MAX_RECORDS,
    MIN_RECORDS,
    ValidationReport,
    load_report,
    require_valid,
)
from orchestrator.factory import make_factory
from orchestrator.options import env_options, env_options_from, json_option
from orchestrator.output import Output, make_output, transfer_progress

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
SHOWN_ISSUES = 20


def print_report(output: Output, report: ValidationReport) -> None:
    """Errors and warnings with line numbers, then the statistics table."""
    mark = "valid" if report.ok else "INVALID"
    output.line(
        f"{report.source}: {mark} - {report.error_count} error(s), {report.warning_count} warning(s)",
        style="green" if report.ok else "bold red",
    )
    for label, issues, total in (
        ("error", report.errors, report.error_count),
        ("warning", report.warnings, report.warning_count),
    ):
        for issue in issues[:SHOWN_ISSUES]:
            output.line(f"  {label}: {issue}", style="red" if label == "error" else "yellow")
        if total > min(len(issues), SHOWN_ISSUES):
            output.line(f"  ... and {total - min(len(issues), SHOWN_ISSUES)} more {label}(s) (see --json)")
    output.key_values("Statistics", stats_rows(report.stats))


def stats_rows(stats: dict[str, Any]) -> list[tuple[str, Any]]:
    chars, tokens = stats.get("prompt_chars", {}), stats.get("prompt_tokens_estimate", {})

    def spread(values: dict[str, Any]) -> str:
        if values.get("min") is None:
            return "-"
        return " / ".join(str(values.get(key)) for key in ("min", "mean", "p50", "p95", "max"))

    return [
        ("records", stats.get("records")),
        ("valid records", stats.get("valid_records")),
        ("bytes", stats.get("bytes")),
        ("prompt chars min/mean/p50/p95/max", spread(chars)),
        (f"prompt tokens (ESTIMATE, {CHARS_PER_TOKEN} chars/token)", spread(tokens)),
        ("turns per record min/mean/p50/p95/max", spread(stats.get("turns", {}))),
        ("duplicate prompts", stats.get("duplicates")),
        ("prompts over --max-prompt-length", stats.get("prompts_over_max_length")),
        ("fields seen", ", ".join(f"{k} ({v})" for k, v in stats.get("fields_seen", {}).items())),
        (
            "reference_answer types",
            ", ".join(f"{k} ({v})" for k, v in stats.get("reference_answer_types", {}).items()),
        ),
    ]


@click.command("validate-dataset")
@click.argument("dataset", type=FILE)
@click.option(
    "--max-prompt-length",
    type=click.IntRange(min=1),
    help=(
        f"Fail prompts longer than N tokens, ESTIMATED as characters / {CHARS_PER_TOKEN} "
        "(Bedrock counts real tokens)."
    ),
)
@click.option("--min-records", type=click.IntRange(min=0), default=MIN_RECORDS, show_default=True)
@click.option("--max-records", type=click.IntRange(min=1), default=MAX_RECORDS, show_default=True)
@click.option(
    "--max-errors",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Errors listed (all are counted).",
)
@json_option
def validate_dataset(
    dataset: Path,
    max_prompt_length: int | None,
    min_records: int,
    max_records: int,
    max_errors: int,
    as_json: bool,
) -> None:
    """Check a Nova RFT dataset (JSONL) and print statistics.

    Rules: one JSON object per line (no blank lines); `messages` with an optional first `system`
    turn, then user/assistant turns ending with a user turn, text content only (no images,
    documents or video), no empty content; `reference_answer` present; no `schemaVersion`;
    100 to 20,000 records. Duplicate prompts are warnings.

    Exit codes: 0 valid, 3 invalid (errors are listed with line numbers and fields), 2 unreadable file.

    \b
    Examples:
      orch validate-dataset datasets/math.jsonl
      orch validate-dataset train.jsonl --max-prompt-length 4096
      orch validate-dataset train.jsonl --json | jq .stats
    """
    output = make_output(as_json)
    report = load_report(
        dataset,
        max_prompt_length=max_prompt_length,
        min_records=min_records,
        max_records=max_records,
        max_issues=max_errors,
    )
    if as_json:
        output.emit_json(report.to_dict())
    else:
        print_report(output, report)
    require_valid(report, hint="")


@click.command("upload-dataset")
@click.argument("dataset", type=FILE)
@click.option("--validation-file", type=FILE, help="A validation dataset to upload next to it.")
@click.option("--bucket", help="Bucket (overrides the environment's `dataset_bucket` output).")
@env_options
@json_option
@click.pass_context
def upload_dataset(
    ctx: click.Context,
    dataset: Path,
    validation_file: Path | None,
    bucket: str | None,
    as_json: bool,
    **kwargs: Any,
) -> None:
    """Validate, then upload datasets to the environment's bucket (content-addressed).

    The key is `<dataset_prefix><sha256>/<file name>`: uploading the same content again is a no-op
    and an existing object is never overwritten. Large files go up in parts (S3 checks each part's
    SHA-256; the whole object's checksum is compared afterwards); a failed or interrupted upload
    leaves neither an object nor pending parts. Prints the S3 URI(s).

    \b
    Examples:
      orch upload-dataset datasets/math.jsonl --env dev
      orch upload-dataset train.jsonl --validation-file val.jsonl --json
      orch upload-dataset train.jsonl --outputs outputs.json --bucket my-bucket
    """
    output = make_output(as_json)
    factory = make_factory(ctx.obj, env_options_from(kwargs, bucket=bucket))
    files = [dataset] + ([validation_file] if validation_file else [])
    for path in files:
        require_valid(load_report(path))
    outputs = factory.outputs()
    target_bucket = outputs.require("dataset_bucket", "--bucket")
    results = []
    try:
        with transfer_progress(output) as progress:
            uploader = factory.uploader(progress)
            for path in files:
                results.append(uploader.upload(path, target_bucket, outputs.dataset_prefix))
    except KeyboardInterrupt:
        done = "".join(f"; {result.uri} is complete" for result in results)
        output.note(
            "interrupted: an upload is all or nothing, so no partial object or pending part is left"
            f"{done}; run the same command again to finish",
            style=None,
        )
        raise click.exceptions.Abort() from None
    if as_json:
        payload: dict[str, Any] = {"training": results[0].to_dict()}
        if len(results) > 1:
            payload["validation"] = results[1].to_dict()
        output.emit_json(payload)
        return
    for result in results:
        verb = "uploaded" if result.uploaded else "already present (no-op)"
        output.line(f"{result.path}: {verb}")
        output.line(result.uri)
