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

from typing import Any

from .adagrad import AdaGrad
from .adam import Adam, AdamW
from .base import OPTIMIZER_REGISTRY, Optimizer
from .rmsprop import RMSProp
from .sgd import SGD

__all__ = [
    "OPTIMIZER_REGISTRY",
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSProp",
    "get_optimizer",
]


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
