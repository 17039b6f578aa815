# Everything a fresh machine needs goes through these targets; README and .ci/run call them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test e2e lint typecheck docs check-docs site bench template-lock clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements/dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "prodcheck needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq -r requirements/dev.lock
	$(BIN)/python -m pip install -qq --no-deps -e .
	@touch $@

demo: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# The real parts some tests drive (Docker engine and base image, PostgreSQL, Prometheus,
# Chromium, wrk) are installed and started first where that is possible (root, with apt);
# elsewhere the tests that need them skip, saying which part is missing.
test: setup lint typecheck
	@if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	    parts_env=$$(bash scripts/e2e_up.sh) || exit 1; eval "$$parts_env"; \
	else \
	    echo "make test: not root, so scripts/e2e_up.sh is not run; tests of real parts may skip" >&2; \
	fi; \
	$(BIN)/python -m pytest -q

# The tests that drive real parts, with the parts installed and started first (as root: apt,
# dockerd, PostgreSQL); `make test` runs them too, and skips them where a part is missing.
e2e: setup
	parts_env=$$(bash scripts/e2e_up.sh) && eval "$$parts_env" && PRODCHECK_E2E=require $(BIN)/python -m pytest -q tests/e2e tests/test_smoke.py tests/template/test_monitoring_rules.py

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
