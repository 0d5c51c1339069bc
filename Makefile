# Two entry points: `make run` (JupyterLab on the quickstart notebook) and `make test`.
# Both create their own virtual environment and install what they need.

VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Jupyter refuses to run as root unless told (containers and fresh VMs often are root).
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint bench system-deps browser-deps clean

# Debian packages: python3-venv to build the environment; curl, jq and gawk run the vendor's
# cURL snippets in the tests (Debian's default mawk buffers the SSE pipe; gawk does not);
# chromium drives the widget tests.
system-deps:
	@command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null \
	  || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3 python3-venv)

browser-deps: system-deps
	@command -v chromium >/dev/null && command -v jq >/dev/null && command -v curl >/dev/null \
	  && command -v gawk >/dev/null \
	  || ($(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq chromium curl jq gawk)

$(STAMP): pyproject.toml | system-deps
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# The main job: JupyterLab on the quickstart notebook (the simulator when OXEN_API_KEY is unset).
run: $(STAMP)
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT) notebooks/quickstart.ipynb

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: browser-deps $(STAMP) lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: browser-deps $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
