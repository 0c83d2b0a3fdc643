# Dashboard of one grader: reward distribution per spec dimension (Dim.<name>.Mean/Min/Max, names read
# from the spec file so they cannot drift), aggregate reward, grader quality and the Lambda's health.

locals {
  spec_dimensions = [for d in jsondecode(file(var.spec_file)).dimensions : d.name]

  fn = var.function_name
  ns = var.metrics_namespace

  header_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 8, height = 6
      properties = {
        title  = "Reward (aggregate_reward_score per batch)"
        region = var.region
        view   = "timeSeries"
        period = 60
        metrics = [
          [local.ns, "RewardMean", "FunctionName", local.fn, { stat = "Average", label = "mean" }],
          [local.ns, "RewardMin", "FunctionName", local.fn, { stat = "Minimum", label = "min" }],
          [local.ns, "RewardMax", "FunctionName", local.fn, { stat = "Maximum", label = "max" }],
          [local.ns, "RewardStd", "FunctionName", local.fn, { stat = "Average", label = "std" }],
        ]
        annotations = { horizontal = [{ label = "collapse floor", value = var.reward_mean_floor }] }
      }
    },
    {
      type = "metric", x = 8, y = 0, width = 8, height = 6
      properties = {
        title  = "Grader quality"
        region = var.region
        view   = "timeSeries"
        period = 60
        stat   = "Average"
        metrics = [
          [local.ns, "ErrorRate", "FunctionName", local.fn],
          [local.ns, "NoSpreadGroupFraction", "FunctionName", local.fn],
        ]
        yAxis = { left = { min = 0, max = 1 } }
        annotations = { horizontal = [
          { label = "error rate alarm", value = var.error_rate_threshold },
          { label = "no-spread alarm", value = var.no_spread_threshold },
        ] }
      }
    },
    {
      type = "metric", x = 16, y = 0, width = 8, height = 6
      properties = {
        title  = "Samples"
        region = var.region
        view   = "timeSeries"
        period = 60
        stat   = "Sum"
        metrics = [
          [local.ns, "BatchSize", "FunctionName", local.fn],
          [local.ns, "SampleErrors", "FunctionName", local.fn],
          [local.ns, "SampleTimeouts", "FunctionName", local.fn],
          [local.ns, "HackingFlags", "FunctionName", local.fn],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 8, height = 6
      properties = {
        title  = "Lambda invocations, errors, throttles"
        region = var.region
        view   = "timeSeries"
        period = 60
        stat   = "Sum"
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", local.fn],
          ["AWS/Lambda", "Errors", "FunctionName", local.fn],
          ["AWS/Lambda", "Throttles", "FunctionName", local.fn],
        ]
      }
    },
    {
      type = "metric", x = 8, y = 6, width = 8, height = 6
      properties = {
        title  = "Lambda duration (ms)"
        region = var.region
        view   = "timeSeries"
        period = 60
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", local.fn, { stat = "p50", label = "p50" }],
          ["AWS/Lambda", "Duration", "FunctionName", local.fn, { stat = "p99", label = "p99" }],
        ]
        annotations = { horizontal = [
          { label = "p99 alarm", value = var.duration_alarm_threshold_ms },
          { label = "timeout", value = var.timeout * 1000 },
        ] }
      }
    },
    {
      type = "metric", x = 16, y = 6, width = 8, height = 6
      properties = {
        title  = "Lambda concurrent executions"
        region = var.region
        view   = "timeSeries"
        period = 60
        stat   = "Maximum"
        metrics = [
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", local.fn],
        ]
        annotations = { horizontal = [
          { label = "alarm", value = var.concurrency_alarm_threshold },
          { label = "reserved", value = var.reserved_concurrent_executions },
        ] }
      }
    },
  ]

  dimension_widgets = [
    for i, name in local.spec_dimensions : {
      type   = "metric"
      x      = (i % 3) * 8
      y      = 12 + floor(i / 3) * 6
      width  = 8
      height = 6
      properties = {
        title  = "Dimension ${name}"
        region = var.region
        view   = "timeSeries"
        period = 60
        metrics = [
          [local.ns, "Dim.${name}.Mean", "FunctionName", local.fn, { stat = "Average", label = "mean" }],
          [local.ns, "Dim.${name}.Min", "FunctionName", local.fn, { stat = "Minimum", label = "min" }],
          [local.ns, "Dim.${name}.Max", "FunctionName", local.fn, { stat = "Maximum", label = "max" }],
        ]
      }
    }
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = var.function_name
  dashboard_body = jsonencode({ widgets = concat(local.header_widgets, local.dimension_widgets) })
}
