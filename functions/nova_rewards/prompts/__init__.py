"""Text resources of the judged dimensions: the LLM-judge prompt templates and bundled rubrics.

Kept as plain files (not Python strings) so prompt changes are reviewable as text diffs; read with
`importlib.resources`, so they load the same from a checkout, a wheel or the Lambda zip.
"""
