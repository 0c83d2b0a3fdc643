"""The local stack as `orch` drives it: install and launch LocalStack (host mode, loopback only)
and provision the `local` Terraform environment against it.

Runtime: the CLI's own Python (3.11+). The code that runs inside LocalStack lives in the separate
package `nova_rft_localstack`.
"""
