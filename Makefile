# Baton — the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-unit lint typecheck check bench bench-compare chaos clean install web

install: $(STAMP)

$(STAMP): pyproject.toml clients/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e clients/python -e '.[dev]'
	touch $(STAMP)

## make web: the viewers Cockpit and Tasklist draw with (bpmn-js, form-js) from npm into
## web/node_modules, served by the API itself (nothing from a CDN; no build step).
web: web/node_modules/.installed

web/node_modules/.installed: web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	touch $@

## make run: Temporal dev server (+ Web UI :8233), worker and API (:8000) in dev mode;
## Cockpit at /cockpit, Tasklist at /tasklist.
run: $(STAMP) web/node_modules/.installed
	$(BIN)/baton dev

## make test: the whole suite against a real Temporal dev server, SQLite and PostgreSQL,
## on TEST_WORKERS pytest-xdist workers (each with its own servers; `serial` tests share
## one worker). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: $(STAMP) web/node_modules/.installed tests/oidc_provider/node_modules/.installed tests/camunda_js/node_modules/.installed lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

## make test-unit: every test that needs no server (not marked `integration`), in seconds.
test-unit: $(STAMP)
	$(BIN)/pytest -m "not integration" -q

tests/oidc_provider/node_modules/.installed: tests/oidc_provider/package-lock.json
	npm ci --prefix tests/oidc_provider --no-audit --no-fund --loglevel=error
	touch $@

tests/camunda_js/node_modules/.installed: tests/camunda_js/package-lock.json
	npm ci --prefix tests/camunda_js --no-audit --no-fund --loglevel=error
	touch $@

## make bench: benchmarks (not tests); results land in bench/results/.
bench: $(STAMP) $(VENV)/.bench
	$(BIN)/python -m bench.compile_speed
	$(BIN)/python -m bench.events_per_element
	$(BIN)/python -m bench.task_inbox
	$(BIN)/python -m bench.interpreter_overhead
	$(BIN)/python -m bench.rest_end_to_end
	$(BIN)/python -m bench.peer_spiff
	$(BIN)/python -m bench.summary

## make bench-compare BASE=<commit>: the interpreter-overhead bench for BASE and for the
## working tree, interleaved (COMPARE_ARGS="--rounds 3 --instances 60"); bench/compare.py.
BASE ?= main
bench-compare: $(STAMP)
	$(BIN)/python -m bench.compare $(BASE) $(COMPARE_ARGS)

## make chaos: fault injection -- 2,000 instances over HTTP while the worker, the API and
## Temporal are each killed 30 times with kill -9; accounts every instance, task and
## message against Temporal (bench/chaos.py). CHAOS_ARGS="--instances 300 --seed 2" …
chaos: $(STAMP)
	$(BIN)/python -m bench.chaos $(CHAOS_ARGS)

$(VENV)/.bench: pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e clients/python -e '.[dev,bench]'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) web/node_modules .pytest_cache .mypy_cache .ruff_cache build *.egg-info
