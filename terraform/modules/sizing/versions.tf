terraform {
  # Provider-free: only variables, locals and outputs, so `terraform test` runs without any provider.
  # 1.9+ for validation blocks that refer to other variables.
  required_version = ">= 1.9, < 2.0"
}
