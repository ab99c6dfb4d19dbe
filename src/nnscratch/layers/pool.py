"""Pooling: max and average over sliding windows, and global average pooling.

The window arithmetic lives in :mod:`nnscratch.kernels.pool` (a fast form in the
batch-innermost layout, and a plain reference over NCHW windows).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._params import OrNone, Rule
from ..kernels.pool import (
    avgpool2d_backward,
    avgpool2d_forward,
    global_avgpool2d_backward,
    maxpool2d_backward,
    maxpool2d_forward,
)
from .base import Layer, Shape, check_float
from .image import PAIR, PAIR0, fmt_pair, fmt_shape, out_size


class _Pool2D(Layer):
    """What the window poolings share: arguments, geometry, checks and description."""

    _registered = False

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

    def _check(self, x: np.ndarray) -> np.ndarray:
        """Check ``x`` (N, C, H, W) and remember its geometry for backward."""
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
        return x

    def _check_grad(self, grad_out: np.ndarray) -> np.ndarray:
        """Check dL/dy against the last forward; returns it in the input's dtype."""
        N, C, _, _, Ho, Wo = self._need("_geometry")
        if grad_out.shape != (N, C, Ho, Wo):
            raise ValueError(
                f"{self}.backward: expected grad_out of shape {(N, C, Ho, Wo)}, "
                f"got {tuple(grad_out.shape)}"
            )
        return grad_out.astype(self._dtype, copy=False)

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

    Forward remembers, per output, which window offset won (the kernels
    :func:`~nnscratch.kernels.maxpool2d_forward` and ``maxpool2d_backward``).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Window maxima of ``x`` of shape (N, C, H, W); returns (N, C, Ho, Wo)."""
        x = self._check(x)
        # y[n, c, i, j] = max over the window; _arg remembers which offset won
        y, self._arg = maxpool2d_forward(x, self.kernel_size, self.stride, self.padding)
        return y

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
        G = self._check_grad(grad_out)
        x_shape = self._geometry[:4]  # type: ignore[index]
        return maxpool2d_backward(G, arg, x_shape, self.kernel_size, self.stride,
                                  self.padding)


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
        x = self._check(x)
        return avgpool2d_forward(x, self.kernel_size, self.stride, self.padding)

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
        G = self._check_grad(grad_out)
        x_shape = self._geometry[:4]  # type: ignore[index]
        return avgpool2d_backward(G, x_shape, self.kernel_size, self.stride, self.padding)


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
        """dL/dx = dL/dy / (H·W) at every position.

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
        # dL/dx[n, c, i, j] = dL/dy[n, c] / (H·W)
        return global_avgpool2d_backward(grad_out.astype(self._dtype, copy=False),
                                         (N, C, H, W))

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"{self}: expected input of shape (N, C, H, W), "
                f"got {fmt_shape(('N', *input_shape))}"
            )
        return (input_shape[0],)
