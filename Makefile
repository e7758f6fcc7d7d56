# Entry points. `make run` starts the service with demo data; `make test` runs the suite.
SHELL := /bin/bash
UV_VERSION := 0.13.9
# uv from PATH, else a pinned copy installed into .tools/ (no root, no PATH changes needed).
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
export UV
export UV_LINK_MODE ?= copy
export UV_PYTHON_DOWNLOADS ?= never

.PHONY: help uv install run test lint lint-imports typecheck schema check-schema client migrations-check messages fuzz load clean

help:
	@echo "make run    - install, migrate, load reference + demo data, start web (+ worker, beat with REDIS_URL)"
	@echo "make test   - install and run the whole test suite (PostgreSQL + Redis)"
	@echo "make lint lint-imports typecheck check-schema migrations-check - the CI gates"
	@echo "make client - a Python client of the API from schema.yml into var/clients/python"
	@echo "make load   - locust against gunicorn on the synthetic province (minutes; docs/benchmarks.md)"

uv:
	@[ -x "$(UV)" ] || python3 -m pip install --quiet --disable-pip-version-check \
		--target $(CURDIR)/.tools "uv==$(UV_VERSION)"

install: uv
	$(UV) sync --locked

run: install
	./scripts/run.sh

test: install
	./scripts/browser-deps.sh
	./scripts/test.sh

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

# The import contracts of .importlinter: apps depend in one direction, the engine is pure.
lint-imports: install
	$(UV) run lint-imports

typecheck: install
	$(UV) run mypy .

schema: install
	$(UV) run python manage.py spectacular --file schema.yml --validate --fail-on-warn

check-schema: install
	$(UV) run python manage.py spectacular --file /tmp/schema.check.yml --validate --fail-on-warn
	diff -u schema.yml /tmp/schema.check.yml

# A Python client of the API from schema.yml (openapi-python-client; the suite generates one
# the same way and drives the pipeline with it against a live server).
client: install
	$(UV) run openapi-python-client generate --path schema.yml \
		--config clients/openapi-python-client.yml --output-path var/clients/python --overwrite

migrations-check: install
	$(UV) run python manage.py makemigrations --check --dry-run

messages: install
	$(UV) run python manage.py makemessages -l en --ignore=.venv --ignore=.tools --ignore=tests \
		--ignore=bench --ignore=eval
	$(UV) run python manage.py compilemessages -l en --ignore=.venv --ignore=.tools

# Schema-driven fuzzing of a running server (make run in another shell first); signed in
# with TOKEN=<key> (POST /api/v1/auth/token/), anonymous without.
fuzz: install
	$(UV) run st run http://127.0.0.1:$${PORT:-8000}/api/schema/ --checks all --max-examples 20 \
		$${TOKEN:+--header "Authorization: Token $$TOKEN"}

# Load test: locust against gunicorn on loopback, on the synthetic province of bench/synthetic.py
# in its own database; prepares what it needs and rewrites "Load (locust)" in docs/benchmarks.md.
load: install
	$(UV) run python bench/load.py $(LOAD_ARGS)

clean:
	rm -rf .venv .tools db.sqlite3 staticfiles var
