"""Pre-flight checks before paying for an RFT job (issue 13, docs/preflight.md).

- `baseline`: sample the base model through Bedrock Converse and score the samples (AWS's "check the
  base model first" guidance, as a verdict);
- `lambda_grader` / `remote_scoring`: score responses with the DEPLOYED grader Lambda, in Bedrock's
  event shape, with bounded concurrency and throttling retries;
- `loadtest`: drive the deployed grader at a target concurrency and measure it;
- `plan`: capacity and cost of a job from the dataset, the hyperparameters, the measured latency and a
  prices file.

Errors are `OrchError`s (one line each); `ScoringIncompleteError` (exit 6) is added here.
"""
