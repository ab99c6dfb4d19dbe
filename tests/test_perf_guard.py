"""Guards for the training hot path that time nothing: they count bytes.

A training step of an MLP must not allocate parameter-sized temporaries (a fresh
``xᵀ G`` for every step, an SGD update through a new array) nor silently upcast float32
to float64; and memory must not grow from one step to the next. NumPy reports its array
allocations to ``tracemalloc``, so both are measurable without a clock.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from nnscratch import SGD, Dense, ReLU, Sequential, SoftmaxCrossEntropy


def mlp(dtype=np.float32) -> Sequential:
    # wide layers and a small batch: a parameter-sized array (512 KiB for the first W in
    # float32) dwarfs every activation-sized one (8 × 512 × 4 = 16 KiB)
    return Sequential(Dense(512, 256, rng=0), ReLU(), Dense(256, 10, rng=1),
                      dtype=dtype).use(SoftmaxCrossEntropy(), SGD(0.1))


def train_step(model: Sequential, x: np.ndarray, y: np.ndarray) -> float:
    """What ``fit`` does for one batch, without its bookkeeping."""
    assert model.loss is not None and model.optimizer is not None
    loss = model.loss.forward(model.forward(x), y)
    model.optimizer.zero_grad()
    model.backward(model.loss.backward())
    model.optimizer.step()
    return loss


def batch(dtype=np.float32, n: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 512)).astype(dtype), rng.integers(0, 10, n)


def traced_step(model: Sequential, x: np.ndarray, y: np.ndarray) -> tuple[int, int]:
    """(bytes still held after the step, peak bytes during it), beyond what was held before."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        train_step(model, x, y)
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return now - base, peak - base


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_step_allocates_no_parameter_sized_temporaries(dtype):
    model = mlp(dtype)
    x, y = batch(dtype)
    for _ in range(3):  # first steps create the reused scratch arrays
        train_step(model, x, y)
    _, peak = traced_step(model, x, y)
    w_bytes = model.layers[0].W.data.nbytes  # 512 KiB (float32) or 1 MiB (float64)
    assert peak < w_bytes // 4, (
        f"one training step allocated up to {peak:,} bytes; the first weight matrix is "
        f"{w_bytes:,}: a parameter-sized temporary is back in the hot path"
    )


def test_memory_does_not_grow_across_steps():
    model = mlp()
    x, y = batch()
    tracemalloc.start()
    try:
        held = []
        for _ in range(8):
            train_step(model, x, y)
            held.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    # after the first steps (scratch arrays, saved activations) the footprint is flat
    assert max(held[3:]) - min(held[3:]) <= 1024, f"bytes held after each step: {held}"


def test_float32_step_stays_float32():
    # a float64 scalar or temporary in the chain would double every cost after it
    model = mlp()
    x, y = batch()
    out = model.forward(x)
    assert model.loss is not None
    model.loss.forward(out, y)
    grad = model.loss.backward()
    assert out.dtype == grad.dtype == np.float32
    for layer in reversed(model.layers):
        grad = layer.backward(grad)
        assert grad.dtype == np.float32, f"{layer} returned {grad.dtype}"
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_scratch_arrays_are_reused_not_returned():
    # reused buffers must stay private: what forward and backward return is new each call
    layer = Dense(6, 4, rng=0)
    x, g = np.ones((3, 6), np.float32), np.ones((3, 4), np.float32)
    y1, dx1 = layer.forward(x), layer.backward(g)
    y2, dx2 = layer.forward(2 * x), layer.backward(2 * g)
    assert not np.shares_memory(y1, y2) and not np.shares_memory(dx1, dx2)
    np.testing.assert_allclose(2 * (y1 - layer.b.data) + layer.b.data, y2, rtol=1e-6)


def _python_calls_per_step(model: Sequential, x: np.ndarray, y: np.ndarray) -> float:
    """Python-level function calls per training step inside ``fit``: the difference
    between an 8-step and a 4-step fit, divided by 4 (what fit does once per call
    cancels out)."""
    import sys

    def count(n: int) -> int:
        calls = 0

        def profile(frame, event, arg):  # type: ignore[no-untyped-def]
            nonlocal calls
            if event == "call":
                calls += 1

        sys.setprofile(profile)
        try:
            model.fit(x[:n], y[:n], batch_size=8, verbose=0, seed=0)
        finally:
            sys.setprofile(None)
        return calls

    count(64)  # the first fit creates the optimizer's scratch arrays
    return (count(64) - count(32)) / 4


def test_python_work_per_training_step_stays_small():
    # At batch 16 a step's arithmetic takes tens of microseconds, so per-step Python work
    # (a helper per parameter, a dtype test through np.issubdtype, a wrapper around a
    # NumPy method) is a measurable share of training time. This counts calls instead of
    # timing them; the bound leaves room for small changes, not for a new layer of
    # indirection in the hot path.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 20)).astype(np.float32)
    y = rng.integers(0, 4, 64)
    model = Sequential(Dense(20, 16, rng=1), ReLU(), Dense(16, 4, rng=2))
    model.use(SoftmaxCrossEntropy(), SGD(0.1))
    per_step = _python_calls_per_step(model, x, y)
    # 51 when written: about 25 for forward, loss and backward through 3 layers, 4 per
    # parameter in zero_grad, the gradient writes and the SGD update, 1 for the metric
    assert per_step <= 60, f"{per_step} Python function calls per training step"
