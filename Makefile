# The two commands of the README: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency pinned, so a fresh machine installs what the tests passed with. `make lock`
# re-pins them to the newest versions pyproject.toml allows (then run `make test` and commit).
LOCK := requirements.lock

.PHONY: demo test test-sqlite test-postgres system-packages docs lint format benchmarks clean lock messages

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --constraint $(LOCK) --upgrade pip
	$(BIN)/pip install --quiet --constraint $(LOCK) -e '.[test]'
	touch $(STAMP)

lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet -e '.[test]'
	{ echo "# Pinned versions of every dependency (with the test extras): make lock rewrites it."; \
	  .venv-lock/bin/pip freeze --all --exclude-editable | grep -v '^setuptools=='; } > $(LOCK)
	rm -rf .venv-lock

demo: $(STAMP)
	$(BIN)/everyname demo

# Everything on SQLite, then the database-backed tests (store, command line, web app) again on a
# throwaway PostgreSQL cluster.
# The tests also read ../shared (the project's shared data) beside this checkout.
test: system-packages lint test-sqlite test-postgres

# PostgreSQL 15 server binaries, Pango for PDF reports, a font: installed with apt-get when
# missing and make runs as root on Debian/Ubuntu (CI); otherwise named.
system-packages:
	@sh .ci/system-packages

# On every core (pytest-xdist), each test file whole on one worker so its fixtures are built once;
# on PostgreSQL each worker starts its own throwaway cluster.
PYTEST := $(BIN)/pytest -n auto --dist loadfile

test-sqlite: $(STAMP)
	$(PYTEST)

test-postgres: $(STAMP)
	$(PYTEST) --db=postgres tests/store tests/cli tests/web

# The web pages' Arabic catalogue: new strings added to the .po (translate them there), then
# compiled to the .mo the app reads (both are committed; tests/web/test_i18n.py checks them).
messages: $(STAMP)
	cd src/everyname/web && EVERYNAME_SECRET_KEY=make-messages ../../../$(BIN)/django-admin \
	  makemessages --locale ar --no-obsolete --settings=everyname.settings
	cd src/everyname/web && EVERYNAME_SECRET_KEY=make-messages ../../../$(BIN)/django-admin \
	  compilemessages --settings=everyname.settings

# The README's command-line reference, regenerated from every command's --help.
docs: $(STAMP)
	$(BIN)/cog -r README.md

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
