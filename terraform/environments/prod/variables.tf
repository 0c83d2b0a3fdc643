variable "environment" {
  description = "Environment name (dev, staging, prod, local, ...); part of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,11}$", var.environment))
    error_message = "environment must be 1-12 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the stack."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "account_id" {
  description = "AWS account id (12 digits) the stack is deployed to; part of the bucket name and of every ARN."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "graders" {
  description = <<-EOT
    Graders to deploy, by name (function <project>-<environment>-<name>). Per grader: spec (bundled spec
    name, REWARD_SPEC) or spec_file (a spec JSON of yours: shipped inside the grader's package, see
    docs/bring-your-own-grader.md), architecture, memory_size (MB), timeout (s), expected_latency_seconds (p99 of one
    invocation, for sizing), judge_model_arns (Bedrock models it may invoke as LLM judge), judge_model_id
    (REWARD_JUDGE_MODEL_ID override) and log_level.
  EOT
  type = map(object({
    spec                     = optional(string)
    spec_file                = optional(string)
    architecture             = optional(string, "arm64")
    memory_size              = optional(number, 512)
    timeout                  = optional(number, 300)
    expected_latency_seconds = optional(number, 10)
    judge_model_arns         = optional(list(string), [])
    judge_model_id           = optional(string)
    log_level                = optional(string, "INFO")
  }))

  validation {
    condition     = length(var.graders) > 0 && alltrue([for name, g in var.graders : can(regex("^[a-z][a-z0-9_]{0,19}$", name)) && (g.spec_file != null || can(regex("^[a-z][a-z0-9_]*$", g.spec)))])
    error_message = "graders must hold at least one grader; names and spec names are lowercase letters, digits and '_' (names up to 20 characters)."
  }
}

# Graders of your own, kept in a variables file of yours (`-var-file`, `orch local provision --var-file`),
# so the kit's terraform.tfvars stays untouched. Same fields as `graders`; merged into it.
variable "custom_graders" {
  description = "More graders, usually with a spec_file of yours (same fields as graders); merged with graders, names must differ."
  type = map(object({
    spec                     = optional(string)
    spec_file                = optional(string)
    architecture             = optional(string, "arm64")
    memory_size              = optional(number, 512)
    timeout                  = optional(number, 300)
    expected_latency_seconds = optional(number, 10)
    judge_model_arns         = optional(list(string), [])
    judge_model_id           = optional(string)
    log_level                = optional(string, "INFO")
  }))
  default = {}

  validation {
    condition     = length(setintersection(keys(var.custom_graders), keys(var.graders))) == 0
    error_message = "custom_graders must not reuse a name of graders (${join(", ", setintersection(keys(var.custom_graders), keys(var.graders)))}): pick another name."
  }
}

variable "training" {
  description = "RFT training shape the graders are sized for: batch_size (prompts per step), samples_per_prompt, max_samples_per_invocation, safety_factor (see modules/sizing)."
  type = object({
    batch_size                 = number
    samples_per_prompt         = number
    max_samples_per_invocation = optional(number, 1)
    safety_factor              = optional(number, 1.5)
  })
}

variable "account_concurrency_limit" {
  description = "Lambda concurrent executions quota of the account and region; the graders' reservations together must leave 100 unreserved."
  type        = number
  default     = 1000

  validation {
    condition     = var.account_concurrency_limit >= 100
    error_message = "account_concurrency_limit must be at least 100."
  }
}

variable "dataset_prefix" {
  description = "Key prefix of datasets in the bucket (output dataset_prefix, read by orch)."
  type        = string
  default     = "datasets/"

  validation {
    condition     = endswith(var.dataset_prefix, "/") && !startswith(var.dataset_prefix, "/")
    error_message = "dataset_prefix must end with '/' and not start with '/'."
  }
}

variable "output_prefix" {
  description = "Key prefix of job output in the bucket (output output_prefix, read by orch)."
  type        = string
  default     = "rft-output/"

  validation {
    condition     = endswith(var.output_prefix, "/") && !startswith(var.output_prefix, "/")
    error_message = "output_prefix must end with '/' and not start with '/'."
  }
}

variable "log_retention_days" {
  description = "Retention of the graders' log groups, in days (a CloudWatch Logs allowed value)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' allowed values."
  }
}

variable "kms_key_arn" {
  description = "Optional customer managed KMS key for the bucket, the log groups and the Lambda environment (null = AWS managed encryption)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN."
  }
}

variable "alarm_sns_topic_arn" {
  description = "Optional SNS topic notified by every grader alarm (null = no actions)."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be null or an SNS topic ARN."
  }
}

variable "enable_xray" {
  description = "Active X-Ray tracing on the graders."
  type        = bool
  default     = false
}

variable "create_dashboards" {
  description = "Create one CloudWatch dashboard per grader."
  type        = bool
  default     = true
}

variable "force_destroy_bucket" {
  description = "Allow destroying the dataset bucket while it holds objects (throw-away environments only)."
  type        = bool
  default     = false
}

variable "bucket_lifecycle_rules" {
  description = "Lifecycle rules on the dataset bucket (expire non-current versions, abort stale multipart uploads); false only with force_destroy_bucket (throw-away stacks such as local)."
  type        = bool
  default     = true

  validation {
    condition     = var.bucket_lifecycle_rules || var.force_destroy_bucket
    error_message = "bucket_lifecycle_rules may be false only together with force_destroy_bucket = true (a throw-away environment)."
  }
}

variable "tags" {
  description = "Tags added to every resource of the stack."
  type        = map(string)
  default     = {}
}

variable "packages_via_s3" {
  description = "Create the grader functions from packages uploaded to the dataset bucket instead of from local files (parallel creation; see modules/rft_stack)."
  type        = bool
  default     = false
}
