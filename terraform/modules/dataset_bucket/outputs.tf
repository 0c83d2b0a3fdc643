output "bucket_name" {
  description = "Name of the dataset bucket."
  value       = var.bucket_name
  depends_on  = [aws_s3_bucket.this]
}

output "bucket_arn" {
  description = "ARN of the dataset bucket."
  value       = local.bucket_arn
  depends_on  = [aws_s3_bucket.this]
}
