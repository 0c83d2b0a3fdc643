provider "aws" {
  region = var.region

  # Refuse to run against any other account than the one in terraform.tfvars.
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      Project     = "nova-rft"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
