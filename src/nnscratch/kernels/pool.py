"""Pooling kernels: max and average over kH×kW windows, and global average pooling.

The fast forms loop only over the kH·kW kernel offsets; each iteration handles one
(C, Ho, Wo, N) slab of the input in the batch-innermost layout of
:mod:`nnscratch.kernels.layout`, every channel, output pixel and sample at once. The
references take every window as a view of the padded NCHW input and reduce it.

``kernel``, ``stride`` and ``padding`` are (rows, columns) pairs; ``padding`` adds that
many rows (columns) on both sides.
"""

from __future__ import annotations

import numpy as np

from ._mode import SWITCH
from .layout import pad_nchw, to_internal, to_internal_padded, to_public, window, windows_nchw

Pair = tuple[int, int]


def _pads(padding: Pair) -> tuple[int, int, int, int]:
    return (padding[0], padding[0], padding[1], padding[1])


def _out_hw(shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair) -> Pair:
    """(Ho, Wo) = floor((H + 2·p - k) / s) + 1 along each axis."""
    return ((shape[2] + 2 * padding[0] - kernel[0]) // stride[0] + 1,
            (shape[3] + 2 * padding[1] - kernel[1]) // stride[1] + 1)


# -- max pooling ---------------------------------------------------------------------------
def maxpool2d_forward_reference(x: np.ndarray, kernel: Pair, stride: Pair,
                                padding: Pair) -> tuple[np.ndarray, np.ndarray]:
    """y = the maximum of each window of x padded with -inf, and the row-major index
    ``u·kW + v`` of each window's first maximum, both of shape (N, C, Ho, Wo)."""
    w = windows_nchw(pad_nchw(x, _pads(padding), -np.inf), kernel, stride)
    w = w.reshape(*w.shape[:4], -1)  # (N, C, Ho, Wo, kH·kW)
    arg = w.argmax(axis=-1)  # argmax returns the first maximum on ties
    return np.take_along_axis(w, arg[..., None], axis=-1)[..., 0], arg


def maxpool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair,
                      padding: Pair) -> tuple[np.ndarray, np.ndarray]:
    """y = the maximum of each window of x (padded with -inf), and which offset won.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)

    Returns
    -------
    y : ndarray of shape (N, C, Ho, Wo)
    arg : ndarray
        For :func:`maxpool2d_backward` only: each window's first maximum.
    """
    if SWITCH.reference:
        return maxpool2d_forward_reference(x, kernel, stride, padding)
    out_hw = _out_hw(x.shape, kernel, stride, padding)
    xp = to_internal_padded(x, _pads(padding), -np.inf)  # (C, Hp, Wp, N)
    kh, kw = kernel
    best = window(xp, 0, 0, out_hw, stride).copy()  # (C, Ho, Wo, N)
    index_type = np.uint8 if kh * kw <= 256 else np.int32
    arg = np.zeros(best.shape, dtype=index_type)  # winning offset so far
    better = np.empty(best.shape, dtype=bool)
    offer = np.empty(best.shape, dtype=index_type)
    for k in range(1, kh * kw):
        candidate = window(xp, k // kw, k % kw, out_hw, stride)
        np.greater(candidate, best, out=better)  # strict: a tie keeps the earlier offset
        np.maximum(best, candidate, out=best)
        # arg = k where better: k exceeds every earlier index, so a maximum does it
        # (masked assignments are many times slower on these strided slabs). The mask is
        # read as uint8: bool × uint8 would convert it element by element
        np.multiply(better.view(np.uint8), index_type(k), out=offer)
        np.maximum(arg, offer, out=arg)
    return to_public(best), arg


def maxpool2d_backward_reference(grad_out: np.ndarray, arg: np.ndarray,
                                 x_shape: tuple[int, ...], kernel: Pair, stride: Pair,
                                 padding: Pair) -> np.ndarray:
    """dL/dx: each window's dL/dy added at its first maximum, zero elsewhere."""
    N, C, H, W = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    Ho, Wo = arg.shape[2:]
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=grad_out.dtype)
    for k in range(kh * kw):
        u, v = divmod(k, kw)
        dxp[:, :, u : u + sh * Ho : sh, v : v + sw * Wo : sw] += grad_out * (arg == k)
    return dxp[:, :, ph : ph + H, pw : pw + W]


