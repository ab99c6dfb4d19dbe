"""RMSProp."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._params import Bool, Number, Rule
from ..parameter import Parameter
from .base import DECAY, Optimizer, _buffer


class RMSProp(Optimizer):
    """RMSProp: steps scaled by a running root mean square of the gradients.

    Parameters
    ----------
    learning_rate : float, default 0.001
        Step size η. PyTorch's default is 0.01; 0.001 is Hinton's and Keras's, and the
        safer choice with ρ = 0.9.
    rho : float in [0, 1), default 0.9
        Decay ρ of the mean square (PyTorch's ``alpha``, whose default is 0.99). 0.9 is
        the value of the lecture that introduced RMSProp and Keras's default.
    eps : float >= 0, default 1e-8
        Added to the root, outside it, as PyTorch does (Keras uses 1e-7).
    momentum : float in [0, 1), default 0
        Momentum μ of the step.
    centered : bool, default False
        Divide by an estimate of the gradient's standard deviation instead of its RMS.
    weight_decay : float >= 0, default 0
        L2 penalty λ added to the gradient, for every parameter.
    exclude_bias_and_norm, clipnorm, clipvalue
        As for every optimizer (see :class:`Optimizer`); default False, None, None.

    Notes
    -----
    As in ``torch.optim.RMSprop`` (with ``alpha = rho``)::

        g ← g_t + λ θ
        v ← ρ v + (1 − ρ) g²
        m ← m + (1 − ρ)(g − m)                       (centered only; mean of g)
        d = √(v − m²) + ε  if centered  else  √v + ε
        b ← μ b + g / d,  θ ← θ − η b                (μ > 0)
        θ ← θ − η g / d                              (μ = 0)

    References
    ----------
    Tieleman & Hinton, Lecture 6.5, "rmsprop: Divide the gradient by a running average of
    its recent magnitude", COURSERA: Neural Networks for Machine Learning, 2012. Graves,
    "Generating sequences with recurrent neural networks", arXiv:1308.0850, 2013
    (the centered variant).

    Examples
    --------
    >>> opt = RMSProp(learning_rate=0.01, rho=0.99)   # PyTorch's RMSprop(lr=0.01) defaults
    >>> opt.alpha
    0.99
    """

    rho: float
    eps: float
    momentum: float
    centered: bool
    weight_decay: float
    constraints: ClassVar[dict[str, Rule]] = {
        "rho": Number(0.0, 1.0),
        "eps": Number(),
        "momentum": Number(0.0, 1.0),
        "centered": Bool(),
        **DECAY,
    }

    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        eps: float = 1e-8,
        momentum: float = 0.0,
        centered: bool = False,
        weight_decay: float = 0.0,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        exclude_bias_and_norm: bool = False,
    ) -> None:
        super().__init__(learning_rate, clipnorm, clipvalue)
        self.set_params(rho=rho, eps=eps, momentum=momentum, centered=centered,
                        weight_decay=weight_decay, exclude_bias_and_norm=exclude_bias_and_norm)

    @property
    def alpha(self) -> float:
        """PyTorch's name for :attr:`rho`."""
        return self.rho

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any]) -> None:
        g = self._decayed(p, grad, state, self.weight_decay)
        rho = self.rho
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p.data)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
        state["step"] += 1
        v = state["square_avg"]
        tmp = _buffer(state, "_tmp", g)
        v *= rho
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - rho
        v += tmp  # v = ρ v + (1 − ρ) g²
        if self.centered:
            m = state["grad_avg"]
            np.subtract(g, m, out=tmp)
            tmp *= 1.0 - rho
            m += tmp  # m = m + (1 − ρ)(g − m)
            np.multiply(m, m, out=tmp)
            np.subtract(v, tmp, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(v, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)  # g / d
        if self.momentum > 0:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += tmp
            np.multiply(buf, self.learning_rate, out=tmp)
        else:
            tmp *= self.learning_rate
        p.data -= tmp

