# Execution role of the grader, least privilege: write its own log group; call the listed judge models
# (if any); X-Ray only when enabled. Inline policies: they live and die with the role.

resource "aws_iam_role" "this" {
  name        = "${var.function_name}-exec"
  description = "Execution role of the Nova RFT grader ${var.function_name}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssume"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "logs" {
  name = "logs"
  role = aws_iam_role.this.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteOwnLogGroup"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${local.log_group_arn}:*"]
    }]
  })
}

resource "aws_iam_role_policy" "judge" {
  count = length(var.judge_model_arns) > 0 ? 1 : 0

  name = "bedrock-judge"
  role = aws_iam_role.this.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokeJudgeModels"
      Effect   = "Allow"
      Action   = ["bedrock:InvokeModel"]
      Resource = var.judge_model_arns
    }]
  })
}

resource "aws_iam_role_policy" "xray" {
  count = var.enable_xray ? 1 : 0

  name = "xray"
  role = aws_iam_role.this.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "WriteTraces"
      Effect = "Allow"
      Action = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      # X-Ray has no resource-level permissions for these actions: "*" is the only valid resource.
      Resource = ["*"]
    }]
  })
}
