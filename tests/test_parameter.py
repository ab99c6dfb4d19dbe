"""Parameter: zero_grad is lazy but reads as zeros; layers that compute a whole gradient
overwrite it after zero_grad and accumulate otherwise, with the same values either way."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.parameter import Parameter


def test_zero_grad_reads_as_zeros_and_keeps_the_array():
    p = Parameter(np.ones((3, 2)), "W")
    p.grad += 5.0
    buf = p.grad
    p.zero_grad()
    assert p.grad is buf
    np.testing.assert_array_equal(p.grad, 0.0)
    p.grad += 1.0  # adding after zero_grad adds to zeros
    np.testing.assert_array_equal(buf, 1.0)


def test_grad_for_write_hands_out_the_cleared_array_once():
    p = Parameter(np.ones(4), "b")
    p.grad += 3.0
    p.zero_grad()
    arr, overwrite = p.grad_for_write()
    assert overwrite and arr is p._grad
    arr[...] = 7.0  # the caller writes every entry
    assert p.grad_for_write() == (arr, False)  # now it accumulates
    np.testing.assert_array_equal(p.grad, 7.0)
    p.grad = np.full(4, 2.0)  # assignment replaces the array and is not cleared
    assert p.grad_for_write()[1] is False
    np.testing.assert_array_equal(p.grad, 2.0)


@pytest.mark.parametrize("make,shape", [
    (lambda: nn.Dense(5, 3, rng=0, dtype=np.float64), (4, 5)),
    (lambda: nn.Dense(5, 3, rng=0, dtype=np.float64), (1, 5)),  # outer-product path
    (lambda: nn.Conv2D(2, 3, 3, padding=1, rng=0, dtype=np.float64), (2, 2, 5, 5)),
])
def test_layers_overwrite_after_zero_grad_and_accumulate_otherwise(make, shape):
    rng = np.random.default_rng(1)
    layer = make()
    x = rng.standard_normal(shape)
    g = rng.standard_normal(layer.forward(x).shape)
    for p in layer.parameters():
        p.grad += 100.0  # stale values that zero_grad must hide
        p.zero_grad()
    layer.backward(g)
    once = [p.grad.copy() for p in layer.parameters()]
    layer.backward(g)  # a second backward adds the same again
    for p, g1 in zip(layer.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * g1, rtol=1e-14)
    for p in layer.parameters():
        p.zero_grad()
    layer.backward_params(g)
    for p, g1 in zip(layer.parameters(), once):
        np.testing.assert_array_equal(p.grad, g1)
