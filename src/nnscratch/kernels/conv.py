"""Convolution kernels: im2col, col2im, the GEMM with a bias and its gradients, and the
(F, M) <-> (N, F, Ho, Wo) reshapes.

im2col gathers every receptive field of a padded batch into the columns of a matrix, so
that a convolution is one matrix product; col2im adds such columns back onto the image.
The fast forms order the M = N·Ho·Wo columns (Ho, Wo, N), batch innermost (see
:mod:`nnscratch.kernels.layout`): each of their kH·kW iterations is one large slice copy
of runs of N contiguous floats. The references order them (N, Ho, Wo) and work in NCHW.
A layer never sees the order: it passes what im2col returns to the other three.

``pads`` is (top, bottom, left, right); ``kernel`` and ``stride`` are (rows, columns).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._mode import SWITCH
from .grads import matmul_into_grad, matmul_into_grad_reference, sum_into_grad
from .layout import pad_nchw, to_internal, to_internal_padded, to_public, window, windows_nchw

if TYPE_CHECKING:
    from ..parameter import Parameter

Pair = tuple[int, int]
Pads = tuple[int, int, int, int]


def _out_hw(shape: tuple[int, ...], kernel: Pair, stride: Pair, pads: Pads) -> Pair:
    """(Ho, Wo) = floor((H + pad_top + pad_bottom - kH) / sh) + 1, likewise Wo."""
    return ((shape[2] + pads[0] + pads[1] - kernel[0]) // stride[0] + 1,
            (shape[3] + pads[2] + pads[3] - kernel[1]) // stride[1] + 1)


def im2col_reference(x: np.ndarray, kernel: Pair, stride: Pair, pads: Pads) -> np.ndarray:
    """cols[(c, u, v), (n, i, j)] = xp[n, c, i·sh + u, j·sw + v], xp = x zero-padded."""
    C = x.shape[1]
    w = windows_nchw(pad_nchw(x, pads), kernel, stride)  # (N, C, Ho, Wo, kH, kW)
    return w.transpose(1, 4, 5, 0, 2, 3).reshape(C * kernel[0] * kernel[1], -1)


def im2col(x: np.ndarray, kernel: Pair, stride: Pair, pads: Pads) -> np.ndarray:
    """Every receptive field of zero-padded ``x`` as a column.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)

    Returns
    -------
    ndarray of shape (C·kH·kW, N·Ho·Wo)
        Row (c, u, v) of column (n, i, j) is ``xp[n, c, i·sh + u, j·sw + v]``; the order
        of the columns is the kernels' own.
    """
    if SWITCH.reference:
        return im2col_reference(x, kernel, stride, pads)
    N, C = x.shape[:2]
    Ho, Wo = _out_hw(x.shape, kernel, stride, pads)
    kh, kw = kernel
    xp = to_internal_padded(x, pads)  # (C, Hp, Wp, N)
    K = C * kh * kw
    # one more row, all ones, after the K rows: bias_matmul then adds a bias inside its
    # GEMM, and bias_matmul_grads gets dL/db from the weight-gradient GEMM, instead of a
    # separate pass over the (F, M) output and its gradient each
    with_ones = np.empty((K + 1, Ho * Wo * N), dtype=x.dtype)
    with_ones[K] = 1
    cols = with_ones[:K]
    slab = cols.reshape(C, kh, kw, Ho, Wo, N)  # slab[c, u, v] = xp[c, i·sh + u, j·sw + v]
    for u in range(kh):
        for v in range(kw):
            slab[:, u, v] = window(xp, u, v, (Ho, Wo), stride)
    return cols


def _ones_row_below(cols: np.ndarray) -> np.ndarray | None:
    """The (K + 1, M) array whose first K rows ``cols`` is, its last row all ones, as
    the fast :func:`im2col` builds it; None for any other ``cols``."""
    base = cols.base
    if (isinstance(base, np.ndarray) and base.ndim == 2 and base.shape[1] == cols.shape[1]
            and base.shape[0] == cols.shape[0] + 1 and base.flags.c_contiguous
            and cols.__array_interface__["data"][0] == base.__array_interface__["data"][0]):
        return base
    return None


def bias_matmul_reference(w: np.ndarray, b: np.ndarray | None,
                          cols: np.ndarray) -> np.ndarray:
    """y = w @ cols + b[:, None]  (b None: no bias)."""
    return w @ cols if b is None else w @ cols + b[:, None]


def bias_matmul(w: np.ndarray, b: np.ndarray | None, cols: np.ndarray) -> np.ndarray:
    """y = w @ cols + b[:, None], of shape (F, M), for w (F, K), b (F,) or None, cols
    (K, M) from :func:`im2col`."""
    base = None if SWITCH.reference or b is None else _ones_row_below(cols)
    if base is None:
        return bias_matmul_reference(w, b, cols)
    wb = np.empty((w.shape[0], w.shape[1] + 1), dtype=w.dtype)  # [w | b]
    wb[:, :-1] = w
    wb[:, -1] = b
    return wb @ base  # [w | b] @ [cols; 1]


def bias_matmul_grads_reference(pw: Parameter, pb: Parameter | None, g: np.ndarray,
                                cols: np.ndarray) -> None:
    """pw.grad += g @ colsᵀ (reshaped to pw's shape); pb.grad += Σ_m g[:, m]."""
    matmul_into_grad_reference(pw, g, cols.T)
    if pb is not None:
        pb.grad += g.sum(axis=1)


def bias_matmul_grads(pw: Parameter, pb: Parameter | None, g: np.ndarray,
                      cols: np.ndarray) -> None:
    """The parameter gradients of y = w @ cols + b[:, None] for g = dL/dy (F, M):
    pw.grad += g @ colsᵀ (reshaped to pw's shape), pb.grad += Σ_m g[:, m]."""
    base = None if SWITCH.reference or pb is None else _ones_row_below(cols)
    if base is None:
        matmul_into_grad(pw, g, cols.T)
        if pb is not None:
            sum_into_grad(pb, g, axis=1)
        return None
    g_all = g @ base.T  # (F, K + 1) = g @ [cols; 1]ᵀ: the last column is Σ_m g[:, m]
    assert pb is not None  # base is None without a bias
    for p, part in ((pw, g_all[:, :-1]), (pb, g_all[:, -1])):
        grad, overwrite = p.grad_for_write()
        if overwrite:
            grad[...] = part.reshape(grad.shape)
        else:
            grad += part.reshape(grad.shape)
    return None


def col2im_reference(dcols: np.ndarray, x_shape: tuple[int, ...], kernel: Pair,
                     stride: Pair, pads: Pads) -> np.ndarray:
    """dx[n, c, r, s] = Σ of dcols[(c, u, v), (n, i, j)] over r = i·sh + u - top,
    s = j·sw + v - left (the padding's share dropped)."""
    N, C, H, W = x_shape
    (kh, kw), (sh, sw), (top, bottom, left, right) = kernel, stride, pads
    Ho, Wo = _out_hw(x_shape, kernel, stride, pads)
    d = dcols.reshape(C, kh, kw, N, Ho, Wo)
    dxp = np.zeros((N, C, top + H + bottom, left + W + right), dtype=dcols.dtype)
    for u in range(kh):
        for v in range(kw):
            dxp[:, :, u : u + sh * Ho : sh, v : v + sw * Wo : sw] += d[:, u, v].swapaxes(0, 1)
    return dxp[:, :, top : top + H, left : left + W]


def col2im(dcols: np.ndarray, x_shape: tuple[int, ...], kernel: Pair, stride: Pair,
           pads: Pads) -> np.ndarray:
    """The adjoint of :func:`im2col`: add each column entry back onto the input position
    it was copied from (overlapping windows add up), dropping the padding's share.

    Parameters
    ----------
    dcols : ndarray of shape (C·kH·kW, N·Ho·Wo), columns in :func:`im2col`'s order
    x_shape : (N, C, H, W)

    Returns
    -------
    ndarray of shape (N, C, H, W)
    """
    if SWITCH.reference:
        return col2im_reference(dcols, x_shape, kernel, stride, pads)
    N, C, H, W = x_shape
    Ho, Wo = _out_hw(x_shape, kernel, stride, pads)
    kh, kw = kernel
    d = dcols.reshape(C, kh, kw, Ho, Wo, N)
    # skip the outputs whose tap at an offset fell on padding: no work on the padding,
    # and dx comes out contiguous
    dx = np.zeros((C, H, W, N), dtype=dcols.dtype)
    for u in range(kh):
        rows_out, rows_in = _taps(u, pads[0], stride[0], Ho, H)
        for v in range(kw):
            cols_out, cols_in = _taps(v, pads[2], stride[1], Wo, W)
            dx[:, rows_in, cols_in] += d[:, u, v, rows_out, cols_out]
    return to_public(dx)  # (N, C, H, W) view


def _taps(offset: int, pad: int, stride: int, n_out: int, n_in: int) -> tuple[slice, slice]:
    """Along one axis, the outputs i whose tap at kernel ``offset`` reads a real input
    r = i·stride + offset - pad (not padding), and those inputs, as a pair of slices."""
    first = max(0, -((offset - pad) // stride))  # smallest i with r >= 0
    stop = min(n_out, (n_in - 1 + pad - offset) // stride + 1)  # past the largest r < n_in
    if stop <= first:
        return slice(0, 0), slice(0, 0)
    r0 = first * stride + offset - pad
    return slice(first, stop), slice(r0, r0 + stride * (stop - first - 1) + 1, stride)


def cols_to_images(y: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(F, N·Ho·Wo) in im2col's column order -> (N, F, Ho, Wo) of ``shape``."""
    N, F, Ho, Wo = shape
    if SWITCH.reference:
        return np.ascontiguousarray(y.reshape(F, N, Ho, Wo).swapaxes(0, 1))
    return to_public(y.reshape(F, Ho, Wo, N))  # a view: no copy


def images_to_cols(g: np.ndarray) -> np.ndarray:
    """(N, F, Ho, Wo) -> (F, N·Ho·Wo) in im2col's column order."""
    if SWITCH.reference:
        return g.swapaxes(0, 1).reshape(g.shape[1], -1)
    return to_internal(g).reshape(g.shape[1], -1)  # free when g is such a view
