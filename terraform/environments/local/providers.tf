# LocalStack in host mode (`orch local up`), account 000000000000, dummy credentials.
variable "localstack_endpoint" {
  description = "URL of the local stack's gateway (LocalStack)."
  type        = string
  default     = "http://127.0.0.1:4566"

  validation {
    condition     = can(regex("^http://(127\\.0\\.0\\.1|localhost):[0-9]{2,5}$", var.localstack_endpoint))
    error_message = "localstack_endpoint must be http://127.0.0.1:<port> (the local stack binds to loopback only)."
  }
}

# The local stack runs every grader as a process of this machine: a grader built for another CPU
# fails to import. `orch local provision` passes the machine's architecture; Terraform refuses the plan
# when a grader of terraform.tfvars differs (null: not checked, e.g. a plain `terraform plan`).
variable "host_architecture" {
  description = "CPU architecture of the machine that runs the local stack (x86_64 or arm64); null = not checked."
  type        = string
  default     = null

  validation {
    condition     = var.host_architecture == null || alltrue([for name, grader in merge(var.graders, var.custom_graders) : grader.architecture == var.host_architecture])
    error_message = "Every grader of the local stack must use this machine's architecture (the stack runs graders as host processes): set architecture = \"${coalesce(var.host_architecture, "?")}\" in terraform.tfvars for ${join(", ", sort([for name, grader in merge(var.graders, var.custom_graders) : name if grader.architecture != var.host_architecture]))}."
  }
}

provider "aws" {
  region = var.region

  #checkov:skip=CKV_AWS_41:Not a credential: "test"/"test" are LocalStack's documented dummy keys; this provider only talks to 127.0.0.1.
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  # Every service the stack uses.
  endpoints {
    cloudwatch = var.localstack_endpoint
    iam        = var.localstack_endpoint
    lambda     = var.localstack_endpoint
    logs       = var.localstack_endpoint
    s3         = var.localstack_endpoint
    sts        = var.localstack_endpoint
  }

  default_tags {
    tags = {
      Project     = "nova-rft"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
