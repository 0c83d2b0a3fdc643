# The whole Nova RFT stack of one environment: sized graders, the dataset bucket and the role Bedrock
# assumes for jobs. Every environment root calls this module; environments differ only in variables.

locals {
  name_prefix = "${var.project}-${var.environment}"
  bucket_name = "${local.name_prefix}-datasets-${var.account_id}"
  tags        = merge(var.tags, { Project = var.project, Environment = var.environment })

  # What each grader deploys. A bundled spec: the shared grader-<arch>.zip, REWARD_SPEC = its name. A
  # spec_file of the user's: grader-<arch>-spec-<key>.zip, the shared zip plus user_specs/<file name>
  # (`orch reward package --spec-file`, or `orch local provision`, builds it). The key is derived here
  # from the bytes of both inputs, so a changed spec or a rebuilt base zip names another file: a stale
  # package cannot be deployed silently (a missing one stops the plan, see modules/reward_lambda).
  # orchestrator/packaging.py `spec_package_path` computes the same name.
  packages = { for name, g in var.graders : name => {
    base_zip = "${var.package_dir}/grader-${g.architecture}.zip"
    key = g.spec_file == null ? null : substr(sha256(join(":", [
      fileexists("${var.package_dir}/grader-${g.architecture}.zip") ? filesha256("${var.package_dir}/grader-${g.architecture}.zip") : "missing",
      filesha256(g.spec_file),
      basename(g.spec_file),
    ])), 0, 16)
  } }
  package_files = { for name, g in var.graders : name => (
    g.spec_file == null ? local.packages[name].base_zip : "${var.package_dir}/grader-${g.architecture}-spec-${local.packages[name].key}.zip"
  ) }
  reward_specs = { for name, g in var.graders : name => g.spec_file == null ? g.spec : "user_specs/${basename(g.spec_file)}" }
  spec_files   = { for name, g in var.graders : name => g.spec_file == null ? "${var.spec_dir}/${g.spec}.json" : g.spec_file }
}

# The packages, uploaded once each (graders share the base zip), when var.packages_via_s3.
resource "aws_s3_object" "package" {
  #checkov:skip=CKV_AWS_186:The object is encrypted with var.kms_key_arn when set, else with the bucket's default encryption (modules/dataset_bucket); a package holds code, no secrets.
  for_each = var.packages_via_s3 ? toset(values(local.package_files)) : toset([])

  bucket      = module.dataset_bucket.bucket_name
  key         = "lambda-packages/${basename(each.key)}"
  source      = each.key
  source_hash = fileexists(each.key) ? filemd5(each.key) : null
  kms_key_id  = var.kms_key_arn == null ? null : var.kms_key_arn
  tags        = local.tags
}

module "sizing" {
  source   = "../sizing"
  for_each = var.graders

  batch_size                 = var.training.batch_size
  samples_per_prompt         = var.training.samples_per_prompt
  max_samples_per_invocation = var.training.max_samples_per_invocation
  safety_factor              = var.training.safety_factor
  expected_latency_seconds   = each.value.expected_latency_seconds
  timeout_seconds            = each.value.timeout
  account_concurrency_limit  = var.account_concurrency_limit
}

module "grader" {
  source   = "../reward_lambda"
  for_each = var.graders

  function_name = "${local.name_prefix}-${each.key}"
  package_file  = local.package_files[each.key]
  package_s3    = var.packages_via_s3 ? { bucket = module.dataset_bucket.bucket_name, key = aws_s3_object.package[local.package_files[each.key]].key } : null
  architecture  = each.value.architecture
  memory_size   = each.value.memory_size
  timeout       = each.value.timeout
  reward_spec   = local.reward_specs[each.key]
  spec_file     = local.spec_files[each.key]
  log_level     = each.value.log_level

  judge_model_arns = each.value.judge_model_arns
  judge_model_id   = each.value.judge_model_id

  reserved_concurrent_executions = module.sizing[each.key].reserved_concurrency
  duration_alarm_threshold_ms    = module.sizing[each.key].duration_alarm_threshold_ms
  concurrency_alarm_threshold    = module.sizing[each.key].concurrency_alarm_threshold

  log_retention_days  = var.log_retention_days
  kms_key_arn         = var.kms_key_arn
  enable_xray         = var.enable_xray
  alarm_sns_topic_arn = var.alarm_sns_topic_arn
  create_dashboard    = var.create_dashboards

  region     = var.region
  account_id = var.account_id
  partition  = var.partition
  tags       = local.tags
}

module "dataset_bucket" {
  source = "../dataset_bucket"

  bucket_name     = local.bucket_name
  kms_key_arn     = var.kms_key_arn
  force_destroy   = var.force_destroy_bucket
  lifecycle_rules = var.bucket_lifecycle_rules
  partition       = var.partition
  tags            = local.tags
}

module "customization_role" {
  source = "../customization_role"

  role_name            = "${local.name_prefix}-customization"
  dataset_bucket_name  = module.dataset_bucket.bucket_name
  dataset_prefix       = var.dataset_prefix
  output_prefix        = var.output_prefix
  grader_function_arns = [for name in sort(keys(var.graders)) : module.grader[name].function_arn]
  kms_key_arn          = var.kms_key_arn
  region               = var.region
  account_id           = var.account_id
  partition            = var.partition
  tags                 = local.tags
}
