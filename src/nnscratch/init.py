"""Weight initialisers.

Every initialiser is a callable ``init(shape, fan_in, fan_out, rng) -> ndarray`` returning
float64 values that the layer casts to its dtype. Layers accept an initialiser object or
its name (``"glorot_uniform"``, ``"he_normal"``, ``"zeros"``, ...; see :func:`get`).

``fan_in`` / ``fan_out`` are the number of inputs / outputs of one unit: for ``Dense``
``in_features`` / ``out_features``, for a convolution ``in_channels·kH·kW`` /
``out_channels·kH·kW``.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterator

import numpy as np

Initializer = Callable[[tuple[int, ...], int, int, np.random.Generator], np.ndarray]


class Zeros:
    """All zeros (the usual bias initialiser)."""

    def __call__(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> np.ndarray:
        return np.zeros(shape)

    def __repr__(self) -> str:
        return "Zeros()"


class Constant:
    """Every entry equal to ``value``."""

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def __call__(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> np.ndarray:
        return np.full(shape, self.value)

    def __repr__(self) -> str:
        return f"Constant({self.value})"


class Normal:
    """``std · randn``. The default ``std=0.01`` is the classic articles' ``0.01 * randn``."""

    def __init__(self, std: float = 0.01, mean: float = 0.0) -> None:
        if not std >= 0:
            raise ValueError(f"Normal: std must be >= 0, got {std!r}")
        self.std, self.mean = float(std), float(mean)

    def __call__(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> np.ndarray:
        return self.mean + self.std * rng.standard_normal(shape)

    def __repr__(self) -> str:
        return f"Normal(std={self.std}, mean={self.mean})"


class Uniform:
    """Uniform on ``[low, high)``; the default ``[0, 1)`` is the two-layer article's ``rand``."""

    def __init__(self, low: float = 0.0, high: float = 1.0) -> None:
        if not high > low:
            raise ValueError(f"Uniform: need low < high, got low={low!r}, high={high!r}")
        self.low, self.high = float(low), float(high)

    def __call__(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=shape)

    def __repr__(self) -> str:
        return f"Uniform(low={self.low}, high={self.high})"


class GlorotUniform:
    """Glorot & Bengio (2010): U(-a, a), a = gain·sqrt(6 / (fan_in + fan_out))."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> np.ndarray:
        a = self.gain * math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=shape)

    def __repr__(self) -> str:
        return f"GlorotUniform(gain={self.gain})"


class GlorotNormal:
    """Glorot & Bengio (2010): N(0, σ²), σ = gain·sqrt(2 / (fan_in + fan_out))."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> np.ndarray:
        return self.gain * math.sqrt(2.0 / (fan_in + fan_out)) * rng.standard_normal(shape)

    def __repr__(self) -> str:
        return f"GlorotNormal(gain={self.gain})"


class HeUniform:
    """He et al. (2015), for ReLU: U(-a, a), a = sqrt(6 / fan_in)."""

    def __call__(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> np.ndarray:
        a = math.sqrt(6.0 / fan_in)
        return rng.uniform(-a, a, size=shape)

    def __repr__(self) -> str:
        return "HeUniform()"


class HeNormal:
    """He et al. (2015), for ReLU: N(0, 2 / fan_in)."""

    def __call__(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> np.ndarray:
        return math.sqrt(2.0 / fan_in) * rng.standard_normal(shape)

    def __repr__(self) -> str:
        return "HeNormal()"


class LeCunUniform:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's default for Linear/Conv weights and biases."""

    def __call__(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> np.ndarray:
        a = 1.0 / math.sqrt(fan_in)
        return rng.uniform(-a, a, size=shape)

    def __repr__(self) -> str:
        return "LeCunUniform()"


_NAMED: dict[str, Callable[[], Initializer]] = {
    "zeros": Zeros,
    "normal": Normal,
    "uniform": Uniform,
    "glorot_uniform": GlorotUniform,
    "xavier_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "xavier_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "kaiming_uniform": HeUniform,
    "he_normal": HeNormal,
    "kaiming_normal": HeNormal,
    "torch": LeCunUniform,
    "lecun_uniform": LeCunUniform,
}


def get(init: str | Initializer) -> Initializer:
    """Resolve an initialiser name (see the module doc) or pass a callable through."""
    if isinstance(init, type):  # a class such as init.HeNormal: use its defaults
        return init()
    if callable(init):
        return init
    if isinstance(init, str) and init.lower() in _NAMED:
        return _NAMED[init.lower()]()
    raise ValueError(
        f"unknown initialiser {init!r}; expected a callable or one of {sorted(_NAMED)}"
    )


def initialize(
    init: str | Initializer,
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype,
) -> np.ndarray:
    """Draw an array of ``shape`` from ``init`` and cast it to ``dtype``.

    Inside :func:`uninitialised` nothing is drawn: the array is left empty.
    """
    draw = get(init)
    if getattr(_skipping, "on", False):
        return np.empty(shape, dtype=dtype)
    values = np.asarray(draw(shape, fan_in, fan_out, rng))
    if values.shape != tuple(shape):
        raise ValueError(f"initialiser {init!r} returned shape {values.shape}, expected {shape}")
    return values.astype(dtype)


_skipping = threading.local()


@contextlib.contextmanager
def uninitialised() -> Iterator[None]:
    """Within the block, :func:`initialize` returns empty arrays instead of drawing.

    For layers whose every parameter is overwritten next, as when loading a saved model:
    drawing millions of random numbers to throw them away costs time and touches memory
    the file has not yet justified. The switch holds for the current thread only.

    Examples
    --------
    >>> from nnscratch import Dense
    >>> with uninitialised():
    ...     layer = Dense(3, 2)          # W and b hold whatever the memory held
    """
    before = getattr(_skipping, "on", False)
    _skipping.on = True
    try:
        yield
    finally:
        _skipping.on = before


def is_uninitialised() -> bool:
    """Whether this thread is inside :func:`uninitialised` (layers are being loaded)."""
    return bool(getattr(_skipping, "on", False))
