"""Weight penalties added to the loss: L1, L2 and both.

A regularizer is attached to a parameter (``layer.W.regularizer = L2(1e-4)``); during
training the loop adds ``penalty(p.data)`` to the reported loss and ``grad(p.data)`` to
``p.grad``. Biases are not penalised unless a regularizer is attached to them too.

Conventions (Keras's)
---------------------
* ``L1(l1)``: penalty ``l1 · Σ|w|``, gradient ``l1 · sign(w)`` (0 at w = 0, the
  subgradient nearest the origin);
* ``L2(l2)``: penalty ``l2 · Σw²`` — without the ½ — so the gradient is ``2 · l2 · w``.
  SGD's ``weight_decay=λ`` equals ``L2(λ / 2)``;
* ``L1L2(l1, l2)``: the sum of both.

Examples
--------
>>> import numpy as np
>>> w = np.array([1.0, -2.0])
>>> L2(0.1).penalty(w)                 # 0.1 · (1 + 4)
0.5
>>> L2(0.1).grad(w)                    # 2 · 0.1 · w
array([ 0.2, -0.4])
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ._params import Declared, Number, Rule, call_repr
from ._registry import Registry, class_key

REGULARIZER_REGISTRY: Registry[type[Regularizer]] = Registry("regularizer")


class Regularizer(Declared):
    """Base class: ``penalty(w) -> float`` and ``grad(w) -> ndarray`` (d penalty / dw)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REGULARIZER_REGISTRY.register(cls)

    def penalty(self, w: np.ndarray) -> float:
        raise NotImplementedError

    def grad(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, w: np.ndarray) -> float:
        return self.penalty(w)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments (its declared ones)."""
        return self.declared_config()

    def __repr__(self) -> str:
        return call_repr(type(self).__name__, self.get_config())

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Regularizer) and type(other) is type(self)
                and other.get_config() == self.get_config())

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self.get_config().items())))


class L1L2(Regularizer):
    """L1 and L2 penalties together: ``l1 · Σ|w| + l2 · Σw²``.

    Parameters
    ----------
    l1, l2 : float >= 0, default 0
        Coefficients of the two penalties.

    Notes
    -----
    d/dw = l1 · sign(w) + 2 · l2 · w. The result has the dtype of ``w``.
    """

    l1: float
    l2: float
    constraints: ClassVar[dict[str, Rule]] = {"l1": Number(), "l2": Number()}

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.set_params(l1=l1, l2=l2)

    def penalty(self, w: np.ndarray) -> float:
        w = np.asarray(w)
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.abs(w).sum())
        if self.l2:
            flat = w.reshape(-1)
            total += self.l2 * float(np.dot(flat, flat))
        return total

    def grad(self, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w)
        g = np.zeros_like(w)
        if self.l1:
            np.sign(w, out=g)
            g *= self.l1
        if self.l2:
            g += (2.0 * self.l2) * w
        return g


class L1(L1L2):
    """Lasso penalty ``l1 · Σ|w|``; gradient ``l1 · sign(w)``.

    Parameters
    ----------
    l1 : float >= 0, default 0.01
    """

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)


class L2(L1L2):
    """Ridge (weight-decay) penalty ``l2 · Σw²``; gradient ``2 · l2 · w``.

    Parameters
    ----------
    l2 : float >= 0, default 0.01
    """

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)


def get_regularizer(spec: str | Regularizer | dict[str, Any] | None) -> Regularizer | None:
    """A regularizer from an instance, None, a name (``"l2"`` → ``L2()``) or a saved
    description ``{"class": "L2", "config": {"l2": 0.001}}``."""
    if spec is None or isinstance(spec, Regularizer):
        return spec
    by_lower = REGULARIZER_REGISTRY.by_lower_name()
    if isinstance(spec, str) and spec.lower() in by_lower:
        return by_lower[spec.lower()]()
    if isinstance(spec, dict):
        name = spec.get("class")
        cls = REGULARIZER_REGISTRY.get(name) if isinstance(name, str) else None
        if cls is None and isinstance(name, str):
            cls = by_lower.get(name.lower())
        config = spec.get("config", {})
        if cls is not None and isinstance(config, dict):
            return cls(**config)
    raise ValueError(
        f"unknown regularizer {spec!r}; expected a Regularizer, None or one of "
        f"{REGULARIZER_REGISTRY.builtin_names()}"
    )


def to_config(reg: Regularizer | None) -> dict[str, Any] | None:
    """The JSON-able description :func:`get_regularizer` rebuilds from."""
    if reg is None:
        return None
    return {"class": class_key(type(reg)), "config": reg.get_config()}
