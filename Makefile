# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo
STAMP := $(VENV)/.installed

.PHONY: run test lint types pytest bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## run: set up, build a demo organisation, import it, then report on it, forecast and diagnose it
run: $(STAMP)
	rm -f $(DEMO)/attain.duckdb
	$(BIN)/attain demo generate --reps 60 --quarters 8 --seed 7 $(DEMO)
	$(BIN)/attain import $(DEMO) --db $(DEMO)/attain.duckdb --rejects $(DEMO)/rejects.csv
	$(BIN)/attain status --db $(DEMO)/attain.duckdb
	$(BIN)/attain report --db $(DEMO)/attain.duckdb --as-of 2026-11-13
	$(BIN)/attain forecast --db $(DEMO)/attain.duckdb --as-of 2026-11-13 --scope team
	ATTAIN_CONFIG=$(DEMO)/attain.toml $(BIN)/attain diagnose --db $(DEMO)/attain.duckdb --as-of 2026-11-13

## test: set up, then lint, type-check and run the whole test suite
test: lint types pytest

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

types: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q -n auto --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/import_activities.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
