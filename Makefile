# The two commands of the README, and a few helpers for development.
PYTHON ?= python3
PIP := $(PYTHON) -m pip install -q --disable-pip-version-check

.PHONY: demo test test-fast lint bench

demo:  ## install with the extras and train the default model on the embedded digits set
	$(PIP) -e '.[all]'
	$(PYTHON) -m nnscratch train

test:  ## install with test and reference extras (torch==2.13.0), then every test tier + lint
	$(PIP) -e '.[dev,reference]'
	$(PYTHON) -m pytest -m 'slow or not slow'
	$(PYTHON) -m ruff check src tests examples benchmarks
	$(PYTHON) -m mypy

test-fast:  ## the fast tier only
	$(PYTHON) -m pytest

lint:
	$(PYTHON) -m ruff check src tests examples benchmarks
	$(PYTHON) -m mypy

bench:  ## side-by-side benchmarks against PyTorch CPU and scikit-learn
	$(PYTHON) -m benchmarks
