PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint format clean compile

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# setuptools' .pth imports _distutils_hack at every interpreter start (~1 ms a tool call);
	@# nothing here needs setuptools (hatchling builds in isolation; Python 3.12+ omits it).
	-$(BIN)/python -m pip uninstall --quiet --yes setuptools
	touch $(STAMP)

# Bytecode for the hot path: with PYTHONDONTWRITEBYTECODE set (as on CI machines) an editable
# install would otherwise recompile every module on every `posttool run`.
compile: $(STAMP)
	@$(BIN)/python -m compileall -q posttool

# A fresh home each time: the same event twice is a duplicate tool_use_id, answered with {}.
demo: compile
	@rm -rf .demo-home
	@$(BIN)/posttool run --home "$(CURDIR)/.demo-home" < tests/fixtures/01_write_create_py_ok.json

test: $(STAMP)
	$(BIN)/python -m pytest

bench: compile
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check posttool tests benchmarks
	$(BIN)/ruff format --check posttool tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format posttool tests benchmarks
	$(BIN)/ruff check --fix posttool tests benchmarks

clean:
	rm -rf $(VENV) .demo-home .pytest_cache .hypothesis

# --- layers: type checking ---
.PHONY: typecheck
typecheck: $(STAMP)
	$(BIN)/mypy
