"""Random generators: everything random takes ``rng: Generator | int | None``.

``rng=None`` means "a fresh generator": seeded from the operating system's entropy, or,
after :func:`manual_seed`, drawn from the library generator, so that a script that calls
``manual_seed(0)`` once builds and trains the same network on every run (PyTorch's
``torch.manual_seed``). Each generator handed out is a new one, seeded by a draw from the
library generator in the order they are asked for: a layer keeps its own, whose state a
checkpoint can save and restore, and what one layer draws later does not shift another's.
"""

from __future__ import annotations

import numpy as np

from ._checks import _who, check_int
from .init import is_uninitialised

RngLike = "np.random.Generator | int | None"

_LIBRARY_RNG: np.random.Generator | None = None


def manual_seed(seed: int) -> None:
    """Seed the generator that everything built with ``rng=None`` draws from.

    After ``manual_seed(s)``, layers made without ``rng=`` (``Dense``, ``Conv2D``,
    ``Dropout``), ``fit`` without ``seed=`` (its shuffling) and the data helpers without
    ``rng=`` draw their generators from one library generator, in the order they are
    made; the same program then gives bit-for-bit the same weights on every run (on the
    same machine and NumPy version). Without it, ``rng=None`` is fresh entropy.

    Parameters
    ----------
    seed : int >= 0
        As for ``np.random.default_rng``.

    Raises
    ------
    TypeError, ValueError
        ``seed`` is not an integer, or is negative.

    Examples
    --------
    >>> import nnscratch as nn
    >>> nn.manual_seed(0); a = nn.Dense(3, 2).W.data
    >>> nn.manual_seed(0); b = nn.Dense(3, 2).W.data
    >>> bool((a == b).all())
    True
    """
    global _LIBRARY_RNG
    _LIBRARY_RNG = np.random.default_rng(check_int("manual_seed", "seed", seed, minimum=0))


def as_rng(rng: np.random.Generator | int | None, owner: str = "",
           name: str = "rng") -> np.random.Generator:
    """A Generator: ``rng`` itself, a new one seeded by an int, or a fresh one for None.

    A fresh one is drawn from the library generator after :func:`manual_seed`, from the
    operating system's entropy otherwise. ``owner`` and ``name`` are for the message.

    Raises
    ------
    TypeError
        ``rng`` is not a Generator, an int or None.
    ValueError
        A negative int seed.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        # a layer being loaded gets its generator's state from the file (or draws
        # nothing), so it takes no draw that would shift what manual_seed's users see
        if _LIBRARY_RNG is None or is_uninitialised():
            return np.random.default_rng()
        # a child seeded by 128 bits drawn from the library generator, in call order
        return np.random.default_rng(_LIBRARY_RNG.integers(2**63, size=2))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(check_int(owner, name, rng, minimum=0))
    raise TypeError(f"{_who(owner, name)} must be a numpy Generator, an int seed >= 0 or None, "
                    f"got {rng!r}")
