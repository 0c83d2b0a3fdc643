# Environment "prod". Everything environment-specific lives here (plus backend.tf and providers.tf).
environment = "prod"
region      = "us-east-1"
account_id  = "333333333333" # replace with your AWS account id

graders = {
  math = {
    spec                     = "math"
    architecture             = "arm64"
    expected_latency_seconds = 15
  }
  support = {
    spec                     = "support"
    architecture             = "arm64"
    memory_size              = 1024
    expected_latency_seconds = 60 # LLM judge calls
    judge_model_arns         = ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"]
  }
  json_extraction = {
    spec                     = "json_extraction"
    architecture             = "arm64"
    expected_latency_seconds = 5
  }
  code = {
    spec                     = "code"
    architecture             = "x86_64"
    memory_size              = 1024
    expected_latency_seconds = 30
  }
}

# Training shape the graders are sized for (modules/sizing).
training = {
  batch_size                 = 128
  samples_per_prompt         = 8
  max_samples_per_invocation = 8
  safety_factor              = 1.5
}
account_concurrency_limit = 3000

log_retention_days   = 90
force_destroy_bucket = false
enable_xray          = true

# Page the on-call rotation (create the topic and its subscriptions outside this stack).
alarm_sns_topic_arn = "arn:aws:sns:us-east-1:333333333333:nova-rft-prod-alarms"
