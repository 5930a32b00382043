# QPR workbook — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
QUARTER ?=

.DEFAULT_GOAL := help
.PHONY: help setup lock system-deps report test test-fast fuzz lab bench lint format clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-12s %s\n", $$1, $$2}'

LOCK   := requirements/dev.txt

# The exact versions of the lock file (make lock), then qprlib itself from this checkout;
# pip check fails if pyproject.toml needs something the lock does not hold (run make lock).
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv: qprlib and its dev tools at the locked versions (requirements/)

lock: ## Re-resolve pyproject.toml into requirements/dev.txt and runtime.txt (needs PyPI)
	@bash scripts/lock.sh

system-deps: ## Install chromium, poppler and axe-core for the browser/PDF tests (Debian, as root)
	@bash scripts/install-system-deps.sh

report: $(STAMP) ## Build and render the latest quarter's reports into _site/
	$(BIN)/qpr build $(QUARTER) --to html,pdf,docx

test: $(STAMP) system-deps ## Run the whole test suite (as CI does)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP) ## Run the tests that take under a second each
	$(BIN)/python -m pytest -m "not slow and not browser"

fuzz: $(STAMP) ## Fuzz the inputs for longer than CI does (random examples; FUZZ_EXAMPLES=2000)
	QPR_FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} QPR_FUZZ_RANDOM=1 $(BIN)/python -m pytest tests/test_fuzz.py -p no:randomly -q

lab: $(STAMP) ## Start JupyterLab with the project's kernel
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (qpr)" >/dev/null
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP) ## Run the benchmarks and print the table
	$(BIN)/python -m bench

lint: $(STAMP) ## Lint and check formatting
	$(BIN)/ruff check qprlib tests bench data
	$(BIN)/ruff format --check qprlib tests bench data

format: $(STAMP) ## Format the code
	$(BIN)/ruff format qprlib tests bench data
	$(BIN)/ruff check --fix qprlib tests bench data

clean: ## Remove build outputs (keeps .venv)
	rm -rf build _site .pytest_cache