def maxpool2d_backward(grad_out: np.ndarray, arg: np.ndarray, x_shape: tuple[int, ...],
                       kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """dL/dx of shape ``x_shape`` (N, C, H, W): each window's dL/dy goes to its first
    maximum (``arg`` from :func:`maxpool2d_forward`); overlapping windows add up."""
    if SWITCH.reference:
        return maxpool2d_backward_reference(grad_out, arg, x_shape, kernel, stride, padding)
    G, dxp = _grad_internal(grad_out, x_shape, kernel, stride, padding)
    (kh, kw), out_hw = kernel, (arg.shape[1], arg.shape[2])
    overlap = stride[0] < kh or stride[1] < kw
    won = np.empty(arg.shape, dtype=bool)
    share = np.empty_like(G) if overlap else G
    for k in range(kh * kw):
        np.equal(arg, k, out=won)
        target = window(dxp, k // kw, k % kw, out_hw, stride)
        if overlap:  # an input may be the maximum of several windows: accumulate
            target += np.multiply(G, won, out=share)
        else:  # disjoint windows: each input belongs to one window, write directly
            np.multiply(G, won, out=target)
    return _crop(dxp, x_shape, padding)


def _grad_internal(grad_out: np.ndarray, x_shape: tuple[int, ...], kernel: Pair,
                   stride: Pair, padding: Pair) -> tuple[np.ndarray, np.ndarray]:
    """dL/dy as (C, Ho, Wo, N) and a (C, Hp, Wp, N) buffer for the padded dL/dx: zeroed,
    or left uninitialised when the windows tile the input (the usual 2×2, stride 2
    pooling of an even-sized image): every entry is then written."""
    N, C, H, W = x_shape
    Ho, Wo = grad_out.shape[2:]
    tiles = (stride == kernel and not any(padding)
             and Ho * kernel[0] == H and Wo * kernel[1] == W)
    alloc = np.empty if tiles else np.zeros
    dxp = alloc((C, H + 2 * padding[0], W + 2 * padding[1], N), dtype=grad_out.dtype)
    return to_internal(grad_out), dxp


def _crop(dxp: np.ndarray, x_shape: tuple[int, ...], padding: Pair) -> np.ndarray:
    """Drop the padding's share of the (C, Hp, Wp, N) gradient; the (N, C, H, W) view."""
    (ph, pw), (H, W) = padding, x_shape[2:]
    return to_public(dxp[:, ph : ph + H, pw : pw + W])


# -- average pooling -----------------------------------------------------------------------
def avgpool2d_forward_reference(x: np.ndarray, kernel: Pair, stride: Pair,
                                padding: Pair) -> np.ndarray:
    """y = the mean of each window of x padded with zeros (the zeros count)."""
    return windows_nchw(pad_nchw(x, _pads(padding)), kernel, stride).mean(axis=(4, 5))


def avgpool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair,
                      padding: Pair) -> np.ndarray:
    """y of shape (N, C, Ho, Wo): the mean of each kH×kW window of x (N, C, H, W) padded
    with zeros, always divided by kH·kW."""
    if SWITCH.reference:
        return avgpool2d_forward_reference(x, kernel, stride, padding)
    out_hw = _out_hw(x.shape, kernel, stride, padding)
    xp = to_internal_padded(x, _pads(padding))  # (C, Hp, Wp, N)
    kh, kw = kernel
    total = window(xp, 0, 0, out_hw, stride).copy()  # (C, Ho, Wo, N)
    for k in range(1, kh * kw):
        total += window(xp, k // kw, k % kw, out_hw, stride)
    total *= 1.0 / (kh * kw)  # a Python float keeps float32 float32
    return to_public(total)


def avgpool2d_backward_reference(grad_out: np.ndarray, x_shape: tuple[int, ...],
                                 kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """dL/dx: each window's dL/dy / (kH·kW) added to every input of the window."""
    N, C, H, W = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    Ho, Wo = grad_out.shape[2:]
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=grad_out.dtype)
    for u in range(kh):
        for v in range(kw):
            dxp[:, :, u : u + sh * Ho : sh, v : v + sw * Wo : sw] += grad_out / (kh * kw)
    return dxp[:, :, ph : ph + H, pw : pw + W]


def avgpool2d_backward(grad_out: np.ndarray, x_shape: tuple[int, ...], kernel: Pair,
                       stride: Pair, padding: Pair) -> np.ndarray:
    """dL/dx of shape ``x_shape``: each dL/dy[n, c, i, j] / (kH·kW) spread over its
    window, summed where windows overlap."""
    if SWITCH.reference:
        return avgpool2d_backward_reference(grad_out, x_shape, kernel, stride, padding)
    G = to_internal(grad_out)  # (C, Ho, Wo, N)
    N, C, H, W = x_shape
    dxp = np.zeros((C, H + 2 * padding[0], W + 2 * padding[1], N), dtype=grad_out.dtype)
    kh, kw = kernel
    share = G * (1.0 / (kh * kw))
    for k in range(kh * kw):
        window(dxp, k // kw, k % kw, G.shape[1:3], stride)[...] += share
    return _crop(dxp, x_shape, padding)


def global_avgpool2d_backward(grad_out: np.ndarray, x_shape: tuple[int, ...]) -> np.ndarray:
    """dL/dx[n, c, i, j] = dL/dy[n, c] / (H·W), of shape ``x_shape`` (N, C, H, W)."""
    N, C, H, W = x_shape
    if SWITCH.reference:
        return np.broadcast_to((grad_out / (H * W))[:, :, None, None], x_shape).copy()
    dx = np.empty((C, H, W, N), dtype=grad_out.dtype)  # the layout the conv kernels read
    dx[...] = (grad_out.T * (1.0 / (H * W)))[:, None, None, :]
    return to_public(dx)
