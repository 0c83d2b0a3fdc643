output "grader_arns" {
  description = "Grader name -> unqualified function ARN (the lambdaGrader of a job)."
  value       = { for name, g in module.grader : name => g.function_arn }
}

output "grader_function_names" {
  description = "Grader name -> Lambda function name."
  value       = { for name, g in module.grader : name => g.function_name }
}

output "grader_dashboards" {
  description = "Grader name -> CloudWatch dashboard name (null when dashboards are off)."
  value       = { for name, g in module.grader : name => g.dashboard_name }
}

output "sizing" {
  description = "Grader name -> sizing used (reserved concurrency and alarm thresholds)."
  value = { for name, s in module.sizing : name => {
    reserved_concurrency        = s.reserved_concurrency
    invocations_per_step        = s.invocations_per_step
    duration_alarm_threshold_ms = s.duration_alarm_threshold_ms
    concurrency_alarm_threshold = s.concurrency_alarm_threshold
  } }
}

output "total_reserved_concurrency" {
  description = "Sum of the graders' reserved concurrency."
  value       = sum([for s in module.sizing : s.reserved_concurrency])

  precondition {
    condition     = sum([for s in module.sizing : s.reserved_concurrency]) <= var.account_concurrency_limit - 100
    error_message = "The graders together reserve more than account_concurrency_limit - 100 concurrent executions: shrink the training shape or raise the Lambda quota."
  }
}

output "dataset_bucket" {
  description = "Name of the dataset and job-output bucket."
  value       = module.dataset_bucket.bucket_name
}

output "dataset_prefix" {
  description = "Key prefix of datasets in the bucket."
  value       = var.dataset_prefix
}

output "output_prefix" {
  description = "Key prefix of job output in the bucket."
  value       = var.output_prefix
}

output "customization_role_arn" {
  description = "ARN of the role Bedrock assumes for RFT jobs."
  value       = module.customization_role.role_arn
}

output "region" {
  description = "AWS region of the stack."
  value       = var.region
}

output "grader_packages" {
  description = "Grader name -> the package it deploys (package_file) and its REWARD_SPEC (a bundled name, or user_specs/<file> for a spec_file)."
  value       = { for name, g in var.graders : name => { package_file = local.package_files[name], reward_spec = local.reward_specs[name] } }
}
