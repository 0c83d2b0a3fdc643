#!/usr/bin/env bash
# Headless Chromium from Debian's packages, for the browser test of `orch report`'s HTML
# (tests/unit/orchestrator/test_report_browser.py). Idempotent: does nothing when it is installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
