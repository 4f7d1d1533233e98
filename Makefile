# Two entry points: `make run` (service with demo data on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint audit bench lock install-service install-test install-bench

# Every install is held to the exact versions in requirements.lock (Python 3.11; `make
# lock` rewrites it from the test environment after a deliberate upgrade).
LOCK := -c requirements.lock

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install-service: $(VENV)/bin/python
	$(PIP) install --quiet $(LOCK) -e '.[service]'

# The tests include cross-checks against NeuroKit2 (the bench extra).
install-test: $(VENV)/bin/python
	$(PIP) install --quiet $(LOCK) -e '.[test,bench]'

install-bench: $(VENV)/bin/python
	$(PIP) install --quiet $(LOCK) -e '.[test,bench]'

# make run PORT=8010 (or HRV_PORT=8010 make run) serves on another port.
run: install-service
	$(VENV)/bin/hrv-service demo $(if $(PORT),--port $(PORT))

test: install-test
	$(PY) -m pytest -n 2 --dist loadfile
	$(VENV)/bin/ruff check hrv app tests benchmarks
	$(VENV)/bin/mypy
	$(MAKE) audit

# Known vulnerabilities in the locked dependencies (the index's advisory data). Prints how
# many packages were audited; a package the index gives no advisory data for is counted,
# not failed (`$(PY) .ci/audit.py --strict` refuses it).
audit: install-test
	$(PY) .ci/audit.py

lock: install-test
	{ echo '# Exact versions of every dependency of the test environment (extras service,'; \
	  echo '# test and bench), Python 3.11. Installs are constrained to it; regenerate with'; \
	  echo '# `make lock` after upgrading deliberately.'; \
	  $(PIP) freeze --exclude-editable; } > requirements.lock

lint: install-test
	$(VENV)/bin/ruff check hrv app tests benchmarks
	$(VENV)/bin/mypy

bench: install-bench
	$(PY) -m benchmarks.run_all
