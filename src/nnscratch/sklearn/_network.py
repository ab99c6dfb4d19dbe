"""What the estimators train: the network, its loss, its optimizer and its weight penalty.

Kept apart from the estimators so that :mod:`._base` reads as scikit-learn's training
loop and this module as the nnscratch side of it.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._dtype import default_dtype
from ..layers import Dense, Identity, ReLU, Sigmoid, Softmax, Tanh
from ..layers.base import Layer
from ..losses import MSE, CategoricalCrossEntropy, Loss, SoftmaxCrossEntropy
from ..model import Sequential
from ..optimizers import OPTIMIZER_REGISTRY, SGD, Adam, Optimizer, get_optimizer
from ..regularizers import L2

#: ``activation`` names as scikit-learn spells them, and the layer each one means.
ACTIVATIONS: dict[str, type[Layer]] = {
    "identity": Identity, "logistic": Sigmoid, "tanh": Tanh, "relu": ReLU,
}


class HalfSquaredError(Loss):
    """Half the mean squared error over all elements: L = ½ · mean((ŷ - y)²).

    scikit-learn's ``squared_error`` for ``MLPRegressor``; the ½ makes dL/dŷ = (ŷ - y)/(N·K),
    so ``learning_rate_init`` means the same step as there (nnscratch's :class:`MSE` has
    no ½ and twice the gradient).
    """

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        y_pred, y_true = self._same_shape(y_pred, y_true)  # (N, K), (N, K)
        diff = y_pred - y_true
        self._saved = (diff,)
        return 0.5 * float(np.mean(diff * diff))

    def backward(self) -> np.ndarray:
        (diff,) = self._need()
        return diff / diff.size  # (N, K)


class SampleWeighted(Loss, register=False):  # a step's wrapper, never saved
    r"""``base``, a mean over the batch, made a weighted mean: L = Σ_n w_n l_n / Σ_n w_n.

    scikit-learn's ``sample_weight``; :attr:`weights` holds the batch's weights, set
    before each step.

    Notes
    -----
    ``base`` is (1/N) Σ_n l_n, so its gradient row n is (1/N) ∂l_n/∂ŷ_n and the weighted
    loss's is (w_n / Σw) ∂l_n/∂ŷ_n: ``base.backward()`` with row n scaled by N w_n / Σw.
    """

    def __init__(self, base: Loss) -> None:
        self.base = base
        self.weights: np.ndarray | None = None  # (N,)

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        w = self.weights
        if w is None or len(w) != len(y_pred):
            raise RuntimeError(f"{self}: set weights for the {len(y_pred)} samples first")
        self.base.forward(y_pred, y_true)  # keeps what its backward needs
        self._saved = (w,)
        return float(w @ per_sample_loss(self.base, y_pred, y_true) / w.sum())

    def backward(self) -> np.ndarray:
        (w,) = self._need()
        scale = (len(w) / w.sum()) * w  # (N,)
        return self.base.backward() * scale[:, None].astype(w.dtype)  # (N, K)


def per_sample_loss(loss: Loss, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
    """l_n of shape (N,) for the losses the estimators use: their batch value is the mean."""
    rows = np.arange(len(y_pred))
    if isinstance(loss, SoftmaxCrossEntropy):  # y_pred: logits (N, K), y_true: labels (N,)
        z = y_pred - y_pred.max(axis=1, keepdims=True)
        return np.log(np.exp(z).sum(axis=1)) - z[rows, y_true]  # -log softmax(z)[y]
    if isinstance(loss, CategoricalCrossEntropy):  # y_pred: probabilities (N, K)
        eps = np.finfo(y_pred.dtype).eps
        return -np.log(np.clip(y_pred[rows, y_true], eps, 1.0))
    if isinstance(loss, HalfSquaredError):  # y_pred, y_true: (N, K)
        diff = y_pred - y_true.reshape(y_pred.shape)
        return 0.5 * np.mean(diff * diff, axis=1)
    raise TypeError(f"no per-sample form of {loss!r}")


def portable_loss(loss: Loss) -> Loss:
    """The loss the fitted network keeps: one that :func:`nnscratch.load` knows without
    this package (scikit-learn's half squared error becomes nnscratch's :class:`MSE`,
    which has the same minimum)."""
    return MSE() if isinstance(loss, HalfSquaredError) else loss


def solver_names() -> list[str]:
    """The ``solver`` values accepted: nnscratch's optimizers, lower-case."""
    return sorted(name.lower() for name in OPTIMIZER_REGISTRY.builtin_names())


def make_optimizer(est: Any) -> Optimizer:
    """The optimizer ``est.solver`` names, with scikit-learn's settings where they apply.

    ``"sgd"`` takes ``momentum`` and ``nesterovs_momentum`` (Nesterov needs momentum > 0,
    so it is off for ``momentum=0``); ``"adam"`` takes ``beta_1``, ``beta_2`` and
    ``epsilon``; every other solver takes only ``learning_rate_init``.
    """
    lr = float(est.learning_rate_init)
    if est.solver == "sgd":
        return SGD(lr, momentum=float(est.momentum),
                   nesterov=bool(est.nesterovs_momentum) and est.momentum > 0)
    if est.solver == "adam":
        return Adam(lr, beta1=float(est.beta_1), beta2=float(est.beta_2),
                    eps=float(est.epsilon))
    return get_optimizer(est.solver, learning_rate=lr)


