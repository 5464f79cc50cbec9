# Everything runs inside .venv, which the first target you run creates.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_TESTS := tests/virtual_alexa

.PHONY: chat test lint bench soak package clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Talk to the skill in the terminal (no AWS account needed).
## At a night-time clock: make chat CHAT_ARGS="--now 03:00 --timezone Europe/London"
CHAT_ARGS ?=
chat: $(STAMP)
	$(BIN)/cramp-helper chat $(CHAT_ARGS)

## Run the whole test suite (installs the Node test client too when npm is there).
test: $(STAMP)
	@if command -v npm >/dev/null 2>&1 && [ -f $(NODE_TESTS)/package-lock.json ]; then \
		npm ci --silent --ignore-scripts --no-audit --no-fund --prefix $(NODE_TESTS); \
	else echo "npm not found: the virtual-alexa tests will be skipped"; fi
	$(BIN)/ruff check .
	$(BIN)/pytest

## Ruff over everything, mypy over the skill package.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy skill

## Speed and memory figures against a minimal skill; writes benchmarks/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks

## The full load run (20,000 requests, 64 clients), five times over; fails if a setting is lost.
soak: $(STAMP)
	$(BIN)/python -m benchmarks.soak --runs 5 --requests 20000

## The AWS Lambda zip.
package: $(STAMP)
	$(BIN)/cramp-helper package

clean:
	rm -rf $(VENV) build dist *.egg-info .build $(NODE_TESTS)/node_modules
