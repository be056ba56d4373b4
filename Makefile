# Two commands do everything: `make run` (the pipeline on the bundled data) and `make test`.
# Installs come from the lock file (uv.lock, `uv sync --frozen`): the versions tested are the
# versions installed. uv itself is installed with pip when it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV := $(PYTHON) -m uv
# pytest workers: one per core (pytest-xdist); `make test WORKERS=0` runs in one process. A
# module's tests stay on one worker (--dist loadscope): its fixtures run once, not once a worker.
# Modules are handed out in collection order, longest first (conftest.SLOW_FIRST), not in xdist's
# default order by number of tests, which left one worker alone with a long module at the end.
WORKERS ?= auto
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# Bytecode is compiled at install: the dependencies' by uv, ours by compileall (every target
# installs first, so modules edited since are compiled again). Where the environment sets
# PYTHONDONTWRITEBYTECODE, as this project's machines do, every process would otherwise compile
# every module it imports, Dagster's and pandas' included (9 s of a `wbtip run` here; the tests
# start dozens of `wbtip run` processes).
export UV_COMPILE_BYTECODE := 1
COMPILE := $(BIN)/python -m compileall -q wbtip_pipeline wbtip_pipeline_tests benchmarks >/dev/null

$(BIN)/wbtip: pyproject.toml uv.lock
	$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --user uv
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

.PHONY: install run test lint dev lock
install: $(BIN)/wbtip
	$(COMPILE)

# after editing the dependencies in pyproject.toml: resolve again and commit uv.lock
lock:
	$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) lock

run: install
	$(BIN)/wbtip run

lint: install
	$(BIN)/ruff check wbtip_pipeline wbtip_pipeline_tests benchmarks
	$(BIN)/ruff format --check wbtip_pipeline wbtip_pipeline_tests benchmarks

# pytest keeps its assertion-rewritten test modules in __pycache__ only where bytecode may be
# written: without it each worker rewrites every test module at every run (collection 12.1 s
# against 7.9 s once they are kept; the first run after a change writes them)
test: lint
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n $(WORKERS) --dist loadscope --no-loadscope-reorder --durations=15

dev: install
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml
