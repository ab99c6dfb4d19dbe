"""Trainable parameters: an array and the gradient that backpropagation adds into."""

from __future__ import annotations

from typing import Any

import numpy as np

from .kernels._mode import SWITCH


class Parameter:
    """A trainable array and its gradient.

    Layers own their parameters; optimizers update ``data`` in place so that every
    reference to a parameter (a layer, an optimizer's state, a test) stays valid.

    Parameters
    ----------
    data : ndarray
        The initial value. Stored as given (no copy when it is already an ndarray of the
        wanted dtype).
    name : str
        A short name used in error messages and saved files (``"W"``, ``"b"``).

    Attributes
    ----------
    data : ndarray
        The value.
    grad : ndarray of the same shape and dtype as ``data``
        dL/d(data), accumulated by ``backward`` and cleared by ``zero_grad``.
    regularize : bool
        False for biases and normalisation parameters: those that an optimizer built with
        ``exclude_bias_and_norm=True`` leaves out of ``weight_decay`` (by default weight
        decay applies to every parameter, as in ``torch.optim``).
    regularizer : object or None
        A penalty (see :mod:`nnscratch.regularizers`) with ``penalty(data) -> float`` and
        ``grad(data) -> ndarray``, added to the loss and the gradient during training.
    """

    __slots__ = ("_cleared", "_grad", "data", "name", "regularize", "regularizer")

    def __init__(self, data: np.ndarray, name: str = "param", regularize: bool = True) -> None:
        self.data = np.asarray(data)
        if not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(f"Parameter {name!r}: expected a floating dtype, got {self.data.dtype}")
        self._grad = np.zeros_like(self.data)
        self._cleared = False  # True: the gradient is zero, but not yet written as zeros
        self.name = name
        self.regularize = regularize
        #: Optional penalty object with ``penalty(data) -> float`` and ``grad(data)``,
        #: added to the loss and the gradient by the training loop.
        self.regularizer: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return int(self.data.size)

    @property
    def grad(self) -> np.ndarray:
        """dL/d(data); after :meth:`zero_grad`, zeros written on first access."""
        if self._cleared:
            self._grad.fill(0)
            self._cleared = False
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        self._grad = value
        self._cleared = False

    def zero_grad(self) -> None:
        """Set the gradient to zero.

        Lazily: the array keeps its identity and reads as zeros from the next access of
        ``grad`` on, but a layer that computes a whole gradient (a GEMM) can write it
        straight into the array instead (:meth:`grad_for_write`), which saves a pass of
        zeros and an add over every weight at every training step. Under the reference
        switch (:mod:`nnscratch.kernels`) the zeros are written here.
        """
        if SWITCH.reference:
            self._grad.fill(0)
            self._cleared = False
        else:
            self._cleared = True

    def grad_for_write(self) -> tuple[np.ndarray, bool]:
        """The gradient array and whether it is to be *overwritten*.

        Returns ``(array, True)`` when the gradient is zero since :meth:`zero_grad`: the
        caller must then write every entry (``np.matmul(a, b, out=array)``), and what it
        writes is the gradient. Otherwise ``(array, False)``: add into it. For layers'
        ``backward``.
        """
        if self._cleared:
            self._cleared = False
            return self._grad, True
        return self._grad, False

    def assign(self, value: np.ndarray) -> None:
        """Copy ``value`` into ``data`` in place, checking its shape."""
        value = np.asarray(value)
        if value.shape != self.data.shape:
            raise ValueError(
                f"Parameter {self.name!r}: expected shape {self.data.shape}, got {value.shape}"
            )
        self.data[...] = value

    def astype(self, dtype: np.typing.DTypeLike) -> None:
        """Convert data and gradient to ``dtype`` (rebinds the arrays)."""
        self.data = self.data.astype(dtype)
        self.grad = np.zeros_like(self.data)  # the setter: a new, written array

    def __repr__(self) -> str:
        return f"Parameter({self.name}, shape={self.shape}, dtype={self.dtype})"
