# `terraform test` of the grader module with a mocked AWS provider (no account, no network): plan-level
# checks of the function, its IAM (least privilege), alarms, dashboard and outputs, and every validation.
# Run: tests/terraform/test_module_tests.py (pytest), or `terraform -chdir=terraform/modules/reward_lambda test`.

mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:mock" }
  }
}

variables {
  function_name                  = "nova-rft-test-math"
  package_file                   = "tests/fixtures/grader-arm64.zip"
  reward_spec                    = "math"
  spec_file                      = "../../../functions/nova_rewards/specs/math.json"
  reserved_concurrent_executions = 48
  duration_alarm_threshold_ms    = 240000
  concurrency_alarm_threshold    = 38
  region                         = "us-east-1"
  account_id                     = "123456789012"
}

run "function_is_configured_for_batch_grading" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.handler == "nova_rewards.handler.lambda_handler" && aws_lambda_function.this.runtime == "python3.12"
    error_message = "The handler must be nova_rewards.handler.lambda_handler on python3.12."
  }
  assert {
    condition     = tolist(aws_lambda_function.this.architectures) == tolist(["arm64"]) && aws_lambda_function.this.timeout == 300 && aws_lambda_function.this.memory_size == 512
    error_message = "Defaults: arm64, 300 s (a whole batch), 512 MB."
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 48
    error_message = "Reserved concurrency must be the sizing input."
  }
  assert {
    condition     = aws_lambda_function.this.source_code_hash == filebase64sha256("tests/fixtures/grader-arm64.zip")
    error_message = "source_code_hash must be the package's SHA-256 (a new zip redeploys)."
  }
  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      REWARD_SPEC              = "math"
      REWARD_METRICS_NAMESPACE = "NovaRFT/Grader"
      POWERTOOLS_SERVICE_NAME  = "nova-rft-test-math"
      POWERTOOLS_LOG_LEVEL     = "INFO"
      LOG_LEVEL                = "INFO"
    })
    error_message = "The environment must name the spec and the metrics namespace, and nothing else without a judge."
  }
  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "PassThrough"
    error_message = "X-Ray is off by default."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/nova-rft-test-math" && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "The log group is the function's, with a retention."
  }
  assert {
    condition     = output.function_arn == "arn:aws:lambda:us-east-1:123456789012:function:nova-rft-test-math"
    error_message = "function_arn is known at plan time (the customization role needs it)."
  }
}

run "iam_is_least_privilege" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Sid       = "LambdaAssume"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "Only Lambda may assume the execution role."
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.logs.policy).Statement == [{
      Sid      = "WriteOwnLogGroup"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/nova-rft-test-math:*"]
    }]
    error_message = "The role writes its own log group only (no CreateLogGroup, no *)."
  }
  assert {
    condition     = length(aws_iam_role_policy.judge) == 0 && length(aws_iam_role_policy.xray) == 0
    error_message = "No Bedrock or X-Ray permission unless asked for."
  }
}

run "judge_and_xray_grant_exactly_what_they_need" {
  command = plan

  variables {
    judge_model_arns = ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"]
    judge_model_id   = "amazon.nova-lite-v1:0"
    enable_xray      = true
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.judge[0].policy).Statement == [{
      Sid      = "InvokeJudgeModels"
      Effect   = "Allow"
      Action   = ["bedrock:InvokeModel"]
      Resource = ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"]
    }]
    error_message = "The judge policy allows InvokeModel on the listed models only."
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.xray[0].policy).Statement == [{
      Sid      = "WriteTraces"
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      Resource = ["*"]
    }]
    error_message = "X-Ray: the two write actions (they support no resource scoping)."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables.REWARD_JUDGE_MODEL_ID == "amazon.nova-lite-v1:0" && aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "The judge model id reaches the function; tracing is Active."
  }
}

