# `terraform test` of the dataset bucket with a mocked AWS provider: hardening at plan level, the
# lifecycle rules (and when they may be left out), outputs, and every validation.
# Run: tests/terraform/test_module_tests.py (pytest), or `terraform -chdir=terraform/modules/dataset_bucket test`.

mock_provider "aws" {}

variables {
  bucket_name = "nova-rft-test-datasets-123456789012"
}

run "bucket_is_hardened" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this.bucket == "nova-rft-test-datasets-123456789012" && aws_s3_bucket.this.force_destroy == false
    error_message = "The bucket keeps its objects on destroy by default."
  }
  assert {
    condition = (aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy
    && aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets)
    error_message = "All four public access blocks are on."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs are disabled (bucket owner enforced)."
  }
  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning is on."
  }
  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "AES256"
    error_message = "SSE-S3 by default."
  }
  assert {
    condition = jsondecode(aws_s3_bucket_policy.this.policy).Statement == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::nova-rft-test-datasets-123456789012", "arn:aws:s3:::nova-rft-test-datasets-123456789012/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "The policy only denies non-TLS access (it grants nothing)."
  }
  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0
    error_message = "No access logging without a log bucket."
  }
  assert {
    condition     = output.bucket_name == "nova-rft-test-datasets-123456789012" && output.bucket_arn == "arn:aws:s3:::nova-rft-test-datasets-123456789012"
    error_message = "Outputs name the bucket and its ARN."
  }
}

run "lifecycle_cleans_old_versions_and_stale_uploads" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.this) == 1
    error_message = "A kept bucket has lifecycle rules."
  }
  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.this[0].rule : r.id] == ["expire-noncurrent-versions", "abort-incomplete-multipart-uploads"]
    error_message = "Two rules: non-current versions and incomplete multipart uploads."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this[0].rule[0].noncurrent_version_expiration[0].noncurrent_days == 30 && aws_s3_bucket_lifecycle_configuration.this[0].rule[1].abort_incomplete_multipart_upload[0].days_after_initiation == 7
    error_message = "Defaults: 30 days for old versions, 7 for stale uploads."
  }
}

run "kms_key_switches_to_sse_kms_with_a_bucket_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/abcd"
  }

  assert {
    condition = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : one(r.apply_server_side_encryption_by_default)]) == {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = "arn:aws:kms:us-east-1:123456789012:key/abcd"
    }
    error_message = "SSE-KMS with the given key."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled == true
    error_message = "A bucket key keeps KMS costs down."
  }
}

run "throw_away_bucket_may_skip_lifecycle_rules" {
  command = plan

  variables {
    force_destroy   = true
    lifecycle_rules = false
  }

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.this) == 0 && aws_s3_bucket.this.force_destroy
    error_message = "A throw-away bucket (force_destroy) may leave the lifecycle rules out."
  }
}

run "access_logging_goes_to_the_log_bucket" {
  command = plan

  variables {
    access_log_bucket = "org-logs"
  }

  assert {
    condition     = aws_s3_bucket_logging.this[0].target_bucket == "org-logs" && aws_s3_bucket_logging.this[0].target_prefix == "s3/nova-rft-test-datasets-123456789012/"
    error_message = "Access logs go to the log bucket under the bucket's own prefix."
  }
}

run "rejects_a_kept_bucket_without_lifecycle_rules" {
  command = plan
  variables {
    lifecycle_rules = false
  }
  expect_failures = [var.lifecycle_rules]
}

run "rejects_bad_bucket_names" {
  command = plan
  variables {
    bucket_name = "Bad_Name"
  }
  expect_failures = [var.bucket_name]
}

run "rejects_an_ip_shaped_bucket_name" {
  command = plan
  variables {
    bucket_name = "192.168.1.1"
  }
  expect_failures = [var.bucket_name]
}

run "rejects_bad_days_kms_and_partition" {
  command = plan
  variables {
    noncurrent_version_expiration_days     = 0
    abort_incomplete_multipart_upload_days = 1.5
    kms_key_arn                            = "arn:aws:s3:::x"
    partition                              = "aws-mars"
  }
  expect_failures = [var.noncurrent_version_expiration_days, var.abort_incomplete_multipart_upload_days, var.kms_key_arn, var.partition]
}
