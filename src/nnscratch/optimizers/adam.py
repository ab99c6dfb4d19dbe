"""Adam and AdamW."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .._params import Bool, Number, Rule, with_defaults
from ..parameter import Parameter
from .base import DECAY, Optimizer, _buffer


class Adam(Optimizer):
    """Adam: bias-corrected running means of the gradient and its square.

    Parameters
    ----------
    learning_rate : float, default 0.001
        Step size η (the paper's and PyTorch's default).
    beta1, beta2 : float in [0, 1), default 0.9 and 0.999
        Decay rates β₁, β₂ of the first and second moments (PyTorch's ``betas``).
    eps : float >= 0, default 1e-8
        Added to the denominator outside the root (the paper's and PyTorch's default;
        Keras uses 1e-7).
    amsgrad : bool, default False
        Divide by the running maximum of the second moment (AMSGrad).
    weight_decay : float >= 0, default 0
        L2 penalty λ added to the gradient, for every parameter. For decoupled weight
        decay use :class:`AdamW`.
    exclude_bias_and_norm, clipnorm, clipvalue
        As for every optimizer (see :class:`Optimizer`); default False, None, None.

    Notes
    -----
    At step t = 1, 2, ... (as in ``torch.optim.Adam``)::

        g ← g_t + λ θ
        m ← m + (1 − β₁)(g − m)          (= β₁ m + (1 − β₁) g)
        v ← β₂ v + (1 − β₂) g²
        v̂ ← max(v̂, v) if amsgrad else v
        θ ← θ − η / (1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    References
    ----------
    Kingma & Ba, "Adam: A method for stochastic optimization", ICLR 2015,
    arXiv:1412.6980. Reddi, Kale & Kumar, "On the convergence of Adam and beyond",
    ICLR 2018 (AMSGrad).

    Examples
    --------
    >>> import numpy as np
    >>> from nnscratch.parameter import Parameter
    >>> w = Parameter(np.zeros(2), name="w")
    >>> opt = Adam(learning_rate=0.1, clipnorm=1.0).bind([w])
    >>> w.grad[...] = [3.0, -4.0]
    >>> opt.step()              # the first step is about η · sign(g)
    >>> w.data.round(6)
    array([-0.1,  0.1])
    """

    #: Decoupled (AdamW) rather than L2 weight decay.
    _decoupled = False

    beta1: float
    beta2: float
    eps: float
    amsgrad: bool
    weight_decay: float
    constraints: ClassVar[dict[str, Rule]] = {
        "beta1": Number(0.0, 1.0),
        "beta2": Number(0.0, 1.0),
        "eps": Number(),
        "amsgrad": Bool(),
        **DECAY,
    }

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        amsgrad: bool = False,
        weight_decay: float = 0.0,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        exclude_bias_and_norm: bool = False,
    ) -> None:
        super().__init__(learning_rate, clipnorm, clipvalue)
        self.set_params(beta1=beta1, beta2=beta2, eps=eps, amsgrad=amsgrad,
                        weight_decay=weight_decay, exclude_bias_and_norm=exclude_bias_and_norm)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any]) -> None:
        lr, b1, b2 = self.learning_rate, self.beta1, self.beta2
        if self._decoupled:
            g = grad
            if self.weight_decay != 0 and (p.regularize or not self.exclude_bias_and_norm):
                p.data *= 1.0 - lr * self.weight_decay  # θ ← θ (1 − η λ)
        else:
            g = self._decayed(p, grad, state, self.weight_decay)
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = _buffer(state, "_tmp", g)
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - b1
        m += tmp  # m = m + (1 − β₁)(g − m)
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp  # v = β₂ v + (1 − β₂) g²
        if self.amsgrad:
            vmax = state["max_exp_avg_sq"]
            np.maximum(vmax, v, out=vmax)
            v = vmax
        step_size = lr / (1.0 - b1**t)
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1.0 - b2**t)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        p.data -= tmp



class AdamW(Adam):
    """Adam with decoupled weight decay.

    The parameters are those of :class:`Adam`; ``weight_decay`` defaults to 0.01
    (PyTorch's default; Keras uses 0.004) and shrinks the weights directly instead of
    being added to the gradient.

    Notes
    -----
    As in ``torch.optim.AdamW``, before the Adam step of :class:`Adam` (with λ = 0 there)::

        θ ← θ (1 − η λ)

    Every parameter decays, biases included, unless ``exclude_bias_and_norm=True``.

    References
    ----------
    Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR 2019,
    arXiv:1711.05101.

    Examples
    --------
    >>> opt = AdamW(learning_rate=1e-3, weight_decay=0.05)
    """

    _decoupled = True  # θ ← θ (1 − η λ) instead of λ θ added to the gradient
    #: Adam's constructor, arguments and checks, with its own weight_decay default.
    __init__ = with_defaults(Adam.__init__, weight_decay=0.01)
