"""Optimizer kernels."""

from __future__ import annotations

import numpy as np

from . import _mode


def sgd_update_reference(param: np.ndarray, d: np.ndarray, lr: float,
                         scratch: np.ndarray | None = None) -> None:
    """param ← param − lr·d, in place."""
    param -= lr * d


def sgd_update(param: np.ndarray, d: np.ndarray, lr: float,
               scratch: np.ndarray | None = None) -> None:
    """param ← param − lr·d, in place.

    Parameters
    ----------
    param : ndarray
        Updated in place.
    d : ndarray of param's shape
        The step direction (the gradient, or the momentum buffer).
    lr : float
        The learning rate η.
    scratch : ndarray of param's shape and dtype, optional
        Reused for lr·d, so that no array is allocated per update.
    """
    if _mode.reference or scratch is None:
        return sgd_update_reference(param, d, lr)
    np.multiply(d, lr, out=scratch)
    np.subtract(param, scratch, out=param)
    return None
