"""The optimizer base class and the helpers its subclasses share (see
:mod:`nnscratch.optimizers`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from .._params import Bool, Declared, Number, OrNone, Rule
from .._registry import Registry
from ..parameter import Parameter

OPTIMIZER_REGISTRY: Registry[type[Optimizer]] = Registry("optimizer")


#: ``learning_rate`` is checked again each time a schedule sets it, so its rule is kept here.
_LEARNING_RATE = Number(0.0, lo_open=True)

#: The rules of the two arguments every optimizer with weight decay takes.
DECAY: dict[str, Rule] = {"weight_decay": Number(), "exclude_bias_and_norm": Bool()}


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


class Optimizer(Declared):
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
    exclude_bias_and_norm : bool, default False
        In the optimizers that take ``weight_decay``: leave biases and normalisation
        parameters (``p.regularize`` false) out of it.

    Attributes
    ----------
    params : list of Parameter
        The bound parameters (empty until :meth:`bind`).
    state : list of dict
        Per-parameter state, aligned with ``params``. Keys starting with ``_`` hold reused
        scratch arrays and are not saved.
    iterations : int
        Number of :meth:`step` calls since binding.

    Subclasses implement ``_update(p, grad, state)``, which changes ``p.data`` in place,
    and declare their own arguments' rules in ``constraints`` (see :mod:`nnscratch._params`),
    from which the checks, :meth:`get_config` and ``repr`` follow.
    """

    clipnorm: float | None
    clipvalue: float | None
    constraints: ClassVar[dict[str, Rule]] = {
        "learning_rate": _LEARNING_RATE,
        "clipnorm": OrNone(Number(0.0, lo_open=True)),
        "clipvalue": OrNone(Number(0.0, lo_open=True)),
    }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        OPTIMIZER_REGISTRY.register(cls)

    def __init__(
        self,
        learning_rate: float = 0.01,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
    ) -> None:
        self.set_params(learning_rate=learning_rate, clipnorm=clipnorm, clipvalue=clipvalue)
        self.params: list[Parameter] = []
        self.state: list[dict[str, Any]] = []
        self.iterations = 0

    @property
    def learning_rate(self) -> float:
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._lr = _LEARNING_RATE(type(self).__name__, "learning_rate", value)

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

    #: Data-parallel training (:mod:`nnscratch.distributed`) sets this, for the length of
    #: a ``fit``, to a function that replaces every bound gradient by the ranks' weighted
    #: sum (then adds the regularization gradients) and returns False when the step must
    #: be skipped on every rank. It lives here, in ``step``, so that a ``train_step``
    #: a user overrides cannot leave it out. None in one process.
    reduce_gradients: Any = None

    def step(self) -> None:
        """Reduce the gradients over the ranks when data-parallel, clip them if asked, then
        update every bound parameter in place."""
        if not self.params:
            raise RuntimeError(f"{self}.step(): no parameters bound; call bind() first")
        if self.reduce_gradients is not None and not self.reduce_gradients():
            return  # a rank's loss was not finite: no rank steps
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
        """The constructor arguments (``clipnorm``/``clipvalue`` only when set)."""
        return self.declared_config()

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
