# One grader: the reward Lambda built by `orch reward package`, its log group, execution role (iam.tf),
# alarms (alarms.tf) and dashboard (dashboard.tf).

locals {
  log_group_name = "/aws/lambda/${var.function_name}"
  log_group_arn  = "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:${local.log_group_name}"

  # Built from its parts rather than read from the provider, so the ARN is known before apply (and to
  # offline evaluators such as tfparse); it is the same string the provider reports.
  function_arn = "arn:${var.partition}:lambda:${var.region}:${var.account_id}:function:${var.function_name}"

  environment = merge(
    {
      REWARD_SPEC              = var.reward_spec
      REWARD_METRICS_NAMESPACE = var.metrics_namespace
      POWERTOOLS_SERVICE_NAME  = var.function_name
      POWERTOOLS_LOG_LEVEL     = var.log_level
      LOG_LEVEL                = var.log_level
    },
    var.judge_model_id == null ? {} : { REWARD_JUDGE_MODEL_ID = var.judge_model_id },
  )

  tags = merge(var.tags, { RewardSpec = var.reward_spec })
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Grader logs are operational debug output; retention is a variable (default 30 days) so cost stays bounded. Compliance archives belong in the audit account.
  #checkov:skip=CKV_AWS_158:KMS is optional (var.kms_key_arn): without it CloudWatch Logs encrypts with its own key; grader logs hold scores and timings, no secrets.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  # Nullable inputs are passed as `x == null ? null : x` throughout: the same value for Terraform, and
  # offline evaluators (tfparse) then see null instead of an unresolved reference.
  kms_key_id = var.kms_key_arn == null ? null : var.kms_key_arn
  tags       = local.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Bedrock invokes graders synchronously; a dead-letter queue only applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:Graders reach only public AWS APIs (CloudWatch, Bedrock for judges); a VPC would add NAT cost and cold-start latency without protecting any private resource.
  #checkov:skip=CKV_AWS_272:The package is built reproducibly by `orch reward package` and identified by its SHA-256 (source_code_hash); code signing needs a Signer profile outside this module.
  #checkov:skip=CKV_AWS_50:X-Ray is optional (var.enable_xray); EMF metrics and the dashboard cover grader health.
  #checkov:skip=CKV_AWS_173:Environment variables hold no secrets (spec name, namespace, log level); var.kms_key_arn encrypts them with a customer key when set.
  function_name = var.function_name
  description   = "Nova RFT reward function (grader) for spec ${var.reward_spec}"
  role          = aws_iam_role.this.arn
  handler       = var.handler
  runtime       = var.runtime
  architectures = [var.architecture]

  filename         = var.package_s3 == null ? var.package_file : null
  s3_bucket        = var.package_s3 == null ? null : var.package_s3.bucket
  s3_key           = var.package_s3 == null ? null : var.package_s3.key
  source_code_hash = fileexists(var.package_file) ? filebase64sha256(var.package_file) : null

  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn == null ? null : var.kms_key_arn

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = var.enable_xray ? "Active" : "PassThrough"
  }

  tags = local.tags

  lifecycle {
    # A missing package stops the plan with what to run (never a deploy of something else).
    precondition {
      condition     = fileexists(var.package_file)
      error_message = "No grader package at ${var.package_file}: build it with `orch reward package` (add --spec-file for a grader with a spec_file of yours; `orch local provision` builds the local ones itself)."
    }
  }

  # The log group and the logging permission exist before the first invocation can write.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.logs,
  ]
}
