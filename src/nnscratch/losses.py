"""Loss functions and their derivatives.

Each loss is an object with ``forward(y_pred, y_true) -> float`` (also ``loss(y_pred,
y_true)``) and ``backward() -> dL/dy_pred`` for the last forward. Batch losses are means
over the batch, as in PyTorch, except :class:`SumSquaredError`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ._params import Declared, Number, Rule, call_repr
from ._registry import Registry
from .kernels.losses import softmax_cross_entropy, softmax_cross_entropy_backward

#: Every Loss subclass, by public name (see :mod:`nnscratch._registry`).
LOSS_REGISTRY: Registry[type[Loss]] = Registry("loss")


class Loss(Declared):
    """Base class: validates shapes, remembers what ``backward`` needs."""

    #: Output activation the loss assumes (used by ``predict_proba`` / accuracy).
    output: ClassVar[str] = "identity"
    #: True when the loss takes the scores before ``output`` (logits) and applies it
    #: itself, so ``predict_proba`` applies it too; False when the network's last layer
    #: already did.
    from_logits: ClassVar[bool] = False

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        """Register the subclass by name, so saved files can name it; ``class
        Wrapper(Loss, register=False)`` keeps a helper that is never saved out of the
        registry (and out of the names that strings such as ``"mse"`` are looked up in)."""
        super().__init_subclass__(**kwargs)
        if register:
            LOSS_REGISTRY.register(cls)

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        return self.forward(y_pred, y_true)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments (its declared ones)."""
        return self.declared_config()

    def __repr__(self) -> str:
        return call_repr(type(self).__name__, self.get_config())

    # -- helpers -----------------------------------------------------------------------------
    def _need(self) -> tuple[np.ndarray, ...]:
        saved = getattr(self, "_saved", None)
        if saved is None:
            raise RuntimeError(f"{self}.backward() called before forward()")
        return saved

    def _same_shape(self, y_pred: np.ndarray, y_true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y_pred = np.asarray(y_pred)
        y_true = np.asarray(y_true)
        if not np.issubdtype(y_pred.dtype, np.floating):
            y_pred = y_pred.astype(np.float64)
        if y_true.shape != y_pred.shape:
            # a (N,) target for an (N, 1) output is the common binary/regression case
            if y_true.ndim == 1 and y_pred.shape == (y_true.shape[0], 1):
                y_true = y_true[:, None]
            else:
                raise ValueError(
                    f"{self}: y_true must have the shape of y_pred {tuple(y_pred.shape)},"
                    f" got {tuple(y_true.shape)}"
                )
        return y_pred, y_true.astype(y_pred.dtype, copy=False)


class MSE(Loss):
    """Mean squared error over all elements: L = mean((ŷ - y)²).

    Notes
    -----
    dL/dŷ = 2 (ŷ - y) / n, n = number of elements (PyTorch's ``MSELoss()``).
    """

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        y_pred, y_true = self._same_shape(y_pred, y_true)
        diff = y_pred - y_true
        self._saved = (diff,)
        return float(np.mean(diff * diff))

    def backward(self) -> np.ndarray:
        (diff,) = self._need()
        return diff * (2.0 / diff.size)


class SumSquaredError(Loss):
    """Sum of squared errors: L = Σ (ŷ - y)², as in the classic two-layer network article.

    Notes
    -----
    dL/dŷ = 2 (ŷ - y). Not averaged over the batch, so the step size grows with N.
    """

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        y_pred, y_true = self._same_shape(y_pred, y_true)
        diff = y_pred - y_true
        self._saved = (diff,)
        return float(np.sum(diff * diff))

    def backward(self) -> np.ndarray:
        (diff,) = self._need()
        return 2.0 * diff


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy on probabilities ŷ ∈ (0, 1), mean over all elements.

    L = -mean(y log ŷ + (1 - y) log(1 - ŷ)), with ŷ clipped to [eps, 1 - eps] so that a
    saturated sigmoid gives a large finite loss instead of inf.

    Notes
    -----
    dL/dŷ = (ŷ - y) / (ŷ (1 - ŷ)) / n, n = number of elements; zero where clipping is
    active. PyTorch's ``BCELoss`` clamps log at -100 instead; both agree away from the
    clip.
    """

    output = "sigmoid"

    eps: float
    constraints: ClassVar[dict[str, Rule]] = {"eps": Number(0.0, 0.5, lo_open=True)}

    def __init__(self, eps: float = 1e-7) -> None:
        self.set_params(eps=eps)

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        y_pred, y_true = self._same_shape(y_pred, y_true)
        if y_true.size and (y_true.min() < 0 or y_true.max() > 1):
            raise ValueError(
                f"{self}: y_true must lie in [0, 1], got values in "
                f"[{y_true.min()}, {y_true.max()}]"
            )
        p = np.clip(y_pred, self.eps, 1 - self.eps)
        self._saved = (y_pred, p, y_true)
        return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log1p(-p)))

    def backward(self) -> np.ndarray:
        y_pred, p, y_true = self._need()
        grad = (p - y_true) / (p * (1 - p)) / p.size
        grad[(y_pred < self.eps) | (y_pred > 1 - self.eps)] = 0
        return grad


def _class_targets(loss: Loss, y_true: np.ndarray, n: int, k: int, dtype: np.dtype) -> np.ndarray:
    """One-hot (n, k) targets from integer labels (n,) or one-hot/probabilities (n, k)."""
    y_true = np.asarray(y_true)
    if y_true.ndim == 1 or (y_true.ndim == 2 and y_true.shape[1] == 1 and k > 1):
        labels = y_true.reshape(-1)
        if labels.shape[0] != n:
            raise ValueError(f"{loss}: expected {n} labels, got {labels.shape[0]}")
        if not np.issubdtype(labels.dtype, np.integer):
            if not np.all(np.equal(np.mod(labels, 1), 0)):
                raise ValueError(f"{loss}: integer class labels expected, got {labels.dtype}")
            labels = labels.astype(np.int64)
        _check_label_range(loss, labels, k)
        onehot = np.zeros((n, k), dtype=dtype)
        onehot[np.arange(n), labels] = 1
        return onehot
    if y_true.shape != (n, k):
        raise ValueError(
            f"{loss}: y_true must be labels of shape ({n},) or one-hot of shape ({n}, {k}),"
            f" got {tuple(y_true.shape)}"
        )
    return y_true.astype(dtype, copy=False)


def _check_logits(loss: Loss, y_pred: np.ndarray) -> np.ndarray:
    y_pred = np.asarray(y_pred)
    if y_pred.ndim != 2:
        raise ValueError(f"{loss}: expected y_pred of shape (N, K), got {tuple(y_pred.shape)}")
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float64)
    return y_pred


class CategoricalCrossEntropy(Loss):
    """Cross-entropy on probabilities (the output of a Softmax layer), mean over the batch.

    L = -(1/N) Σ_n Σ_k y_nk log p_nk, with p clipped to [eps, 1]. Targets are one-hot
    (N, K) or integer labels (N,).

    Notes
    -----
    dL/dp = -y / p / N (zero where clipping is active).
    """

    output = "softmax"

    eps: float
    constraints: ClassVar[dict[str, Rule]] = {"eps": Number(0.0, 1.0, lo_open=True)}

    def __init__(self, eps: float = 1e-7) -> None:
        self.set_params(eps=eps)

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        y_pred = _check_logits(self, y_pred)
        n, k = y_pred.shape
        y = _class_targets(self, y_true, n, k, y_pred.dtype)
        p = np.clip(y_pred, self.eps, 1.0)
        self._saved = (y_pred, p, y)
        return float(-np.sum(y * np.log(p)) / n)

    def backward(self) -> np.ndarray:
        y_pred, p, y = self._need()
        grad = -y / p / p.shape[0]
        grad[y_pred < self.eps] = 0
        return grad


class SoftmaxCrossEntropy(Loss):
    """Softmax and cross-entropy fused, on logits: PyTorch's ``CrossEntropyLoss``.

    L = -(1/N) Σ_n Σ_k y_nk log softmax(z)_nk, computed with log-softmax so no logit
    overflows. Targets are integer labels (N,) or one-hot / probability rows (N, K).

    Notes
    -----
    dL/dz = (softmax(z) - y) / N: the Jacobian of softmax and the derivative of the log
    cancel into this simple, stable form.
    """

    output = "softmax"
    from_logits = True

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        z = _check_logits(self, y_pred)  # (N, K)
        n, k = z.shape
        y = _labels_or_rows(self, y_true, n, k, z.dtype)  # (N,) labels or (N, K)
        loss, p = softmax_cross_entropy(z, y)  # -(1/N) Σ y log softmax(z), softmax(z)
        self._saved = (p, y)
        return loss

    def backward(self) -> np.ndarray:
        p, y = self._need()
        return softmax_cross_entropy_backward(p, y)  # (softmax(z) - y) / N


def _labels_or_rows(loss: Loss, y_true: np.ndarray, n: int, k: int,
                    dtype: np.dtype) -> np.ndarray:
    """Integer labels (N,) as they are, after checking them; anything else as (N, K) rows
    (see :func:`_class_targets`)."""
    labels = np.asarray(y_true)
    if labels.ndim == 1 and labels.dtype.kind in "iu":
        if labels.shape[0] != n:
            raise ValueError(f"{loss}: expected {n} labels, got {labels.shape[0]}")
        _check_label_range(loss, labels, k)
        return labels
    return _class_targets(loss, labels, n, k, dtype)


def _check_label_range(loss: Loss, labels: np.ndarray, k: int) -> None:
    """Raise unless every integer label is in [0, k).

    One reduction instead of a min and a max: seen as unsigned integers of the same
    width, negative labels become huge, so ``max < k`` checks both ends.
    """
    if labels.size == 0:
        return
    unsigned = labels if labels.dtype.kind == "u" else labels.view(f"u{labels.itemsize}")
    if np.maximum.reduce(unsigned) >= k:
        raise ValueError(
            f"{loss}: labels must be in [0, {k - 1}] for {k} outputs, got values in "
            f"[{labels.min()}, {labels.max()}]"
        )


_ALIASES = {
    "mse": MSE,
    "mean_squared_error": MSE,
    "sse": SumSquaredError,
    "sum_squared_error": SumSquaredError,
    "bce": BinaryCrossEntropy,
    "binary_crossentropy": BinaryCrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
    "categorical_crossentropy": CategoricalCrossEntropy,
    "categorical_cross_entropy": CategoricalCrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "cross_entropy": SoftmaxCrossEntropy,
}


def get_loss(loss: str | Loss) -> Loss:
    """A loss object from an instance, a class name or an alias (``"mse"``, ``"bce"``, ...)."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss()
    if isinstance(loss, str):
        key = loss.lower()
        if key in _ALIASES:
            return _ALIASES[key]()
        builtin = LOSS_REGISTRY.by_lower_name().get(key)
        if builtin is not None:
            return builtin()
    raise ValueError(
        f"unknown loss {loss!r}; expected a Loss or one of {sorted(_ALIASES)}"
    )
