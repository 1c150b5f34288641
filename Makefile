# Markaz: two commands. `make run` serves the demo on http://127.0.0.1:5000; `make test` lints and tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test fuzz lint format serve-gunicorn clean

run: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Tests run in TEST_WORKERS processes (pytest-xdist); each has its own SQLite file and PostgreSQL database.
TEST_WORKERS ?= 2

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS)

# The JSON API fuzzed by schemathesis, served by gunicorn on a fresh demo database (.ci/schemathesis).
fuzz: $(VENV)/.installed-dev
	VENV=$(VENV) .ci/schemathesis

# Production-like: gunicorn with two workers on the same database (see README, "Production").
serve-gunicorn: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:8000 "app:create_app()"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build test-results
