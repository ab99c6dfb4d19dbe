"""Stochastic gradient descent."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._params import Bool, Number, Rule
from ..kernels.optim import sgd_update
from ..parameter import Parameter
from .base import DECAY, Optimizer, _buffer


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay.

    Whether this is full-batch, stochastic or mini-batch gradient descent is decided by
    ``fit(batch_size=...)``.

    Parameters
    ----------
    learning_rate : float, default 0.01
        Step size η. PyTorch's default is 0.001; 0.01 is Keras's and suits plain SGD.
    momentum : float in [0, 1), default 0
        Momentum factor μ.
    nesterov : bool, default False
        Use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    weight_decay : float >= 0, default 0
        L2 penalty λ added to the gradient, for every parameter (see the module notes).
    dampening : float in [0, 1], default 0
        Dampening τ of the momentum's gradient term.
    exclude_bias_and_norm, clipnorm, clipvalue
        As for every optimizer (see :class:`Optimizer`); default False, None, None.

    Notes
    -----
    With gradient g_t at step t (as in ``torch.optim.SGD``)::

        g ← g_t + λ θ
        b_1 = g                          (the buffer starts as the first gradient)
        b_t = μ b_{t-1} + (1 − τ) g      (t > 1)
        d = g + μ b_t  if nesterov  else  b_t      (d = g when μ = 0)
        θ ← θ − η d

    The buffer's first value is the gradient itself, not ``(1 − τ) g``, exactly as in
    PyTorch.

    The last line is the kernel :func:`~nnscratch.kernels.sgd_update`.

    References
    ----------
    Robbins & Monro, "A stochastic approximation method", 1951. Polyak, "Some methods of
    speeding up the convergence of iteration methods", 1964. Sutskever, Martens, Dahl &
    Hinton, "On the importance of initialization and momentum in deep learning", ICML 2013.

    Examples
    --------
    >>> opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    """

    momentum: float
    nesterov: bool
    weight_decay: float
    dampening: float
    constraints: ClassVar[dict[str, Rule]] = {
        "momentum": Number(0.0, 1.0),
        "nesterov": Bool(),
        **DECAY,
        "dampening": Number(0.0, 1.0, hi_open=False),
    }

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        exclude_bias_and_norm: bool = False,
    ) -> None:
        super().__init__(learning_rate, clipnorm, clipvalue)
        self.set_params(momentum=momentum, nesterov=nesterov, weight_decay=weight_decay,
                        dampening=dampening, exclude_bias_and_norm=exclude_bias_and_norm)
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"{type(self).__name__}: nesterov=True needs momentum > 0 and dampening == 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any]) -> None:
        mu = self.momentum
        if mu == 0 and (self.weight_decay == 0
                        or (self.exclude_bias_and_norm and not p.regularize)):
            # plain SGD, the hot path of most training runs: none of the machinery below
            sgd_update(p.data, grad, self._lr, _buffer(state, "_tmp", grad), state)
            return
        g = self._decayed(p, grad, state, self.weight_decay)
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                state["momentum_buffer"] = buf = g.copy()
            else:
                buf *= mu
                if self.dampening == 0:
                    buf += g
                else:
                    tmp = _buffer(state, "_tmp", g)
                    np.multiply(g, 1.0 - self.dampening, out=tmp)
                    buf += tmp
            if self.nesterov:
                tmp = _buffer(state, "_tmp", g)
                np.multiply(buf, mu, out=tmp)
                tmp += g  # g + μ b
                tmp *= self.learning_rate
                p.data -= tmp
                return
            g = buf
        sgd_update(p.data, g, self._lr, _buffer(state, "_tmp", g), state)

