# LAPOR! Kabupaten Tangerang: one Makefile for newcomers and CI.
#   make run    start every service with embedded defaults (SQLite, in-process queues)
#   make test   lint, type-check and run the whole test suite
#   make bench  run the benchmarks (PostgreSQL at TEST_POSTGRES_URL)

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Rasa 3.6 supports Python 3.8-3.10 only: find a 3.10 interpreter.
PYTHON310 := $(shell \
	for c in "$$PYTHON310" python3.10 /root/.pyenv/versions/3.10.13/bin/python \
	         $$HOME/.pyenv/versions/3.10*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10; do \
	  [ -n "$$c" ] || continue; \
	  p=$$(command -v "$$c" 2>/dev/null) || continue; \
	  "$$p" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null && { echo "$$p"; break; }; \
	done)

.PHONY: run test lint typecheck unit browser bench nlu-report venv clean lock help

help:
	@echo "make run    start the assistant locally (embedded defaults)"
	@echo "make test   lint, type checks and the full test suite"
	@echo "make bench  benchmarks (needs PostgreSQL, see README)"

venv: $(STAMP)

$(VENV)/bin/python:
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "ERROR: Python 3.10 not found (Rasa 3.6 runs on Python 3.8-3.10 only)."; \
	  echo "Install it, e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv',"; \
	  echo "or point PYTHON310=/path/to/python3.10 at one."; \
	  exit 1; \
	fi
	@echo "Creating $(VENV) with $(PYTHON310)"
	"$(PYTHON310)" -m venv $(VENV)

$(STAMP): $(VENV)/bin/python pyproject.toml constraints.txt
	$(PY) -m pip install --quiet "pip==25.3" "setuptools==70.3.0" "wheel==0.45.1"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(PY) -m pip check
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Debian's Chromium for the console's browser tests (Playwright uses the system browser).
browser:
	@bash scripts/install_chromium.sh

# HYPOTHESIS_NO_PLUGINS: pydantic 1's Hypothesis plugin keeps every constrained type
# alive (FastAPI makes new ones for each app a test builds), and the ever-growing ABC
# caches made the suite crawl and take gigabytes. No test uses that plugin.
unit: $(STAMP) browser
	HYPOTHESIS_NO_PLUGINS=1 $(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck unit

run: $(STAMP)
	$(PY) -m scripts.run_local

bench: $(STAMP)
	$(PY) -m benchmarks.backend_bench
	$(PY) -m benchmarks.embedded_load
	$(PY) -m benchmarks.lapor_bench
	$(PY) -m scripts.rasa_model
	$(PY) -m benchmarks.rasa_bench --train
	$(PY) -m benchmarks.bare_compare
	$(PY) -m benchmarks.duplicate_check_bench
	$(PY) -m benchmarks.nearby_bench
	$(PY) -m benchmarks.gateway_bench
	$(PY) -m benchmarks.notifier_bench
	$(PY) -m benchmarks.classifier_bench
	$(PY) -m benchmarks.topology

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | sed '1i # Full set of versions resolved together (pip check clean). Regenerate with `make lock`.' > constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

nlu-report: $(STAMP)
	$(PY) -m scripts.nlu_report --folds 3
