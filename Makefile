# Set-up is part of each target: a fresh clone needs nothing but `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo demo-hold bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,demo,otlp,mcp,web]'
	touch $(STAMP)

# The browser test needs Chromium: as root, install Debian's when it is missing (never fatal here).
test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
		echo "make: no chromium, and it could not be installed: the browser test will be skipped"; }
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/python -m sample_apps.demo

# The debugger's lesson: one request held on a WSGI and on an ASGI app while others are served.
demo-hold: $(STAMP)
	$(BIN)/python -m sample_apps.demo --hold

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) build *.egg-info
