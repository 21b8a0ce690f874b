# The README's two set-up commands: `make demo` and `make test`.
# Each installs what it needs (scripts/setup.sh) and then runs.
VENV := .venv/bin
SHELL := /bin/bash

.PHONY: setup demo test lint typecheck unit bench screenshots clean

setup:
	@scripts/setup.sh

demo: setup
	$(VENV)/python -m sync.fleet.cli demo

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check edge cloud drivers models sync tests bench

typecheck: setup
	$(VENV)/mypy

unit: setup
	$(VENV)/python -m pytest -q

test: setup lint typecheck
	$(VENV)/python -m pytest -q -p no:cacheprovider

bench: setup
	$(VENV)/python bench/report.py

# The browser tests' pictures, then the console's hub-*.png again from the demo fleet's real data.
screenshots: setup
	VITRINE_SCREENSHOTS_DIR=docs/screenshots $(VENV)/python -m pytest -q -p no:cacheprovider tests/web tests/console
	$(VENV)/python -m sync.fleet.screenshots --out docs/screenshots

clean:
	rm -rf var build .pytest_cache .mypy_cache .ruff_cache
