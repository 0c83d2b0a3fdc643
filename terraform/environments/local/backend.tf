# State in LocalStack's S3 (http://127.0.0.1:4566), so the `local` environment behaves like the others.
# Create the state bucket once after starting the local stack:
#   AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --endpoint-url http://127.0.0.1:4566 \
#     s3 mb s3://nova-rft-terraform-state-local
terraform {
  backend "s3" {
    bucket       = "nova-rft-terraform-state-local"
    key          = "nova-rft/local/terraform.tfstate"
    region       = "us-east-1"
    use_lockfile = true

    endpoints = {
      s3 = "http://127.0.0.1:4566"
    }
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_s3_checksum            = true
    access_key                  = "test"
    secret_key                  = "test"
  }
}
