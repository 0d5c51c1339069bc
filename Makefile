# Two entry points: `make run` (JupyterLab on the quickstart notebook) and `make test`.
# Both create their own virtual environment and install what they need.

VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Jupyter refuses to run as root unless told (containers and fresh VMs often are root).
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

# The front end: ES modules in js/src, bundled by esbuild into the widget's static folder
# (git-ignored). npm ci installs exactly what package-lock.json says, running no install
# scripts (none is needed: esbuild finds its platform binary in its optional dependency).
NODE_STAMP := node_modules/.installed
JS_SOURCES := $(shell find js/src -type f 2>/dev/null)
BUNDLE := seedance_widgets/_widget/static/studio.js
BUNDLE_CSS := seedance_widgets/_widget/static/studio.css

.PHONY: run test lint js js-test docs bench system-deps browser-deps node-deps clean

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

# Node 20 or newer with npm builds and tests the front end (Debian's nodejs when missing).
node-deps:
	@command -v node >/dev/null && command -v npm >/dev/null \
	  || ($(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq nodejs npm)
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
	  || (echo "Node $$(node --version) is too old: the front end's tools need Node 20 or newer" >&2; exit 1)

$(NODE_STAMP): package.json package-lock.json | node-deps
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(NODE_STAMP)

$(BUNDLE) $(BUNDLE_CSS) &: $(NODE_STAMP) $(JS_SOURCES)
	npm run --silent build

js: $(BUNDLE)

# The bundle exists before the editable install (the build hook then has nothing to do).
$(STAMP): pyproject.toml | system-deps $(BUNDLE)
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# The main job: JupyterLab on the quickstart notebook (the simulator when OXEN_API_KEY is unset).
run: $(STAMP) js
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT) notebooks/quickstart.ipynb

lint: $(STAMP) js
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	npx --no-install biome ci --error-on-warnings js biome.json package.json vitest.config.js

# The front end's unit tests (vitest + happy-dom).
js-test: $(NODE_STAMP)
	npx --no-install vitest run

# The documentation site (mkdocs.yml) into site/ (git-ignored). --strict turns every warning
# into a failure: a broken link, anchor or API reference fails the build, and so `make test`.
# Nothing is fetched and no notebook is run. NO_MKDOCS_2_WARNING quiets mkdocs-material's banner.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

test: browser-deps $(STAMP) js lint js-test docs
	$(PY) -m pytest $(PYTEST_ARGS)

bench: browser-deps $(STAMP) js
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache node_modules site $(BUNDLE) $(BUNDLE_CSS)
