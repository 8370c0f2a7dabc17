# Every target bootstraps itself: a fresh machine needs only python3 (>= 3.11).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test chromium lint typecheck layers pytest bench bytecode fuzz docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(MAKE) bytecode
	touch $(STAMP)

# The editable install runs from src/; with PYTHONDONTWRITEBYTECODE=1 (set on this
# machine) nothing would ever be cached and every start would recompile every module.
bytecode:
	$(BIN)/python -m compileall -q src/openamr

# The AMR system: 100 MT372 twins and the head-end collecting them, both web pages on
# 127.0.0.1 (openamr demo; its files in openamr-demo/). Ctrl-C stops everything.
run: $(STAMP)
	$(BIN)/openamr demo --dir openamr-demo --meters 100

test: lint typecheck chromium pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench fuzz
	$(BIN)/ruff format --check src tests bench fuzz

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

# The browser tests drive Debian's chromium (tests/browser.py); as root, install it when missing.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && export DEBIAN_FRONTEND=noninteractive && { apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; }; } || echo "chromium missing: the browser tests will skip (apt-get install chromium)"

bench: $(STAMP) bytecode
	$(BIN)/python -m bench

# The campaign (fuzz/, RELIABILITY.md): twins over real sockets, bounded in time.
FUZZ_SECONDS ?= 120
fuzz: $(STAMP)
	$(BIN)/python -m fuzz --seconds $(FUZZ_SECONDS)

# docs/objects.md from the device profile (a test checks it is up to date)
docs: $(STAMP)
	$(BIN)/python -m openamr.cli.docs

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
