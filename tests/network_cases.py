"""Randomly built networks that cover every layer kind, for the export and bridge tests.

``random_network(seed)`` builds a valid network from the seed: an image network (even
seeds: Reshape or not, Conv2D blocks with BatchNorm2D, activations, pooling and Dropout,
then Flatten, GlobalAvgPool2D or Reshape, then a dense head) or a dense one (odd seeds,
with BatchNorm1D on (N, D) and on (N, C, L)). Weights, biases and BatchNorm statistics
are all random and non-trivial; every layer is in evaluation mode, as a served model is.
``LAYER_KINDS`` names the classes the networks use, so a test can check that they cover
every layer nnscratch has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnscratch import Sequential
from nnscratch.layers import (
    ACTIVATIONS,
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Layer,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Reshape,
    Sigmoid,
    Softmax,
)


def _activation(rng: np.random.Generator, shape: tuple[int, ...]) -> Layer:
    """A random activation for per-sample inputs of ``shape``."""
    kinds = sorted(set(ACTIVATIONS.values()), key=lambda c: c.__name__)
    cls = kinds[int(rng.integers(len(kinds)))]
    if cls is LeakyReLU:
        return LeakyReLU(float(rng.choice([0.01, 0.2, 1.5])))
    if cls is Softmax:  # over an axis longer than 1 (else a constant)
        axes = [a for a in (1, -1) if shape[a - 1 if a > 0 else a] > 1]
        return Softmax(axis=int(rng.choice(axes))) if axes else ReLU()
    return cls()


def _randomise(layer: Layer, rng: np.random.Generator) -> Layer:
    """Random biases and BatchNorm parameters and statistics (initial ones are 0 and 1)."""
    if isinstance(layer, (Dense, Conv2D)) and layer.b is not None:
        layer.b.data[...] = rng.normal(scale=0.3, size=layer.b.shape)
    if isinstance(layer, (BatchNorm1D, BatchNorm2D)):
        c = layer.num_features
        if layer.gamma is not None and layer.beta is not None:
            layer.gamma.data[...] = rng.normal(1.0, 0.3, c)
            layer.beta.data[...] = rng.normal(0.0, 0.3, c)
        layer.running_mean[...] = rng.normal(0.0, 0.5, c)
        layer.running_var[...] = rng.uniform(0.5, 2.0, c)
    return layer


def _conv_block(rng: np.random.Generator, c: int, h: int, w: int, dtype: Any
                ) -> tuple[list[Layer], int, int, int]:
    f = int(rng.integers(1, 6))
    k = (int(rng.integers(1, min(4, h) + 1)), int(rng.integers(1, min(4, w) + 1)))
    if rng.random() < 0.3:
        conv = Conv2D(c, f, k, padding="same", bias=bool(rng.random() < 0.8),
                      rng=rng, dtype=dtype)
    else:
        conv = Conv2D(c, f, k, stride=(int(rng.integers(1, 3)), int(rng.integers(1, 3))),
                      padding=(int(rng.integers(0, 2)), int(rng.integers(0, 2))),
                      bias=bool(rng.random() < 0.8), rng=rng, dtype=dtype)
    layers: list[Layer] = [conv]
    _, h, w = conv.output_shape((c, h, w))  # type: ignore[misc]
    if rng.random() < 0.5:
        layers.append(BatchNorm2D(f, affine=bool(rng.random() < 0.8), dtype=dtype))
    layers.append(_activation(rng, (f, h, w)))
    if rng.random() < 0.7 and min(h, w) >= 2:
        kernel = (int(rng.integers(1, min(3, h) + 1)), int(rng.integers(1, min(3, w) + 1)))
        pad = (int(rng.integers(0, kernel[0] // 2 + 1)), int(rng.integers(0, kernel[1] // 2 + 1)))
        stride = None if rng.random() < 0.5 else (int(rng.integers(1, 3)),) * 2
        pool = (MaxPool2D if rng.random() < 0.5 else AvgPool2D)(kernel, stride, pad)
        layers.append(pool)
        _, h, w = pool.output_shape((f, h, w))  # type: ignore[misc]
    if rng.random() < 0.3:
        layers.append(Dropout(0.3))
    return layers, f, h, w


def _image_network(rng: np.random.Generator, dtype: Any) -> tuple[list[Layer], tuple]:
    c, h, w = int(rng.integers(1, 4)), int(rng.integers(5, 12)), int(rng.integers(5, 12))
    layers: list[Layer] = []
    input_shape: tuple[int, ...] = (c, h, w)
    if rng.random() < 0.3:  # flat rows, made images by Reshape
        input_shape = (c * h * w,)
        layers.append(Reshape((c, h, -1)))
    for _ in range(int(rng.integers(1, 3))):
        block, c, h, w = _conv_block(rng, c, h, w, dtype)
        layers += block
    head = int(rng.integers(3))
    if head == 0:
        layers.append(Flatten())
        d = c * h * w
    elif head == 1:
        layers.append(GlobalAvgPool2D())
        d = c
    else:
        layers.append(Reshape((-1,)))
        d = c * h * w
    return layers + _dense_head(rng, d, dtype), input_shape


def _dense_head(rng: np.random.Generator, d: int, dtype: Any) -> list[Layer]:
    layers: list[Layer] = []
    for _ in range(int(rng.integers(0, 3))):
        out = int(rng.integers(2, 9))
        layers.append(Dense(d, out, bias=bool(rng.random() < 0.8), rng=rng, dtype=dtype))
        d = out
        if rng.random() < 0.4:
            layers.append(BatchNorm1D(d, dtype=dtype))
        elif rng.random() < 0.3 and d % 2 == 0:  # BatchNorm1D on (N, C, L)
            layers += [Reshape((2, -1)), BatchNorm1D(2, dtype=dtype), Flatten()]
        layers.append(_activation(rng, (d,)))
        if rng.random() < 0.3:
            layers.append(Dropout(0.5))
    out = int(rng.integers(1, 6))
    layers.append(Dense(d, out, rng=rng, dtype=dtype))
    if rng.random() < 0.3:
        layers.append(Softmax() if out > 1 and rng.random() < 0.5 else Sigmoid())
    return layers


def random_network(seed: int, dtype: Any = np.float32) -> tuple[Sequential, tuple[int, ...]]:
    """A random valid network (in evaluation mode) and its per-sample input shape."""
    rng = np.random.default_rng(seed)
    if seed % 2 == 0:
        layers, input_shape = _image_network(rng, dtype)
    else:
        d = int(rng.integers(1, 12))
        layers, input_shape = _dense_head(rng, d, dtype), (d,)
    model = Sequential([_randomise(layer, rng) for layer in layers])
    model.input_shape = input_shape
    return model.eval(), input_shape


def layer_kinds(seeds: range) -> set[str]:
    """The layer class names the networks of ``seeds`` use."""
    return {type(layer).__name__ for s in seeds for layer in random_network(s)[0].layers}
