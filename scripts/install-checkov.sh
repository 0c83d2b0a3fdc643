#!/usr/bin/env bash
# checkov lives in its own venv: it depends on bc-python-hcl2, which installs into the same `hcl2`
# import folder as python-hcl2 8.x and would silently replace it in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOV_VERSION=3.3.30   # pinned: check ids and offline flags differ between releases
venv=.orch/checkov-venv
if [ -x "$venv/bin/checkov" ] && "$venv/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  exit 0
fi
mkdir -p .orch
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "checkov==$CHECKOV_VERSION"
"$venv/bin/checkov" --version