def output_loss(model: Sequential, classifier: bool) -> Loss:
    """The loss for ``model``'s outputs: cross-entropy on logits (on probabilities when
    the last layer is a Softmax) for a classifier, half squared error for a regressor."""
    if not classifier:
        return HalfSquaredError()
    if model.layers and isinstance(model.layers[-1], Softmax):
        return CategoricalCrossEntropy()
    return SoftmaxCrossEntropy()


def build_network(est: Any, sizes: Sequence[int], n_features: int, n_outputs: int,
                  dtype: np.dtype, rng: np.random.Generator) -> Sequential:
    """A new network for the estimator ``est``, in ``dtype``: the MLP of ``sizes`` (its
    ``hidden_layer_sizes``), a copy
    of the Sequential in ``module``, or what the function in ``module`` returns.

    Raises
    ------
    TypeError
        ``module`` is neither None, a Sequential nor a function returning one.
    ValueError
        ``module__*`` parameters given with a Sequential, or a network whose output is
        not ``(N, n_outputs)``.
    """
    module = est.module
    kwargs = est.module_params()
    name = type(est).__name__
    if module is None:
        model = _mlp(sizes, est.activation, n_features, n_outputs,
                     dtype, rng)
    elif isinstance(module, Sequential):
        if kwargs:
            raise ValueError(f"{name}: module__{next(iter(kwargs))} is an argument for a "
                             "function that builds the network; module is a Sequential")
        model = Sequential.from_config(module.get_config(), source=f"{name}.module")
        model.load_state_dict(module.state_dict(), source=f"{name}.module")
    elif callable(module):
        model = _call_builder(module, kwargs, n_features, n_outputs, dtype, rng, name)
    else:
        raise TypeError(f"{name}: module must be None, a Sequential or a function "
                        f"returning one, got {type(module).__name__}")
    model.astype(dtype)
    _check_output(model, n_features, n_outputs, name)
    return model


def _mlp(sizes: Sequence[int], activation: str, n_features: int, n_outputs: int,
         dtype: np.dtype, rng: np.random.Generator) -> Sequential:
    """Dense layers of ``sizes`` with ``activation`` between them, then a linear output."""
    widths = [n_features, *sizes, n_outputs]
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        layers.append(Dense(fan_in, fan_out, rng=rng, dtype=dtype))
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(layers)


def _call_builder(fn: Callable[..., Any], kwargs: dict[str, Any], n_features: int,
                  n_outputs: int, dtype: np.dtype, rng: np.random.Generator, name: str
                  ) -> Sequential:
    """``fn(**kwargs)``, plus ``n_features_in``, ``n_outputs`` and ``rng`` for a function
    that takes arguments of those names; layers are made in ``dtype``."""
    try:
        accepted = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        accepted = {}  # type: ignore[assignment]
    given = {"n_features_in": n_features, "n_outputs": n_outputs, "rng": rng}
    extra = {k: v for k, v in given.items() if k in accepted and k not in kwargs}
    with default_dtype(dtype):
        model = fn(**kwargs, **extra)
    if not isinstance(model, Sequential):
        raise TypeError(f"{name}: module {getattr(fn, '__name__', fn)!r} returned "
                        f"{type(model).__name__}, expected a Sequential")
    return model


def _check_output(model: Sequential, n_features: int, n_outputs: int, name: str) -> None:
    """Raise unless the network maps (N, n_features) to (N, n_outputs)."""
    probe = np.zeros((2, n_features), dtype=model.dtype)
    model.eval()
    try:
        shape = model.forward(probe).shape
    except ValueError as err:
        raise ValueError(f"{name}: the network does not take X of shape (N, {n_features}):"
                         f" {err}") from None
    if shape[1:] != (n_outputs,):
        raise ValueError(f"{name}: the network's output has shape (N, "
                         f"{', '.join(map(str, shape[1:]))}), expected (N, {n_outputs}) "
                         "for these targets")


class Penalty:
    """scikit-learn's L2 penalty, ``0.5 · alpha · Σ‖W‖² / batch_size``, on the weights
    only (the parameters with ``regularize`` true: not biases or normalisation scales).
    With sample weights, their sum over the batch replaces ``batch_size``.

    It is an :class:`~nnscratch.L2` regularizer of ``alpha / (2 · batch_size)`` on each
    weight, which ``train_step`` adds to the loss and the gradient; :meth:`for_batch`
    resizes it for a batch of another size (an epoch's last one).
    """

    def __init__(self, model: Sequential, alpha: float, name: str) -> None:
        self.alpha = alpha
        self.size = 0.0
        self.weights = [p for p in model.parameters() if p.regularize] if alpha else []
        for p in self.weights:
            if p.regularizer is not None:
                raise ValueError(f"{name}: parameter {p.name} of the module already has "
                                 f"the regularizer {p.regularizer!r}; with alpha={alpha} "
                                 "it would get two (set alpha=0 to keep the module's own)")

    def for_batch(self, size: float) -> None:
        if self.weights and size != self.size:
            reg = L2(self.alpha / (2.0 * size))
            for p in self.weights:
                p.regularizer = reg
            self.size = size

    def remove(self) -> None:
        """Leave the fitted network without the penalty (predict needs none)."""
        for p in self.weights:
            p.regularizer = None
        self.size = 0.0
