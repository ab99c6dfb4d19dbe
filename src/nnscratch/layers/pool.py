"""Pooling: max and average over sliding windows, and global average pooling.

Like the convolution, the window layers loop only over the kH·kW kernel offsets; each
iteration handles one (C, Ho, Wo, N) slab of the input, every channel, output pixel and
sample at once, in the batch-innermost layout of :mod:`nnscratch.layers.image`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._params import OrNone, Rule
from .base import Layer, Shape, check_float
from .image import (
    PAIR,
    PAIR0,
    fmt_pair,
    fmt_shape,
    out_size,
    to_internal,
    to_internal_padded,
    to_public,
    window,
)


class _Pool2D(Layer):
    """What the window poolings share: arguments, geometry, checks and description."""

    _registered = False
    #: Value of the padding border: the identity of the pooling's reduction.
    _fill: float = 0.0

    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    constraints: ClassVar[dict[str, Rule]] = {
        "kernel_size": PAIR,
        "stride": OrNone(PAIR),
        "padding": PAIR0,
    }

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        name = type(self).__name__
        self.set_params(kernel_size=kernel_size, stride=stride, padding=padding)
        if stride is None:
            self.stride = self.kernel_size
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size, strict=True)):
            # PyTorch's rule too: otherwise a window could hold nothing but padding.
            raise ValueError(
                f"{name}: padding must be at most half the kernel size "
                f"{fmt_pair(self.kernel_size)}, got {padding!r}"
            )
        ph, pw = self.padding
        self._pads = (ph, ph, pw, pw)
        self._geometry: tuple[int, ...] | None = None
        self._dtype = np.dtype(np.float32)

    def _out_dim(self, size: int, axis: int, shape: tuple[Any, ...]) -> int:
        kernel, pad = self.kernel_size[axis], 2 * self.padding[axis]
        if size + pad < kernel:
            what = ("height", "rows") if axis == 0 else ("width", "columns")
            raise ValueError(
                f"{self}: kernel {what[0]} {kernel} is larger than the padded input {what[0]} "
                f"{size + pad} ({size} {what[1]} + {pad} padding) of input {fmt_shape(shape)}"
            )
        return out_size(size, kernel, self.stride[axis], pad)

    def _prepare(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        """Check ``x`` and return it padded in the internal layout, with (Ho, Wo)."""
        x = check_float(self, x)
        if x.ndim != 4:
            raise ValueError(
                f"{self}: expected input of shape (N, C, H, W), got {fmt_shape(x.shape)}; "
                "convert (N, H, W) or (N, H, W, C) images with nnscratch.layers.to_nchw(x)"
            )
        N, C, H, W = x.shape
        out_hw = (self._out_dim(H, 0, x.shape), self._out_dim(W, 1, x.shape))
        self._geometry = (N, C, H, W, *out_hw)
        self._dtype = x.dtype
        return to_internal_padded(x, self._pads, self._fill), out_hw  # (C, Hp, Wp, N)

    def _tiles(self) -> bool:
        """Whether the windows cover every input exactly once (the usual 2×2, stride 2
        pooling of an even-sized image, no padding): backward then writes every entry of
        dL/dx and needs no zeroed buffer."""
        _, _, H, W, Ho, Wo = self._need("_geometry")
        return (self.stride == self.kernel_size and not any(self.padding)
                and Ho * self.kernel_size[0] == H and Wo * self.kernel_size[1] == W)

    def _grad_internal(self, grad_out: np.ndarray,
                       tiled: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """dL/dy as (C, Ho, Wo, N) and a (C, Hp, Wp, N) buffer for dL/dx_padded: zeroed,
        or left uninitialised when ``tiled`` (the caller writes every entry)."""
        N, C, H, W, Ho, Wo = self._need("_geometry")
        if grad_out.shape != (N, C, Ho, Wo):
            raise ValueError(
                f"{self}.backward: expected grad_out of shape {(N, C, Ho, Wo)}, "
                f"got {tuple(grad_out.shape)}"
            )
        ph, pw = self.padding
        dtype = self._dtype
        G = to_internal(grad_out.astype(dtype, copy=False))
        alloc = np.empty if tiled else np.zeros
        return G, alloc((C, H + 2 * ph, W + 2 * pw, N), dtype=dtype)

    def _crop(self, dxp: np.ndarray) -> np.ndarray:
        """Drop the padding's share of the gradient; returns the (N, C, H, W) view."""
        _, _, H, W, _, _ = self._need("_geometry")
        ph, pw = self.padding
        return to_public(dxp[:, ph : ph + H, pw : pw + W])

    def _windows_overlap(self) -> bool:
        return self.stride[0] < self.kernel_size[0] or self.stride[1] < self.kernel_size[1]

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"{self}: expected input of shape (N, C, H, W), "
                f"got {fmt_shape(('N', *input_shape))}"
            )
        c, h, w = input_shape
        full = ("N", *input_shape)
        return (
            c,
            None if h is None else self._out_dim(h, 0, full),
            None if w is None else self._out_dim(w, 1, full),
        )

    def repr_head(self) -> tuple[str, tuple[str, ...]]:
        kh, kw = self.kernel_size
        pad = f", pad={fmt_pair(self.padding)}" if any(self.padding) else ""
        return (f"{kh}×{kw}, stride={fmt_pair(self.stride)}{pad}",
                ("kernel_size", "stride", "padding"))


