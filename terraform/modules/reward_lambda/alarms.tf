# Alarms on the Lambda's health (AWS/Lambda) and on the grader's own EMF metrics (NovaRFT/Grader),
# all keyed by the FunctionName dimension. Thresholds come from modules/sizing and the variables.
# The for_each maps hold only constants and non-null values: offline evaluators (tfparse) stop expanding
# on a null and cannot see values computed by sibling modules inside them, so the alarms whose
# thresholds come from modules/sizing (duration, concurrency) are resources of their own.

locals {
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  dimensions    = { FunctionName = var.function_name }

  lambda_alarms = {
    errors = {
      metric_name         = "Errors"
      statistic           = "Sum"
      comparison_operator = "GreaterThanThreshold"
      threshold           = 0
      evaluation_periods  = 1
      description         = "The grader raised (whole-batch failure): Bedrock gets no scores for that batch."
    }
    throttles = {
      metric_name         = "Throttles"
      statistic           = "Sum"
      comparison_operator = "GreaterThanThreshold"
      threshold           = 0
      evaluation_periods  = 1
      description         = "Invocations were throttled: reserved concurrency is too low for the training step."
    }
  }

  grader_alarms = {
    error-rate = {
      metric_name         = "ErrorRate"
      comparison_operator = "GreaterThanThreshold"
      threshold           = var.error_rate_threshold
      description         = "Share of samples that errored or timed out is above ${var.error_rate_threshold}: they get the failure score."
    }
    reward-mean = {
      metric_name         = "RewardMean"
      comparison_operator = "LessThanThreshold"
      threshold           = var.reward_mean_floor
      description         = "Mean reward collapsed below ${var.reward_mean_floor}: RFT has too little positive signal."
    }
    no-spread = {
      metric_name         = "NoSpreadGroupFraction"
      comparison_operator = "GreaterThanThreshold"
      threshold           = var.no_spread_threshold
      description         = "Over ${var.no_spread_threshold} of prompt groups got identical scores: no learning signal."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "lambda" {
  for_each = local.lambda_alarms

  alarm_name          = "${var.function_name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric_name
  dimensions          = local.dimensions
  statistic           = each.value.statistic
  period              = var.alarm_period_seconds
  evaluation_periods  = each.value.evaluation_periods
  comparison_operator = each.value.comparison_operator
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "duration" {
  alarm_name          = "${var.function_name}-duration-p99"
  alarm_description   = "p99 duration is close to the ${var.timeout} s timeout: samples risk the time-budget failure score."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = local.dimensions
  extended_statistic  = "p99"
  period              = var.alarm_period_seconds
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.duration_alarm_threshold_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "concurrency" {
  alarm_name          = "${var.function_name}-concurrency"
  alarm_description   = "Concurrent executions are close to the reserved limit (${var.reserved_concurrent_executions})."
  namespace           = "AWS/Lambda"
  metric_name         = "ConcurrentExecutions"
  dimensions          = local.dimensions
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.concurrency_alarm_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "grader" {
  for_each = local.grader_alarms

  alarm_name          = "${var.function_name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.metrics_namespace
  metric_name         = each.value.metric_name
  dimensions          = local.dimensions
  statistic           = "Average"
  period              = var.alarm_period_seconds
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = each.value.comparison_operator
  threshold           = each.value.threshold
  # No training job running means no grader metrics: that is not an incident.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
  tags               = local.tags
}
