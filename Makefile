# One target per habit. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

# pytest keeps rewritten test modules, and Python compiled modules, only where bytecode may be
# written: with PYTHONDONTWRITEBYTECODE set by the shell, every test worker and every process a
# test starts would compile them again (about 5 s of each worker's start). Empty means "write".
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test test-fast test-postgres e2e browser lint format check-deploy ci clean bench bench-download \
	bench-load

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall only when a requirements file changed.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	$(PIP) check
	touch $(STAMP)

run: $(STAMP)
	scripts/run_dev.sh

browser:
	scripts/install_browser.sh

# The whole suite, browser journeys included.
test: $(STAMP) browser
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Everything but the browser journeys, on two workers with a database kept between runs
# (the first run builds it). Every billing storm seed runs on the
# in-process fake gateway, the first of each list on the Stripe stand-in too (`make test`
# runs them all there).
test-fast: $(STAMP)
	$(VENV)/bin/pytest -n 2 -m "not e2e" --standin-storms=few $(PYTEST_ARGS)

# The browser journeys alone; screenshots land in tests/artifacts/screenshots/.
e2e: $(STAMP) browser
	$(VENV)/bin/pytest tests/e2e $(PYTEST_ARGS)

test-postgres: $(STAMP) browser
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/backcare} $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# mypy with django-stubs on the money: shop/billing, shop/gateway and shop/emails
# (pyproject.toml [tool.mypy]).
.PHONY: typecheck
typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Every pre-commit hook (ruff, djhtml, django-upgrade) on every file: .pre-commit-config.yaml.
.PHONY: precommit
precommit: $(STAMP)
	$(VENV)/bin/pre-commit run --all-files

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-deploy: $(STAMP)
	scripts/check_deploy.sh

ci:
	bash .ci/run

# The site as production serves it, under wrk: see README "Speed" and bench/results/site.md.
bench: $(STAMP)
	$(PY) bench/speed/run.py $(BENCH_ARGS)

# Streams a 1 GB local program file through the download view; see bench/results/.
bench-download: $(STAMP)
	$(PY) bench/download_stream.py

# Three minutes of mixed traffic on PostgreSQL, then every plan checked against the Stripe
# stand-in; see bench/results/load.md. Locust lives in its own .venv-bench.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench-load: $(STAMP) $(BENCH_STAMP)
	$(PY) bench/load/run.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) var/test-db.sqlite3 .pytest_cache
