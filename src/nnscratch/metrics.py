"""Metrics on predictions: accuracy, top-k accuracy, confusion matrix.

Every metric is ``metric(y_true, y_pred) -> float``. ``y_pred`` is what the network
outputs: probabilities or logits of shape (N, K), or a single probability column (N, 1)
/ (N,) for binary problems.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ._checks import check_int

Metric = Callable[[np.ndarray, np.ndarray], float]


def class_labels(y: np.ndarray) -> np.ndarray:
    """Integer labels (N,) from labels (N,), a label column (N, 1) or one-hot rows (N, K)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return y.reshape(len(y)).astype(np.int64) if y.ndim else y.astype(np.int64)


def predicted_labels(y_pred: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Predicted classes: argmax over K > 1 outputs, ``p > threshold`` for one output."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return y_pred.argmax(axis=1)
    return (y_pred.reshape(len(y_pred)) > threshold).astype(np.int64)


def is_classification_target(y: np.ndarray, n_outputs: int | None) -> bool:
    """Whether accuracy is meaningful: integer labels, binary 0/1 targets, or one-hot rows."""
    y = np.asarray(y)
    if y.size == 0:
        return False
    if np.issubdtype(y.dtype, np.integer) or y.dtype == bool:
        return True
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows: 0/1 entries summing to one
        return bool(np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1))
    values = np.unique(y)
    if n_outputs in (None, 1):
        return bool(np.all(np.isin(values, (0, 1))))
    return bool(np.all(np.mod(values, 1) == 0) and values.min() >= 0)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of correct predictions.

    Multi-class outputs (N, K) take the argmax; a single output (N, 1) or (N,) is a
    probability thresholded at ``threshold`` (0.5).
    """
    y_pred = np.asarray(y_pred)
    if len(y_pred) == 0:
        return float("nan")
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        y_true = np.asarray(y_true)
        if y_true.ndim == 1 and y_true.dtype.kind in "iu":
            # integer labels (every training batch): no copies, one comparison
            if len(y_true) != len(y_pred):
                raise ValueError(f"accuracy: {len(y_true)} labels for {len(y_pred)} predictions")
            hits = np.add.reduce(y_pred.argmax(axis=1) == y_true)  # a count: bools add as ints
            return int(hits) / len(y_pred)
        truth = class_labels(y_true)
    else:
        truth = np.asarray(y_true).reshape(len(y_pred)).astype(np.int64)
    return float(np.mean(predicted_labels(y_pred, threshold) == truth))


def top_k_accuracy(y_true: np.ndarray, y_pred: np.ndarray, k: int = 5) -> float:
    """Fraction of samples whose true class is among the ``k`` largest outputs.

    A ``k`` of at least the number of classes counts every sample, so the result is 1.0,
    as in scikit-learn's ``top_k_accuracy_score`` and Keras (the default ``k=5`` on a
    model with fewer than 5 classes is not an error).
    """
    y_pred = np.asarray(y_pred)
    if y_pred.ndim != 2:
        raise ValueError(f"top_k_accuracy: expected y_pred of shape (N, K), got {y_pred.shape}")
    check_int("top_k_accuracy", "k", k, type_error=ValueError)
    truth = class_labels(y_true)
    if len(truth) != len(y_pred):
        raise ValueError(f"top_k_accuracy: {len(truth)} labels for {len(y_pred)} predictions")
    if k >= y_pred.shape[1]:
        return 1.0 if len(y_pred) else float("nan")
    top = np.argpartition(-y_pred, k - 1, axis=1)[:, :k]
    return float(np.mean(np.any(top == truth[:, None], axis=1)))


class TopKAccuracy:
    """Top-k accuracy with a chosen ``k``, as a metric object for ``use(metrics=[...])``.

    Parameters
    ----------
    k : int >= 1, default 5
    name : str, optional
        The key in the history and in ``evaluate``'s result; default ``"top_{k}_accuracy"``.

    Examples
    --------
    >>> top3 = TopKAccuracy(3)
    >>> top3.__name__
    'top_3_accuracy'
    >>> top3(np.array([2, 0]), np.array([[0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4]]))
    0.5
    """

    def __init__(self, k: int = 5, name: str | None = None) -> None:
        self.k = check_int("TopKAccuracy", "k", k, type_error=ValueError)
        self.__name__ = name or f"top_{self.k}_accuracy"

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return top_k_accuracy(y_true, y_pred, self.k)

    def __repr__(self) -> str:
        return f"TopKAccuracy(k={self.k})"


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None
                     ) -> np.ndarray:
    """Counts C[i, j] of samples of true class i predicted as j (rows: truth)."""
    truth = class_labels(y_true)
    pred = predicted_labels(y_pred) if np.asarray(y_pred).ndim == 2 else class_labels(y_pred)
    k = num_classes or int(max(truth.max(initial=0), pred.max(initial=0)) + 1)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (truth, pred), 1)
    return cm


_NAMED: dict[str, Metric] = {
    "accuracy": accuracy,
    "acc": accuracy,
    "top_k_accuracy": top_k_accuracy,
    "top5": top_k_accuracy,
}


def get_metric(metric: str | Metric) -> tuple[str, Metric]:
    """(name, function) for a metric name or a user function ``f(y_true, y_pred)``."""
    if isinstance(metric, str):
        if metric not in _NAMED:
            raise ValueError(f"unknown metric {metric!r}; expected a callable or one of "
                             f"{sorted(_NAMED)}")
        name = "accuracy" if metric == "acc" else metric
        return name, _NAMED[metric]
    if callable(metric):
        return metric_name(metric), metric
    raise TypeError(f"metric must be a name or a callable, got {metric!r}")


def metric_name(fn: Metric) -> str:
    """The key a metric function is reported under: its ``__name__``.

    A :func:`functools.partial` without one is named after its function and bound
    keywords: ``partial(top_k_accuracy, k=3)`` is ``"top_3_accuracy"``,
    ``partial(f, t=0.7)`` is ``"f_t0.7"``.
    """
    name = getattr(fn, "__name__", None)
    if isinstance(name, str):
        return name
    if isinstance(fn, functools.partial):
        base = metric_name(fn.func)
        if fn.func is top_k_accuracy and set(fn.keywords) == {"k"} and not fn.args:
            return f"top_{fn.keywords['k']}_accuracy"
        parts = [str(a) for a in fn.args] + [f"{k}{v}" for k, v in fn.keywords.items()]
        return "_".join([base, *parts])
    return type(fn).__name__
