# The two commands of the README: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lint format benchmarks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/everyname demo

# Everything on SQLite, then the database-backed tests again on a throwaway PostgreSQL cluster.
test: lint test-sqlite test-postgres

test-sqlite: $(STAMP)
	$(BIN)/pytest

test-postgres: $(STAMP)
	$(BIN)/pytest --db=postgres tests/store tests/cli

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/import_speed.py

clean:
	rm -rf $(VENV) everyname-demo
