# Developing the template itself. `make test-quick` takes seconds; `make test` runs every tier,
# the slow one included (real MariaDB and Redis, a baked virtualenv; see tests/conftest.py).
# Needs uv (`pip install uv`) and, for the slow tier, Debian's mariadb-server redis-server
# libmariadb-dev pkg-config build-essential and a Python matching each bake's python_version.
PYTHON ?= python3
UV ?= uv
VENV ?= .venv
WORKERS ?= 2
BIN := $(VENV)/bin
# The template's own Python. Not `.`: ruff would read the template directory's pyproject.toml,
# which is Jinja until cookiecutter renders it.
LINT_PATHS := hooks tests local_extensions.py
# loadscope keeps a test class on one worker, so a server its tests share starts once.
PYTEST := $(BIN)/pytest -n $(WORKERS) --dist loadscope

.DEFAULT_GOAL := help
.PHONY: help install demo test test-quick test-matrix test-slow lint format clean clean-venvs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## Create .venv with the pinned test dependencies (pyproject's test group)

$(VENV)/.installed: pyproject.toml
	$(UV) venv --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --python $(BIN)/python --group test
	touch $@

demo: ## Bake the default service into build/ and serve it on http://127.0.0.1:8000
	bash scripts/demo

test: install ## Every test, in parallel: hooks, rendering, static checks and behaviour of a bake
	$(PYTEST)

test-quick: install ## The quick tier: the default bake and static checks of the template, seconds
	$(PYTEST) -m "not slow and not matrix"

test-matrix: install ## Render every variant of the option matrix (no servers)
	$(PYTEST) -m matrix

test-slow: install ## The slow tier only
	$(PYTEST) -m slow

lint: install ## Lint and check formatting of the template's own Python (hooks, tests)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: install ## Fix safe lint findings and format the template's own Python
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

clean: ## Remove .venv
	rm -rf $(VENV)

clean-venvs: ## Remove the cached virtualenvs of baked projects
	rm -rf "$${PULSEWATCH_VENV_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/pulsewatch-template/venvs}"
