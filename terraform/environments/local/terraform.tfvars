# Environment "local". Everything environment-specific lives here (plus backend.tf and providers.tf).
environment = "local"
region      = "us-east-1"
account_id  = "000000000000" # LocalStack

# Architecture: the local stack runs every grader as a process of this machine (no Docker, no
# emulation), so each grader must be built for the host's CPU. x86_64 is the architecture of the
# machines the kit supports for `local` (CI, the development machines, and the only platform of the
# provider mirror); on an arm64 host, set every `architecture` to "arm64". `orch local provision`
# checks the plan and stops, naming the graders, when an architecture is not the host's; nothing swaps
# a package behind Terraform's back. dev/staging/prod keep arm64 (cheaper per GB-second on Lambda).
graders = {
  math = {
    spec                     = "math"
    architecture             = "x86_64"
    expected_latency_seconds = 15
  }
  support = {
    spec                     = "support"
    architecture             = "x86_64"
    memory_size              = 1024
    expected_latency_seconds = 60 # LLM judge calls
    judge_model_arns         = ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"]
  }
  json_extraction = {
    spec                     = "json_extraction"
    architecture             = "x86_64"
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
# No lifecycle rules on the throw-away local bucket: LocalStack never runs them, and the provider's
# read-back of a new lifecycle configuration waits at least 55 s (modules/dataset_bucket/main.tf).
bucket_lifecycle_rules = false
enable_xray            = false
# Functions created from packages uploaded to the local bucket: the AWS provider then creates them in
# parallel (from a local file it creates one at a time, >= 5 s each: modules/rft_stack).
packages_via_s3 = true
