"""Flatten and Reshape: round trips, the conv layers' internal layout, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnscratch import Conv2D, Flatten, MaxPool2D, ReLU, Reshape, gradcheck
from nnscratch.layers import LAYER_REGISTRY


def test_flatten_round_trip() -> None:
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    flat = Flatten()
    y = flat.forward(x)
    np.testing.assert_array_equal(y, x.reshape(2, 60))  # C order, as torch.flatten
    np.testing.assert_array_equal(flat.backward(y), x)
    assert flat.output_shape((3, 4, 5)) == (60,)
    assert flat.output_shape((3, None, None)) == (None,)


def test_flatten_of_conv_output_is_a_view_in_c_order() -> None:
    rng = np.random.default_rng(0)
    conv = Conv2D(2, 3, 3, padding=1, rng=0, dtype=np.float64)
    y = conv.forward(rng.standard_normal((4, 2, 5, 5)))
    flat = Flatten()
    z = flat.forward(y)
    assert np.shares_memory(z, y)  # no copy out of the conv layers' layout
    np.testing.assert_array_equal(z, np.ascontiguousarray(y).reshape(4, -1))
    g = rng.standard_normal(z.shape)
    np.testing.assert_array_equal(flat.backward(g), g.reshape(y.shape))


def test_gradcheck_conv_relu_pool_flatten_chain() -> None:
    # The layers hand each other batch-innermost views; the chain must still be exact.
    layers = [Conv2D(2, 3, 3, padding=1, bias_init="he_uniform", rng=0, dtype=np.float64),
              ReLU(), MaxPool2D(2), Flatten()]

    class Chain(Flatten):  # a throwaway layer made of the four, kept out of the registry
        _registered = False

        def forward(self, x: np.ndarray) -> np.ndarray:
            for layer in layers:
                x = layer.forward(x)
            return x

        def backward(self, grad_out: np.ndarray) -> np.ndarray:
            for layer in reversed(layers):
                grad_out = layer.backward(grad_out)
            return grad_out

        def parameters(self):  # type: ignore[no-untyped-def]
            return layers[0].parameters()

    x = np.random.default_rng(1).standard_normal((2, 2, 5, 4))
    gradcheck(Chain(), x, raise_on_failure=True)


def test_reshape() -> None:
    x = np.arange(2 * 12, dtype=np.float64).reshape(2, 12)
    layer = Reshape((3, -1))
    y = layer.forward(x)
    assert y.shape == (2, 3, 4)
    np.testing.assert_array_equal(layer.backward(y), x)
    assert layer.output_shape((12,)) == (3, 4)
    assert layer.output_shape((None,)) == (3, None)
    assert repr(layer) == "Reshape((3, -1))"
    rebuilt = LAYER_REGISTRY["Reshape"].from_config(json.loads(json.dumps(layer.get_config())))
    assert rebuilt.forward(x).shape == (2, 3, 4)


def test_reshape_errors() -> None:
    with pytest.raises(ValueError, match=r"Reshape: shape must be positive integers"):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"Reshape: shape must be positive integers"):
        Reshape((0, 3))
    with pytest.raises(ValueError, match=r"cannot reshape samples of shape \(10,\) \(10 values\)"):
        Reshape((3, 3)).forward(np.zeros((2, 10)))


def test_flatten_errors() -> None:
    with pytest.raises(ValueError, match=r"Flatten\(\): expected input of shape \(N, \.\.\.\)"):
        Flatten().forward(np.zeros(3))
    with pytest.raises(RuntimeError, match="before forward"):
        Flatten().backward(np.zeros((1, 1)))
