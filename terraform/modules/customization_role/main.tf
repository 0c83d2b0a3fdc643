# The service role Bedrock assumes for RFT (model customization) jobs: trusted only by Bedrock jobs of
# this account and region; reads the dataset prefix, writes the output prefix, invokes only the graders.

locals {
  bucket_arn = "arn:${var.partition}:s3:::${var.dataset_bucket_name}"
  role_arn   = "arn:${var.partition}:iam::${var.account_id}:role/${var.role_name}"
  job_arns   = "arn:${var.partition}:bedrock:${var.region}:${var.account_id}:model-customization-job/*"

  s3_statements = [
    {
      Sid       = "ListDatasetAndOutputPrefixes"
      Effect    = "Allow"
      Action    = ["s3:ListBucket"]
      Resource  = [local.bucket_arn]
      Condition = { StringLike = { "s3:prefix" = ["${var.dataset_prefix}*", "${var.output_prefix}*"] } }
    },
    {
      Sid      = "ReadDatasets"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = ["${local.bucket_arn}/${var.dataset_prefix}*"]
    },
    {
      Sid      = "WriteOutput"
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = ["${local.bucket_arn}/${var.output_prefix}*"]
    },
  ]

  grader_statements = [{
    Sid    = "InvokeGraders"
    Effect = "Allow"
    Action = ["lambda:InvokeFunction"]
    # The function itself and its published versions/aliases (arn:...:function:name:qualifier).
    Resource = concat(var.grader_function_arns, [for arn in var.grader_function_arns : "${arn}:*"])
  }]

  kms_statements = var.kms_key_arn == null ? [] : [{
    Sid      = "UseDatasetBucketKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
    Resource = [var.kms_key_arn]
  }]
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  description          = "Assumed by Amazon Bedrock to run Nova RFT jobs"
  max_session_duration = var.max_session_duration
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "BedrockCustomizationJobs"
      Effect    = "Allow"
      Principal = { Service = "bedrock.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = var.account_id }
        ArnLike      = { "aws:SourceArn" = local.job_arns }
      }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name = "rft-job-access"
  role = aws_iam_role.this.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.s3_statements, local.grader_statements, local.kms_statements)
  })
}
