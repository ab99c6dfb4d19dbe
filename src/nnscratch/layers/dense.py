"""The fully connected layer ``y = x @ W + b``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .. import init as initializers
from .._dtype import resolve_dtype
from .._params import Bool, Rule
from .._rng import as_rng
from ..kernels.grads import matmul_into_grad, sum_into_grad
from ..parameter import Parameter
from ..regularizers import Regularizer, get_regularizer
from .base import SIZE, ArraySpec, Layer, Shape, _regularizer_config, check_float, config_int


class Dense(Layer):
    """Fully connected layer: ``y = x @ W + b``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample.
    bias : bool, default True
        Whether to add the learnable bias ``b``. The classic two-layer article has none.
    init : str or callable, default "glorot_uniform"
        Weight initialiser (see :mod:`nnscratch.init`), e.g. ``"he_normal"`` for ReLU
        networks or ``init.Normal(0.01)`` for the articles' ``0.01 * randn``.
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
    W : Parameter of shape (in_features, out_features)
    b : Parameter of shape (out_features,) or None

    Shape
    -----
    x : ndarray of shape (N, in_features) -> y : ndarray of shape (N, out_features)

    Notes
    -----
    With G = dL/dy of shape (N, out_features):

    * dL/dW = xᵀ G  (in_features, out_features)
    * dL/db = Σ_n G[n]  (out_features,)
    * dL/dx = G Wᵀ  (N, in_features)

    PyTorch's ``nn.Linear`` stores the transpose, ``weight`` of shape (out, in).
    """

    in_features: int
    out_features: int
    use_bias: bool
    constraints: ClassVar[dict[str, Rule]] = {
        "in_features": SIZE,
        "out_features": SIZE,
        "bias": Bool(attr="use_bias"),
    }

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | initializers.Initializer = "glorot_uniform",
        bias_init: str | initializers.Initializer = "zeros",
        rng: np.random.Generator | int | None = None,
        dtype: np.typing.DTypeLike | None = None,
        kernel_regularizer: str | Regularizer | dict[str, Any] | None = None,
        bias_regularizer: str | Regularizer | dict[str, Any] | None = None,
    ) -> None:
        self.set_params(in_features=in_features, out_features=out_features, bias=bias)
        dt = resolve_dtype(dtype)
        gen = as_rng(rng)
        shape = (self.in_features, self.out_features)
        self.W = Parameter(
            initializers.initialize(init, shape, *shape, gen, dt), name="W"
        )
        self.b: Parameter | None = None
        if self.use_bias:
            self.b = Parameter(
                initializers.initialize(bias_init, (self.out_features,), *shape, gen, dt),
                name="b",
                regularize=False,
            )
        self.W.regularizer = get_regularizer(kernel_regularizer)
        if self.b is not None:
            self.b.regularizer = get_regularizer(bias_regularizer)
        self._x: np.ndarray | None = None
        self._gW_tmp: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """y = x @ W + b for x of shape (N, in_features)."""
        W = self.W.data
        # The training loop hands over arrays already in W's dtype: skip the conversions
        if type(x) is not np.ndarray or x.dtype != W.dtype:
            x = check_float(self, x)
            if x.dtype != W.dtype:
                x = x.astype(W.dtype)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"{self}: expected input of shape (N, {self.in_features}), got {tuple(x.shape)}"
            )
        self._x = x
        y = x @ W  # (N, out)
        if self.b is not None:
            y += self.b.data  # in place: x @ W is a new array
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Backpropagate through y = x @ W + b.

        Parameters
        ----------
        grad_out : ndarray of shape (N, out_features)
            dL/dy.

        Returns
        -------
        ndarray of shape (N, in_features)
            dL/dx = dL/dy @ Wᵀ.
        """
        self.backward_params(grad_out)
        return grad_out @ self.W.data.T  # (N, in)

    def backward_params(self, grad_out: np.ndarray) -> None:
        """Add dL/dW and dL/db into the gradients without computing dL/dx.

        A network's first layer needs only this: its input gradient is never read, and
        that GEMM costs as much as the forward pass.
        """
        x = self._need("_x")
        if grad_out.shape != (x.shape[0], self.out_features):
            raise ValueError(
                f"{self}.backward: expected grad_out of shape ({x.shape[0]}, {self.out_features}),"
                f" got {tuple(grad_out.shape)}"
            )
        matmul_into_grad(self.W, x.T, grad_out)  # dL/dW += xᵀ G  (in, out)
        if self.b is not None:
            sum_into_grad(self.b, grad_out, axis=0)  # dL/db += Σ_n G[n]  (out,)

    def parameters(self) -> list[Parameter]:
        return [self.W] if self.b is None else [self.W, self.b]

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 1 or input_shape[0] not in (None, self.in_features):
            raise ValueError(
                f"{self}: expected input of shape (N, {self.in_features}), "
                f"got (N, {', '.join(str(d) for d in input_shape)})"
            )
        return (self.out_features,)

    def get_config(self) -> dict[str, Any]:
        return {**self.declared_config(), **_regularizer_config(self)}

    def repr_head(self) -> tuple[str, tuple[str, ...]]:
        return f"{self.in_features}→{self.out_features}", ("in_features", "out_features")

    @classmethod
    def array_specs(cls, config: dict[str, Any]) -> dict[str, ArraySpec]:
        """``W`` of shape (in_features, out_features) and ``b`` of (out_features,)."""
        n_in = config_int("Dense", config, "in_features")
        n_out = config_int("Dense", config, "out_features")
        specs = {"W": ArraySpec((n_in, n_out))}
        if bool(config.get("bias", True)):
            specs["b"] = ArraySpec((n_out,))
        return specs

