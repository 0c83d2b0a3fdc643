output "function_name" {
  description = "Name of the grader Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the grader (what the customization role may invoke and what Bedrock's lambdaGrader takes)."
  value       = local.function_arn
  depends_on  = [aws_lambda_function.this]
}

output "role_arn" {
  description = "ARN of the grader's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the grader's execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the grader's log group (/aws/lambda/<function_name>)."
  value       = aws_cloudwatch_log_group.this.name
}

output "alarm_names" {
  description = "Names of the grader's alarms, by purpose."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.lambda : k => a.alarm_name },
    { for k, a in aws_cloudwatch_metric_alarm.grader : k => a.alarm_name },
    {
      duration-p99 = aws_cloudwatch_metric_alarm.duration.alarm_name
      concurrency  = aws_cloudwatch_metric_alarm.concurrency.alarm_name
    },
  )
}

output "dashboard_name" {
  description = "Name of the grader's CloudWatch dashboard (null when create_dashboard is false)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "spec_dimensions" {
  description = "Dimension names read from the spec file (one dashboard widget each)."
  value       = local.spec_dimensions
}

output "reserved_concurrent_executions" {
  description = "Reserved concurrency of the function (the sizing module's reserved_concurrency)."
  value       = aws_lambda_function.this.reserved_concurrent_executions
}
