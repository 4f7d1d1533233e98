# Two entry points: `make run` (service with demo data on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint audit bench install-service install-test install-bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install-service: $(VENV)/bin/python
	$(PIP) install --quiet -e '.[service]'

# The tests include cross-checks against NeuroKit2 (the bench extra).
install-test: $(VENV)/bin/python
	$(PIP) install --quiet -e '.[test,bench]'

install-bench: $(VENV)/bin/python
	$(PIP) install --quiet -e '.[test,bench]'

# make run PORT=8010 (or HRV_PORT=8010 make run) serves on another port.
run: install-service
	$(VENV)/bin/hrv-service demo $(if $(PORT),--port $(PORT))

test: install-test
	$(PY) -m pytest -n 2 --dist loadfile
	$(VENV)/bin/ruff check hrv app tests benchmarks
	$(VENV)/bin/mypy
	$(MAKE) audit

# Known vulnerabilities in the installed dependencies (PyPI's advisory data). A package
# the index cannot describe is listed as skipped, not failed; add --strict to refuse.
audit: install-test
	$(VENV)/bin/pip-audit --local --progress-spinner off --skip-editable

lint: install-test
	$(VENV)/bin/ruff check hrv app tests benchmarks
	$(VENV)/bin/mypy

bench: install-bench
	$(PY) -m benchmarks.run_all
