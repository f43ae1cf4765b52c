# metalnet — `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080

.PHONY: help install install-test run test lint typecheck unit unit-pure bench bench-pure bench-storage bench-api clean

help:  ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip compiles the IPAM core with mypyc where a C compiler is at hand (setup.py); METALNET_PURE=1 installs
# and runs the pure-Python build
install: $(BIN)/python  ## create the virtualenv and install metalnet with every storage driver
	$(BIN)/pip install --quiet -e '.[postgres,rethinkdb]'

install-test: $(BIN)/python  ## install metalnet with its test tools
	$(BIN)/pip install --quiet -e '.[test]'

run: install  ## install and serve the API on 127.0.0.1:$(PORT), data in ./metalnet.db (SQLite)
	$(BIN)/metalnet serve --host 127.0.0.1 --port $(PORT)

lint: install-test  ## ruff
	$(BIN)/ruff check .

typecheck: install-test  ## mypy --strict on metalnet/ and cli/
	$(BIN)/mypy

unit: install-test  ## the test suite only (every backend; PostgreSQL and RethinkDB are started by the tests)
	$(BIN)/pytest -q

unit-pure: install-test  ## the test suite again, against the pure-Python build of the compiled modules
	METALNET_PURE=1 $(BIN)/pytest -q

test: lint typecheck unit unit-pure  ## install everything, then ruff, mypy and the whole test suite on both builds

bench: install  ## IPAM core benchmarks on the memory backend (STORAGE=URL for another backend)
	$(BIN)/python -m metalnet.bench --storage '$(or $(STORAGE),memory://)'

bench-pure: install  ## the same against the pure-Python build
	METALNET_PURE=1 $(BIN)/python -m metalnet.bench --storage '$(or $(STORAGE),memory://)'

bench-storage: install-test  ## SQLite and PostgreSQL through the Ipamer (starts its own PostgreSQL)
	$(BIN)/python -m tests.storage.bench_sql --fill 30000

bench-api: install  ## load benchmark of POST /v1/ip/allocate against one server process on SQLite
	$(BIN)/python scripts/loadbench.py

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build
	find . -path ./$(VENV) -prune -o -name '*.so' -print -exec rm {} +
