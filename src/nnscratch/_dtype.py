"""The default floating dtype (float32 unless the user asks for float64).

Every layer that makes parameters or buffers without an explicit ``dtype=`` makes them in
this dtype, drawing its initial values in float64 and rounding them once to it. So a
float64 network built while float64 is the default holds the float64 draws themselves,
while ``Sequential(..., dtype=np.float64)`` converts layers that already exist and keeps
the float32 rounding of their starting weights.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

_DEFAULT_DTYPE: np.dtype = np.dtype(np.float32)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def get_default_dtype() -> np.dtype:
    """The dtype new layers create their parameters in (float32 by default)."""
    return _DEFAULT_DTYPE


def set_default_dtype(dtype: np.typing.DTypeLike) -> None:
    """Set the dtype new layers use: ``np.float32`` (default) or ``np.float64``.

    See :func:`default_dtype` for the same within a ``with`` block only.
    """
    global _DEFAULT_DTYPE
    _DEFAULT_DTYPE = _floating(dtype, "default dtype")


@contextmanager
def default_dtype(dtype: np.typing.DTypeLike) -> Iterator[np.dtype]:
    """Make layers in ``dtype`` inside a ``with`` block; the previous default comes back
    after it, also when the block raises.

    Parameters
    ----------
    dtype : float32 or float64

    Examples
    --------
    >>> import numpy as np, nnscratch as nn
    >>> with nn.default_dtype(np.float64):
    ...     model = nn.Sequential(nn.Dense(784, 128), nn.ReLU(), nn.Dense(128, 10))
    >>> model.dtype, nn.get_default_dtype()
    (dtype('float64'), dtype('float32'))
    """
    global _DEFAULT_DTYPE
    previous = _DEFAULT_DTYPE
    _DEFAULT_DTYPE = _floating(dtype, "default_dtype: dtype")
    try:
        yield _DEFAULT_DTYPE
    finally:
        _DEFAULT_DTYPE = previous


def resolve_dtype(dtype: np.typing.DTypeLike | None) -> np.dtype:
    """``dtype`` as a floating np.dtype, or the default when None."""
    if dtype is None:
        return _DEFAULT_DTYPE
    return _floating(dtype, "dtype")


def _floating(dtype: np.typing.DTypeLike, name: str) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in _FLOATS:
        raise ValueError(f"{name} must be float32 or float64, got {dt}")
    return dt
