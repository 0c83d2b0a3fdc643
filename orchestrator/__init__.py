"""`orch`: validate and upload Nova RFT datasets, start and follow Bedrock RFT jobs, run the local stack."""

__version__ = "0.1.0"
