# Two commands: `make demo` runs a whole commissioning round; `make test` runs every check.
# uv is bootstrapped with pip when it is missing; the environment lives in .venv/.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin
WORKSPACE ?= workspace

.PHONY: install demo test lint typecheck unit bench docs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --user uv \
		|| $(PYTHON) -m pip install --quiet --break-system-packages uv
	$(UV) sync --frozen
	@touch $@

demo: install
	$(BIN)/commission demo --workspace $(WORKSPACE)

lint: install
	$(BIN)/ruff check src tests benchmarks

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

bench: install
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/evidence.py
	$(BIN)/python benchmarks/demand.py
	$(BIN)/python benchmarks/plan.py
	$(BIN)/python benchmarks/review.py

clean:
	rm -rf $(VENV) $(WORKSPACE) .mypy_cache .ruff_cache .pytest_cache
