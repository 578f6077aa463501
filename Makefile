PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
READY  := $(VENV)/.installed
PYTEST := $(PY) -m pytest

.PHONY: run test test-unit test-integration test-e2e bench clean

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# A local stack keeps its secrets key in .data/ (made on first run), and lets webhooks reach
# receivers on this machine; both may be overridden from the environment.
run: $(READY)  ## the whole system on embedded PostgreSQL and broker; Ctrl-C stops it
	SECRETS_KEY="$${SECRETS_KEY:-$$($(PY) -m shared.secretbox .data/secrets.key)}" \
	WEBHOOK_ALLOW_PRIVATE_TARGETS="$${WEBHOOK_ALLOW_PRIVATE_TARGETS:-true}" \
	$(VENV)/bin/subsidy up

test: $(READY)  ## unit, integration and end-to-end suites
	$(PYTEST) tests

test-unit: $(READY)
	$(PYTEST) tests/unit

test-integration: $(READY)
	$(PYTEST) tests/integration

test-e2e: $(READY)
	$(PYTEST) tests/e2e

bench: $(READY)  ## figures beside baselines measured in the same run
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(PY) bench/engine.py
	$(PY) bench/intake.py

clean:
	rm -rf .data .pytest_cache
