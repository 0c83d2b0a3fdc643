# Real `terraform test` of the provider-free sizing module (runs offline; wrapped by
# tests/terraform/test_sizing_module.py so pytest reports it).

variables {
  batch_size               = 32
  samples_per_prompt       = 4
  expected_latency_seconds = 20
}

run "defaults_one_invocation_per_response" {
  command = plan

  assert {
    condition     = output.responses_per_step == 128
    error_message = "32 prompts x 4 samples must give 128 responses per step."
  }
  assert {
    condition     = output.invocations_per_step == 128
    error_message = "With one sample per invocation, invocations equal responses."
  }
  assert {
    condition     = output.reserved_concurrency == 192
    error_message = "128 invocations x safety factor 1.5 must reserve 192."
  }
  assert {
    condition     = output.duration_alarm_threshold_ms == 240000
    error_message = "80% of a 300 s timeout is 240000 ms."
  }
  assert {
    condition     = output.concurrency_alarm_threshold == 153
    error_message = "80% of 192, rounded down, is 153."
  }
  assert {
    condition     = output.budgeted_latency_ms == 30000
    error_message = "20 s x 1.5 is 30000 ms."
  }
}

run "batched_invocations_round_up" {
  command = plan

  variables {
    batch_size                 = 100
    samples_per_prompt         = 3
    max_samples_per_invocation = 16
    safety_factor              = 1.25
  }

  assert {
    condition     = output.invocations_per_step == 19
    error_message = "300 responses in batches of 16 need 19 invocations (rounded up)."
  }
  assert {
    condition     = output.reserved_concurrency == 24
    error_message = "19 x 1.25 = 23.75 must round up to 24."
  }
}

run "small_reservation_keeps_a_concurrency_threshold_of_one" {
  command = plan

  variables {
    batch_size                 = 16
    samples_per_prompt         = 2
    max_samples_per_invocation = 64
    safety_factor              = 1
    concurrency_alarm_fraction = 0.5
  }

  assert {
    condition     = output.reserved_concurrency == 1
    error_message = "32 responses fit one invocation of 64: reserve 1."
  }
  assert {
    condition     = output.concurrency_alarm_threshold == 1
    error_message = "The concurrency threshold never drops below 1."
  }
}

run "custom_timeout_and_duration_fraction" {
  command = plan

  variables {
    timeout_seconds         = 120
    duration_alarm_fraction = 0.9
  }

  assert {
    condition     = output.duration_alarm_threshold_ms == 108000
    error_message = "90% of 120 s is 108000 ms."
  }
}

run "rejects_batch_size_out_of_bedrock_range" {
  command = plan

  variables {
    batch_size = 8
  }

  expect_failures = [var.batch_size]
}

run "rejects_fractional_samples_per_prompt" {
  command = plan

  variables {
    samples_per_prompt = 2.5
  }

  expect_failures = [var.samples_per_prompt]
}

run "rejects_samples_per_prompt_above_16" {
  command = plan

  variables {
    samples_per_prompt = 17
  }

  expect_failures = [var.samples_per_prompt]
}

run "rejects_safety_factor_below_one" {
  command = plan

  variables {
    safety_factor = 0.9
  }

  expect_failures = [var.safety_factor]
}

run "rejects_zero_samples_per_invocation" {
  command = plan

  variables {
    max_samples_per_invocation = 0
  }

  expect_failures = [var.max_samples_per_invocation]
}

run "rejects_timeout_shorter_than_budgeted_latency" {
  command = plan

  variables {
    expected_latency_seconds = 250
  }

  # 250 s x 1.5 = 375 s > 300 s timeout
  expect_failures = [var.timeout_seconds]
}

run "rejects_timeout_above_lambda_maximum" {
  command = plan

  variables {
    timeout_seconds = 901
  }

  expect_failures = [var.timeout_seconds]
}

run "rejects_duration_fraction_of_one" {
  command = plan

  variables {
    duration_alarm_fraction = 1
  }

  expect_failures = [var.duration_alarm_fraction]
}

run "rejects_reservation_beyond_account_quota" {
  command = plan

  variables {
    batch_size         = 512
    samples_per_prompt = 16
  }

  # 8192 invocations x 1.5 cannot be reserved in a 1000-execution account
  expect_failures = [output.reserved_concurrency]
}

run "accepts_reservation_with_raised_quota" {
  command = plan

  variables {
    batch_size                = 512
    samples_per_prompt        = 16
    safety_factor             = 1
    account_concurrency_limit = 10000
  }

  assert {
    condition     = output.reserved_concurrency == 8192
    error_message = "512 x 16 with no head-room reserves 8192."
  }
}
