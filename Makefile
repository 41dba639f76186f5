# Two commands for a fresh clone: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SEED_SCALE ?= 1

.PHONY: run test install install-dev migrate lint browser gettext messages bench loadtest clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

## Serve the demo report at http://127.0.0.1:8000 (admin at /admin/).
run: migrate
	$(PY) manage.py seed_demo --if-empty --dev-admin --scale $(SEED_SCALE)
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

## Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser itself).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## Debian's gettext (xgettext, msgmerge, msgfmt): makemessages and compilemessages run them, and
## tests/test_translations.py fails a stale or incomplete catalogue with them.
gettext:
	@{ command -v xgettext && command -v msgmerge && command -v msgfmt; } >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }

## After changing a marked string: update locale/*/django.po, translate, then `make messages`
## again to compile the .mo (both are committed; docs/translation.md).
messages: install gettext
	$(PY) manage.py makemessages
	$(PY) manage.py compilemessages

## Lint, check migrations, run every test (DATABASE_URL picks PostgreSQL; SQLite otherwise), the
## translation catalogue's checks among them (up to date with the code, complete, compiled).
test: lint browser gettext
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache

## Benchmarks (not tests): each prints its figures next to a baseline measured in the same run.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/transparency_bench
bench: install-dev
	@for script in bench/bench_*.py; do \
		echo "== $$script"; DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) $$script || exit 1; \
	done

## Load and fault test (not a test): gunicorn + whitenoise + a private PostgreSQL, DEBUG=0; wrk
## against each public page next to a static file of its size, a PostgreSQL restart under load,
## two app instances on one database. ~7 min, bounded; stops all it starts. See bench/loadtest.py.
loadtest: install
	$(PY) bench/loadtest.py
