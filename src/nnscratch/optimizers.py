"""Optimizers: update parameters in place from their gradients.

An optimizer is made without parameters and bound to them by the model
(``model.use(loss, optimizer)`` calls :meth:`Optimizer.bind`), so the same object can be
described, saved and re-bound. State (velocities, moments) is kept per parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .parameter import Parameter

OPTIMIZER_REGISTRY: dict[str, type[Optimizer]] = {}


def _check_lr(owner: str, learning_rate: float) -> float:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.number)):
        raise TypeError(f"{owner}: learning_rate must be a number, got {learning_rate!r}")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"{owner}: learning_rate must be > 0, got {learning_rate!r}")
    return float(learning_rate)


class Optimizer:
    """Base class.

    Parameters
    ----------
    learning_rate : float
        Step size η > 0. ``fit(learning_rate=...)`` overrides it.

    Attributes
    ----------
    params : list of Parameter
        The bound parameters (empty until :meth:`bind`).
    state : list of dict
        Per-parameter state, aligned with ``params``.
    iterations : int
        Number of :meth:`step` calls since binding.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        OPTIMIZER_REGISTRY[cls.__name__] = cls

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = _check_lr(type(self).__name__, learning_rate)
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
            p.grad.fill(0)

    def step(self) -> None:
        """Apply one update to every bound parameter, in place."""
        if not self.params:
            raise RuntimeError(f"{self}.step(): no parameters bound; call bind() first")
        for p, state in zip(self.params, self.state):
            self._update(p, p.grad, state)
        self.iterations += 1

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate}

    def state_dict(self) -> dict[str, Any]:
        """Arrays and counters needed to resume exactly (see :meth:`load_state_dict`)."""
        return {
            "iterations": self.iterations,
            "state": [{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                      for s in self.state],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if len(state["state"]) != len(self.params):
            raise ValueError(
                f"{self}: saved state is for {len(state['state'])} parameters, "
                f"{len(self.params)} are bound"
            )
        self.iterations = int(state["iterations"])
        self.state = [dict(s) for s in state["state"]]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Plain gradient descent: θ ← θ - η · dL/dθ.

    Whether this is full-batch, stochastic or mini-batch gradient descent is decided by
    ``fit(batch_size=...)``.
    """

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any]) -> None:
        p.data -= self.learning_rate * grad


def get_optimizer(optimizer: str | Optimizer | None, **kwargs: Any) -> Optimizer:
    """An optimizer from an instance, a class name (``"SGD"``, ``"sgd"``) or None (SGD)."""
    if optimizer is None:
        return SGD(**kwargs)
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        by_lower = {name.lower(): cls for name, cls in OPTIMIZER_REGISTRY.items()}
        if optimizer.lower() in by_lower:
            return by_lower[optimizer.lower()](**kwargs)
    raise ValueError(
        f"unknown optimizer {optimizer!r}; expected an Optimizer or one of "
        f"{sorted(OPTIMIZER_REGISTRY)}"
    )
