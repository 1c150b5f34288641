# Markaz: two commands. `make run` serves the demo on http://127.0.0.1:5000; `make test` lints and tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test fuzz lint format serve-gunicorn production-check clean i18n i18n-check assets

# The Urdu catalogue: edited as .po (committed), served compiled (.mo, built here, not committed).
CATALOGUE := translations/ur/LC_MESSAGES/messages.po
COMPILED := translations/ur/LC_MESSAGES/messages.mo

run: $(VENV)/.installed $(COMPILED)
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Tests run in TEST_WORKERS processes (pytest-xdist); each has its own SQLite file and PostgreSQL database.
# --dist loadgroup: tests share out one by one, but those of one xdist_group stay in one process, so that an
# expensive module-wide setup (two hosts behind nginx, the demo seed) is made once, not once per process.
# --durations=30: the slowest tests are listed in every run (CI's log says where its minutes go).
TEST_WORKERS ?= 2

test: $(VENV)/.installed-dev $(COMPILED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python .ci/check-catalogue
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=30

# The JSON API fuzzed by schemathesis, served by gunicorn on a fresh demo database (.ci/schemathesis).
fuzz: $(VENV)/.installed-dev $(COMPILED)
	VENV=$(VENV) .ci/schemathesis

# Production-like: gunicorn with two workers on the same database (see README, "Production"). The workers
# share their rate-limit counters (sign-in throttling) in the local Redis when one answers on 127.0.0.1:6379
# (unless RATELIMIT_STORAGE_URI says otherwise); without one each worker counts alone (memory://).
LOCAL_REDIS = $(shell $(BIN)/python -c 'import redis; redis.Redis(socket_timeout=1).ping()' 2>/dev/null && echo redis://127.0.0.1:6379)

serve-gunicorn: $(VENV)/.installed $(COMPILED)
	$(BIN)/flask db upgrade
	@storage="$${RATELIMIT_STORAGE_URI:-$(or $(LOCAL_REDIS),memory://)}"; \
	  echo "Rate-limit counters: $$storage"; \
	  RATELIMIT_STORAGE_URI="$$storage" $(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:8000 "app:create_app()"

# The app started once with the README's production settings (needs Redis on 127.0.0.1:6379; .ci/run runs it).
production-check: $(VENV)/.installed $(COMPILED)
	VENV=$(VENV) .ci/production-check

# The front-end files the app serves, built and committed (static/dist): Bootstrap's CSS purged to the classes
# the templates use (PurgeCSS, pinned in assets/package.json: the one step that needs Node), the Urdu font
# subset (fontTools), and brotli/gzip copies of the static files. Run it after changing a template's classes,
# the Urdu catalogue or static/, and commit static/dist. `make run` and `make test` never need Node.
assets: $(VENV)/.installed-dev
	cd assets && npm ci --no-audit --no-fund --silent
	$(BIN)/python assets/build.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Messages marked in the code and templates → the catalogue: adds new ones (untranslated), drops gone ones.
i18n: $(VENV)/.installed-dev
	mkdir -p build
	$(BIN)/pybabel extract $(shell $(BIN)/python .ci/check-catalogue --print-extract-args) -o build/messages.pot .
	$(BIN)/pybabel update -i build/messages.pot -d translations -l ur --no-fuzzy-matching --ignore-obsolete --width 120
	$(BIN)/python .ci/check-catalogue || true

# Fails when the catalogue is out of date with the code or pages lack Urdu (CI runs it through make test).
i18n-check: $(VENV)/.installed-dev
	$(BIN)/python .ci/check-catalogue

$(COMPILED): $(CATALOGUE) | $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -l ur

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
	rm -rf $(VENV) .pytest_cache .ruff_cache build test-results assets/node_modules
