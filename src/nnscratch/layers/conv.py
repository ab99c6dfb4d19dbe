"""2-D convolution by im2col: one GEMM forward, two GEMMs backward.

Forward gathers every receptive field into the columns of a matrix (im2col) so the whole
batch is one matrix product with the weights; backward multiplies by the transposed weights
and scatters the columns back onto the image (col2im). Both gathers are kernels
(:mod:`nnscratch.kernels.conv`), with a plain reference beside a fast, batch-innermost
form.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .. import init as initializers
from .._dtype import resolve_dtype
from .._params import Bool, Check, Rule
from .._rng import as_rng
from ..kernels.conv import (
    bias_matmul,
    bias_matmul_grads,
    col2im,
    cols_to_images,
    im2col,
    images_to_cols,
)
from ..parameter import Parameter
from ..regularizers import Regularizer, get_regularizer
from .base import SIZE, ArraySpec, Layer, Shape, _regularizer_config, check_float, config_int
from .image import PAIR, fmt_pair, fmt_shape, out_size, pair


def _padding(owner: str, name: str, value: Any) -> tuple[int, int] | str:
    """``"same"``, or a pair of ints >= 0 (``"valid"`` is (0, 0))."""
    mode = value.lower() if isinstance(value, str) else None
    if mode == "same":
        return "same"
    if mode is not None and mode != "valid":
        raise ValueError(f"{owner}: {name} must be an int, a pair, 'same' or 'valid', "
                         f"got {value!r}")
    return (0, 0) if mode == "valid" else pair(owner, name, value, minimum=0)


def _same_pads(kernel: int) -> tuple[int, int]:
    """'same' padding for stride 1: k - 1 in total, the odd one after (PyTorch, Keras)."""
    total = kernel - 1
    return total // 2, total - total // 2


class Conv2D(Layer):
    """2-D convolution (strictly, cross-correlation, as in every deep-learning library).

    ``y[n, f, i, j] = b[f] + Σ_{c, u, v} W[f, c, u, v] · xp[n, c, i·sh + u, j·sw + v]``
    where ``xp`` is ``x`` zero-padded.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels C of the input and F of the output.
    kernel_size : int or (int, int)
        Window (kH, kW).
    stride : int or (int, int), default 1
        Step (sh, sw) between windows.
    padding : int, (int, int), "same" or "valid", default 0
        Zeros added on each side of the rows and the columns. ``"valid"`` is 0. ``"same"``
        (stride 1 only) keeps H and W: kH - 1 rows in total, with the odd one at the
        bottom (and the right) for an even kernel, as PyTorch and Keras do.
    bias : bool, default True
        Whether to add the learnable per-channel bias ``b``.
    init : str or callable, default "he_uniform"
        Weight initialiser (see :mod:`nnscratch.init`); He suits the ReLU that usually
        follows a convolution. ``"torch"`` gives PyTorch's default. The fans are
        ``in_channels·kH·kW`` and ``out_channels·kH·kW``.
    bias_init : str or callable, default "zeros"
        Bias initialiser.
    rng : numpy Generator, int or None
        Source of the initial weights. None: a generator drawn from the library's after
        :func:`nnscratch.manual_seed`, else fresh entropy.
    dtype : float32 or float64, optional
        Parameter dtype (default: :func:`nnscratch.get_default_dtype`, float32; see
        :func:`nnscratch.default_dtype`). The initial values are drawn in float64 and
        rounded once to it.
    kernel_regularizer, bias_regularizer : Regularizer, name or None
        Penalties on ``W`` and ``b`` (e.g. ``nn.L2(1e-4)``; see
        :mod:`nnscratch.regularizers`), added to the training loss and its gradient.
        The same as setting ``layer.W.regularizer``.

    Attributes
    ----------
    W : Parameter of shape (out_channels, in_channels, kH, kW)
        PyTorch's ``weight`` layout.
    b : Parameter of shape (out_channels,) or None

    Shape
    -----
    x : ndarray of shape (N, C, H, W) -> y : ndarray of shape (N, F, Ho, Wo) with
    ``Ho = floor((H + pad_top + pad_bottom - kH) / sh) + 1`` and likewise Wo.
    Images in (N, H, W) or (N, H, W, C) go through :func:`~nnscratch.layers.to_nchw`.
    On the fast path ``y`` is an NCHW view of (F, Ho, Wo, N) memory (see
    :mod:`nnscratch.kernels.layout`).

    Notes
    -----
    With K = C·kH·kW and M = N·Ho·Wo, forward builds ``cols`` of shape (K, M) whose column
    (n, i, j) is the flattened receptive field of output pixel (i, j) of sample n, and
    computes ``Y = W_mat @ cols + b`` with ``W_mat = W.reshape(F, K)``. With G = dL/dY of
    shape (F, M):

    * dL/dW = G @ colsᵀ, reshaped to (F, C, kH, kW);
    * dL/db = Σ over all N·Ho·Wo outputs of G, one sum per output channel f. It does not
      depend on the input channels: each b[f] enters every output pixel of channel f once;
    * dL/dx = col2im(W_matᵀ @ G): each column's K gradient entries are added back onto the
      input positions they were copied from, where overlapping windows accumulate; the
      padding's share is dropped.

    Memory: forward keeps ``cols`` (K·M floats, about kH·kW/(sh·sw) times the input) for
    backward; the padded input copy is freed when forward returns. The peak extra memory
    of forward + backward is two im2col matrices (``cols`` and its gradient ``dcols``)
    plus the output, the padded input gradient (which becomes dL/dx) and, when
    ``grad_out`` is not already in the internal layout, one output-sized copy of it. For
    the second layer of the Fashion-MNIST CNN (16→32, 3×3, pad 1, batch 64 of 14×14) in
    float32: 2 × 7.2 MB + 1.6 MB + 1.0 MB (+ 1.6 MB) = 17-19 MB, 2.4-2.6 × the im2col
    matrix (measured with tracemalloc).

    Examples
    --------
    >>> conv = Conv2D(1, 16, 3, padding=1, rng=0)
    >>> conv(np.zeros((32, 1, 28, 28), dtype=np.float32)).shape
    (32, 16, 28, 28)
    """

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] | str
    use_bias: bool
    constraints: ClassVar[dict[str, Rule]] = {
        "in_channels": SIZE,
        "out_channels": SIZE,
        "kernel_size": PAIR,
        "stride": PAIR,
        "padding": Check(_padding),
        "bias": Bool(attr="use_bias"),
    }

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        bias: bool = True,
        init: str | initializers.Initializer = "he_uniform",
        bias_init: str | initializers.Initializer = "zeros",
        rng: np.random.Generator | int | None = None,
        dtype: np.typing.DTypeLike | None = None,
        kernel_regularizer: str | Regularizer | dict[str, Any] | None = None,
        bias_regularizer: str | Regularizer | dict[str, Any] | None = None,
    ) -> None:
        self.set_params(in_channels=in_channels, out_channels=out_channels,
                        kernel_size=kernel_size, stride=stride, padding=padding, bias=bias)
        kh, kw = self.kernel_size
        #: Zeros added (top, bottom, left, right).
        self._pads: tuple[int, int, int, int]
        if isinstance(self.padding, str):  # "same"
            if self.stride != (1, 1):
                raise ValueError(f"Conv2D: padding='same' needs stride=1, got stride={stride!r}")
            self._pads = (*_same_pads(kh), *_same_pads(kw))
        else:
            ph, pw = self.padding
            self._pads = (ph, ph, pw, pw)

        dt = resolve_dtype(dtype)
        gen = as_rng(rng)
        fan_in, fan_out = self.in_channels * kh * kw, self.out_channels * kh * kw
        shape = (self.out_channels, self.in_channels, kh, kw)
        self.W = Parameter(initializers.initialize(init, shape, fan_in, fan_out, gen, dt), name="W")
        self.b: Parameter | None = None
        if self.use_bias:
            self.b = Parameter(
                initializers.initialize(bias_init, (self.out_channels,), fan_in, fan_out, gen, dt),
                name="b",
                regularize=False,
            )
        self.W.regularizer = get_regularizer(kernel_regularizer)
        if self.b is not None:
            self.b.regularizer = get_regularizer(bias_regularizer)
        self._cols: np.ndarray | None = None
        self._geometry: tuple[int, ...] | None = None

    # -- geometry ----------------------------------------------------------------------------
    def _out_dim(self, size: int, axis: int, shape: tuple[Any, ...]) -> int:
        """Output rows (axis 0) or columns (axis 1) for an input of ``size``."""
        kernel, stride = self.kernel_size[axis], self.stride[axis]
        pad = self._pads[2 * axis] + self._pads[2 * axis + 1]
        if size + pad < kernel:
            what = ("height", "rows") if axis == 0 else ("width", "columns")
            raise ValueError(
                f"{self}: kernel {what[0]} {kernel} is larger than the padded input {what[0]} "
                f"{size + pad} ({size} {what[1]} + {pad} padding) of input {fmt_shape(shape)}"
            )
        return out_size(size, kernel, stride, pad)

    def _shape_error(self, shape: tuple[Any, ...]) -> ValueError:
        hint = ""
        if len(shape) == 3 or (len(shape) == 4 and shape[-1] == self.in_channels):
            hint = "; convert (N, H, W) or (N, H, W, C) images with nnscratch.layers.to_nchw(x)"
        return ValueError(
            f"{self}: expected input of shape (N, {self.in_channels}, H, W), "
            f"got {fmt_shape(shape)}{hint}"
        )

    # -- the protocol ------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Convolve a batch ``x`` of shape (N, C, H, W); returns (N, F, Ho, Wo)."""
        x = check_float(self, x)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise self._shape_error(tuple(x.shape))
        W = self.W.data
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        N, C, H, Wd = x.shape
        Ho = self._out_dim(H, 0, tuple(x.shape))
        Wo = self._out_dim(Wd, 1, tuple(x.shape))
        F = self.out_channels
        cols = im2col(x, self.kernel_size, self.stride, self._pads)  # (C·kH·kW, N·Ho·Wo)
        b = None if self.b is None else self.b.data
        y = bias_matmul(W.reshape(F, -1), b, cols)  # (F, N·Ho·Wo) = W_mat @ cols + b
        self._cols = cols
        self._geometry = (N, C, H, Wd, Ho, Wo)
        return cols_to_images(y, (N, F, Ho, Wo))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Backpropagate through the convolution.

        Parameters
        ----------
        grad_out : ndarray of shape (N, F, Ho, Wo)
            dL/dy.

        Returns
        -------
        ndarray of shape (N, C, H, W)
            dL/dx = col2im(W_matᵀ @ G).

        Notes
        -----
        Adds dL/dW = G @ colsᵀ and dL/db = Σ_{n,i,j} G[f, n, i, j] into the gradients
        (see the class Notes).
        """
        G = self._param_grads(grad_out)  # (F, M)
        N, C, H, Wd, _, _ = self._geometry  # type: ignore[misc]
        W_mat = self.W.data.reshape(self.out_channels, -1)  # (F, C·kH·kW)
        return col2im(W_mat.T @ G, (N, C, H, Wd), self.kernel_size, self.stride, self._pads)

    def backward_params(self, grad_out: np.ndarray) -> None:
        """Add dL/dW and dL/db without the col2im of dL/dx (for a network's first layer)."""
        self._param_grads(grad_out)

    def _param_grads(self, grad_out: np.ndarray) -> np.ndarray:
        """Check ``grad_out``, add dL/dW and dL/db, return G of shape (F, N·Ho·Wo)."""
        cols = self._need("_cols")
        N, _, _, _, Ho, Wo = self._geometry  # type: ignore[misc]
        F = self.out_channels
        if grad_out.shape != (N, F, Ho, Wo):
            raise ValueError(
                f"{self}.backward: expected grad_out of shape {(N, F, Ho, Wo)}, "
                f"got {tuple(grad_out.shape)}"
            )
        G = images_to_cols(grad_out.astype(self.W.data.dtype, copy=False))  # (F, M)
        # dL/dW_mat += G @ colsᵀ  (F, C·kH·kW);  dL/db += Σ_m G[f, m]  (F,)
        bias_matmul_grads(self.W, self.b, G, cols)
        return G

    def parameters(self) -> list[Parameter]:
        return [self.W] if self.b is None else [self.W, self.b]

    # -- description -------------------------------------------------------------------------
    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3 or input_shape[0] not in (None, self.in_channels):
            raise self._shape_error(("N", *input_shape))
        _, h, w = input_shape
        full = ("N", *input_shape)
        ho = None if h is None else self._out_dim(h, 0, full)
        wo = None if w is None else self._out_dim(w, 1, full)
        return (self.out_channels, ho, wo)

    @classmethod
    def array_specs(cls, config: dict[str, Any]) -> dict[str, ArraySpec]:
        """``W`` of shape (out_channels, in_channels, kh, kw) and ``b`` of (out_channels,)."""
        c_in = config_int("Conv2D", config, "in_channels")
        c_out = config_int("Conv2D", config, "out_channels")
        kh, kw = pair("Conv2D", "kernel_size", config.get("kernel_size"))
        specs = {"W": ArraySpec((c_out, c_in, kh, kw))}
        if bool(config.get("bias", True)):
            specs["b"] = ArraySpec((c_out,))
        return specs

    def get_config(self) -> dict[str, Any]:
        return {**self.declared_config(), **_regularizer_config(self)}

    def repr_head(self) -> tuple[str, tuple[str, ...]]:
        kh, kw = self.kernel_size
        pad = "'same'" if isinstance(self.padding, str) else fmt_pair(self.padding)
        return (f"{self.in_channels}→{self.out_channels}, {kh}×{kw}, "
                f"stride={fmt_pair(self.stride)}, pad={pad}",
                ("in_channels", "out_channels", "kernel_size", "stride", "padding"))
