"""Forward hooks: see what a layer outputs, without changing the layer or the training loop.

``register_forward_hook(layer, hook)`` makes every later ``layer.forward(x)`` call
``hook(layer, x, y)`` with its input and output (PyTorch's ``register_forward_hook``,
with the same ``(module, input, output)`` arguments); the returned handle's ``remove()``
undoes it. :class:`~nnscratch.callbacks.LayerStats` uses it to measure activations during
``fit``.

How: the first hook on a layer gives that one layer object an instance attribute
``forward`` that calls the class's ``forward`` and then the hooks; removing the last hook
deletes the attribute again. A layer without hooks is untouched, so training pays nothing
for hooks that nobody registered — no test in the hot path, no extra call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .layers.base import Layer

#: ``hook(layer, x, y)``: called after ``layer.forward(x)`` returned ``y``. Its return
#: value is ignored; it must not modify ``x`` or ``y``.
ForwardHook = Callable[[Layer, np.ndarray, np.ndarray], Any]

_HOOKS = "_forward_hooks"


class HookHandle:
    """What :func:`register_forward_hook` returns; ``remove()`` detaches the hook."""

    def __init__(self, layer: Layer, hook: ForwardHook) -> None:
        self.layer = layer
        self.hook = hook

    def remove(self) -> None:
        """Detach the hook (again: no effect). The last one gone, the layer is as before."""
        hooks: list[ForwardHook] | None = self.layer.__dict__.get(_HOOKS)
        if hooks is None or self.hook not in hooks:
            return
        hooks.remove(self.hook)
        if not hooks:
            del self.layer.__dict__[_HOOKS]
            del self.layer.__dict__["forward"]

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register_forward_hook(layer: Layer, hook: ForwardHook) -> HookHandle:
    """Call ``hook(layer, x, y)`` after every ``layer.forward(x)``, until removed.

    Parameters
    ----------
    layer : Layer
    hook : callable
        ``hook(layer, x, y)``: ``x`` the input, ``y`` the output of the forward pass, the
        arrays the network goes on with, so read them and do not write into them.

    Returns
    -------
    HookHandle
        ``handle.remove()`` (or ``with`` the handle) detaches the hook.

    Raises
    ------
    TypeError
        ``layer`` is not a Layer, or ``hook`` is not callable.
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"register_forward_hook: expected a Layer, got {type(layer).__name__}")
    if not callable(hook):
        raise TypeError(f"register_forward_hook: hook must be callable, got {hook!r}")
    hooks: list[ForwardHook] | None = layer.__dict__.get(_HOOKS)
    if hooks is None:
        hooks = layer.__dict__[_HOOKS] = []
        forward = type(layer).forward  # the class's own, whatever the layer

        def hooked_forward(x: np.ndarray) -> np.ndarray:
            y = forward(layer, x)
            for h in list(hooks):  # a hook may remove itself
                h(layer, x, y)
            return y

        layer.__dict__["forward"] = hooked_forward
    hooks.append(hook)
    return HookHandle(layer, hook)
