# Two commands for a newcomer: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# --no-compile: Python compiles a module when it is first imported, so the thousands the app
# never imports are not compiled at install (new venv: 32 -> 15 s here).
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt requirements.txt $(STAMP)
	$(BIN)/python -m pip install --quiet --no-compile -r requirements-dev.txt
	touch $@

# Debian's chromium for the browser tests (never `playwright install`: it downloads a browser).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null

# Compiling the engine's loops takes about 40 s on a fresh install (then ~1 s from numba's
# cache): done here rather than while the first page waits.
WARM_UP := $(BIN)/python -c "from optim_core.api import warm_up; warm_up()"

# `make run` (ui/launch.py, as `optim-viz`) starts the server and, beside it, compiles what the
# first page runs (the mixed block's loop, 10-15 s on a fresh install; the page waits for it);
# the first page, once drawn, starts the compiling of the rest (each rule's own loop for sweeps
# and larger batches: about 30 s) into numba's cache (ui/warm.py).
run: $(STAMP)
	$(BIN)/python -m ui.launch

test: $(DEV_STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(WARM_UP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEV_STAMP) $(CHROMIUM)
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.playground
	$(BIN)/python -m bench.sweep

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts optim_core/rules/_loops
	find . -path ./$(VENV) -prune -o -name '*.nb[ic]' -exec rm -f {} +
