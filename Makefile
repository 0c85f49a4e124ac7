# The two commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench docs clean help

help:
	@echo "make demo   - create .venv, build the synthetic demo hospital's store (data/hitplan.duckdb)"
	@echo "make test   - create .venv if needed and run the whole test suite"
	@echo "make bench  - run the benchmarks (large: builds the scale-100 hospital in temp folders)"
	@echo "make docs   - regenerate docs/feeds.md from the schema"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo hospital's data runs to 2026-09-30 (hitplan synth's default window), hence --as-of.
demo: $(STAMP)
	$(BIN)/hitplan demo
	$(BIN)/hitplan status
	$(BIN)/hitplan scorecard --as-of 2026-09-30

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_kpis.py
	$(BIN)/python benchmarks/bench_prioritize.py

docs: $(STAMP)
	$(BIN)/hitplan schema > docs/feeds.md

clean:
	rm -rf $(VENV) data/demo data/*.duckdb data/*.duckdb.wal
