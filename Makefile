# Everyday targets. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000

.PHONY: install run test lint typecheck messages ci clean-demo bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

messages: install
	cd $(CURDIR) && DEBUG=true $(BIN)/python manage.py compilemessages --ignore=$(VENV) -v 0

# The whole portal on embedded defaults (SQLite + a filesystem broker): no server needed.
run: export DEBUG ?= true
run: install messages
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start --port $(PORT)

# The test suite, on real PostgreSQL and Redis (defaults in pyproject.toml; override with
# DATABASE_URL / REDIS_URL).
test: install messages
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	DEBUG=true $(BIN)/mypy .

ci:
	bash .ci/run

bench: install
	$(BIN)/python bench/run.py
