# The two commands of the README, and a few helpers for development.
PYTHON ?= python3
PIP := $(PYTHON) -m pip install -q --disable-pip-version-check

.PHONY: demo test test-fast test-reference lint bench bench-mpi

demo:  ## install with the extras and train the default model on the embedded digits set
	$(PIP) -e '.[all]'
	$(PYTHON) -m nnscratch train

test:  ## install with test, reference (torch==2.13.0), onnx-check and MPI extras, then every test tier + lint
	$(PIP) -e '.[dev,reference,onnx-check,mpi]' mpi4py mpich
	$(PYTHON) -m pytest -m 'slow or not slow'
	$(MAKE) test-reference
	$(PYTHON) -m ruff check src tests examples benchmarks
	$(PYTHON) -m mypy

test-fast:  ## the fast tier only
	$(PYTHON) -m pytest

REFERENCE_TESTS := tests/test_layers.py tests/test_conv.py tests/test_pool.py \
	tests/test_losses.py tests/test_optimizers.py tests/test_dropout.py \
	tests/test_batchnorm.py tests/test_torch_core.py tests/test_torch_conv.py \
	tests/test_torch_norm.py tests/test_torch_optim.py

test-reference:  ## the layer, loss and optimizer tests on the kernels' plain references
	NNSCRATCH_REFERENCE=1 $(PYTHON) -m pytest $(REFERENCE_TESTS)

lint:
	$(PYTHON) -m ruff check src tests examples benchmarks
	$(PYTHON) -m mypy

bench:  ## side-by-side benchmarks against PyTorch CPU and scikit-learn
	$(PYTHON) -m benchmarks

bench-mpi:  ## 1 rank x 2 threads against 2 ranks x 1 thread, and the ring-allreduce model
	$(PYTHON) -m benchmarks.distributed
