# Two commands set up everything: `make demo` and `make test`.
# VENV may point at an environment outside the clone (CI keys one by the dependency list).
VENV ?= .venv
PY := $(VENV)/bin/python
DEPS_KEY := $(shell sed -n '/^requires-python/p;/^dependencies/,/^]/p;/^\[project.optional-dependencies\]/,/^\[project.scripts\]/p' pyproject.toml | sha256sum | cut -c1-16)
STAMP := $(VENV)/.rat-lava-deps-$(DEPS_KEY)
PYTEST_ARGS ?=

.PHONY: demo test lint env clean-env

env: $(STAMP)
	@$(PY) scripts/ensure_editable.py "$(CURDIR)" || $(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .

$(STAMP): pyproject.toml
	@set -e; PY310=$$(scripts/find_python310.sh); \
	if [ ! -x "$(PY)" ]; then echo "Creating the Python 3.10 environment in $(VENV) (first time only: torch is a large download)"; \
	  "$$PY310" -m venv "$(VENV)"; fi; \
	$(VENV)/bin/pip install --quiet --upgrade pip setuptools wheel; \
	$(VENV)/bin/pip install --progress-bar off -e ".[dev]"; \
	rm -f $(VENV)/.rat-lava-deps-*; touch "$@"

demo: env
	$(VENV)/bin/rat-lava demo

test: env
	$(PY) -m pytest $(PYTEST_ARGS)

lint: env
	$(VENV)/bin/ruff check rat_lava tests benchmarks scripts

clean-env:
	rm -rf .venv
