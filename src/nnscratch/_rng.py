"""Random generators: everything random takes ``rng: Generator | int | None``."""

from __future__ import annotations

import numpy as np

RngLike = "np.random.Generator | int | None"


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return a Generator: pass one through, seed a new one from an int, or a fresh one."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")
