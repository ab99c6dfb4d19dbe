"""Image batches: the public NCHW layout, the internal batch-innermost layout, and argument
parsing shared by the convolution and pooling layers.

Public layout
-------------
Convolution and pooling layers take and return arrays of shape ``(N, C, H, W)``, as
PyTorch does. Loaders usually give ``(N, H, W)`` (greyscale) or ``(N, H, W, C)``; convert
them with :func:`to_nchw`.

Internal layout
---------------
The fast kernels behind the convolution and pooling layers work on batch-innermost
(C, H, W, N) arrays and return NCHW *views* of such memory (``y.shape == (N, C, H, W)``,
but ``y.strides`` are not C-order); see :mod:`nnscratch.kernels.layout`. A user who needs
a C-contiguous array calls ``np.ascontiguousarray(y)``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._params import Check


def to_nchw(x: np.ndarray, channels_last: bool = True) -> np.ndarray:
    """Convert a batch of images to the ``(N, C, H, W)`` layout the conv layers expect.

    Parameters
    ----------
    x : ndarray of shape (N, H, W), (N, H, W, C) or (N, C, H, W)
        A batch of images, e.g. Fashion-MNIST's ``(60000, 28, 28)`` or the cat images'
        ``(209, 64, 64, 3)``.
    channels_last : bool, default True
        For a 4-D ``x``: True when it is ``(N, H, W, C)`` (the loaders' layout) and should
        be transposed; False when it is already ``(N, C, H, W)`` (returned unchanged).
        A 3-D ``x`` is greyscale and gets a channel axis of size 1 either way.

    Returns
    -------
    ndarray of shape (N, C, H, W)
        A view of ``x`` (no copy); the dtype is unchanged, so scale ``uint8`` pixels
        yourself (e.g. ``x / 255``).

    Examples
    --------
    >>> to_nchw(np.zeros((32, 28, 28))).shape
    (32, 1, 28, 28)
    >>> to_nchw(np.zeros((8, 64, 64, 3))).shape
    (8, 3, 64, 64)
    """
    x = np.asarray(x)
    if x.ndim == 3:
        return x[:, None, :, :]  # (N, 1, H, W)
    if x.ndim == 4:
        return x.transpose(0, 3, 1, 2) if channels_last else x  # (N, C, H, W)
    raise ValueError(
        f"to_nchw: expected images of shape (N, H, W) or (N, H, W, C), got {tuple(x.shape)}"
    )


def pair(owner: str, name: str, value: Any, minimum: int = 1) -> tuple[int, int]:
    """Parse an int or a pair of ints, each >= ``minimum``, naming ``owner`` on error."""
    values: Sequence[Any]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        values = value
    else:
        values = ()
    if len(values) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
        for v in values
    ):
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{owner}: {name} must be {what} or a pair of them, got {value!r}")
    return int(values[0]), int(values[1])


#: The rules of an int-or-pair argument: kernel sizes and strides, and paddings.
PAIR = Check(pair)
PAIR0 = Check(functools.partial(pair, minimum=0))


def fmt_pair(p: tuple[int, int]) -> str:
    """``2`` for (2, 2), ``(1, 2)`` otherwise (for reprs)."""
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


def fmt_shape(shape: tuple[Any, ...]) -> str:
    """``(32, 28, 28)``; also for per-sample shapes written with ``"N"`` / None entries."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def out_size(size: int, kernel: int, stride: int, pad_total: int) -> int:
    """Output length of a sliding window: floor((size + pad_total - kernel) / stride) + 1."""
    return (size + pad_total - kernel) // stride + 1
