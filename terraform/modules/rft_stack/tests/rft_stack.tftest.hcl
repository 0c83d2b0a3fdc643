# `terraform test` of the whole stack with a mocked AWS provider: graders sized by modules/sizing
# (reserved concurrency and alarm thresholds equal its outputs), the role wired to the graders and the
# bucket, the output contract orch reads (docs/architecture.md), and the stack-level validations.
# Run: tests/terraform/test_module_tests.py (pytest), or `terraform -chdir=terraform/modules/rft_stack test`.

mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:mock" }
  }
}

variables {
  environment = "test"
  region      = "us-east-1"
  account_id  = "123456789012"
  package_dir = "../reward_lambda/tests/fixtures"
  spec_dir    = "../../../functions/nova_rewards/specs"
  graders = {
    math = {
      spec                     = "math"
      architecture             = "x86_64"
      expected_latency_seconds = 15
    }
    support = {
      spec                     = "support"
      memory_size              = 1024
      expected_latency_seconds = 60
      judge_model_arns         = ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"]
    }
  }
  training = {
    batch_size         = 16
    samples_per_prompt = 2
  }
}

run "graders_are_sized_by_the_sizing_module" {
  command = plan

  assert {
    condition     = alltrue([for name in ["math", "support"] : module.grader[name].function_name == "nova-rft-test-${name}"])
    error_message = "Functions are named <project>-<environment>-<grader>."
  }
  assert {
    condition     = output.sizing["math"].reserved_concurrency == 48 && output.sizing["support"].reserved_concurrency == 48
    error_message = "16 prompts x 2 samples x safety 1.5 reserve 48 per grader."
  }
  assert {
    condition     = alltrue([for name, g in module.grader : g.reserved_concurrent_executions == output.sizing[name].reserved_concurrency])
    error_message = "Each function reserves exactly the sizing module's reserved_concurrency."
  }
  assert {
    condition     = output.total_reserved_concurrency == 96
    error_message = "The total is the sum of the graders' reservations."
  }
  assert {
    condition     = output.sizing["math"].duration_alarm_threshold_ms == 240000 && output.sizing["math"].concurrency_alarm_threshold == 38
    error_message = "Alarm thresholds: 80% of the timeout and of the reservation."
  }
}

run "lambda_settings_follow_sizing_and_graders" {
  command = apply # mocked: the nested module's resources become readable from the test

  assert {
    condition     = output.grader_arns == { math = "arn:aws:lambda:us-east-1:123456789012:function:nova-rft-test-math", support = "arn:aws:lambda:us-east-1:123456789012:function:nova-rft-test-support" }
    error_message = "grader_arns maps each grader to its unqualified function ARN."
  }
  assert {
    condition     = output.customization_role_arn == "arn:aws:iam::123456789012:role/nova-rft-test-customization"
    error_message = "The role's ARN is the contract output."
  }
  assert {
    condition     = output.dataset_bucket == "nova-rft-test-datasets-123456789012" && output.dataset_prefix == "datasets/" && output.output_prefix == "rft-output/" && output.region == "us-east-1"
    error_message = "Bucket name carries the account id; prefixes and region as configured."
  }
  assert {
    condition     = output.grader_dashboards == { math = "nova-rft-test-math", support = "nova-rft-test-support" }
    error_message = "One dashboard per grader."
  }
}

run "rejects_lifecycle_rules_off_for_a_kept_bucket" {
  command = plan
  variables {
    bucket_lifecycle_rules = false
  }
  expect_failures = [var.bucket_lifecycle_rules]
}

run "accepts_lifecycle_rules_off_for_a_throw_away_bucket" {
  command = plan
  variables {
    bucket_lifecycle_rules = false
    force_destroy_bucket   = true
  }
}

run "rejects_reservations_above_the_account_quota" {
  command = plan
  variables {
    account_concurrency_limit = 150
  }
  expect_failures = [output.total_reserved_concurrency]
}

run "rejects_bad_environment_and_grader_names" {
  command = plan
  variables {
    environment = "Prod_1"
    graders = {
      "Bad-Name" = { spec = "math" }
    }
  }
  expect_failures = [var.environment, var.graders]
}

# A grader with a spec file of the user's deploys the package named by the contents of the shared zip
# and of the spec (fixtures/grader-x86_64-spec-<key>.zip, built by orchestrator.packaging
# `build_spec_package`; tests/unit/test_spec_packages.py checks Python derives the same name), and
# REWARD_SPEC names the spec inside it.
run "a_spec_file_of_the_user_deploys_its_own_package" {
  command = plan
  variables {
    graders = {
      math   = { spec = "math", architecture = "x86_64" }
      triage = { spec_file = "../reward_lambda/tests/fixtures/custom_spec.json", architecture = "x86_64" }
    }
  }

  assert {
    condition     = output.grader_packages.triage.package_file == "../reward_lambda/tests/fixtures/grader-x86_64-spec-0afe553929c87dc8.zip"
    error_message = "A spec_file grader deploys grader-<arch>-spec-<key of base zip and spec>.zip."
  }
  assert {
    condition     = output.grader_packages.triage.reward_spec == "user_specs/custom_spec.json" && output.grader_packages.math.reward_spec == "math"
    error_message = "REWARD_SPEC is the spec's path inside the package (bundled graders keep their name)."
  }
  assert {
    condition     = output.grader_packages.math.package_file == "../reward_lambda/tests/fixtures/grader-x86_64.zip"
    error_message = "Bundled specs deploy the shared zip."
  }
  assert {
    condition     = module.grader["triage"].spec_dimensions == ["label", "length_chars"]
    error_message = "The dashboard plots the user's spec's dimensions."
  }
}

run "rejects_a_grader_with_both_or_neither_spec_and_spec_file" {
  command = plan
  variables {
    graders = {
      both    = { spec = "math", spec_file = "../reward_lambda/tests/fixtures/custom_spec.json" }
      neither = {}
    }
  }
  expect_failures = [var.graders]
}

# packages_via_s3: one upload per distinct package (graders share the base zip), and each function is
# created from its package's object (no provider-wide lock: created in parallel).
run "packages_via_s3_uploads_each_package_once" {
  command = apply # mocked
  variables {
    packages_via_s3 = true
    graders = {
      math   = { spec = "math", architecture = "x86_64" }
      code   = { spec = "code", architecture = "x86_64" }
      triage = { spec_file = "../reward_lambda/tests/fixtures/custom_spec.json", architecture = "x86_64" }
    }
  }

  assert {
    condition     = toset([for o in aws_s3_object.package : o.key]) == toset(["lambda-packages/grader-x86_64-spec-0afe553929c87dc8.zip", "lambda-packages/grader-x86_64.zip"])
    error_message = "Each distinct package is uploaded once, under lambda-packages/."
  }
  assert {
    condition     = alltrue([for o in aws_s3_object.package : o.bucket == "nova-rft-test-datasets-123456789012"])
    error_message = "Packages go to the stack's own bucket."
  }
}
