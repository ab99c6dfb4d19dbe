"""Image batches: the public NCHW layout, the internal batch-innermost layout, and argument
parsing shared by the convolution and pooling layers.

Public layout
-------------
Convolution and pooling layers take and return arrays of shape ``(N, C, H, W)``, as
PyTorch does. Loaders usually give ``(N, H, W)`` (greyscale) or ``(N, H, W, C)``; convert
them with :func:`to_nchw`.

Internal layout
---------------
Inside, :class:`~nnscratch.layers.Conv2D` and the pooling layers work on ``(C, H, W, N)``
arrays: the batch is the innermost, contiguous axis. Every im2col/col2im slice copy and
every pooling comparison then moves runs of N contiguous floats instead of a few scattered
ones (on a 2-core machine, im2col/col2im ran 3.5× and bias gradients 5× faster than
with NHWC activations), and the GEMM ``W (F, C·kH·kW) @ cols (C·kH·kW, Ho·Wo·N)`` writes
its result straight into that layout.

The layers accept any NCHW array; only the memory order decides whether the conversion
costs a copy: one transposing copy for an ordinary C-contiguous batch (the first layer,
or after a layer that builds a fresh NCHW array), none between conv, ReLU, pooling and
Flatten.

To keep transposes few, these layers return their outputs as NCHW *views* of (C, H, W, N)
memory (``y.shape == (N, C, H, W)``, but ``y.strides`` are not C-order). Element-wise
layers such as ReLU preserve that memory order, so the next convolution or pooling layer
gets its (C, H, W, N) array back with no copy (:func:`to_internal` is then free). A user
who needs a C-contiguous array calls ``np.ascontiguousarray(y)``.
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


def to_internal(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> contiguous (C, H, W, N); free when ``x`` is a view of such memory."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0))


def to_public(x: np.ndarray) -> np.ndarray:
    """(C, H, W, N) -> the (N, C, H, W) view of the same memory (never copies)."""
    return x.transpose(3, 0, 1, 2)


def to_internal_padded(
    x: np.ndarray, pads: tuple[int, int, int, int], fill: float = 0.0
) -> np.ndarray:
    """(N, C, H, W) -> contiguous (C, H + top + bottom, W + left + right, N), the border
    set to ``fill``; one strided copy does both the transpose and the padding."""
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return to_internal(x)
    N, C, H, W = x.shape
    xp = np.empty((C, top + H + bottom, left + W + right, N), dtype=x.dtype)
    xp[:, :top] = fill
    xp[:, top + H :] = fill
    xp[:, top : top + H, :left] = fill
    xp[:, top : top + H, left + W :] = fill
    xp[:, top : top + H, left : left + W] = x.transpose(1, 2, 3, 0)
    return xp


def window(
    xp: np.ndarray, u: int, v: int, out_hw: tuple[int, int], stride: tuple[int, int]
) -> np.ndarray:
    """The (C, Ho, Wo, N) view of (C, Hp, Wp, N) ``xp`` holding, for every output pixel
    (i, j), the input at kernel offset (u, v): ``xp[:, i·sh + u, j·sw + v, :]``."""
    (ho, wo), (sh, sw) = out_hw, stride
    return xp[:, u : u + sh * (ho - 1) + 1 : sh, v : v + sw * (wo - 1) + 1 : sw]


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
