"""The batch-innermost (C, H, W, N) layout the fast image kernels work in.

Every im2col/col2im slice copy and every pooling comparison then moves runs of N
contiguous floats instead of a few scattered ones, and the convolution's GEMM
``W (F, C·kH·kW) @ cols (C·kH·kW, Ho·Wo·N)`` writes its result straight into that layout.
The fast kernels return their outputs as NCHW *views* of (C, H, W, N) memory; element-wise
layers such as ReLU keep that memory order, so the next convolution or pooling kernel gets
its (C, H, W, N) array back without a copy. The references work in plain NCHW.
"""

from __future__ import annotations

import numpy as np


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


def pad_nchw(x: np.ndarray, pads: tuple[int, int, int, int], fill: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H + top + bottom, W + left + right), the border ``fill``."""
    top, bottom, left, right = pads
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)


def windows_nchw(xp: np.ndarray, kernel: tuple[int, int],
                 stride: tuple[int, int]) -> np.ndarray:
    """Every kH×kW window of padded ``xp`` (N, C, Hp, Wp), as a read-only view of shape
    (N, C, Ho, Wo, kH, kW): ``[n, c, i, j, u, v] = xp[n, c, i·sh + u, j·sw + v]``."""
    sh, sw = stride
    return np.lib.stride_tricks.sliding_window_view(xp, kernel, axis=(2, 3))[:, :, ::sh, ::sw]
