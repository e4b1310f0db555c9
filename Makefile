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

run: install
	@echo "== Regions (idn-area-data) and, when ../shared/data is there, statistics and maps =="
	$(BIN)/jaring reference load
	@echo "== A synthetic registry extract of 50,000 persons, 5% of rows faulty, imported =="
	@mkdir -p var
	$(BIN)/jaring registry generate --persons 50000 --seed 1 --faults 0.05 --out var/demo-registry.csv
	$(BIN)/jaring registry import var/demo-registry.csv --snapshot-date 2026-09-30
	$(BIN)/jaring region show 3171
	@echo "== A BPU worker's minimum package, May 2026 (PP 50/2025 relief month) =="
	$(BIN)/jaring calc contribution --segment bpu --income 1000000 --month 2026-05
	@echo "== The same worker funded by the regional budget (APBD): no relief =="
	$(BIN)/jaring calc contribution --segment bpu --income 1000000 --month 2026-05 --funding apbd
	@echo "== A wage earner, April 2025 =="
	$(BIN)/jaring calc contribution --segment pu --wage 10000000 --risk-class sedang --month 2025-04
	@echo "== Death benefit (JKM) =="
	$(BIN)/jaring calc benefit jkm --death-date 2026-03-10 --contribution-months 40

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

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
