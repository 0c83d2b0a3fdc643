"""Bedrock RFT jobs: request building (idempotency token, names), the typed client and polling."""
