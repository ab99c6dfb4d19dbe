"""The default floating dtype (float32 unless the user asks for float64)."""

from __future__ import annotations

import numpy as np

_DEFAULT_DTYPE: np.dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype new layers create their parameters in (float32 by default)."""
    return _DEFAULT_DTYPE


def set_default_dtype(dtype: np.typing.DTypeLike) -> None:
    """Set the dtype new layers use: ``np.float32`` (default) or ``np.float64``."""
    global _DEFAULT_DTYPE
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"default dtype must be float32 or float64, got {dt}")
    _DEFAULT_DTYPE = dt


def resolve_dtype(dtype: np.typing.DTypeLike | None) -> np.dtype:
    """``dtype`` as a floating np.dtype, or the default when None."""
    if dtype is None:
        return _DEFAULT_DTYPE
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt
