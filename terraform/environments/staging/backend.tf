# Remote state in S3 with native lock files (Terraform >= 1.10); create the state bucket once per
# account (versioned, encrypted) before `terraform init`. Replace the bucket with your own.
terraform {
  backend "s3" {
    bucket       = "nova-rft-terraform-state-staging"
    key          = "nova-rft/staging/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
