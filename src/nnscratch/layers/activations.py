"""Element-wise activations and softmax, each with its derivative beside it."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._params import Int, Number, Rule
from ..kernels.activations import log_softmax as log_softmax  # re-exported
from ..kernels.activations import relu_forward, softmax
from .base import Layer, check_float

#: nnscratch's activations by the names ``get_activation`` and the command line take;
#: each class adds its own with ``names=`` (``class ReLU(Activation, names=("relu",))``).
ACTIVATIONS: dict[str, type[Layer]] = {}


class Activation(Layer):
    """Base of the activations (not registered by itself).

    A subclass in nnscratch names itself for :func:`get_activation` with the class
    keyword ``names``; a user's own activation is not added, so it cannot shadow one.
    """

    _registered = False

    def __init_subclass__(cls, names: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("nnscratch."):
            for name in names:
                ACTIVATIONS[name] = cls


class Identity(Activation, names=("identity", "linear")):
    """y = x (a linear output layer, written explicitly)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._seen = True
        return check_float(self, x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self._need("_seen")
        return grad_out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}) without overflow: only e^{-|x|} ≤ 1 is ever computed."""
    e = np.exp(-np.abs(x))
    denom = 1.0 + e
    return np.where(x >= 0, 1.0 / denom, e / denom).astype(x.dtype, copy=False)


class Sigmoid(Activation, names=("sigmoid",)):
    """Logistic sigmoid ``y = 1 / (1 + exp(-x))``.

    Notes
    -----
    dy/dx = y (1 - y). Computed as ``1/(1+e^{-|x|})`` or ``e^{-|x|}/(1+e^{-|x|})`` by the
    sign of x, so no exponential overflows for large |x|.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = _sigmoid(check_float(self, x))
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._need("_y")
        return grad_out * y * (1.0 - y)


class Tanh(Activation, names=("tanh",)):
    """Hyperbolic tangent ``y = tanh(x)``.

    Notes
    -----
    dy/dx = 1 - y².
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = np.tanh(check_float(self, x))
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._need("_y")
        return grad_out * (1.0 - y * y)


class ReLU(Activation, names=("relu",)):
    """Rectified linear unit ``y = max(x, 0)``.

    Notes
    -----
    dy/dx = 1 where x > 0, else 0 (PyTorch's convention at x = 0).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = check_float(self, x)  # backward needs the sign of x
        return relu_forward(self._x)  # max(x, 0)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._need("_x")
        return grad_out * (x > 0)


class LeakyReLU(Activation, names=("leaky_relu",)):
    """Leaky ReLU ``y = x`` for x > 0, ``negative_slope · x`` otherwise.

    Notes
    -----
    dy/dx = 1 where x > 0, else ``negative_slope``.
    """

    negative_slope: float
    constraints: ClassVar[dict[str, Rule]] = {"negative_slope": Number(-np.inf)}

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.set_params(negative_slope=negative_slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_float(self, x)
        self._mask = x > 0
        return np.where(self._mask, x, x * self.negative_slope)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        mask = self._need("_mask")
        return np.where(mask, grad_out, grad_out * self.negative_slope)

    def repr_head(self) -> tuple[str, tuple[str, ...]]:
        return repr(self.negative_slope), ("negative_slope",)


class Softmax(Activation, names=("softmax",)):
    """Softmax along ``axis`` (the last by default): ``y_i = e^{x_i} / Σ_j e^{x_j}``.

    Prefer a linear output layer with :class:`~nnscratch.losses.SoftmaxCrossEntropy`, which
    fuses the two into the stable gradient ``softmax(x) - y``.

    Notes
    -----
    The Jacobian is dy_i/dx_j = y_i (δ_ij - y_j), so
    dL/dx = y ⊙ (g - Σ_j g_j y_j) with g = dL/dy.
    """

    axis: int
    #: NumPy arrays have at most 64 axes.
    constraints: ClassVar[dict[str, Rule]] = {"axis": Int(minimum=-64)}

    def __init__(self, axis: int = -1) -> None:
        self.set_params(axis=axis)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = softmax(check_float(self, x), axis=self.axis)
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._need("_y")
        return y * (grad_out - (grad_out * y).sum(axis=self.axis, keepdims=True))



def get_activation(name: str) -> Layer:
    """A new activation layer from its name (``"relu"``, ``"tanh"``, ``"sigmoid"``, ...)."""
    key = name.lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[key]()
