# linkcheck: every target creates or reuses the virtual environment it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SEED := seeds/us-mexico-relations-brief.txt

.PHONY: audit test lint typecheck bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

## The main job: audit the seed brief (listing on the terminal, HTML and JSON reports beside).
audit: $(STAMP)
	$(BIN)/linkcheck audit $(SEED) --output table:- --output html:audit-report.html \
		--output json:audit-report.json

## The tests, then lint, format and type checks: what CI runs.
test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/ruff check linkcheck tests
	$(BIN)/ruff format --check linkcheck tests
	$(BIN)/mypy

## The whole pipeline on a loopback site and archive: writes demo-output/report.html.
demo: $(STAMP)
	$(BIN)/python tests/servers/demo.py demo-output

lint: $(STAMP)
	$(BIN)/ruff check linkcheck tests
	$(BIN)/ruff format --check linkcheck tests

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## The benchmark against lychee and LinkChecker (docs/PERFORMANCE.md). Its tools live in their
## own virtualenv, never in the project's dependencies; LinkChecker gets one of its own inside
## it, as its Python package is also called `linkcheck`. BENCH_QUICK=1 for a one-minute smoke.
BENCH_VENV ?= bench/.venv
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): pyproject.toml bench/requirements.txt bench/requirements-linkchecker.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[all]' -r bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)/linkchecker
	$(BENCH_VENV)/linkchecker/bin/python -m pip install --quiet -r bench/requirements-linkchecker.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python bench/run.py