run "alarms_watch_the_right_metrics" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.lambda) + length(aws_cloudwatch_metric_alarm.grader) + 2 == 7 && length(output.alarm_names) == 7
    error_message = "Seven alarms per grader."
  }
  assert {
    condition = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.lambda), values(aws_cloudwatch_metric_alarm.grader), [aws_cloudwatch_metric_alarm.duration, aws_cloudwatch_metric_alarm.concurrency]) :
    a.dimensions == tomap({ FunctionName = "nova-rft-test-math" }) && a.treat_missing_data == "notBreaching" && startswith(a.alarm_name, "nova-rft-test-math-")])
    error_message = "Every alarm is on the function's own FunctionName dimension and named after it."
  }
  assert {
    condition     = alltrue([for k, a in aws_cloudwatch_metric_alarm.lambda : a.namespace == "AWS/Lambda" && a.statistic == "Sum" && a.threshold == 0 && a.comparison_operator == "GreaterThanThreshold"]) && aws_cloudwatch_metric_alarm.lambda["errors"].metric_name == "Errors" && aws_cloudwatch_metric_alarm.lambda["throttles"].metric_name == "Throttles"
    error_message = "Errors and Throttles: AWS/Lambda, Sum > 0."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.duration.namespace == "AWS/Lambda" && aws_cloudwatch_metric_alarm.duration.metric_name == "Duration" && aws_cloudwatch_metric_alarm.duration.extended_statistic == "p99" && aws_cloudwatch_metric_alarm.duration.threshold == 240000
    error_message = "Duration alarm: p99 of AWS/Lambda Duration above the sizing threshold."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.concurrency.metric_name == "ConcurrentExecutions" && aws_cloudwatch_metric_alarm.concurrency.statistic == "Maximum" && aws_cloudwatch_metric_alarm.concurrency.threshold == 38 && aws_cloudwatch_metric_alarm.concurrency.comparison_operator == "GreaterThanOrEqualToThreshold"
    error_message = "Concurrency alarm: Maximum ConcurrentExecutions >= the sizing threshold."
  }
  assert {
    condition = alltrue([for k, a in aws_cloudwatch_metric_alarm.grader : a.namespace == "NovaRFT/Grader" && a.statistic == "Average"]) && (
      aws_cloudwatch_metric_alarm.grader["error-rate"].metric_name == "ErrorRate" && aws_cloudwatch_metric_alarm.grader["error-rate"].threshold == 0.05 && aws_cloudwatch_metric_alarm.grader["error-rate"].comparison_operator == "GreaterThanThreshold"
      ) && (
      aws_cloudwatch_metric_alarm.grader["reward-mean"].metric_name == "RewardMean" && aws_cloudwatch_metric_alarm.grader["reward-mean"].threshold == 0.05 && aws_cloudwatch_metric_alarm.grader["reward-mean"].comparison_operator == "LessThanThreshold"
      ) && (
      aws_cloudwatch_metric_alarm.grader["no-spread"].metric_name == "NoSpreadGroupFraction" && aws_cloudwatch_metric_alarm.grader["no-spread"].threshold == 0.8 && aws_cloudwatch_metric_alarm.grader["no-spread"].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "Grader alarms: ErrorRate > 0.05, RewardMean < 0.05, NoSpreadGroupFraction > 0.8, averaged, in the grader's namespace."
  }
  assert {
    condition     = alltrue([for a in values(aws_cloudwatch_metric_alarm.grader) : a.alarm_actions == null || length(a.alarm_actions) == 0])
    error_message = "No alarm actions without an SNS topic."
  }
}

run "alarms_notify_the_topic" {
  command = plan

  variables {
    alarm_sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:alerts"
  }

  assert {
    condition     = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.lambda), values(aws_cloudwatch_metric_alarm.grader), [aws_cloudwatch_metric_alarm.duration, aws_cloudwatch_metric_alarm.concurrency]) : a.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:alerts"]) && a.ok_actions == toset(["arn:aws:sns:us-east-1:123456789012:alerts"])])
    error_message = "Every alarm notifies the topic on ALARM and OK."
  }
}

