# The README's two commands: `make run` (the service locally) and `make test` (everything CI checks).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test run lint typecheck unit bench bench-api bench-console package clean

test: lint typecheck unit

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

run: $(BIN)/.installed
	$(BIN)/python -m devtools.run_local

bench: $(BIN)/.installed
	$(BIN)/python -m bench.sync_bench

bench-api: $(BIN)/.installed
	$(BIN)/python -m bench.api_bench

bench-console: $(BIN)/.installed
	$(BIN)/python -m bench.console_bench $(BENCH_ARGS)

package:  ## the CloudFormation stack for STAGE (default prod), linted; see README, Runbook
	deploy/package.sh $(or $(STAGE),prod)

clean:
	rm -rf $(VENV) .venv-deploy build .pytest_cache .mypy_cache .ruff_cache
