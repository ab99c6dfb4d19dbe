"""Optimizer kernels."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._axpy import bind
from ._mode import SWITCH


def sgd_update_reference(param: np.ndarray, d: np.ndarray, lr: float,
                         scratch: np.ndarray | None = None,
                         cache: dict[str, Any] | None = None) -> None:
    """param ← param − lr·d, in place."""
    param -= lr * d


def sgd_update(param: np.ndarray, d: np.ndarray, lr: float,
               scratch: np.ndarray | None = None,
               cache: dict[str, Any] | None = None) -> None:
    """param ← param − lr·d, in place.

    Fast form: BLAS's axpy from NumPy's own BLAS (:mod:`nnscratch.kernels._axpy`: one
    pass over memory, on the BLAS threads the matrix products use), else lr·d into
    ``scratch`` and a subtraction (two passes, no fresh array).

    Parameters
    ----------
    param : ndarray
        Updated in place.
    d : ndarray of param's shape
        The step direction (the gradient, or the momentum buffer).
    lr : float
        The learning rate η.
    scratch : ndarray of param's shape and dtype, optional
        Reused for lr·d where BLAS cannot be used.
    cache : dict, optional
        Where the BLAS call for this (d, param) pair is kept between steps (an
        optimizer's per-parameter state); without it BLAS is not used.
    """
    if SWITCH.reference or scratch is None:
        return sgd_update_reference(param, d, lr)
    if cache is not None:
        # the BLAS call for this (d, param) pair, kept while both stay the same objects
        kept = cache.get("_axpy")
        if kept is None or kept[0] is not d or kept[1] is not param:
            kept = cache["_axpy"] = (d, param, bind(d, param))
        if kept[2] is not None:
            fn, n, px, py = kept[2]
            fn(n, -lr, px, 1, py, 1)  # param ← −lr·d + param
            return None
    np.multiply(d, lr, out=scratch)
    np.subtract(param, scratch, out=param)
    return None

