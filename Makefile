# Every command a person runs goes through here. `make run` and `make test` install
# what they need first, so both work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck unit bench clean

install: $(STAMP)

$(STAMP): pyproject.toml package.json package-lock.json scripts/ensure-java
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	scripts/ensure-java  # Java 17+ for the Spark batch engine (pyspark)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The whole demo: a synthetic registry of four provinces, sponsors, targeting, enrolment, a
# year of bills and payments, claims and one account per role (idempotent: a loaded store is
# kept; `jaring demo load --fresh` starts over), then the web app.
run: install
	$(BIN)/jaring demo load
	@echo "== Jaring is served at http://127.0.0.1:8000 (log in with an account above; Ctrl-C stops) =="
	$(BIN)/jaring serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

# Every store test runs on SQLite and on a throwaway PostgreSQL cluster; the browser tests
# drive Debian's Chromium (installed here when missing) and keep screenshots in test-artifacts/.
unit: install
	scripts/ensure-chromium
	JARING_REQUIRE_PG=1 JARING_REQUIRE_BROWSER=1 scripts/with-postgres $(BIN)/pytest

test: lint typecheck unit

bench: install
	$(BIN)/python bench/rules.py
	$(BIN)/python bench/registry.py
	scripts/with-postgres $(BIN)/python bench/core.py
	$(BIN)/python bench/targeting.py
	scripts/with-postgres $(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
