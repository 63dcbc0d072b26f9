# The two commands a newcomer runs (README): `make demo` and `make test`. Each creates the
# virtual environment and installs what it needs, so nothing depends on a warm machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo-out

.PHONY: demo test install install-dev system-test-deps bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'

# Debian tools some tests use (pdftotext reads the PDF report). Best effort: the tests that need
# them skip with a clear reason when they cannot be installed.
system-test-deps:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq poppler-utils) >/dev/null 2>&1 || echo "note: could not install poppler-utils"; \
	  else echo "note: poppler-utils (pdftotext) missing; PDF text checks will be skipped"; fi; }

demo: install
	$(BIN)/skyinspect demo --out $(DEMO_OUT) --overwrite

test: install-dev system-test-deps
	$(BIN)/python -m pytest -q

bench: install-dev
	$(BIN)/python bench/run_all.py
