"""BLAS's axpy, ``y ← a·x + y``, from the BLAS library NumPy itself has loaded.

Why: the plain SGD update ``θ ← θ − η g`` is exactly an axpy, and NumPy has no fused
"multiply and add into an existing array": ``θ -= η * g`` makes a temporary and passes
over memory twice (or three times), on one core. For a 784×128 float32 weight matrix that
is most of the update's time; OpenBLAS's axpy reads ``g`` and ``θ`` once, writes ``θ``
once, and spreads the work over its threads (measured on 2 cores: 5 µs instead of 15).

How: NumPy ships with (or links) a BLAS and calls its matrix routines itself, but does
not expose the vector ones. On Linux the library is found in this process's memory map,
and its ``cblas_saxpy``/``cblas_daxpy`` is called through :mod:`ctypes` (standard
library, no new dependency). The names and integer width differ between builds (NumPy's
own wheels use 64-bit integers and a ``scipy_`` prefix), so every known spelling is
tried, and the routine is checked against NumPy on a small array before it is trusted.

Where no such library is found (another OS, another BLAS, a check that failed) or
``NNSCRATCH_BLAS_AXPY=0`` is set, :func:`available` and :meth:`Axpy.usable` return False
and callers use NumPy.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

import numpy as np

# (symbol template, C integer type): 64-bit-integer (ILP64) builds first, NumPy's own
_SPELLINGS: tuple[tuple[str, Any], ...] = (
    ("scipy_cblas_{}axpy64_", ctypes.c_int64),
    ("cblas_{}axpy64_", ctypes.c_int64),
    ("scipy_cblas_{}axpy", ctypes.c_int32),
    ("cblas_{}axpy", ctypes.c_int32),
)

_routines: dict[np.dtype, Any] | None = None  # dtype -> ctypes function, once looked up


def _blas_paths() -> list[str]:
    """Shared libraries mapped into this process whose name says BLAS (Linux only)."""
    if not sys.platform.startswith("linux"):
        return []
    paths: list[str] = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rsplit(" ", 1)[-1].strip()
                name = os.path.basename(path).lower()
                if path.startswith("/") and ".so" in name and "blas" in name \
                        and path not in paths:
                    paths.append(path)
    except OSError:
        return []
    return paths


def _find(prefix: str, ctype: Any) -> Any:
    """The working ``?axpy`` for ``prefix`` "s" (float32) or "d" (float64), or None."""
    for path in _blas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for template, int_type in _SPELLINGS:
            fn = getattr(lib, template.format(prefix), None)
            if fn is None:
                continue
            fn.argtypes = [int_type, ctype, ctypes.c_void_p, int_type, ctypes.c_void_p, int_type]
            fn.restype = None
            if _works(fn, np.float32 if prefix == "s" else np.float64):
                return fn
    return None


def _works(fn: Any, dtype: Any) -> bool:
    """Check ``fn`` against NumPy on a small array (a wrong signature fails here)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000).astype(dtype)
    y = rng.standard_normal(1000).astype(dtype)
    expected = y + dtype(-0.25) * x
    fn(1000, -0.25, x.ctypes.data, 1, y.ctypes.data, 1)
    return bool(np.allclose(y, expected, rtol=1e-6, atol=1e-6))


def _lookup() -> dict[np.dtype, Any]:
    global _routines
    if _routines is None:
        _routines = {}
        if os.environ.get("NNSCRATCH_BLAS_AXPY", "1") != "0":
            for prefix, dtype, ctype in (("s", np.float32, ctypes.c_float),
                                         ("d", np.float64, ctypes.c_double)):
                fn = _find(prefix, ctype)
                if fn is not None:
                    _routines[np.dtype(dtype)] = fn
    return _routines


def available(dtype: Any = np.float32) -> bool:
    """Whether :class:`Axpy` can run in BLAS for arrays of ``dtype``."""
    return np.dtype(dtype) in _lookup()


def disable() -> None:
    """Use NumPy from now on (for tests and comparisons)."""
    global _routines
    _routines = {}


def reset() -> None:
    """Look the library up again on the next call (after :func:`disable`)."""
    global _routines
    _routines = None


class Axpy:
    """``y ← a·x + y`` in place for one fixed pair of arrays, through BLAS.

    The arrays' addresses are read once (``ndarray.ctypes`` costs microseconds); the
    object is rebuilt by its owner whenever either array is replaced.

    Parameters
    ----------
    x, y : ndarray
        Same shape and dtype, C-contiguous, not overlapping. ``y`` is updated in place.
    """

    __slots__ = ("_fn", "_n", "_px", "_py", "x", "y")

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y
        self._fn: Any = _lookup()[y.dtype]  # KeyError: check usable() first
        self._n = y.size
        self._px, self._py = x.ctypes.data, y.ctypes.data

    @staticmethod
    def usable(x: np.ndarray, y: np.ndarray) -> bool:
        """Whether BLAS can update ``y`` from ``x``: a routine for the dtype, matching
        contiguous arrays that do not share memory."""
        return (x.dtype == y.dtype and y.dtype in _lookup() and x.shape == y.shape
                and x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable
                and not np.shares_memory(x, y))

    def __call__(self, a: float) -> None:
        self._fn(self._n, a, self._px, 1, self._py, 1)
