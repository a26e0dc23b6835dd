# Set-up is part of each target: a fresh clone needs nothing but `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-compiled demo demo-hold bench clean

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
	$(MAKE) --no-print-directory test-compiled

# The recording path compiled with mypyc (setup.py), as a compiled wheel ships it: the wheel built
# (pip's isolated build fetches the mypy setup.py names) and installed into its own venv, and the
# tests of that path run there. Pure Python stays the default (`pip install -e .` never compiles).
COMPILED := .venv-compiled
HOT_PATH_TESTS := $(addprefix tests/tracer/,test_codec.py test_wsgi.py test_asgi.py test_jsonl.py \
	test_jsonl_order.py test_rotation.py test_golden_lines.py test_bench_minimal.py test_hotpath_budget.py \
	test_hotpath_environ.py test_hotpath_mapping.py test_hotpath_writes.py test_hotpath_lifetimes.py \
	test_hotpath_entry_points.py test_nested_tracers.py test_environ_socket.py test_robustness.py \
	test_app_output.py test_asgi_end_output.py test_breakpoints_trace.py test_breakpoints_wsgi.py test_breakpoints_asgi.py \
	checks/test_correct_wsgi.py checks/test_correct_asgi.py checks/test_container_types.py)
# Why the compiled build cannot be made here, or nothing: no C compiler, or no Python headers.
NO_COMPILER_REASON = $(PYTHON) -c 'import os, shlex, shutil, sysconfig; \
	cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")[0]; \
	h = os.path.join(sysconfig.get_paths()["include"], "Python.h"); \
	print("" if shutil.which(cc) and os.path.exists(h) else \
	f"no C compiler ({cc})" if not shutil.which(cc) else f"no Python headers ({h})")'

$(COMPILED)/.installed: pyproject.toml setup.py $(shell find tracer -name '*.py')
	[ -x $(COMPILED)/bin/python ] || $(PYTHON) -m venv $(COMPILED)
	@# Never reuse build/: setuptools would put a stale .so from an earlier build into the wheel.
	rm -rf build
	TRACER_USE_MYPYC=1 $(COMPILED)/bin/python -m pip wheel --quiet --no-deps -w build/mypyc-wheel .
	@# The build leaves tracer.egg-info in the tree: found on sys.path there, it is a second installed
	@# tracer whose pytest plugin the next pure-Python run would register twice.
	rm -rf tracer.egg-info
	wheel=$$(ls build/mypyc-wheel/tracer-*.whl) && \
		$(COMPILED)/bin/python -m pip install --quiet "$$wheel[test,bench]" && \
		$(COMPILED)/bin/python -m pip install --quiet --force-reinstall --no-deps "$$wheel"
	touch $@

test-compiled:
	@reason=$$($(NO_COMPILER_REASON)) && if [ -n "$$reason" ]; then \
		echo "make test-compiled: SKIPPED, $$reason: the mypyc-compiled hot path is neither built nor tested"; \
		exit 0; fi; \
	$(MAKE) --no-print-directory $(COMPILED)/.installed && \
	TRACER_EXPECT_COMPILED=1 $(COMPILED)/bin/python -I -m pytest -p no:cacheprovider -q $(HOT_PATH_TESTS)

demo: $(STAMP)
	$(BIN)/python -m sample_apps.demo

# The debugger's lesson: one request held on a WSGI and on an ASGI app while others are served.
demo-hold: $(STAMP)
	$(BIN)/python -m sample_apps.demo --hold

# Both builds, pure Python (what `pip install .` gives) and, with a C compiler, the mypyc-compiled one.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/overhead.py
	@reason=$$($(NO_COMPILER_REASON)) && if [ -n "$$reason" ]; then \
		echo "make bench: the compiled build is not measured: $$reason"; exit 0; fi; \
	$(MAKE) --no-print-directory $(COMPILED)/.installed && \
	$(COMPILED)/bin/python bench/overhead.py

clean:
	rm -rf $(VENV) $(COMPILED) build *.egg-info
