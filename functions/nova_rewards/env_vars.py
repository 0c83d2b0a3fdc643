"""Names of the environment variables the grader reads: one place, so a name is spelled once.

Values are read where they are used (`os.environ` at call time, so tests and Lambda updates see the
current value). Terraform sets the REWARD_* variables (terraform/modules/grader); AWS Lambda sets
the AWS_* ones. Stdlib-free constants only: this module adds nothing to the handler's import time.
"""

# -- set by this project's Terraform ------------------------------------------------------------------------
REWARD_SPEC = "REWARD_SPEC"  # the spec: a bundled name or a file path (spec.py, handler.py)
REWARD_PLUGINS = "REWARD_PLUGINS"  # comma-separated modules registering custom dimensions (spec.py)
REWARD_METRICS_NAMESPACE = "REWARD_METRICS_NAMESPACE"  # CloudWatch namespace of the EMF metrics
REWARD_JUDGE_MODEL_ID = "REWARD_JUDGE_MODEL_ID"  # overrides every llm_judge's model_id

# -- set by AWS Lambda --------------------------------------------------------------------------------------
AWS_LAMBDA_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"  # also: "running on Lambda" (handler.py)
AWS_REGION = "AWS_REGION"
AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"

# -- logging (the names AWS Lambda Powertools uses, so its users' settings keep working) --------------------
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
POWERTOOLS_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
LOG_LEVEL = "LOG_LEVEL"