class MaxPool2D(_Pool2D):
    """Max pooling: the largest value of each kH×kW window.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window (kH, kW).
    stride : int, (int, int) or None, default None
        Step between windows; None means the kernel size (non-overlapping windows).
    padding : int or (int, int), default 0
        Rows/columns of -inf added on each side, at most half the kernel, as in PyTorch:
        padding never wins a maximum.

    Shape
    -----
    x : ndarray of shape (N, C, H, W) -> y : ndarray of shape (N, C, Ho, Wo) with
    ``Ho = floor((H + 2·ph - kH) / sh) + 1`` and likewise Wo (PyTorch's floor mode).

    Notes
    -----
    dL/dx sends each window's dL/dy to exactly one input: the window's maximum. On ties
    (common: zero backgrounds, ReLU outputs) that is the *first* maximum in row-major
    window order, as in PyTorch; a mask ``x == max`` would instead copy the gradient to
    every tied position and silently inflate all gradients upstream. Where windows
    overlap (stride < kernel), an input that is the maximum of several windows receives
    the sum of their gradients.

    Forward remembers, per output, the row-major index ``u·kW + v`` of the winning
    offset (one byte per output for windows of up to 256 positions), found with
    whole-slab arithmetic only: masked assignments (``np.copyto(..., where=)``) are many
    times slower on these strided slabs.
    """

    _fill = -np.inf

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Window maxima of ``x`` of shape (N, C, H, W); returns (N, C, Ho, Wo)."""
        xp, out_hw = self._prepare(x)  # (C, Hp, Wp, N)
        kh, kw = self.kernel_size
        best = window(xp, 0, 0, out_hw, self.stride).copy()  # (C, Ho, Wo, N)
        index_type = np.uint8 if kh * kw <= 256 else np.int32
        arg = np.zeros(best.shape, dtype=index_type)  # winning offset so far
        better = np.empty(best.shape, dtype=bool)
        offer = np.empty(best.shape, dtype=index_type)
        for k in range(1, kh * kw):
            candidate = window(xp, k // kw, k % kw, out_hw, self.stride)
            np.greater(candidate, best, out=better)  # strict: a tie keeps the earlier offset
            np.maximum(best, candidate, out=best)
            # arg = k where better: k exceeds every earlier index, so a maximum does it.
            # The mask is read as uint8: bool × uint8 would convert it element by element
            np.multiply(better.view(np.uint8), index_type(k), out=offer)
            np.maximum(arg, offer, out=arg)
        self._arg = arg
        return to_public(best)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Route each dL/dy[n, c, i, j] to the first maximum of its window.

        Parameters
        ----------
        grad_out : ndarray of shape (N, C, Ho, Wo)
            dL/dy.

        Returns
        -------
        ndarray of shape (N, C, H, W)
            dL/dx: zero except at window maxima.
        """
        arg = self._need("_arg")
        overlap = self._windows_overlap()
        # (C, Ho, Wo, N), (C, Hp, Wp, N); when the windows tile the input, the loop below
        # writes every entry of dxp, so it is not zeroed first
        G, dxp = self._grad_internal(grad_out, tiled=self._tiles())
        kh, kw = self.kernel_size
        out_hw = (arg.shape[1], arg.shape[2])
        won = np.empty(arg.shape, dtype=bool)
        share = np.empty_like(G) if overlap else G
        for k in range(kh * kw):
            np.equal(arg, k, out=won)
            target = window(dxp, k // kw, k % kw, out_hw, self.stride)
            if overlap:  # an input may be the maximum of several windows: accumulate
                target += np.multiply(G, won, out=share)
            else:  # disjoint windows: each input belongs to one window, write directly
                np.multiply(G, won, out=target)
        return self._crop(dxp)


class AvgPool2D(_Pool2D):
    """Average pooling: the mean of each kH×kW window.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window (kH, kW).
    stride : int, (int, int) or None, default None
        Step between windows; None means the kernel size.
    padding : int or (int, int), default 0
        Zeros added on each side, at most half the kernel. The padding zeros count in the
        mean: every window divides by kH·kW, even at the border (PyTorch's default,
        ``count_include_pad=True``).

    Shape
    -----
    x : ndarray of shape (N, C, H, W) -> y : ndarray of shape (N, C, Ho, Wo), as MaxPool2D.

    Notes
    -----
    y = (1 / (kH·kW)) Σ_{u,v} xp[i·sh + u, j·sw + v], so each input in a window receives
    dL/dy / (kH·kW), summed over the windows that contain it.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Window means of ``x`` of shape (N, C, H, W); returns (N, C, Ho, Wo)."""
        xp, out_hw = self._prepare(x)  # (C, Hp, Wp, N)
        kh, kw = self.kernel_size
        total = window(xp, 0, 0, out_hw, self.stride).copy()  # (C, Ho, Wo, N)
        for k in range(1, kh * kw):
            total += window(xp, k // kw, k % kw, out_hw, self.stride)
        total *= 1.0 / (kh * kw)  # a Python float keeps float32 float32
        return to_public(total)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Spread each dL/dy evenly over its window.

        Parameters
        ----------
        grad_out : ndarray of shape (N, C, Ho, Wo)
            dL/dy.

        Returns
        -------
        ndarray of shape (N, C, H, W)
            dL/dx.
        """
        G, dxp = self._grad_internal(grad_out)  # (C, Ho, Wo, N), (C, Hp, Wp, N)
        kh, kw = self.kernel_size
        share = G * (1.0 / (kh * kw))
        out_hw = (share.shape[1], share.shape[2])
        for k in range(kh * kw):
            window(dxp, k // kw, k % kw, out_hw, self.stride)[...] += share
        return self._crop(dxp)


class GlobalAvgPool2D(Layer):
    """Mean over all rows and columns of each channel: (N, C, H, W) -> (N, C).

    Shape
    -----
    x : ndarray of shape (N, C, H, W) -> y : ndarray of shape (N, C)

    Notes
    -----
    y[n, c] = (1 / (H·W)) Σ_{i,j} x[n, c, i, j], so dL/dx[n, c, i, j] = dL/dy[n, c] / (H·W).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_float(self, x)
        if x.ndim != 4:
            raise ValueError(
                f"{self}: expected input of shape (N, C, H, W), got {fmt_shape(x.shape)}"
            )
        self._x_shape = x.shape
        self._dtype = x.dtype
        return x.mean(axis=(2, 3))  # (N, C), in x's dtype

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy / (H·W) at every position, as an NCHW view of (C, H, W, N) memory.

        Parameters
        ----------
        grad_out : ndarray of shape (N, C)
            dL/dy.

        Returns
        -------
        ndarray of shape (N, C, H, W)
        """
        N, C, H, W = self._need("_x_shape")
        if grad_out.shape != (N, C):
            raise ValueError(
                f"{self}.backward: expected grad_out of shape {(N, C)}, got {tuple(grad_out.shape)}"
            )
        dx = np.empty((C, H, W, N), dtype=self._dtype)
        dx[...] = (grad_out.T * (1.0 / (H * W)))[:, None, None, :]
        return to_public(dx)

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"{self}: expected input of shape (N, C, H, W), "
                f"got {fmt_shape(('N', *input_shape))}"
            )
        return (input_shape[0],)
