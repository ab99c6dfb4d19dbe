"""Inverted dropout."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np

from .._params import Number, Rule
from .._rng import as_rng
from .base import ArraySpec, Layer, check_float


class Dropout(Layer):
    """Zero each input with probability ``p`` in training; the identity in evaluation.

    Inverted dropout: the kept inputs are scaled by ``1 / (1 − p)`` during training, so
    that the expected output equals the input and evaluation needs no rescaling.

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        Probability of dropping each element.
    rng : numpy Generator, int or None
        Source of the masks; an int seed makes them reproducible. None: a generator of
        its own, drawn from the library's at construction after
        :func:`nnscratch.manual_seed` (so ``manual_seed`` covers the masks too), else
        fresh entropy.

    Shape
    -----
    x : ndarray of any shape (N, ...) -> y : ndarray of the same shape and dtype

    Notes
    -----
    With a mask ``m`` of independent Bernoulli(1 − p) entries drawn at each training
    forward pass::

        y = x ⊙ m / (1 − p),    dL/dx = dL/dy ⊙ m / (1 − p)

    so E[y] = x. In evaluation mode (``training = False``) y = x and dL/dx = dL/dy.
    ``backward`` uses the mask of the last ``forward``.

    References
    ----------
    Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, "Dropout: a simple way to
    prevent neural networks from overfitting", JMLR 15, 2014.

    Examples
    --------
    >>> import numpy as np
    >>> drop = Dropout(0.5, rng=0)
    >>> y = drop(np.ones((2, 4)))          # entries are 0 or 2
    >>> float(drop.eval()(np.ones((2, 4))).sum())  # identity in evaluation
    8.0
    """

    p: float
    #: Data-parallel training (:mod:`nnscratch.distributed`) sets this to the rank's
    #: shard of the global batch: the mask is drawn for the whole batch, as one process
    #: draws it, and this rank keeps its rows. None in one process.
    _shard: Any = None
    constraints: ClassVar[dict[str, Rule]] = {"p": Number(0.0, 1.0)}

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        self.set_params(p=p)
        self.rng = as_rng(rng)
        self._mask: np.ndarray | None = None  # scaled mask m / (1 − p), or None: identity
        self._called = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        """y = x ⊙ m / (1 − p) in training, x in evaluation."""
        x = check_float(self, x)
        self._called = True
        if not self.training or self.p == 0:
            self._mask = None
            return x
        # one draw in the input's dtype; keep where u >= p, which has probability 1 - p
        shard = self._shard
        if shard is None:
            mask = self.rng.random(x.shape, dtype=x.dtype)  # (N, ...)
        else:  # data-parallel: the global batch's mask, this rank's rows of it
            mask = self.rng.random((shard.total, *x.shape[1:]),
                                   dtype=x.dtype)[shard.lo:shard.hi]  # (N, ...)
        keep = mask >= self.p
        mask.fill(0)
        mask[keep] = 1.0 / (1.0 - self.p)
        self._mask = mask
        return x * mask

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ m / (1 − p), with the mask of the last forward."""
        if not self._called:
            raise RuntimeError(f"{self}.backward() called before forward()")
        if self._mask is None:
            return grad_out
        if grad_out.shape != self._mask.shape:
            raise ValueError(
                f"{self}.backward: expected grad_out of shape {self._mask.shape}, "
                f"got {tuple(grad_out.shape)}"
            )
        return grad_out * self._mask

    @classmethod
    def array_specs(cls, config: dict[str, Any]) -> dict[str, ArraySpec]:
        """The generator's state, a JSON string in a 0-d text array."""
        return {"state.rng_state": ArraySpec((), "U")}

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The generator's state (a JSON string in a 0-d array), so that a checkpoint
        resumes with the masks an uninterrupted run would have drawn."""
        return {"rng_state": np.array(json.dumps(self.rng.bit_generator.state))}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the generator's state saved by :meth:`state_arrays`."""
        if set(arrays) != {"rng_state"}:
            raise ValueError(f"{self}: saved state has keys {sorted(arrays)}, "
                             "expected ['rng_state']")
        state = json.loads(str(np.asarray(arrays["rng_state"])[()]))
        kind = type(self.rng.bit_generator).__name__
        if state.get("bit_generator") != kind:
            raise ValueError(f"{self}: saved generator state is for "
                             f"{state.get('bit_generator')!r}, this layer uses {kind!r}")
        self.rng.bit_generator.state = state
