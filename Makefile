# The two commands: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LEAFLET := $(VENV)/vendor/leaflet/dist/leaflet.js
OUT    ?= out/demo
export NUMBA_CACHE_DIR ?= $(CURDIR)/.venv/numba-cache

.PHONY: demo test test-fast check bench bench-scale lint clean install

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench]"
	@$(MAKE) --no-print-directory $(LEAFLET)
	@touch $(STAMP)

# Leaflet from the npm registry, inlined into map.html so that maps open offline (optional:
# without npm the maps load Leaflet from its CDN)
$(LEAFLET):
	@mkdir -p $(VENV)/vendor
	@cd $(VENV)/vendor && rm -rf leaflet package && \
	  { npm pack leaflet@1.9.4 --silent >/dev/null 2>&1 && tar xzf leaflet-1.9.4.tgz && mv package leaflet && \
	    rm -f leaflet-1.9.4.tgz && echo "Leaflet 1.9.4 vendored for offline maps"; } || \
	  echo "npm not available: maps will load Leaflet from its CDN (online only)"

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/enablement plan enablement:brigade-antwerp-aachen --out $(OUT)

# the habits every change keeps: lint, format, one-way layers, types
check: $(STAMP)
	$(VENV)/bin/ruff check enablement kernels tests benchmarks tools
	$(VENV)/bin/ruff format --check enablement kernels tests benchmarks tools
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# the whole suite on every core; the fast lane leaves out the tests marked slow
test: check
	$(PY) -m pytest -q -n auto --dist loadscope

test-fast: check
	$(PY) -m pytest -q -n auto --dist loadscope -m "not slow"

bench: $(STAMP)
	$(PY) benchmarks/run.py --out benchmarks/results

# the scale table alone (brigade to corps); SIZES=brigade,division for a subset
bench-scale: $(STAMP)
	$(PY) benchmarks/scale.py --out benchmarks/results $(if $(SIZES),--sizes $(SIZES))

lint: check

clean:
	rm -rf $(VENV) out build dist *.egg-info
