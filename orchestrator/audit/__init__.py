"""Reward-hacking audit: probe responses generated from a spec and a dataset, scored like the Lambda.

- `probes`: the probe library (stdlib only; the local Bedrock emulator reuses it).
- `code_hacks`: harness attacks on code-test graders (the sandbox workstream's module).
- `service`: `run_audit`, what `orch reward audit` runs.
- `needs`: what each dimension needs from a dataset record (`orch reward check --dataset`) and the
  no-value warning of `orch reward score`.

Nothing is imported here, so `import orchestrator.audit.probes` stays stdlib only.
"""
