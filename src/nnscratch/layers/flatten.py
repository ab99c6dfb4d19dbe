"""Shape-only layers: Flatten between the convolutional and the dense part, and Reshape."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .._params import Check, Rule
from .base import Layer, Shape, check_float
from .image import fmt_shape


class Flatten(Layer):
    """Flatten each sample: (N, C, H, W) -> (N, C·H·W), in C order (as ``torch.flatten``).

    Any input with a batch axis works: (N, d1, ..., dk) -> (N, d1·...·dk).

    Shape
    -----
    x : ndarray of shape (N, C, H, W) -> y : ndarray of shape (N, C·H·W)

    Notes
    -----
    A reshape has the identity as its derivative, so backward reshapes dL/dy back to the
    input's shape. When ``x`` is an NCHW view of the convolution layers' internal
    (C, H, W, N) memory, ``y`` is the (N, C·H·W) transposed view of that memory, with no
    copy (a following Dense layer's GEMM reads transposed operands directly), and backward
    hands the gradient back in the same internal layout.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_float(self, x)
        if x.ndim < 2:
            raise ValueError(f"{self}: expected input of shape (N, ...), got {fmt_shape(x.shape)}")
        N = x.shape[0]
        self._x_shape = x.shape
        # Batch-innermost memory (the conv layers' layout): flatten the leading axes instead.
        self._batch_last = (
            x.ndim > 2 and not x.flags.c_contiguous and np.moveaxis(x, 0, -1).flags.c_contiguous
        )
        if self._batch_last:
            return np.moveaxis(x, 0, -1).reshape(math.prod(x.shape[1:]), N).T  # (N, D) view
        return x.reshape(N, math.prod(x.shape[1:]))  # not -1: N may be 0 (an empty shard)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Reshape dL/dy of shape (N, D) back to the input's shape."""
        shape = self._need("_x_shape")
        N = shape[0]
        if grad_out.shape != (N, math.prod(shape[1:])):
            raise ValueError(
                f"{self}.backward: expected grad_out of shape {(N, math.prod(shape[1:]))}, "
                f"got {tuple(grad_out.shape)}"
            )
        if self._batch_last:
            # One copy into (D, N) memory; the conv layers below then need none.
            inner = np.ascontiguousarray(grad_out.T).reshape(*shape[1:], N)
            return np.moveaxis(inner, -1, 0)
        return grad_out.reshape(shape)

    def output_shape(self, input_shape: Shape) -> Shape:
        if any(d is None for d in input_shape):
            return (None,)
        return (math.prod(d for d in input_shape if d is not None),)



def _target_shape(owner: str, name: str, value: Any) -> tuple[int, ...]:
    """``value`` as a tuple of positive ints, one of which may be -1."""
    try:
        target = tuple(value)
    except TypeError:
        target = (None,)
    if (not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                       and (d >= 1 or d == -1) for d in target)
            or target.count(-1) > 1):
        raise ValueError(
            f"{owner}: {name} must be positive integers with at most one -1, got {value!r}")
    return tuple(int(d) for d in target)


class Reshape(Layer):
    """Reshape each sample to ``shape``: (N, ...) -> (N, *shape).

    Parameters
    ----------
    shape : tuple of int
        The per-sample target shape, without the batch axis; one entry may be -1, inferred
        from the others (e.g. ``Reshape((1, 28, 28))`` turns flat MNIST rows into images).

    Notes
    -----
    The derivative of a reshape is the identity: backward reshapes dL/dy back.
    """

    shape: tuple[int, ...]
    constraints: ClassVar[dict[str, Rule]] = {"shape": Check(_target_shape)}

    def __init__(self, shape: tuple[int, ...] | list[int]) -> None:
        self.set_params(shape=shape)

    def _resolve(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        size = math.prod(input_shape)
        known = math.prod(d for d in self.shape if d != -1)
        if (-1 in self.shape and size % known) or (-1 not in self.shape and size != known):
            raise ValueError(
                f"{self}: cannot reshape samples of shape {fmt_shape(input_shape)} "
                f"({size} values) to {fmt_shape(self.shape)}"
            )
        return tuple(size // known if d == -1 else d for d in self.shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_float(self, x)
        if x.ndim < 1:
            raise ValueError(f"{self}: expected input of shape (N, ...), got a scalar")
        self._x_shape = x.shape
        return x.reshape(x.shape[0], *self._resolve(x.shape[1:]))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape = self._need("_x_shape")
        if grad_out.size != math.prod(shape) or grad_out.shape[0] != shape[0]:
            raise ValueError(
                f"{self}.backward: expected grad_out of shape "
                f"{(shape[0], *self._resolve(shape[1:]))}, got {tuple(grad_out.shape)}"
            )
        return grad_out.reshape(shape)

    def output_shape(self, input_shape: Shape) -> Shape:
        if any(d is None for d in input_shape):
            return self.shape if -1 not in self.shape else tuple(
                None if d == -1 else d for d in self.shape
            )
        return self._resolve(tuple(d for d in input_shape if d is not None))

    def repr_head(self) -> tuple[str, tuple[str, ...]]:
        return fmt_shape(self.shape), ("shape",)
