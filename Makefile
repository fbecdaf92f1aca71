# Two commands for a new machine: `make demo` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test venv lint browser clean-state

# The venv is rebuilt only when the dependency list changes; uv makes the ~250-package stack a
# one-minute install instead of pip's ten.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/tallyhouse demo

lint: venv
	$(BIN)/ruff check .

# Page tests drive Debian's Chromium (Playwright's own browser download cannot work here), with a
# small CJK font so Chinese labels render as text, not boxes, in the screenshots.
BROWSER_PACKAGES := chromium fonts-wqy-microhei
browser:
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; }

test: venv lint browser
	$(BIN)/python -m pytest

clean-state:
	rm -rf .tallyhouse
