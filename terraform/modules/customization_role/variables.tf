variable "role_name" {
  description = "Name of the IAM role Bedrock assumes to run model customization (RFT) jobs."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "dataset_bucket_name" {
  description = "Bucket holding the datasets and the job output."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.dataset_bucket_name))
    error_message = "dataset_bucket_name must be a valid S3 bucket name."
  }
}

variable "dataset_prefix" {
  description = "Key prefix of the training/validation datasets (read-only for Bedrock), ending with '/'."
  type        = string
  default     = "datasets/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()/-]+/$", var.dataset_prefix)) && !startswith(var.dataset_prefix, "/")
    error_message = "dataset_prefix must be a non-empty key prefix ending with '/' and not starting with '/'."
  }
}

variable "output_prefix" {
  description = "Key prefix Bedrock writes job output under, ending with '/'."
  type        = string
  default     = "rft-output/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()/-]+/$", var.output_prefix)) && !startswith(var.output_prefix, "/")
    error_message = "output_prefix must be a non-empty key prefix ending with '/' and not starting with '/'."
  }
}

variable "grader_function_arns" {
  description = "Unqualified ARNs of the grader Lambdas the jobs may invoke (versions and aliases of them are allowed too)."
  type        = list(string)

  validation {
    condition     = length(var.grader_function_arns) > 0 && alltrue([for arn in var.grader_function_arns : can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:function:[a-zA-Z0-9_.-]+$", arn))])
    error_message = "grader_function_arns must hold at least one unqualified Lambda function ARN."
  }
}

variable "kms_key_arn" {
  description = "Optional KMS key of the dataset bucket; when set the role may decrypt datasets and encrypt output with it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN."
  }
}

variable "max_session_duration" {
  description = "Maximum session duration of the role in seconds (3600-43200); long RFT jobs refresh their session."
  type        = number
  default     = 43200

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "region" {
  description = "AWS region where the jobs run; scopes the aws:SourceArn trust condition."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "account_id" {
  description = "AWS account id (12 digits) whose Bedrock jobs may assume the role (aws:SourceAccount)."
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
