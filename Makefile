# The two set-up commands of the README (`make demo`, `make test`) and their building blocks.
# Every target installs what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint typecheck package venv localstack checkov chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## LocalStack (pinned, Python 3.13, own venv under .orch/) with this project's plugins.
localstack: venv
	$(BIN)/orch local install

## checkov in its own venv: its bc-python-hcl2 would replace python-hcl2 8.x in ours.
checkov:
	bash scripts/install-checkov.sh

## Headless Chromium (Debian package) for the browser test of `orch report`'s HTML.
chromium:
	bash scripts/install-chromium.sh

## The grader's Lambda zips (build/grader-<arch>.zip), which Terraform deploys.
package: venv
	$(BIN)/orch reward package --output-dir build

demo: venv localstack
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
