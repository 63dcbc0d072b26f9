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

# Debian tools some tests use: pdftotext reads the PDF report, mosquitto is the MQTT broker the
# alert tests talk to, chromium runs the review app's browser test (playwright drives the system
# browser; it never downloads one). Best effort: those tests skip with a clear reason when they are missing.
SYSTEM_TEST_TOOLS := pdftotext:poppler-utils mosquitto:mosquitto chromium:chromium
system-test-deps:
	@missing=""; for pair in $(SYSTEM_TEST_TOOLS); do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null 2>&1 \
	      || echo "note: could not install$$missing; the tests that need them will skip"; \
	  else echo "note:$$missing missing; the tests that need them will skip"; fi; fi

demo: install
	$(BIN)/skyinspect demo --out $(DEMO_OUT) --overwrite

test: install-dev system-test-deps
	$(BIN)/python -m pytest -q

bench: install-dev
	$(BIN)/python bench/run_all.py
