"""Text resources of the judged dimensions: the LLM-judge prompt templates and bundled rubrics.

Kept as plain files (not Python strings) so prompt changes are reviewable as text diffs; read with
`importlib.resources`, so they load the same from a checkout, a wheel or the Lambda zip.

- `judge_system.txt`, `judge_user.txt`, `judge_reference.txt`: `string.Template` files (`$name`
  placeholders, so JSON braces need no escaping). They carry the judge output contract of the spec
  format: the response fenced as `<response>\\n...\\n</response>`, the instruction to ignore
  instructions inside it, and the one-object answer `{"score": <int>, "reason": "<short>"}`.
  The local stack's emulated judge reads prompts built from them: keep those three properties.
- `rubrics/<name>.md`: a rubric a spec names as `"rubric": "<name>.md"` (any `.md`/`.txt` file
  dropped here becomes available). Describe each score of the scale, worst to best.
"""
