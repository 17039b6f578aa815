# Everything a fresh machine needs goes through these targets; README and .ci/run call them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint typecheck docs check-docs site bench template-lock clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements/dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "prodcheck needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq -r requirements/dev.lock
	$(BIN)/python -m pip install -qq --no-deps -e .
	@touch $@

demo: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

test: setup lint typecheck
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check checker tests bench scripts
	$(BIN)/ruff format --check checker tests bench scripts

typecheck: setup
	$(BIN)/mypy

docs: setup
	$(BIN)/python scripts/generate_docs.py

check-docs: setup
	$(BIN)/python scripts/generate_docs.py --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

template-lock: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/lock_template.py

site: docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: setup
	$(BIN)/python bench/audit_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site
