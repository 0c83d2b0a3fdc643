variable "batch_size" {
  description = "RFT hyperparameter batchSize: prompts per training step (Bedrock allows 16..512)."
  type        = number

  validation {
    condition     = var.batch_size >= 16 && var.batch_size <= 512 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number between 16 and 512 (Bedrock's RFT batchSize range)."
  }
}

variable "samples_per_prompt" {
  description = "RFT hyperparameter trainingSamplePerPrompt: responses generated and graded per prompt (Bedrock allows 2..16)."
  type        = number

  validation {
    condition     = var.samples_per_prompt >= 2 && var.samples_per_prompt <= 16 && floor(var.samples_per_prompt) == var.samples_per_prompt
    error_message = "samples_per_prompt must be a whole number between 2 and 16 (Bedrock's RFT trainingSamplePerPrompt range)."
  }
}

variable "max_samples_per_invocation" {
  description = <<-EOT
    Largest number of samples one grader invocation carries (the batch Bedrock sends to the Lambda).
    AWS does not document it; 1 is the conservative bound (one invocation per response), and a larger
    value sizes for fewer, fuller invocations. Throttles alarms catch an underestimate.
  EOT
  type        = number
  default     = 1

  validation {
    condition     = var.max_samples_per_invocation >= 1 && var.max_samples_per_invocation <= 8192 && floor(var.max_samples_per_invocation) == var.max_samples_per_invocation
    error_message = "max_samples_per_invocation must be a whole number between 1 and 8192."
  }
}

variable "expected_latency_seconds" {
  description = "Expected (p99) wall time of one grader invocation carrying max_samples_per_invocation samples, in seconds."
  type        = number

  validation {
    condition     = var.expected_latency_seconds > 0 && var.expected_latency_seconds <= 900
    error_message = "expected_latency_seconds must be greater than 0 and at most 900 (Lambda's 15 minute maximum)."
  }
}

variable "safety_factor" {
  description = "Head-room multiplier applied to the concurrency of one training step and to the expected latency (1 = none)."
  type        = number
  default     = 1.5

  validation {
    condition     = var.safety_factor >= 1 && var.safety_factor <= 10
    error_message = "safety_factor must be between 1 and 10."
  }
}

variable "timeout_seconds" {
  description = "Timeout of the grader Lambda in seconds; must leave room for expected_latency_seconds x safety_factor."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "timeout_seconds must be a whole number between 1 and 900 (Lambda's limits)."
  }

  validation {
    condition     = var.expected_latency_seconds * var.safety_factor <= var.timeout_seconds
    error_message = "timeout_seconds is shorter than expected_latency_seconds x safety_factor: graders would time out."
  }
}

variable "duration_alarm_fraction" {
  description = "Fraction of the timeout at which the p99 Duration alarm fires (0.8 = alarm at 80% of the timeout)."
  type        = number
  default     = 0.8

  validation {
    condition     = var.duration_alarm_fraction > 0 && var.duration_alarm_fraction < 1
    error_message = "duration_alarm_fraction must be strictly between 0 and 1."
  }
}

variable "concurrency_alarm_fraction" {
  description = "Fraction of the reserved concurrency at which the ConcurrentExecutions alarm fires."
  type        = number
  default     = 0.8

  validation {
    condition     = var.concurrency_alarm_fraction > 0 && var.concurrency_alarm_fraction <= 1
    error_message = "concurrency_alarm_fraction must be greater than 0 and at most 1."
  }
}

variable "account_concurrency_limit" {
  description = "Lambda concurrent executions quota of the account and region (default quota 1000); 100 must stay unreserved."
  type        = number
  default     = 1000

  validation {
    condition     = var.account_concurrency_limit >= 100 && floor(var.account_concurrency_limit) == var.account_concurrency_limit
    error_message = "account_concurrency_limit must be a whole number of at least 100."
  }
}
