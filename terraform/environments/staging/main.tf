# Identical in every environment root: the environments differ only in backend.tf, providers.tf and
# terraform.tfvars. Paths are relative to this root (terraform/environments/<env>/).

module "stack" {
  source = "../../modules/rft_stack"

  environment = var.environment
  region      = var.region
  account_id  = var.account_id

  # `orch reward package --output-dir build` (make package) writes build/grader-<arch>.zip.
  package_dir = "${path.root}/../../../build"
  spec_dir    = "${path.root}/../../../functions/nova_rewards/specs"

  graders                   = merge(var.graders, var.custom_graders)
  training                  = var.training
  account_concurrency_limit = var.account_concurrency_limit
  dataset_prefix            = var.dataset_prefix
  output_prefix             = var.output_prefix
  log_retention_days        = var.log_retention_days
  kms_key_arn               = var.kms_key_arn
  alarm_sns_topic_arn       = var.alarm_sns_topic_arn
  enable_xray               = var.enable_xray
  create_dashboards         = var.create_dashboards
  force_destroy_bucket      = var.force_destroy_bucket
  bucket_lifecycle_rules    = var.bucket_lifecycle_rules
  packages_via_s3           = var.packages_via_s3
  tags                      = var.tags
}
