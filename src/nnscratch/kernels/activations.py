"""Activation kernels: ReLU, and the softmax family the losses share."""

from __future__ import annotations

import numpy as np

from ._mode import SWITCH

#: (shape, strides, dtype) -> zeros laid out that way; never written (see relu_forward)
_ZEROS: dict[tuple[object, ...], np.ndarray] = {}


def relu_forward_reference(x: np.ndarray) -> np.ndarray:
    """max(x, 0), elementwise."""
    return np.maximum(x, 0)


def relu_forward(x: np.ndarray) -> np.ndarray:
    """max(x, 0), elementwise, in ``x``'s memory order."""
    if SWITCH.reference:
        return relu_forward_reference(x)
    # NumPy's maximum against a scalar runs an unvectorised loop; against an array of
    # zeros laid out like x it runs its SIMD loop, several times faster
    zeros = _zeros_like(x)
    return np.maximum(x, 0) if zeros is None else np.maximum(x, zeros)


def _zeros_like(x: np.ndarray) -> np.ndarray | None:
    """Zeros with ``x``'s shape, dtype and memory order, kept between calls; None when
    ``x`` is not contiguous in any axis order. From ``np.zeros`` (calloc), never written."""
    key = (x.shape, x.strides, x.dtype)
    zeros = _ZEROS.get(key)
    if zeros is not None:
        return zeros
    order = sorted(range(x.ndim), key=lambda a: -x.strides[a])  # memory order
    if not x.transpose(order).flags.c_contiguous:
        return None
    zeros = np.zeros([x.shape[a] for a in order], dtype=x.dtype).transpose(np.argsort(order))
    if len(_ZEROS) >= 16:  # a few layer shapes in use at a time: keep the cache small
        _ZEROS.clear()
    _ZEROS[key] = zeros
    return zeros


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x) / Σ exp(x) along ``axis``, shifted by the max so nothing overflows."""
    z = x - x.max(axis=axis, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=axis, keepdims=True)
    return z


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(x) = (x - m) - log Σ exp(x - m), stable for any x."""
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
