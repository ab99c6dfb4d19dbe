"""The reference switch: the whole library on the kernels' plain references trains to the
same weights as the fast kernels, and the switch is reachable from the environment."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.kernels import reference_mode


def cnn() -> nn.Sequential:
    return nn.Sequential(
        # no bias before BatchNorm: its gradient is zero up to rounding, which Adam would
        # scale up to full steps of noise
        nn.Conv2D(2, 4, 3, padding=1, bias=False, rng=0), nn.BatchNorm2D(4), nn.ReLU(),
        nn.MaxPool2D(2), nn.Dropout(0.25, rng=1),
        nn.Conv2D(4, 3, 2, stride=1, rng=2), nn.ReLU(), nn.AvgPool2D(2, stride=1),
        nn.Flatten(), nn.Dense(3 * 2 * 2, 3, rng=3), dtype=np.float64)


def mlp() -> nn.Sequential:
    return nn.Sequential(
        nn.Dense(12, 16, bias=False, rng=0), nn.BatchNorm1D(16), nn.ReLU(),
        nn.Dropout(0.2, rng=1),
        nn.Dense(16, 3, rng=2), dtype=np.float64)


def data(kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 2, 8, 8) if kind == "cnn" else (40, 12))
    return x, rng.integers(0, 3, 40)


OPTIMIZERS = {
    "sgd": lambda: nn.SGD(0.05, momentum=0.9, weight_decay=1e-3),
    "adam": lambda: nn.Adam(1e-2),
}


def train(kind: str, optimizer: str) -> list[np.ndarray]:
    model = cnn() if kind == "cnn" else mlp()
    model.use(nn.SoftmaxCrossEntropy(), OPTIMIZERS[optimizer]())
    x, y = data(kind)
    model.fit(x, y, epochs=3, batch_size=8, seed=0, verbose=0)
    return [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_reference_and_fast_kernels_train_the_same_weights(kind, optimizer):
    with reference_mode(False):
        fast = train(kind, optimizer)
    with reference_mode():
        ref = train(kind, optimizer)
    # float64 throughout: the two paths differ only in the order of a few sums
    for a, b in zip(fast, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_reference_forward_and_backward_match_layer_by_layer():
    x, _ = data("cnn")
    model = cnn()
    model.eval()  # Dropout off, BatchNorm on running statistics: the same map both ways
    outputs = []
    for on in (False, True):
        with reference_mode(on):
            y = model.forward(x)
            model.zero_grad()
            dx = model.backward(np.ones_like(y))
            outputs.append((y, dx, [p.grad.copy() for p in model.parameters()]))
    (y, dx, grads), (y_ref, dx_ref, grads_ref) = outputs
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    for g, g_ref in zip(grads, grads_ref, strict=True):
        np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-12)


def test_reference_outputs_are_plain_c_order_arrays():
    x, _ = data("cnn")
    with reference_mode():
        y = nn.Conv2D(2, 4, 3, rng=0, dtype=np.float64)(x)
    assert y.flags.c_contiguous


def test_reference_zero_grad_writes_zeros():
    p = nn.Parameter(np.ones(3))
    p.grad += 1
    with reference_mode():
        p.zero_grad()
        assert p.grad_for_write() == (p.grad, False)  # nothing left to do lazily
    np.testing.assert_array_equal(p.grad, 0)


@pytest.mark.parametrize(("value", "expected"), [("1", "True"), ("0", "False"), ("", "False")])
def test_environment_variable_sets_the_switch_at_import(value, expected):
    code = "import nnscratch; print(nnscratch.kernels.is_reference())"
    env = {**os.environ, "NNSCRATCH_REFERENCE": value}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == expected
