"""The BLAS axpy behind plain SGD's update, and the NumPy path that replaces it where BLAS
cannot be reached: both give the same parameters."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from nnscratch import SGD, Dense, ReLU, Sequential, SoftmaxCrossEntropy, _blas

needs_blas = pytest.mark.skipif(
    not (_blas.available(np.float32) and _blas.available(np.float64)),
    reason="NumPy's BLAS is not reachable here (not Linux, or an unknown BLAS build); "
           "the NumPy update is used and tested instead",
)


@pytest.fixture
def numpy_only():
    _blas.disable()
    try:
        yield
    finally:
        _blas.reset()


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 1000, 100_352])
def test_axpy_matches_numpy(dtype, n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    expected = y - dtype(0.05) * x
    scale = np.abs(y) + dtype(0.05) * np.abs(x)  # the size of the operands
    assert _blas.Axpy.usable(x, y)
    _blas.Axpy(x, y)(-0.05)
    # an axpy may fuse the multiply and the add (one rounding instead of two): the two
    # results differ by at most a couple of roundings of the operands
    assert np.all(np.abs(y - expected) <= 2 * np.finfo(dtype).eps * scale)


@needs_blas
def test_axpy_refuses_what_it_cannot_do():
    a = np.zeros((4, 6), np.float32)
    usable = _blas.Axpy.usable
    assert usable(np.ones((4, 6), np.float32), a)
    assert not usable(np.ones((4, 6), np.float64), a)  # dtype
    assert not usable(np.ones((6, 4), np.float32).T, a)  # not C-contiguous
    assert not usable(np.ones((3, 8), np.float32), a)  # shape
    assert not usable(a, a)  # the same memory
    assert not usable(np.ones(24, np.float16), np.zeros(24, np.float16))  # no routine
    frozen = np.zeros((4, 6), np.float32)
    frozen.flags.writeable = False
    assert not usable(np.ones((4, 6), np.float32), frozen)


def test_disable_and_reset(numpy_only):
    assert not _blas.available(np.float32)
    assert not _blas.Axpy.usable(np.ones(3, np.float32), np.zeros(3, np.float32))


def test_environment_variable_turns_it_off():
    code = "import numpy, nnscratch._blas as b; print(b.available(numpy.float32))"
    env = {**os.environ, "NNSCRATCH_BLAS_AXPY": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def _train(dtype, momentum: float = 0.0, steps: int = 5) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 20)).astype(dtype)
    y = rng.integers(0, 4, 32)
    model = Sequential(Dense(20, 16, rng=1), ReLU(), Dense(16, 4, rng=2), dtype=dtype)
    model.use(SoftmaxCrossEntropy(), SGD(0.1, momentum=momentum))
    model.fit(x, y, epochs=steps, batch_size=8, seed=3, verbose=0)
    return [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_gives_the_same_parameters_with_and_without_blas(dtype, momentum):
    with_blas = _train(dtype, momentum)
    _blas.disable()
    try:
        without = _train(dtype, momentum)
    finally:
        _blas.reset()
    tol = 1e-5 if dtype == np.float32 else 1e-13
    for a, b in zip(with_blas, without, strict=True):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_sgd_update_follows_a_replaced_parameter_array():
    # the optimizer caches the arrays' addresses; rebinding data (astype, a user's
    # assignment) must be noticed, not written through a stale pointer
    model = Sequential(Dense(3, 2, rng=0)).use("mse", SGD(0.5))
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    model.fit(x, y, batch_size=4, verbose=0)
    W = model.layers[0].W
    old = W.data
    W.data = W.data.copy()
    before = W.data.copy()
    model.fit(x, y, batch_size=4, verbose=0)
    assert not np.array_equal(W.data, before)  # the new array was updated
    np.testing.assert_array_equal(old, before)  # the old one was left alone
