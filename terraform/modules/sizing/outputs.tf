output "responses_per_step" {
  description = "Responses graded per training step (batch_size x samples_per_prompt)."
  value       = local.responses_per_step
}

output "invocations_per_step" {
  description = "Grader invocations per training step (responses_per_step / max_samples_per_invocation, rounded up)."
  value       = local.invocations_per_step
}

output "reserved_concurrency" {
  description = "Reserved concurrent executions for the grader Lambda (invocations_per_step x safety_factor, rounded up)."
  value       = local.reserved_concurrency

  precondition {
    condition     = local.reserved_concurrency <= local.max_reservable
    error_message = "The reserved concurrency exceeds account_concurrency_limit - 100: lower batch_size/samples_per_prompt/safety_factor, raise max_samples_per_invocation, or request a higher Lambda quota."
  }
}

output "duration_alarm_threshold_ms" {
  description = "p99 Duration (ms) above which the grader is too close to its timeout."
  value       = local.duration_threshold_ms
}

output "concurrency_alarm_threshold" {
  description = "ConcurrentExecutions (maximum) at or above which the grader is close to its reserved limit."
  value       = local.concurrency_threshold
}

output "budgeted_latency_ms" {
  description = "expected_latency_seconds x safety_factor in ms: the latency the timeout was checked against."
  value       = local.budgeted_latency_ms
}
