"""Optimizers: update parameters in place from their gradients.

An optimizer is made without parameters and bound to them by the model
(``model.use(loss, optimizer)`` calls :meth:`Optimizer.bind`), so the same object can be
described, saved and re-bound. State (velocities, moments) is kept per parameter in
:attr:`Optimizer.state`, one dict per bound parameter, and :meth:`Optimizer.state_dict`
copies it so that training can be resumed bit for bit.

Every optimizer here follows ``torch.optim``'s update exactly (the tests compare them in
float64 over 20 steps); where a default differs from PyTorch's the class docstring says so.

Common behaviour
----------------
* Updates are in place (``p.data`` is never rebound) and stay in the parameter's dtype:
  in float32 every temporary is float32 and is allocated once per parameter, then reused.
* ``weight_decay`` applies to every parameter, biases and normalisation parameters
  included, as in ``torch.optim`` and Keras. ``exclude_bias_and_norm=True`` leaves out
  the parameters with ``p.regularize`` false (biases, BatchNorm's γ and β): PyTorch's
  recipe of a second parameter group with ``weight_decay=0``, Keras'
  ``exclude_from_weight_decay``.
* ``clipvalue`` clamps every gradient entry to ``[-clipvalue, clipvalue]`` (like
  ``torch.nn.utils.clip_grad_value_``); ``clipnorm`` then rescales all gradients together
  so that their global L2 norm is at most ``clipnorm`` (like
  ``torch.nn.utils.clip_grad_norm_``: factor ``clipnorm / (norm + 1e-6)`` when below 1).
  Clipping changes ``p.grad`` in place, as PyTorch's functions do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._blas import Axpy
from ._checks import check_bool
from ._checks import check_number as _check_number
from ._registry import Registry
from .parameter import Parameter

OPTIMIZER_REGISTRY: Registry[type[Optimizer]] = Registry("optimizer")


def _check_lr(owner: str, learning_rate: float) -> float:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.number)):
        raise TypeError(f"{owner}: learning_rate must be a number, got {learning_rate!r}")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"{owner}: learning_rate must be > 0, got {learning_rate!r}")
    return float(learning_rate)


def _check_clip(owner: str, name: str, value: float | None) -> float | None:
    if value is None:
        return None
    return _check_number(owner, name, value, 0.0, lo_open=True)


def _buffer(state: dict[str, Any], key: str, like: np.ndarray) -> np.ndarray:
    """A scratch array shaped like ``like``, kept in ``state`` under ``_key`` and reused.

    Keys starting with ``_`` are workspace, not state: :meth:`Optimizer.state_dict`
    leaves them out.
    """
    buf = state.get(key)
    if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
        buf = np.empty_like(like)
        state[key] = buf
    return buf


def _descend(p: Parameter, d: np.ndarray, lr: float, state: dict[str, Any]) -> None:
    """θ ← θ − η d in place: BLAS's axpy where NumPy's BLAS can be reached (one pass over
    memory, on BLAS's threads; see :mod:`nnscratch._blas`), else η d into a reused buffer
    and a subtraction (two passes, no fresh temporary)."""
    axpy = _axpy_for(state, d, p.data)
    if axpy is not None:
        axpy(-lr)
        return
    tmp = _buffer(state, "_tmp", d)
    np.multiply(d, lr, out=tmp)
    p.data -= tmp


def _axpy_for(state: dict[str, Any], x: np.ndarray, y: np.ndarray) -> Axpy | None:
    """A BLAS ``y ← a·x + y`` for this pair of arrays, cached in ``state`` while both
    stay the same objects; None where BLAS cannot do it (NumPy then does)."""
    cached = state.get("_axpy")
    if cached is not None and cached[0] is x and cached[1] is y:
        return cached[2]
    axpy = Axpy(x, y) if Axpy.usable(x, y) else None
    state["_axpy"] = (x, y, axpy)
    return axpy


class Optimizer:
    """Base class.

    Parameters
    ----------
    learning_rate : float
        Step size η > 0. ``fit(learning_rate=...)`` and learning-rate schedules set it.
    clipnorm : float or None
        Rescale the gradients so that their global L2 norm (over all bound parameters) is
        at most this before each step.
    clipvalue : float or None
        Clamp each gradient entry to ``[-clipvalue, clipvalue]`` before each step (applied
        before ``clipnorm`` when both are given).

    Attributes
    ----------
    params : list of Parameter
        The bound parameters (empty until :meth:`bind`).
    state : list of dict
        Per-parameter state, aligned with ``params``. Keys starting with ``_`` hold reused
        scratch arrays and are not saved.
    iterations : int
        Number of :meth:`step` calls since binding.

    Subclasses implement ``_update(p, grad, state)``, which changes ``p.data`` in place.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        OPTIMIZER_REGISTRY.register(cls)

    def __init__(
        self,
        learning_rate: float = 0.01,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
    ) -> None:
        owner = type(self).__name__
        self.learning_rate = _check_lr(owner, learning_rate)
        self.clipnorm = _check_clip(owner, "clipnorm", clipnorm)
        self.clipvalue = _check_clip(owner, "clipvalue", clipvalue)
        self.params: list[Parameter] = []
        self.state: list[dict[str, Any]] = []
        self.iterations = 0

    @property
    def learning_rate(self) -> float:
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._lr = _check_lr(type(self).__name__, value)

    def bind(self, params: Iterable[Parameter]) -> Optimizer:
        """Attach to ``params`` and reset the state; returns self."""
        self.params = list(params)
        self.state = [{} for _ in self.params]
        self.iterations = 0
        return self

    def zero_grad(self) -> None:
        """Clear every bound parameter's gradient."""
        for p in self.params:
            p.zero_grad()

    def clip_gradients(self) -> float:
        """Apply ``clipvalue`` then ``clipnorm`` to the bound gradients, in place.

        Returns
        -------
        float
            The global L2 norm of the gradients before norm clipping (after value
            clipping), or NaN when ``clipnorm`` is None.
        """
        if self.clipvalue is not None:
            c = self.clipvalue
            for p in self.params:
                np.clip(p.grad, -c, c, out=p.grad)
        if self.clipnorm is None:
            return math.nan
        # Σ‖g_i‖² accumulated in a Python float; np.dot of a contiguous ravel copies nothing
        total = 0.0
        for p in self.params:
            g = p.grad.reshape(-1)
            total += float(np.dot(g, g))
        norm = math.sqrt(total)
        coef = self.clipnorm / (norm + 1e-6)
        if coef < 1.0:
            for p in self.params:
                p.grad *= coef
        return norm

    def step(self) -> None:
        """Clip the gradients if asked, then update every bound parameter in place."""
        if not self.params:
            raise RuntimeError(f"{self}.step(): no parameters bound; call bind() first")
        if self.clipvalue is not None or self.clipnorm is not None:
            self.clip_gradients()
        update = self._update
        for p, state in zip(self.params, self.state):  # aligned by bind()
            update(p, p.grad, state)
        self.iterations += 1

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    #: Leave parameters with ``p.regularize`` false out of ``weight_decay``; set by the
    #: constructors of the optimizers that take ``weight_decay``.
    exclude_bias_and_norm = False

    def _decayed(
        self, p: Parameter, grad: np.ndarray, state: dict[str, Any], weight_decay: float
    ) -> np.ndarray:
        """``grad + weight_decay · p`` (L2 coupled into the gradient) in a reused buffer,
        or ``grad`` itself when there is no decay for ``p``."""
        if weight_decay == 0 or (self.exclude_bias_and_norm and not p.regularize):
            return grad
        g = _buffer(state, "_grad", grad)
        np.multiply(p.data, weight_decay, out=g)
        g += grad
        return g

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"learning_rate": self.learning_rate}
        if self.clipnorm is not None:
            config["clipnorm"] = self.clipnorm
        if self.clipvalue is not None:
            config["clipvalue"] = self.clipvalue
        return config

    def state_dict(self) -> dict[str, Any]:
        """Copies of the arrays and counters needed to resume exactly.

        The result shares no memory with the live state, so later steps leave it
        unchanged. It includes the current learning rate, which a schedule may have set.
        """
        return {
            "learning_rate": self.learning_rate,
            "iterations": self.iterations,
            "state": [
                {k: (v.copy() if isinstance(v, np.ndarray) else v)
                 for k, v in s.items() if not k.startswith("_")}
                for s in self.state
            ],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (copying it) for the bound parameters."""
        saved = state["state"]
        if len(saved) != len(self.params):
            raise ValueError(
                f"{self}: saved state is for {len(saved)} parameters, "
                f"{len(self.params)} are bound"
            )
        new_state: list[dict[str, Any]] = []
        for i, (p, s) in enumerate(zip(self.params, saved, strict=True)):
            entry: dict[str, Any] = {}
            for k, v in s.items():
                if isinstance(v, np.ndarray):
                    if v.shape != p.data.shape:
                        raise ValueError(
                            f"{self}: saved {k!r} for parameter {i} ({p.name}) has shape "
                            f"{v.shape}, expected {p.data.shape}"
                        )
                    v = np.array(v, dtype=p.data.dtype, copy=True)
                entry[k] = v
            new_state.append(entry)
        self.state = new_state
        self.iterations = int(state["iterations"])
        if "learning_rate" in state:
            self.learning_rate = state["learning_rate"]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


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
    exclude_bias_and_norm : bool, default False
        Leave biases and normalisation parameters (``p.regularize`` false) out of
        ``weight_decay``.
    clipnorm, clipvalue : float or None
        Gradient clipping (see :class:`Optimizer`).

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

    The last line is BLAS's axpy where NumPy's BLAS library can be reached (one pass over
    memory instead of two; :mod:`nnscratch._blas`, off with ``NNSCRATCH_BLAS_AXPY=0``).

    References
    ----------
    Robbins & Monro, "A stochastic approximation method", 1951. Polyak, "Some methods of
    speeding up the convergence of iteration methods", 1964. Sutskever, Martens, Dahl &
    Hinton, "On the importance of initialization and momentum in deep learning", ICML 2013.

    Examples
    --------
    >>> opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    """

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
        name = type(self).__name__
        self.exclude_bias_and_norm = check_bool(name, "exclude_bias_and_norm",
                                                exclude_bias_and_norm)
        self.momentum = _check_number(name, "momentum", momentum, 0.0, 1.0)
        self.weight_decay = _check_number(name, "weight_decay", weight_decay)
        self.dampening = _check_number(name, "dampening", dampening, 0.0, 1.0, hi_open=False)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"{name}: nesterov=True needs momentum > 0 and dampening == 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any]) -> None:
        mu = self.momentum
        if mu == 0 and (self.weight_decay == 0
                        or (self.exclude_bias_and_norm and not p.regularize)):
            # plain SGD, the hot path of most training runs: none of the machinery below
            _descend(p, grad, self._lr, state)
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
        _descend(p, g, self._lr, state)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
            "dampening": self.dampening,
            "exclude_bias_and_norm": self.exclude_bias_and_norm,
        }


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
    exclude_bias_and_norm : bool, default False
        Leave biases and normalisation parameters (``p.regularize`` false) out of
        ``weight_decay``.
    clipnorm, clipvalue : float or None
        Gradient clipping (see :class:`Optimizer`).

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
        name = type(self).__name__
        self.exclude_bias_and_norm = check_bool(name, "exclude_bias_and_norm",
                                                exclude_bias_and_norm)
        self.eps = _check_number(name, "eps", eps)
        self.initial_accumulator_value = _check_number(
            name, "initial_accumulator_value", initial_accumulator_value
        )
        self.lr_decay = _check_number(name, "lr_decay", lr_decay)
        self.weight_decay = _check_number(name, "weight_decay", weight_decay)

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

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "eps": self.eps,
            "initial_accumulator_value": self.initial_accumulator_value,
            "lr_decay": self.lr_decay,
            "weight_decay": self.weight_decay,
            "exclude_bias_and_norm": self.exclude_bias_and_norm,
        }


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
    exclude_bias_and_norm : bool, default False
        Leave biases and normalisation parameters (``p.regularize`` false) out of
        ``weight_decay``.
    clipnorm, clipvalue : float or None
        Gradient clipping (see :class:`Optimizer`).

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
        name = type(self).__name__
        self.exclude_bias_and_norm = check_bool(name, "exclude_bias_and_norm",
                                                exclude_bias_and_norm)
        self.rho = _check_number(name, "rho", rho, 0.0, 1.0)
        self.eps = _check_number(name, "eps", eps)
        self.momentum = _check_number(name, "momentum", momentum, 0.0, 1.0)
        self.centered = bool(centered)
        self.weight_decay = _check_number(name, "weight_decay", weight_decay)

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

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "eps": self.eps,
            "momentum": self.momentum,
            "centered": self.centered,
            "weight_decay": self.weight_decay,
            "exclude_bias_and_norm": self.exclude_bias_and_norm,
        }


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
    exclude_bias_and_norm : bool, default False
        Leave biases and normalisation parameters (``p.regularize`` false) out of
        ``weight_decay``.
    clipnorm, clipvalue : float or None
        Gradient clipping (see :class:`Optimizer`).

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
        name = type(self).__name__
        self.exclude_bias_and_norm = check_bool(name, "exclude_bias_and_norm",
                                                exclude_bias_and_norm)
        self.beta1 = _check_number(name, "beta1", beta1, 0.0, 1.0)
        self.beta2 = _check_number(name, "beta2", beta2, 0.0, 1.0)
        self.eps = _check_number(name, "eps", eps)
        self.amsgrad = bool(amsgrad)
        self.weight_decay = _check_number(name, "weight_decay", weight_decay)

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

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta1": self.beta1,
            "beta2": self.beta2,
            "eps": self.eps,
            "amsgrad": self.amsgrad,
            "weight_decay": self.weight_decay,
            "exclude_bias_and_norm": self.exclude_bias_and_norm,
        }


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

    _decoupled = True

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        amsgrad: bool = False,
        weight_decay: float = 0.01,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        exclude_bias_and_norm: bool = False,
    ) -> None:
        super().__init__(learning_rate, beta1, beta2, eps, amsgrad, weight_decay,
                         clipnorm, clipvalue, exclude_bias_and_norm)


def get_optimizer(optimizer: str | Optimizer | None, **kwargs: Any) -> Optimizer:
    """An optimizer from an instance, a class name (``"SGD"``, ``"adam"``) or None (SGD)."""
    if optimizer is None:
        return SGD(**kwargs)
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        by_lower = OPTIMIZER_REGISTRY.by_lower_name()
        if optimizer.lower() in by_lower:
            return by_lower[optimizer.lower()](**kwargs)
    raise ValueError(
        f"unknown optimizer {optimizer!r}; expected an Optimizer or one of "
        f"{OPTIMIZER_REGISTRY.builtin_names()}"
    )