run "dashboard_plots_every_spec_dimension" {
  command = plan

  assert {
    condition     = output.spec_dimensions == [for d in jsondecode(file("../../../functions/nova_rewards/specs/math.json")).dimensions : d.name]
    error_message = "The dashboard's dimensions are the spec file's."
  }
  assert {
    condition     = alltrue(flatten([for d in output.spec_dimensions : [for s in ["Mean", "Min", "Max"] : strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "\"Dim.${d}.${s}\"")]]))
    error_message = "Each dimension has Dim.<name>.Mean/Min/Max on the dashboard."
  }
}

run "no_dashboard_when_disabled" {
  command = plan

  variables {
    create_dashboard = false
  }

  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 0 && output.dashboard_name == null
    error_message = "create_dashboard = false creates none."
  }
}

# ---- validations: each bad input fails its own validation -----------------------------------------

run "rejects_a_bad_function_name" {
  command = plan
  variables {
    function_name = "has spaces"
  }
  expect_failures = [var.function_name]
}

run "rejects_a_package_that_is_not_a_zip" {
  command = plan
  variables {
    package_file = "tests/fixtures/grader.tar"
  }
  expect_failures = [var.package_file]
}

run "rejects_an_unknown_architecture" {
  command = plan
  variables {
    architecture = "mips"
  }
  expect_failures = [var.architecture]
}

run "rejects_an_unsupported_runtime" {
  command = plan
  variables {
    runtime = "python3.9"
  }
  expect_failures = [var.runtime]
}

run "rejects_memory_out_of_range" {
  command = plan
  variables {
    memory_size = 64
  }
  expect_failures = [var.memory_size]
}

run "rejects_a_timeout_over_15_minutes" {
  command = plan
  variables {
    timeout                     = 901
    duration_alarm_threshold_ms = 1000
  }
  expect_failures = [var.timeout]
}

run "rejects_zero_reserved_concurrency" {
  command = plan
  variables {
    reserved_concurrent_executions = 0
    concurrency_alarm_threshold    = 1
  }
  expect_failures = [var.reserved_concurrent_executions]
}

run "rejects_a_judge_arn_that_is_not_a_bedrock_model" {
  command = plan
  variables {
    judge_model_arns = ["arn:aws:s3:::bucket"]
  }
  expect_failures = [var.judge_model_arns]
}

run "rejects_a_judge_model_id_without_its_arn" {
  command = plan
  variables {
    judge_model_id = "amazon.nova-pro-v1:0"
  }
  expect_failures = [var.judge_model_id]
}

run "rejects_an_aws_metrics_namespace" {
  command = plan
  variables {
    metrics_namespace = "AWS/Lambda"
  }
  expect_failures = [var.metrics_namespace]
}

run "rejects_a_duration_threshold_at_the_timeout" {
  command = plan
  variables {
    duration_alarm_threshold_ms = 300000
  }
  expect_failures = [var.duration_alarm_threshold_ms]
}

run "rejects_a_concurrency_threshold_above_the_reservation" {
  command = plan
  variables {
    concurrency_alarm_threshold = 49
  }
  expect_failures = [var.concurrency_alarm_threshold]
}

run "rejects_bad_kms_and_sns_arns" {
  command = plan
  variables {
    kms_key_arn         = "not-an-arn"
    alarm_sns_topic_arn = "arn:aws:sqs:us-east-1:123456789012:q"
  }
  expect_failures = [var.kms_key_arn, var.alarm_sns_topic_arn]
}

run "rejects_a_bad_account_region_and_log_retention" {
  command = plan
  variables {
    account_id         = "1234"
    region             = "moon-1"
    log_retention_days = 2
  }
  expect_failures = [var.account_id, var.region, var.log_retention_days]
}

# A package that was not built (a spec or base zip changed since, so its content-addressed name is new)
# stops the plan with how to build it, instead of deploying anything else.
run "a_missing_package_stops_the_plan" {
  command = plan
  variables {
    package_file = "tests/fixtures/grader-x86_64-spec-0000000000000000.zip"
  }
  expect_failures = [aws_lambda_function.this]
}
