# The README's two commands: `make run` (the service locally) and `make test` (everything CI checks).
PYTHON ?= python3
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test run lint typecheck unit bench bench-api bench-console bench-export bench-load bench-hostile package clean

test: lint typecheck unit

# The first time (and when a requirements file changes): a dot per package pip collects, pip's own
# output in $(VENV)/install.log, shown in full when the install fails.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	@printf 'installing the Python packages into %s (the first time takes a minute or two) ' "$(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --upgrade pip > $(VENV)/install.log 2>&1 \
		|| { echo; cat $(VENV)/install.log; exit 1; }
	@$(BIN)/python -m pip install --progress-bar off -r requirements-dev.txt 2>&1 \
		| tee -a $(VENV)/install.log | awk '/^Collecting /{printf "."; fflush()}'; \
		status=$${PIPESTATUS[0]}; echo; \
		if [ $$status -ne 0 ]; then cat $(VENV)/install.log; exit $$status; fi
	@echo "done (log: $(VENV)/install.log)"
	@touch $@

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# Tests run in 4 workers (pytest-xdist), each with its own database, browser and servers: on this
# project's 2-core machine the suite takes about half the time it takes in one (docs/development.md).
TEST_WORKERS ?= 4

unit: $(BIN)/.installed
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

run: $(BIN)/.installed  ## VERBOSE=1 shows the service's JSON log records and access log too
	@$(BIN)/python -m devtools.run_local $(if $(VERBOSE),--verbose)

bench: $(BIN)/.installed
	$(BIN)/python -m bench.sync_bench

bench-api: $(BIN)/.installed
	$(BIN)/python -m bench.api_bench

bench-console: $(BIN)/.installed
	$(BIN)/python -m bench.console_bench $(BENCH_ARGS)

bench-export: $(BIN)/.installed
	$(BIN)/python -m bench.export_bench $(BENCH_ARGS)

bench-hostile: $(BIN)/.installed
	$(BIN)/python -m bench.hostile_input_bench $(BENCH_ARGS)

bench-load: $(BIN)/.installed  ## needs initdb/pg_ctl (Debian's PostgreSQL) for a server of its own
	$(BIN)/python -m bench.load_bench $(BENCH_ARGS)

package:  ## the CloudFormation stack for STAGE (default prod), linted; see docs/operations.md
	deploy/package.sh $(or $(STAGE),prod)

clean:
	rm -rf $(VENV) .venv-deploy build .pytest_cache .mypy_cache .ruff_cache
