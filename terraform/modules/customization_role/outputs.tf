output "role_name" {
  description = "Name of the customization role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the customization role (roleArn of CreateModelCustomizationJob)."
  value       = local.role_arn
  depends_on  = [aws_iam_role_policy.this]
}
