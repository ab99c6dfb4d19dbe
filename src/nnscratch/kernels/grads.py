"""Adding a layer's parameter gradient into ``Parameter.grad``.

The fast forms use the parameter's lazy zeroing (the flag behind
:meth:`Parameter.grad_for_write`): right after ``zero_grad`` (every training step) the
product is written straight into the gradient array, with no pass of zeros, no temporary
and no add.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._mode import SWITCH

if TYPE_CHECKING:
    from ..parameter import Parameter


def matmul_into_grad_reference(p: Parameter, a: np.ndarray, b: np.ndarray) -> None:
    """p.grad += a @ b (reshaped to the parameter's shape)."""
    p.grad += (a @ b).reshape(p.grad.shape)


def matmul_into_grad(p: Parameter, a: np.ndarray, b: np.ndarray) -> None:
    """p.grad += a @ b, with ``a @ b`` of shape (m, n) and ``p`` of m·n entries."""
    if SWITCH.reference:
        return matmul_into_grad_reference(p, a, b)
    grad = p._grad  # the flag read here: grad_for_write() would cost a call per step
    if not p._cleared:  # accumulating (not the training step's case): the plain form
        grad += (a @ b).reshape(grad.shape)
        return None
    p._cleared = False
    target = grad.reshape(a.shape[0], b.shape[1])  # a view: the gradient is contiguous
    if a.shape[1] == 1:  # an outer product: a (m, 1) @ (1, n) matmul leaves BLAS
        np.outer(a[:, 0], b[0], out=target)
    else:
        np.matmul(a, b, out=target)
    return None


def sum_into_grad_reference(p: Parameter, g: np.ndarray, axis: int) -> None:
    """p.grad += g.sum(axis)."""
    p.grad += g.sum(axis=axis)


def sum_into_grad(p: Parameter, g: np.ndarray, axis: int) -> None:
    """p.grad += g.sum(axis) (a bias gradient: dL/db = Σ dL/dy over the batch)."""
    if SWITCH.reference:
        return sum_into_grad_reference(p, g, axis)
    if p._cleared:  # the flag of grad_for_write(), read without its call
        p._cleared = False
        np.add.reduce(g, axis=axis, out=p._grad)
    else:
        p._grad += np.add.reduce(g, axis=axis)
    return None
