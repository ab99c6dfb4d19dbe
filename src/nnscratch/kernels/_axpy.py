"""BLAS's axpy, ``y ← a·x + y``, from the BLAS that NumPy itself links.

NumPy has no fused "multiply and add into an existing array": ``θ -= η * d`` passes over
memory twice on one core. BLAS's axpy reads ``d`` and ``θ`` once, writes ``θ`` once, on
the BLAS threads that the matrix products around it use; in training with two BLAS
threads that keeps a whole MLP step at batch 16 about 1.6× faster (benchmarks/RESULTS.md).

NumPy calls its BLAS but does not expose the vector routines, so the routine is looked up
with :mod:`ctypes` in the symbols of NumPy's own extension module: the dynamic loader then
searches that module's dependencies, which is exactly the BLAS NumPy runs (OpenBLAS in
NumPy's wheels, with its ``scipy_`` prefix and 64-bit integers; ``cblas_saxpy`` in other
builds). Each spelling found is checked against NumPy on a small array before it is used.
Where none is found (Windows, whose loader does not search dependencies this way; a BLAS
with other names), or ``NNSCRATCH_BLAS_AXPY=0`` is set, :func:`backend` says ``"numpy"``
and :func:`~nnscratch.kernels.sgd_update` uses NumPy.
"""

from __future__ import annotations

import ctypes
import importlib
import os
from typing import Any

import numpy as np

# (symbol template, C integer type): NumPy's own wheels first (ILP64, scipy_ prefix)
_SPELLINGS: tuple[tuple[str, Any], ...] = (
    ("scipy_cblas_{}axpy64_", ctypes.c_int64),
    ("cblas_{}axpy64_", ctypes.c_int64),
    ("scipy_cblas_{}axpy", ctypes.c_int32),
    ("cblas_{}axpy", ctypes.c_int32),
)
_routines: dict[np.dtype, Any] | None = None


def _numpy_library() -> Any:
    """A handle on NumPy's core extension module, or None."""
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):  # 2.x, 1.x
        try:
            return ctypes.CDLL(importlib.import_module(name).__file__)
        except (ImportError, OSError, AttributeError, TypeError):
            continue
    return None


def _find(lib: Any, prefix: str, ctype: Any, dtype: Any) -> Any:
    for template, int_type in _SPELLINGS:
        fn = getattr(lib, template.format(prefix), None)
        if fn is None:
            continue
        fn.argtypes = [int_type, ctype, ctypes.c_void_p, int_type, ctypes.c_void_p, int_type]
        fn.restype = None
        x = np.linspace(-1, 1, 1000, dtype=dtype)
        y = np.linspace(2, 3, 1000, dtype=dtype)
        expected = y + dtype(-0.25) * x
        fn(1000, -0.25, x.ctypes.data, 1, y.ctypes.data, 1)
        if np.allclose(y, expected, rtol=1e-6, atol=1e-6):
            return fn
    return None


def _lookup() -> dict[np.dtype, Any]:
    global _routines
    if _routines is None:
        _routines = {}
        lib = _numpy_library() if os.environ.get("NNSCRATCH_BLAS_AXPY", "1") != "0" else None
        if lib is not None:
            for prefix, dtype, ctype in (("s", np.float32, ctypes.c_float),
                                         ("d", np.float64, ctypes.c_double)):
                fn = _find(lib, prefix, ctype, dtype)
                if fn is not None:
                    _routines[np.dtype(dtype)] = fn
    return _routines


def backend(dtype: Any = np.float32) -> str:
    """``"blas"`` where SGD's update runs BLAS's axpy for ``dtype``, else ``"numpy"``."""
    return "blas" if np.dtype(dtype) in _lookup() else "numpy"


def usable(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether BLAS can update ``y`` from ``x``: matching C-contiguous arrays of a dtype
    with a routine, not sharing memory."""
    return (x.dtype == y.dtype and y.dtype in _lookup() and x.shape == y.shape
            and x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable
            and not np.shares_memory(x, y))


def bind(x: np.ndarray, y: np.ndarray) -> tuple[Any, int, int, int] | None:
    """``(routine, n, address of x, address of y)`` for ``y ← a·x + y``, called as
    ``routine(n, a, px, 1, py, 1)``; None where BLAS cannot do it (see :func:`usable`).
    The addresses are read once: ``ndarray.ctypes`` costs microseconds."""
    if not usable(x, y):
        return None
    return _lookup()[y.dtype], y.size, x.ctypes.data, y.ctypes.data
