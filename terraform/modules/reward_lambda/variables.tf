variable "function_name" {
  description = "Name of the grader Lambda function (also its log group /aws/lambda/<name> and the FunctionName metric dimension)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,56}$", var.function_name))
    error_message = "function_name must be 1-56 characters of letters, digits, '-' or '_' (56 leaves room for the role suffix '-exec')."
  }
}

variable "package_file" {
  description = "Path of the grader zip built by `orch reward package` (build/grader-<architecture>.zip); its hash redeploys the function when the build changes."
  type        = string

  validation {
    condition     = endswith(var.package_file, ".zip")
    error_message = "package_file must be the path of a .zip file."
  }
}

variable "handler" {
  description = "Lambda handler of the grader package."
  type        = string
  default     = "nova_rewards.handler.lambda_handler"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must look like module.path.function."
  }
}

variable "runtime" {
  description = "Lambda runtime; the grader package is built for Python 3.12."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "Instruction set of the function; must match the package (grader-x86_64.zip or grader-arm64.zip)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (128-10240); CPU scales with it."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB between 128 and 10240."
  }
}

variable "timeout" {
  description = "Timeout of one invocation in seconds (1-900). Graders score a whole batch: Lambda's 3 s default is far too low."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds between 1 and 900."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of the grader (from modules/sizing): guarantees capacity for a training step and caps the blast radius."
  type        = number

  validation {
    condition     = var.reserved_concurrent_executions >= 1 && var.reserved_concurrent_executions <= 10000 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions
    error_message = "reserved_concurrent_executions must be a whole number between 1 and 10000 (0 would disable the grader, -1 would leave it unreserved)."
  }
}

variable "reward_spec" {
  description = "REWARD_SPEC of the grader: a bundled spec name (math, support, json_extraction, code) or the path of a spec file inside the package, relative to the task root (user_specs/<file>.json)."
  type        = string

  validation {
    condition     = length(trimspace(var.reward_spec)) > 0
    error_message = "reward_spec must not be empty."
  }
}

variable "spec_file" {
  description = "Path of the spec JSON on disk; the dashboard reads its dimension names with jsondecode(file()) so they cannot drift from the spec."
  type        = string

  validation {
    condition     = endswith(var.spec_file, ".json")
    error_message = "spec_file must be the path of a .json spec."
  }
}

variable "judge_model_arns" {
  description = "ARNs of the Bedrock models (foundation models or inference profiles) the grader may call as LLM judge; empty = no bedrock:InvokeModel permission."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.judge_model_arns : can(regex("^arn:aws[a-z-]*:bedrock:([a-z0-9-]+|\\*):[0-9]{0,12}:(foundation-model|inference-profile|application-inference-profile|provisioned-model|custom-model)/.+$", arn))])
    error_message = "Each judge_model_arns entry must be a Bedrock model or inference-profile ARN."
  }
}

variable "judge_model_id" {
  description = "Optional REWARD_JUDGE_MODEL_ID: overrides the judge model of LLM-judge dimensions (must be covered by judge_model_arns)."
  type        = string
  default     = null

  validation {
    condition     = var.judge_model_id == null || anytrue([for arn in var.judge_model_arns : endswith(arn, "/${coalesce(var.judge_model_id, "-")}")])
    error_message = "judge_model_id must be the model id of one of judge_model_arns, or the grader could not invoke it."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the grader's EMF metrics (REWARD_METRICS_NAMESPACE)."
  type        = string
  default     = "NovaRFT/Grader"

  validation {
    condition     = can(regex("^[A-Za-z0-9./#:_-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be a valid custom CloudWatch namespace (not AWS/...)."
  }
}

variable "log_level" {
  description = "Log level of the grader (POWERTOOLS_LOG_LEVEL and LOG_LEVEL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "log_retention_days" {
  description = "Retention of the log group /aws/lambda/<function_name>, in days (a CloudWatch Logs allowed value)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' allowed values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... 3653)."
  }
}

variable "kms_key_arn" {
  description = "Optional customer managed KMS key ARN for the log group and the environment variables (null = AWS managed encryption)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN."
  }
}

variable "enable_xray" {
  description = "Turn on active X-Ray tracing (adds xray:PutTraceSegments/PutTelemetryRecords to the role)."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "Optional SNS topic ARN notified when an alarm fires or recovers (null = alarms without actions)."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be null or an SNS topic ARN."
  }
}

variable "duration_alarm_threshold_ms" {
  description = "p99 Duration (ms) above which the grader is too close to its timeout (modules/sizing duration_alarm_threshold_ms)."
  type        = number

  validation {
    condition     = var.duration_alarm_threshold_ms > 0 && var.duration_alarm_threshold_ms < var.timeout * 1000
    error_message = "duration_alarm_threshold_ms must be positive and below the timeout (in ms)."
  }
}

variable "concurrency_alarm_threshold" {
  description = "Maximum ConcurrentExecutions at or above which the grader is close to its reserved limit (modules/sizing concurrency_alarm_threshold)."
  type        = number

  validation {
    condition     = var.concurrency_alarm_threshold >= 1 && var.concurrency_alarm_threshold <= var.reserved_concurrent_executions
    error_message = "concurrency_alarm_threshold must be between 1 and reserved_concurrent_executions."
  }
}

variable "error_rate_threshold" {
  description = "Average ErrorRate (share of samples errored or timed out, 0..1) above which the grader alarm fires."
  type        = number
  default     = 0.05

  validation {
    condition     = var.error_rate_threshold >= 0 && var.error_rate_threshold < 1
    error_message = "error_rate_threshold must be in [0, 1)."
  }
}

variable "reward_mean_floor" {
  description = "Average RewardMean below which the reward has collapsed (on the spec's score range; Nova guidance: plateaus below ~0.15 on 0..1)."
  type        = number
  default     = 0.05

  validation {
    condition     = var.reward_mean_floor >= -1 && var.reward_mean_floor <= 1
    error_message = "reward_mean_floor must be within -1..1 (the widest allowed score range)."
  }
}

variable "no_spread_threshold" {
  description = "Average NoSpreadGroupFraction (share of prompt groups whose samples all scored the same, 0..1) above which the alarm fires: no learning signal."
  type        = number
  default     = 0.8

  validation {
    condition     = var.no_spread_threshold > 0 && var.no_spread_threshold <= 1
    error_message = "no_spread_threshold must be in (0, 1]."
  }
}

variable "alarm_period_seconds" {
  description = "Period of every alarm, in seconds (10, 30 or a multiple of 60)."
  type        = number
  default     = 300

  validation {
    condition     = contains([10, 30], var.alarm_period_seconds) || (var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0)
    error_message = "alarm_period_seconds must be 10, 30 or a multiple of 60."
  }
}

variable "alarm_evaluation_periods" {
  description = "Consecutive periods an alarm condition must hold before the alarm fires."
  type        = number
  default     = 3

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 100 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "alarm_evaluation_periods must be a whole number between 1 and 100."
  }
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard <function_name> (reward distributions per dimension and Lambda health)."
  type        = bool
  default     = true
}

variable "region" {
  description = "AWS region of the function; used to build ARNs and the dashboard."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "account_id" {
  description = "AWS account id (12 digits) that owns the function; used to build ARNs."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "partition" {
  description = "AWS partition of the ARNs (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be aws, aws-cn or aws-us-gov."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}

variable "package_s3" {
  description = "Where the package was uploaded ({bucket, key}) to create the function from S3 instead of from package_file; package_file still names the local zip, whose SHA-256 is source_code_hash. null = upload from package_file."
  type = object({
    bucket = string
    key    = string
  })
  default = null
}
