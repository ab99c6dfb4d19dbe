"""AdaGrad."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._params import Number, Rule
from ..parameter import Parameter
from .base import DECAY, Optimizer, _buffer


class AdaGrad(Optimizer):
    """AdaGrad: per-coordinate steps scaled by the root of the summed squared gradients.

    Parameters
    ----------
    learning_rate : float, default 0.01
        Step size η (PyTorch's default; Keras uses 0.001).
    eps : float >= 0, default 1e-10
        Added to the denominator (PyTorch's default; Keras uses 1e-7).
    initial_accumulator_value : float >= 0, default 0
        Starting value of the sum G (PyTorch's default; Keras uses 0.1).
    lr_decay : float >= 0, default 0
        Learning-rate decay κ as in ``torch.optim.Adagrad``.
    weight_decay : float >= 0, default 0
        L2 penalty λ added to the gradient, for every parameter.
    exclude_bias_and_norm, clipnorm, clipvalue
        As for every optimizer (see :class:`Optimizer`); default False, None, None.

    Notes
    -----
    At step t = 1, 2, ... (as in ``torch.optim.Adagrad``)::

        g ← g_t + λ θ
        G ← G + g²
        θ ← θ − η / (1 + (t − 1) κ) · g / (√G + ε)

    References
    ----------
    Duchi, Hazan & Singer, "Adaptive subgradient methods for online learning and
    stochastic optimization", JMLR 12, 2011.

    Examples
    --------
    >>> opt = AdaGrad(learning_rate=0.1, initial_accumulator_value=0.1)  # Keras's start
    """

    eps: float
    initial_accumulator_value: float
    lr_decay: float
    weight_decay: float
    constraints: ClassVar[dict[str, Rule]] = {
        "eps": Number(),
        "initial_accumulator_value": Number(),
        "lr_decay": Number(),
        **DECAY,
    }

    def __init__(
        self,
        learning_rate: float = 0.01,
        eps: float = 1e-10,
        initial_accumulator_value: float = 0.0,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        exclude_bias_and_norm: bool = False,
    ) -> None:
        super().__init__(learning_rate, clipnorm, clipvalue)
        self.set_params(eps=eps, initial_accumulator_value=initial_accumulator_value,
                        lr_decay=lr_decay, weight_decay=weight_decay,
                        exclude_bias_and_norm=exclude_bias_and_norm)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any]) -> None:
        g = self._decayed(p, grad, state, self.weight_decay)
        if "sum" not in state:
            state["sum"] = np.full_like(p.data, self.initial_accumulator_value)
            state["step"] = 0
        state["step"] += 1
        total = state["sum"]
        tmp = _buffer(state, "_tmp", g)
        np.multiply(g, g, out=tmp)
        total += tmp  # G += g²
        np.sqrt(total, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)  # g / (√G + ε)
        tmp *= self.learning_rate / (1 + (state["step"] - 1) * self.lr_decay)
        p.data -= tmp

