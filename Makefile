# Two commands do everything: `make run` (the pipeline on the bundled data) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

$(BIN)/wbtip: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

.PHONY: install run test lint dev
install: $(BIN)/wbtip

run: install
	$(BIN)/wbtip run

lint: install
	$(BIN)/ruff check wbtip_pipeline wbtip_pipeline_tests

test: lint
	$(BIN)/pytest -q

dev: install
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000
