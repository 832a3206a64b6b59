# wiseevp — the commands a developer needs. Everything installs itself on first use.
SHELL := /bin/bash
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --all-packages --locked

.PHONY: help install services setup migrate demo test test-unit lint format bench bench-quick bench-ocpp bench-ocpp-quick bench-oscp bench-oscp-quick docs docs-check

help:
	@echo "make demo   - the stack plus a simulated pilot site (prints a summary)"
	@echo "make test   - the whole test suite (unit + integration on the real local services)"
	@echo "make lint | format | migrate | bench | bench-quick | docs | docs-check"

$(UV):
	python3 -m pip install --quiet --user "uv==$(UV_VERSION)" || python3 -m pip install --quiet "uv==$(UV_VERSION)"

install: $(UV)
	$(UV) sync --all-packages --locked --quiet

services:
	bash deploy/local/ensure-services.sh

setup: install services
	$(RUN) wiseevp setup

migrate: install
	$(RUN) wiseevp migrate

demo: setup
	$(RUN) wiseevp demo

test: setup
	$(RUN) pytest

test-unit: install
	$(RUN) pytest tests/unit

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy libs/common/src libs/oscp/src services/ev_wrapper/src services/rt_monitor/src \
		services/evse_wrapper/src services/oscp_fp/src services/oscp_cp/src \
		services/oscp_co/src tools/cli/src tools/cp_simulator/src
	# bench/ scripts import their parts as top-level modules; bench/ocpp.py must not shadow
	# the ocpp package for the other modules, so bench is type-checked on its own path
	MYPYPATH=bench $(RUN) mypy bench

format: install
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

bench: setup
	$(RUN) python bench/ingest.py

bench-quick: setup
	$(RUN) python bench/ingest.py --quick

bench-ocpp: setup
	$(RUN) python bench/ocpp.py

bench-ocpp-quick: setup
	$(RUN) python bench/ocpp.py --quick

bench-oscp: setup
	$(RUN) python bench/oscp.py

bench-oscp-quick: setup
	$(RUN) python bench/oscp.py --quick

docs: install
	$(RUN) wiseevp docs

docs-check: install
	$(RUN) wiseevp docs --check
