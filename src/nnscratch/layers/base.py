"""The layer protocol every layer follows.

A layer is a function ``y = f(x; θ)`` with a hand-written derivative:

* ``forward(x)`` computes ``y`` and keeps in ``self`` what ``backward`` needs;
* ``backward(grad_out)`` receives dL/dy, **adds** dL/dθ into each parameter's ``.grad``
  and returns dL/dx;
* ``parameters()`` lists the layer's :class:`~nnscratch.parameter.Parameter` objects.

Layers register themselves under a public name (``nnscratch.Dense``; a user's layer under
its module and name) so that a saved model can be rebuilt from its JSON description (see
:mod:`nnscratch.io` and :mod:`nnscratch._registry`).
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from .._checks import check_int
from .._params import Declared, Int, call_repr
from .._registry import Registry
from ..parameter import Parameter
from ..regularizers import to_config

#: Every Layer subclass, by public name; used to rebuild saved models.
LAYER_REGISTRY: Registry[type[Layer]] = Registry("layer")

Shape = tuple[int | None, ...]

#: A layer size (features, channels): a positive int. A wrong kind is a ValueError, as
#: layers have always raised, so that loading reports it like any bad config value.
SIZE = Int(type_error=ValueError)


class ArraySpec(NamedTuple):
    """An array a layer saves: its shape and the dtype kinds it may have."""

    shape: tuple[int, ...]
    #: NumPy dtype kinds accepted: ``"f"`` floating, ``"iu"`` integer, ``"U"`` text.
    kinds: str = "f"


class Layer(Declared):
    """Base class of all layers.

    Attributes
    ----------
    training : bool
        True while training (Dropout drops, BatchNorm uses batch statistics); set by
        ``Sequential.train()`` / ``Sequential.eval()``.

    A layer declares its constructor arguments' rules in ``constraints`` (see
    :mod:`nnscratch._params`); :meth:`get_config` and ``repr`` follow from them.
    """

    training: bool = True
    #: Abstract helper classes set this False so they are not saved/loaded by name.
    _registered: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_registered", True):  # not inherited: subclasses register
            LAYER_REGISTRY.register(cls)

    # -- the protocol --------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute the output for a batch ``x`` and remember what backward needs."""
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Add dL/dθ into each parameter's ``.grad`` and return dL/dx."""
        raise NotImplementedError

    def backward_params(self, grad_out: np.ndarray) -> None:
        """Add dL/dθ into each parameter's ``.grad`` without returning dL/dx.

        A network's first layer needs only this (nothing reads the gradient of the data),
        so layers whose dL/dx costs real work (Dense, Conv2D) override it to skip that
        work. The default runs :meth:`backward` and drops its result.
        """
        self.backward(grad_out)

    def parameters(self) -> list[Parameter]:
        """The trainable parameters (none by default)."""
        return []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # -- description ---------------------------------------------------------------------
    def output_shape(self, input_shape: Shape) -> Shape:
        """Output shape for a per-sample ``input_shape`` (no batch axis; None = unknown).

        Raises ValueError when ``input_shape`` cannot be fed to this layer.
        """
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this layer (weights are saved apart): the
        declared ones (none by default)."""
        return self.declared_config()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    @classmethod
    def array_specs(cls, config: dict[str, Any]) -> dict[str, ArraySpec] | None:
        """The arrays a layer built from ``config`` saves, derived without building it.

        Loading compares a file's arrays with these before any layer is built, so a small
        file cannot make a layer allocate what its header declares.

        Parameters
        ----------
        config : dict
            What :meth:`get_config` returns.

        Returns
        -------
        dict of str to ArraySpec, or None
            By key in a saved file after ``layers.<i>.``: a parameter's name (``"W"``)
            or ``"state."`` and a state array's name. None when the class cannot tell:
            a layer with parameters or state that does not override this method is
            built first and checked after.

        Raises
        ------
        ValueError
            A config value that no layer could be built from.
        """
        if cls.parameters is Layer.parameters and cls.state_arrays is Layer.state_arrays:
            return {}
        return None

    def astype(self, dtype: np.typing.DTypeLike) -> Layer:
        """Convert the parameters (and any float buffers) to ``dtype``; returns self."""
        for p in self.parameters():
            p.astype(dtype)
        return self

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Layer:
        self.training = mode
        return self

    def eval(self) -> Layer:
        return self.train(False)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Non-trainable arrays to save with the weights (e.g. BatchNorm running stats)."""
        return {}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_arrays` returned."""
        if arrays:
            raise ValueError(f"{self}: unexpected saved state {sorted(arrays)}")

    def repr_head(self) -> tuple[str, tuple[str, ...]]:
        """What ``repr`` writes before the keyword arguments (Dense: ``"4→3"``) and the
        config keys that text stands for; ``("", ())`` by default."""
        return "", ()

    def __repr__(self) -> str:
        """``Name(head, key=value, ...)`` with every config entry not at its default and
        not already in the head: ``Dense(4→3, bias=False)``."""
        head, shown = self.repr_head()
        return call_repr(type(self).__name__,
                         self.non_default_config(self.get_config(), shown), head)

    # -- helpers for subclasses ------------------------------------------------------------
    def _need(self, attr: str) -> Any:
        """Fetch what forward stored, or explain that backward came first."""
        value = getattr(self, attr, None)
        if value is None:
            raise RuntimeError(f"{self}.backward() called before forward()")
        return value


def implied_input_shape(layer: Layer) -> Shape | None:
    """The per-sample input shape a first layer implies, where it can tell.

    ``(in_features,)`` for a layer with ``in_features`` (Dense), ``(in_channels, None,
    None)`` for one with ``in_channels`` (Conv2D: the image size is not fixed), else None.
    """
    in_features = getattr(layer, "in_features", None)
    if in_features is not None:
        return (in_features,)
    in_channels = getattr(layer, "in_channels", None)
    if in_channels is not None:
        return (in_channels, None, None)
    return None


def config_int(owner: str, config: dict[str, Any], key: str) -> int:
    """``config[key]`` as a positive int, or a ValueError naming ``owner`` and ``key``."""
    return check_int(owner, key, config.get(key), type_error=ValueError)


def check_float(layer: Layer, x: np.ndarray) -> np.ndarray:
    """Return ``x`` as a floating array (ints and bools become the default dtype)."""
    if type(x) is np.ndarray and x.dtype.kind == "f":  # every call inside fit: no work
        return x
    x = np.asarray(x)
    if x.dtype.kind != "f":
        from .._dtype import get_default_dtype

        x = x.astype(get_default_dtype())
    return x


def _regularizer_config(layer: Any) -> dict[str, Any]:
    """``kernel_regularizer`` / ``bias_regularizer`` entries of a layer's config (set ones only)."""
    out: dict[str, Any] = {}
    for key, p in (("kernel_regularizer", layer.W), ("bias_regularizer", layer.b)):
        if p is not None and p.regularizer is not None:
            out[key] = to_config(p.regularizer)
    return out
