# The two commands: `make demo` and `make test` (`make check` is the fast lane). All create .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check exhaustive bench docs lab chrome clean help

help:
	@echo "make demo   - create .venv, build the synthetic demo hospital's store (data/hitplan.duckdb)"
	@echo "make test   - create .venv if needed and run the whole test suite (what CI runs; under 10 min)"
	@echo "make check  - the fast lane: every test not marked slow (no papermill, Chromium, demo store), under 1 min"
	@echo "make exhaustive - every fault point of ingest and report, every notebook under nbval (the suite samples; ~6 min)"
	@echo "make lab    - open JupyterLab on notebooks/ with the project's kernel (demo store by default)"
	@echo "make bench  - run the benchmarks (large: builds scale-100 and scale-10 hospitals in temp folders; about 30 min)"
	@echo "make docs   - regenerate docs/feeds.md from the schema"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Chrome/Chromium for the PDF and the deck's chart images: found, or installed (Debian's package as root,
# else plotly_get_chrome where the internet is reachable); without one, reports are HTML only.
chrome: $(STAMP)
	$(BIN)/python -m hitplan.report.browser --install

# The demo hospital's data runs to 2026-09-30; periods default to the last day with data.
demo: $(STAMP) chrome
	$(BIN)/hitplan demo
	$(BIN)/hitplan status
	$(BIN)/hitplan scorecard
	$(BIN)/hitplan report --period last-quarter

test: $(STAMP) chrome
	$(BIN)/python -m pytest

# Tests marked slow (papermill, Chromium, the demo hospital, the fault and property suites) are left to `make test`.
check: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# What `make test` samples to stay within its time: the fault-injection suites at every point, nbval over every notebook.
exhaustive: $(STAMP) chrome
	HITPLAN_FAULT_EARLY=all HITPLAN_FAULT_LATE=all HITPLAN_FAULT_POINTS=all HITPLAN_NBVAL=all \
		$(BIN)/python -m pytest tests/test_fault_ingest.py tests/test_fault_report.py tests/test_notebooks.py

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP) chrome
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_kpis.py
	$(BIN)/python benchmarks/bench_prioritize.py
	$(BIN)/python benchmarks/bench_models.py
	$(BIN)/python benchmarks/bench_report.py

docs: $(STAMP)
	$(BIN)/hitplan schema > docs/feeds.md

clean:
	rm -rf $(VENV) data/demo data/*.duckdb data/*.duckdb.wal
