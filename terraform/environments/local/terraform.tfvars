# Environment "local". Everything environment-specific lives here (plus backend.tf and providers.tf).
environment = "local"
region      = "us-east-1"
account_id  = "000000000000" # LocalStack

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
  batch_size                 = 16
  samples_per_prompt         = 2
  max_samples_per_invocation = 1
  safety_factor              = 1.5
}
account_concurrency_limit = 1000

log_retention_days   = 7
force_destroy_bucket = true
enable_xray          = false
