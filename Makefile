PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
READY  := $(VENV)/.installed
PYTEST := $(PY) -m pytest
# The browser tests drive Debian's chromium through Playwright (Playwright's own download is unreachable),
# with a CJK font: the console and the notice page are Chinese first, and without one every character
# renders as an empty box (tests/integration/test_console_glyphs.py fails).
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
BROWSER  := $(CHROMIUM) $(CJK_FONT)

.PHONY: run lint test fuzz test-unit test-integration test-e2e bench clean

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $@

run: $(READY)  ## the whole system on embedded PostgreSQL and broker; Ctrl-C stops it
	$(VENV)/bin/subsidy up

# One install for whichever is missing (a grouped target: the recipe makes both).
$(BROWSER) &:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk

# Two workers take whole modules (each starts its own database and broker); the fault tests, which
# kill processes and time recoveries under load, run alone afterwards.
PARALLEL := -n 2 --dist loadfile

lint: $(READY)  ## ruff (lint and format), mypy, and the import contracts between services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint $(BROWSER)  ## lint, then the unit, integration and end-to-end suites
	$(PYTEST) tests -m "not faults" $(PARALLEL)
	$(PYTEST) tests -m faults

fuzz: $(READY)  ## the contract fuzzer, deep: more examples and a random seed (printed; FUZZ_SEED=… replays)
	FUZZ_DEEP=1 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PYTEST) tests/contract -s -p no:cacheprovider

test-unit: $(READY)
	$(PYTEST) tests/unit

test-integration: $(READY) $(BROWSER)
	$(PYTEST) tests/integration

test-e2e: $(READY) $(BROWSER)
	$(PYTEST) tests/e2e

bench: $(READY)  ## figures beside baselines measured in the same run
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(PY) bench/engine.py
	$(PY) bench/whatif.py
	$(PY) bench/intake.py
	$(PY) bench/ledger.py
	$(PY) bench/pipeline.py
	$(PY) bench/webhooks.py

clean:
	rm -rf .data .pytest_cache
