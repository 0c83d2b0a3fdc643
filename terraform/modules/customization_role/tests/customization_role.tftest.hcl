# `terraform test` of the role Bedrock assumes for RFT jobs, with a mocked AWS provider: the trust
# policy's conditions, least-privilege access (dataset prefix read, output prefix write, graders
# invoke), outputs, and every validation.
# Run: tests/terraform/test_module_tests.py (pytest), or `terraform -chdir=terraform/modules/customization_role test`.

mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
}

variables {
  role_name            = "nova-rft-test-customization"
  dataset_bucket_name  = "nova-rft-test-datasets-123456789012"
  grader_function_arns = ["arn:aws:lambda:us-east-1:123456789012:function:nova-rft-test-math"]
  region               = "us-east-1"
  account_id           = "123456789012"
}

run "only_bedrock_jobs_of_this_account_may_assume_it" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Sid       = "BedrockCustomizationJobs"
      Effect    = "Allow"
      Principal = { Service = "bedrock.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = "123456789012" }
        ArnLike      = { "aws:SourceArn" = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/*" }
      }
    }]
    error_message = "Trust: Bedrock only, confused-deputy conditions on the account and its customization jobs."
  }
  assert {
    condition     = aws_iam_role.this.max_session_duration == 43200
    error_message = "Jobs run for hours: 12 h sessions."
  }
  assert {
    condition     = output.role_arn == "arn:aws:iam::123456789012:role/nova-rft-test-customization"
    error_message = "role_arn is known at plan time."
  }
}

run "access_is_least_privilege" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement == [
      {
        Sid       = "ListDatasetAndOutputPrefixes"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = ["arn:aws:s3:::nova-rft-test-datasets-123456789012"]
        Condition = { StringLike = { "s3:prefix" = ["datasets/*", "rft-output/*"] } }
      },
      {
        Sid      = "ReadDatasets"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["arn:aws:s3:::nova-rft-test-datasets-123456789012/datasets/*"]
      },
      {
        Sid      = "WriteOutput"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["arn:aws:s3:::nova-rft-test-datasets-123456789012/rft-output/*"]
      },
      {
        Sid    = "InvokeGraders"
        Effect = "Allow"
        Action = ["lambda:InvokeFunction"]
        Resource = [
          "arn:aws:lambda:us-east-1:123456789012:function:nova-rft-test-math",
          "arn:aws:lambda:us-east-1:123456789012:function:nova-rft-test-math:*",
        ]
      },
    ]
    error_message = "Exactly: list the two prefixes, read datasets, write output, invoke the graders (and their versions)."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : !contains(flatten([s.Action]), "*") && !contains(flatten([s.Resource]), "*")])
    error_message = "No wildcard action or resource."
  }
}

run "kms_key_adds_decrypt_and_generate_only" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/abcd"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "UseDatasetBucketKey"] == [{
      Sid      = "UseDatasetBucketKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = ["arn:aws:kms:us-east-1:123456789012:key/abcd"]
    }]
    error_message = "With a KMS key: Decrypt and GenerateDataKey on that key only."
  }
}

run "rejects_no_graders" {
  command = plan
  variables {
    grader_function_arns = []
  }
  expect_failures = [var.grader_function_arns]
}

run "rejects_a_grader_arn_that_is_not_a_function" {
  command = plan
  variables {
    grader_function_arns = ["arn:aws:iam::123456789012:role/x"]
  }
  expect_failures = [var.grader_function_arns]
}

run "rejects_prefixes_without_a_trailing_slash" {
  command = plan
  variables {
    dataset_prefix = "datasets"
    output_prefix  = "/out/"
  }
  expect_failures = [var.dataset_prefix, var.output_prefix]
}

run "rejects_bad_names_and_durations" {
  command = plan
  variables {
    role_name            = "has space"
    dataset_bucket_name  = "UPPER"
    max_session_duration = 60
  }
  expect_failures = [var.role_name, var.dataset_bucket_name, var.max_session_duration]
}

run "rejects_bad_account_region_partition_and_kms" {
  command = plan
  variables {
    account_id  = "12"
    region      = "nowhere"
    partition   = "gcp"
    kms_key_arn = "key"
  }
  expect_failures = [var.account_id, var.region, var.partition, var.kms_key_arn]
}
