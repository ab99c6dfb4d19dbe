"""The softmax cross-entropy kernel: loss and softmax in one pass over the logits."""

from __future__ import annotations

import numpy as np

from ._mode import SWITCH
from .activations import log_softmax, softmax

_ARANGE: dict[int, np.ndarray] = {}


def _one_hot(labels: np.ndarray, k: int, dtype: np.dtype) -> np.ndarray:
    """(N,) integer labels -> (N, k) rows with a 1 at each label."""
    onehot = np.zeros((labels.shape[0], k), dtype=dtype)
    onehot[np.arange(labels.shape[0]), labels] = 1
    return onehot


def softmax_cross_entropy_reference(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """L = -(1/N) Σ_n Σ_k y_nk log softmax(z_n)_k, and softmax(z).

    ``y``: integer labels (N,) or target rows (N, K).
    """
    if y.ndim == 1:
        y = _one_hot(y, z.shape[1], z.dtype)
    return float(-np.sum(y * log_softmax(z)) / z.shape[0]), softmax(z)


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """L = -(1/N) Σ_n Σ_k y_nk log softmax(z_n)_k, and softmax(z) for the backward pass.

    Parameters
    ----------
    z : ndarray of shape (N, K)
        Logits.
    y : ndarray of shape (N,) or (N, K)
        Integer labels in [0, K), or target rows (one-hot or probabilities).
    """
    if SWITCH.reference or y.ndim != 1:
        return softmax_cross_entropy_reference(z, y)
    # integer labels: no one-hot matrix, and one set of exponentials gives both the loss
    # and the softmax
    n = z.shape[0]
    e = z - np.maximum.reduce(z, axis=1, keepdims=True)  # (N, K) shifted logits ≤ 0
    shifted_y = e[_rows(n), y]  # (N,) z_y - max z
    np.exp(e, out=e)
    s = np.add.reduce(e, axis=1)  # (N,) Σ exp(z - max z)
    e /= s[:, None]  # softmax(z)
    np.log(s, out=s)  # -log softmax(z)_y = log Σ exp(z - max z) - (z_y - max z)
    s -= shifted_y
    return float(np.add.reduce(s)) / n, e


def softmax_cross_entropy_backward_reference(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dz = (softmax(z) - y) / N, with ``y`` one-hot for integer labels."""
    if y.ndim == 1:
        y = _one_hot(y, p.shape[1], p.dtype)
    return (p - y) / p.shape[0]


def softmax_cross_entropy_backward(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dz = (softmax(z) - y) / N, a new array (``p`` = softmax(z) is left intact).

    Parameters
    ----------
    p : ndarray of shape (N, K)
        softmax(z), as returned by :func:`softmax_cross_entropy`.
    y : ndarray of shape (N,) or (N, K)
        The same targets.
    """
    if SWITCH.reference or y.ndim != 1:
        return softmax_cross_entropy_backward_reference(p, y)
    n = p.shape[0]
    grad = p * (1.0 / n)  # subtract 1/N at each label instead of building a one-hot
    grad[_rows(n), y] -= 1.0 / n
    return grad


def _rows(n: int) -> np.ndarray:
    """``np.arange(n)``, kept: the row indices of every batch's label gather."""
    rows = _ARANGE.get(n)
    if rows is None:
        if len(_ARANGE) > 64:
            _ARANGE.clear()
        rows = _ARANGE[n] = np.arange(n)
        rows.flags.writeable = False
    return rows
