# The bucket for RFT datasets (uploaded by `orch upload-dataset`) and job output (written by Bedrock):
# versioned, encrypted by default, never public, owner-enforced, TLS only, old versions and
# abandoned multipart uploads cleaned up.

locals {
  bucket_arn = "arn:${var.partition}:s3:::${var.bucket_name}"
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Datasets are re-creatable from the repository and job output from Bedrock; cross-region replication would double cost without a recovery need.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; `orch` polls Bedrock for job state.
  #checkov:skip=CKV_AWS_18:Access logging is optional (var.access_log_bucket): the log bucket lives in the organisation's logging account.
  #checkov:skip=CKV_AWS_145:SSE-S3 is the default and KMS is optional (var.kms_key_arn); Bedrock and the roles then need no key policy.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  #checkov:skip=CKV_AWS_145:SSE-S3 is the default and KMS is optional (var.kms_key_arn); Bedrock and the roles then need no key policy.
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn == null ? null : var.kms_key_arn # null, not a reference, offline
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

# The provider confirms a new lifecycle configuration by reading it back 10 times in a row, 5 s apart,
# after a 10 s delay (S3 is eventually consistent): at least 55 s per create or update, even against an
# emulator that answers at once. Throw-away stacks may leave the rules out (var.lifecycle_rules).
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count  = var.lifecycle_rules ? 1 : 0
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  # Lifecycle rules on an unversioned bucket would not see non-current versions.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # A bucket policy write fails while the public access block is still being applied.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3/${var.bucket_name}/"
}
