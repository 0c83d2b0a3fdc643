# Sizing of one grader Lambda for a training configuration. Pure arithmetic, no provider: the roots
# feed its outputs into modules/reward_lambda (reserved concurrency and alarm thresholds).
#
# One RFT training step grades batch_size x samples_per_prompt responses. Sized for the whole step in
# flight at once, in invocations of max_samples_per_invocation samples, with safety_factor head-room.

locals {
  responses_per_step   = var.batch_size * var.samples_per_prompt
  invocations_per_step = ceil(local.responses_per_step / var.max_samples_per_invocation)
  reserved_concurrency = ceil(local.invocations_per_step * var.safety_factor)

  # Lambda refuses a reservation that leaves fewer than 100 unreserved executions in the account.
  max_reservable = var.account_concurrency_limit - 100

  duration_threshold_ms = floor(var.timeout_seconds * 1000 * var.duration_alarm_fraction)
  concurrency_threshold = max(1, floor(local.reserved_concurrency * var.concurrency_alarm_fraction))
  budgeted_latency_ms   = ceil(var.expected_latency_seconds * var.safety_factor * 1000)
}
