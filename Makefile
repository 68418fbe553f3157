PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: demo test lint bench fuzz clean browser bench-tools

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	$(BIN)/python -c 'from hbtriage.sources import _scan; _scan.main(["--warm"])'
	touch $(STAMP)

$(TSTAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -c 'from hbtriage.sources import _scan; _scan.main(["--warm"])'
	touch $(STAMP) $(TSTAMP)

demo: $(STAMP)
	$(BIN)/hbtriage demo --out hbtriage-out

# The browser tests drive Debian's Chromium; install it when missing (CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install chromium'"; fi; }

lint: $(TSTAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

test: $(TSTAMP) browser
	$(BIN)/pytest -q
	$(MAKE) lint

# The scale bench compares with lnav's load; install it when missing (as root), else say how.
bench-tools:
	@command -v lnav >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lnav >/dev/null; \
	  else echo "lnav missing (the scale bench leaves out its row): run 'sudo apt-get install lnav'"; fi; }

bench: $(STAMP) bench-tools
	$(BIN)/python -c 'from hbtriage.sources import _scan; _scan.main(["--warm"])'
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) hbtriage-out build *.egg-info
