# A grader of your own for the `local` environment, kept out of the kit's terraform.tfvars:
#   orch local provision --var-file examples/byo-grader/triage.tfvars
# spec_file: an absolute path, or a path relative to terraform/environments/local (where Terraform runs);
# in a copy of this directory, write the absolute path of the copy's spec.
custom_graders = {
  triage = {
    spec_file                = "../../../examples/byo-grader/ticket_triage.json"
    architecture             = "x86_64" # the local stack runs graders on this machine's CPU
    expected_latency_seconds = 5
  }
}
