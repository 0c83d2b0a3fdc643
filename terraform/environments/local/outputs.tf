# The outputs `orch` reads (docs/architecture.md, "Terraform outputs that orch reads").

output "grader_arns" {
  description = "Grader name -> function ARN."
  value       = module.stack.grader_arns
}

output "dataset_bucket" {
  description = "Bucket for datasets and job output."
  value       = module.stack.dataset_bucket
}

output "dataset_prefix" {
  description = "Key prefix of datasets."
  value       = module.stack.dataset_prefix
}

output "output_prefix" {
  description = "Key prefix of job output."
  value       = module.stack.output_prefix
}

output "customization_role_arn" {
  description = "Role Bedrock assumes for RFT jobs."
  value       = module.stack.customization_role_arn
}

output "region" {
  description = "AWS region of the environment."
  value       = module.stack.region
}
