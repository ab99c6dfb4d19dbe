"""Gradient checking: compare ``backward()`` with central finite differences.

A from-scratch library is only as good as its derivatives, and users writing their own
layers need the same tool we use in our tests::

    >>> layer = Dense(3, 2, dtype=np.float64)
    >>> gradcheck(layer, np.random.default_rng(0).normal(size=(4, 3))).max_rel_error < 1e-6
    True

The relative error of an array is ``‖a − n‖ / (‖a‖ + ‖n‖)`` for analytic gradient ``a`` and
numeric gradient ``n`` (0 when both vanish); the result reports each array's error and the
worst. Use float64: in float32 the finite differences themselves are only good to ~1e-3.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._rng import as_rng


@dataclass
class GradCheckResult:
    """Outcome of :func:`gradcheck`.

    Attributes
    ----------
    errors : dict of str to float
        Relative error per checked array (``"x"``, ``"layer0.W"``, ...).
    max_rel_error : float
        The worst of ``errors``.
    tol : float
        The tolerance :attr:`passed` compares against.
    """

    errors: dict[str, float] = field(default_factory=dict)
    tol: float = 1e-6

    @property
    def max_rel_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def worst(self) -> str:
        return max(self.errors, key=self.errors.__getitem__) if self.errors else ""

    @property
    def passed(self) -> bool:
        return self.max_rel_error < self.tol

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        lines = [f"gradcheck: worst relative error {self.max_rel_error:.3e} ({self.worst}),"
                 f" tolerance {self.tol:g}: {'passed' if self.passed else 'FAILED'}"]
        lines += [f"  {name:<20} {err:.3e}" for name, err in self.errors.items()]
        return "\n".join(lines)


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a − n‖ / (‖a‖ + ‖n‖), or 0 when both are zero."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - n) / denom)


def numerical_gradient(f: Callable[[], float], array: np.ndarray, eps: float) -> np.ndarray:
    """Central differences (f(a + ε) − f(a − ε)) / 2ε of ``f`` w.r.t. every entry of
    ``array``, which ``f`` reads and which is perturbed in place and restored."""
    grad = np.zeros(array.shape, dtype=np.float64)
    flat = array.reshape(-1)  # a view: ``array`` must be contiguous
    if not np.shares_memory(flat, array):
        raise ValueError("numerical_gradient needs a contiguous array")
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(
    obj: Any,
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    eps: float = 1e-6,
    tol: float = 1e-6,
    check_input: bool = True,
    rng: np.random.Generator | int | None = 0,
    raise_on_failure: bool = False,
) -> GradCheckResult:
    """Check the backward pass of a layer, a loss or a whole model.

    Parameters
    ----------
    obj : Layer, Loss or Sequential
        * a layer: the scalar checked is ``Σ forward(x) ⊙ G`` for a fixed random ``G``, so
          ``backward(G)`` must return dL/dx and fill each parameter's ``.grad``;
        * a loss: ``forward(x, y)`` w.r.t. the prediction ``x``;
        * a model with a loss (``model.use(loss)``): ``loss(model.forward(x), y)`` w.r.t.
          the input and every parameter.
    x : ndarray
        The input (or, for a loss, the prediction). Converted to float64 when it is not
        floating.
    y : ndarray, optional
        Targets, for a loss or a model.
    eps : float
        Finite-difference step.
    tol : float
        Tolerance for :attr:`GradCheckResult.passed`.
    check_input : bool
        Also check dL/dx (set False for a model whose first layer takes integers).
    rng : Generator, int or None
        Source of the random projection ``G`` for layers.
    raise_on_failure : bool
        Raise AssertionError with the report when the check fails.

    Returns
    -------
    GradCheckResult

    Notes
    -----
    The layer or model must be deterministic between calls (fix Dropout's mask, e.g. by
    checking it in evaluation mode or with ``p=0``) and the input should avoid kinks
    (ReLU at exactly 0, max-pool ties), where the derivative is one-sided.
    """
    from .layers.base import Layer
    from .losses import Loss

    x = np.array(x, dtype=np.float64 if not np.issubdtype(np.asarray(x).dtype, np.floating)
                 else np.asarray(x).dtype, copy=True, order="C")
    result = GradCheckResult(tol=tol)

    if isinstance(obj, Loss):
        if y is None:
            raise ValueError("gradcheck(loss, ...): targets y are required")
        obj.forward(x, y)
        analytic = obj.backward()
        result.errors["y_pred"] = relative_error(
            analytic, numerical_gradient(lambda: obj.forward(x, y), x, eps)
        )
    else:
        is_layer = isinstance(obj, Layer)
        params = obj.parameters()
        if any(p.data.dtype != np.float64 for p in params) or x.dtype != np.float64:
            warnings.warn("gradcheck in float32 is only accurate to ~1e-3; use float64",
                          stacklevel=2)
        if is_layer:
            G = as_rng(rng).standard_normal(np.shape(obj.forward(x))).astype(x.dtype)

            def scalar() -> float:
                return float(np.sum(obj.forward(x) * G))

            def backprop() -> np.ndarray:
                obj.forward(x)
                return obj.backward(G)
        else:
            loss = getattr(obj, "loss", None)
            if loss is None or y is None:
                raise ValueError("gradcheck(model, x, y): the model needs a loss (use()) and y")

            def scalar() -> float:
                return float(loss.forward(obj.forward(x), y))

            def backprop() -> np.ndarray:
                loss.forward(obj.forward(x), y)
                return obj.backward(loss.backward())

        for p in params:
            p.zero_grad()
        dx = backprop()
        if check_input:
            result.errors["x"] = relative_error(dx, numerical_gradient(scalar, x, eps))
        names = _param_names(obj) if not is_layer else [p.name for p in params]
        for name, p in zip(names, params):
            result.errors[name] = relative_error(p.grad, numerical_gradient(scalar, p.data, eps))

    if raise_on_failure and not result.passed:
        raise AssertionError(str(result))
    return result


def _param_names(model: Any) -> list[str]:
    layers = getattr(model, "layers", None)
    if layers is None:
        return [p.name for p in model.parameters()]
    return [f"layer{i}.{p.name}" for i, layer in enumerate(layers) for p in layer.parameters()]
