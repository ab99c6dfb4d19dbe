"""The part the two estimators share: parameters, their checks, and the training loop.

The loop is scikit-learn's stochastic one (``MLPClassifier``'s): each epoch reshuffles
the samples, takes one :meth:`Sequential.train_step` per batch, appends the mean batch
loss (L2 penalty included) to ``loss_curve_``, then decides on the learning rate and on
stopping from ``tol`` and ``n_iter_no_change``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..layers.activations import softmax
from ..model import Sequential
from ._network import (
    ACTIVATIONS,
    Penalty,
    SampleWeighted,
    build_network,
    make_optimizer,
    portable_loss,
    solver_names,
)


def _number(lo: float, hi: float = math.inf, lo_open: bool = False, hi_open: bool = False,
            integer: bool = False) -> tuple[str, Callable[[Any], bool]]:
    """A rule: a real (or integral) number in a range, and how to say it."""
    kind = numbers.Integral if integer else numbers.Real
    lo_ok = (lambda v: v > lo) if lo_open else (lambda v: v >= lo)
    hi_ok = (lambda v: v < hi) if hi_open else (lambda v: v <= hi)
    what = ("an int" if integer else "a float") + (
        f" in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        if hi < math.inf else f" {'>' if lo_open else '>='} {lo}")
    return what, lambda v: (isinstance(v, kind) and not isinstance(v, bool)
                            and lo_ok(v) and hi_ok(v))


def _one_of(*names: str) -> tuple[str, Callable[[Any], bool]]:
    return f"one of {list(names)}", lambda v: isinstance(v, str) and v in names


_BOOL = ("a bool", lambda v: isinstance(v, (bool, np.bool_)))

#: Every numeric and named parameter's rule, checked at the start of ``fit``.
RULES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "activation": _one_of(*ACTIVATIONS),
    "alpha": _number(0.0),
    "learning_rate": _one_of("constant", "invscaling", "adaptive"),
    "learning_rate_init": _number(0.0, lo_open=True),
    "power_t": _number(0.0),
    "max_iter": _number(1, integer=True),
    "shuffle": _BOOL,
    "tol": _number(0.0),
    "verbose": ("a bool or an int", lambda v: isinstance(v, (bool, numbers.Integral))),
    "warm_start": _BOOL,
    "momentum": _number(0.0, 1.0),
    "nesterovs_momentum": _BOOL,
    "early_stopping": _BOOL,
    "validation_fraction": _number(0.0, 1.0, lo_open=True, hi_open=True),
    "beta_1": _number(0.0, 1.0, hi_open=True),
    "beta_2": _number(0.0, 1.0, hi_open=True),
    "epsilon": _number(0.0, lo_open=True),
    "n_iter_no_change": _number(1, integer=True),
}


def _layer_sizes_ok(sizes: Any) -> bool:
    """An int >= 1, or a sequence of them."""
    sizes = [sizes] if isinstance(sizes, numbers.Integral) else sizes
    try:
        return all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                   and int(s) >= 1 for s in sizes)
    except TypeError:
        return False


class NNBase(BaseEstimator):
    """Parameters and training shared by :class:`NNClassifier` and :class:`NNRegressor`.

    Subclasses define ``_targets`` (checked, encoded targets and the number of network
    outputs), ``_make_loss`` and ``_val_score``.
    """

    _is_classifier = False

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 module: Any = None, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: int | str = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5,
                 max_iter: int = 200, shuffle: bool = True, random_state: Any = None,
                 tol: float = 1e-4, verbose: bool = False, warm_start: bool = False,
                 momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 n_iter_no_change: int = 10, **module__kwargs: Any) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.module = module
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        # the name of ``**module__kwargs`` itself starts with module__: scikit-learn's
        # checks pass every name of the signature, this one too, as a parameter
        self._set_module_params(module__kwargs)

    # -- module__* parameters: the arguments of the function in ``module`` -----------------
    def _set_module_params(self, params: dict[str, Any]) -> None:
        for key, value in params.items():
            if not key.startswith("module__") or key == "module__":
                raise TypeError(f"{type(self).__name__}: unexpected keyword argument "
                                f"{key!r}; only module__<name> arguments are passed on")
            setattr(self, key, value)

    def module_params(self) -> dict[str, Any]:
        """The ``module__*`` parameters, without the prefix: the builder's arguments."""
        return {k[len("module__"):]: v for k, v in vars(self).items()
                if k.startswith("module__")}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters, the ``module__*`` ones included."""
        params: dict[str, Any] = super().get_params(deep=deep)
        params.update({k: v for k, v in vars(self).items() if k.startswith("module__")})
        return params

    def set_params(self, **params: Any) -> NNBase:
        """Set parameters; ``module__<name>`` ones become arguments of the builder."""
        self._set_module_params({k: params.pop(k) for k in list(params)
                                 if k.startswith("module__")})
        super().set_params(**params)
        return self

    # -- checks ---------------------------------------------------------------------------
    def _check_params(self) -> None:
        name = type(self).__name__
        if self.solver == "lbfgs":
            raise ValueError(f"{name}: solver='lbfgs' is not available: nnscratch trains "
                             "by gradient steps on mini-batches only; choose one of "
                             f"{solver_names()} (or use scikit-learn's MLP for L-BFGS)")
        if not isinstance(self.solver, str) or self.solver not in solver_names():
            raise ValueError(f"{name}: solver must be one of {solver_names()}, "
                             f"got {self.solver!r}")
        for key, (what, ok) in RULES.items():
            if not ok(getattr(self, key)):
                raise ValueError(f"{name}: {key} must be {what}, got {getattr(self, key)!r}")
        bs = self.batch_size
        if not (bs == "auto" or (isinstance(bs, numbers.Integral)
                                 and not isinstance(bs, bool) and bs >= 1)):
            raise ValueError(f"{name}: batch_size must be 'auto' or an int >= 1, got {bs!r}")
        if not _layer_sizes_ok(self.hidden_layer_sizes):
            raise ValueError(f"{name}: hidden_layer_sizes must be an int >= 1 or a "
                             f"sequence of them, got {self.hidden_layer_sizes!r}")

    # -- fitting --------------------------------------------------------------------------
    def _fit(self, X: Any, y: Any, incremental: bool, classes: Any = None,
             sample_weight: Any = None) -> NNBase:
        self._check_params()
        if incremental and self.early_stopping:
            raise ValueError(f"{type(self).__name__}: partial_fit does not support "
                             "early_stopping=True")
        fitted = hasattr(self, "model_")
        first = not fitted or not (incremental or self.warm_start)
        X, y = validate_data(self, X, y, reset=first, dtype=(np.float64, np.float32),
                             multi_output=not self._is_classifier,
                             y_numeric=not self._is_classifier)
        sw = None if sample_weight is None else _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        y, n_outputs = self._targets(y, first, incremental, classes)
        if first:
            self._initialize(X, n_outputs)
        dtype = self.model_.dtype
        X = X.astype(dtype, copy=False)
        if y.dtype.kind == "f":  # regression targets compute in the network's dtype too
            y = y.astype(dtype, copy=False)
        model = self.model_
        loss = self._loss if sw is None else SampleWeighted(self._loss)
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = make_optimizer(self)
            self._lr = self.learning_rate_init
            model.use(loss, self._optimizer, metrics=None)
        else:  # partial_fit goes on with the optimizer's state (moments, velocities)
            model.loss = loss
        try:
            self._train(model, X, y, None if sw is None else sw.astype(dtype), incremental)
        finally:  # so that model_.save() writes a file nnscratch.load reads by itself
            model.loss = portable_loss(self._loss)
        return self

    def _initialize(self, X: np.ndarray, n_outputs: int) -> None:
        """A fresh network and fresh records, as a first ``fit`` starts."""
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self._rng = np.random.default_rng(seed)
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = [sizes]
        model = build_network(self, list(sizes), X.shape[1], n_outputs, X.dtype,
                              self._rng)
        self.model_ = model
        self._loss = self._make_loss(model)
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(sizes) + 2 if self.module is None else None
        self.loss_curve_: list[float] = []
        self.t_ = 0
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_: list[float] = []
            self.best_validation_score_: float | None = -np.inf
            self.best_loss_: float | None = None
        else:
            self.validation_scores_ = None  # type: ignore[assignment]
            self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _make_loss(self, model: Sequential) -> Any:
        raise NotImplementedError

    def _targets(self, y: Any, first: bool, incremental: bool, classes: Any
                 ) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def _val_score(self, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None) -> float:
        raise NotImplementedError

    def _train(self, model: Sequential, X: np.ndarray, y: np.ndarray,
               sw: np.ndarray | None, incremental: bool) -> None:
        """scikit-learn's epochs: one ``train_step`` per batch, then the stopping rule."""
        X, y, sw, val = self._split(X, y, sw)
        bs = self._batch_size(len(X))
        penalty = Penalty(model, float(self.alpha), type(self).__name__)
        penalty.for_batch(bs)  # before the step plan, which looks for regularizers
        best_state = None
        run = model.training_state
        run.plan = model._step_plan(y)
        model.train()
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                self._epoch(model, X, y, sw, bs, penalty)
                if val is not None:
                    model.eval()
                    if self._track_validation(*val):
                        best_state = {k: v.copy() for k, v in model.state_dict().items()}
                    model.train()
                else:
                    self._track_loss()
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    self._lr = self.learning_rate_init / (self.t_ + 1) ** self.power_t
                if self._no_improvement_count > self.n_iter_no_change:
                    if self._stop():
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"{type(self).__name__}: max_iter={self.max_iter} epochs reached "
                        "and the optimization hasn't converged yet (tol="
                        f"{self.tol}, n_iter_no_change={self.n_iter_no_change})",
                        ConvergenceWarning, stacklevel=4)
        except KeyboardInterrupt:  # as scikit-learn's MLP: keep what was trained
            warnings.warn(f"{type(self).__name__}: training interrupted by the user after "
                          f"{self.n_iter_} epochs", UserWarning, stacklevel=4)
        finally:
            run.plan = None
            penalty.remove()
            model.eval()
        if best_state is not None:
            model.load_state_dict(best_state)

    def _split(self, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None) -> tuple[Any, ...]:
        """(X, y, sample weights) to train on and, with ``early_stopping``, the held-out
        (X, y, sample weights) to score (stratified for a classifier), else None."""
        if not self.early_stopping:
            return X, y, sw, None
        arrays = [X, y] if sw is None else [X, y, sw]
        parts = train_test_split(
            *arrays, random_state=int(self._rng.integers(np.iinfo(np.int32).max)),
            test_size=self.validation_fraction, stratify=y if self._is_classifier else None)
        if len(parts[1]) < 2:
            raise ValueError(f"{type(self).__name__}: the validation set is too small "
                             f"({len(parts[1])} sample); increase validation_fraction "
                             "or the size of the data set")
        train, val = parts[0::2], parts[1::2]
        if sw is None:
            return train[0], train[1], None, (val[0], val[1], None)
        return train[0], train[1], train[2], tuple(val)

    def _batch_size(self, n: int) -> int:
        """``"auto"``: min(200, n); a larger size than n is clipped, with a warning."""
        bs = min(200, n) if self.batch_size == "auto" else int(self.batch_size)
        if bs > n:
            warnings.warn(f"{type(self).__name__}: batch_size={bs} is larger than the "
                          f"{n} samples; clipped to {n}", UserWarning, stacklevel=5)
            bs = n
        return bs

    def _epoch(self, model: Sequential, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None,
               bs: int, penalty: Penalty) -> None:
        """One pass in batches of ``bs``, reshuffled; records the epoch's loss."""
        n = len(X)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        total = 0.0
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            if sw is None:
                penalty.for_batch(len(idx))
            else:
                weights = sw[idx]
                if not weights.any():  # nothing to learn from: no step
                    continue
                model.loss.weights = weights  # type: ignore[union-attr]
                penalty.for_batch(float(weights.sum()))
            self._optimizer.learning_rate = self._lr
            loss = model.train_step(X[idx], y[idx])["loss"]
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"{type(self).__name__}: the training loss became {loss} in "
                    f"epoch {self.n_iter_ + 1}; try a smaller learning_rate_init")
            total += loss * len(idx)
        self.n_iter_ += 1
        self.loss_ = total / n
        self.t_ += n
        self.loss_curve_.append(self.loss_)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")

    def _track_loss(self) -> None:
        """Count the epochs whose loss is not ``tol`` below the best; keep the best."""
        last, best = self.loss_curve_[-1], self.best_loss_
        assert best is not None  # early_stopping is off
        if last > best - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        self.best_loss_ = min(best, last)

    def _track_validation(self, X_val: Any, y_val: Any, sw_val: Any) -> bool:
        """Score the validation set; True when it is the best score so far."""
        score = self._val_score(X_val, y_val, sw_val)
        self.validation_scores_.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")
        best = self.best_validation_score_
        assert best is not None  # early_stopping is on
        if score < best + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if score > best:
            self.best_validation_score_ = score
            return True
        return False

    def _stop(self) -> bool:
        """After ``n_iter_no_change`` epochs without progress: stop, or, for
        ``learning_rate='adaptive'`` SGD, divide the learning rate by 5 and go on."""
        what = "Validation score" if self.early_stopping else "Training loss"
        msg = (f"{what} did not improve more than tol={self.tol:f} for "
               f"{self.n_iter_no_change} consecutive epochs.")
        if self.solver != "sgd" or self.learning_rate != "adaptive" or self._lr <= 1e-6:
            if self.verbose:
                print(msg + " Stopping.")
            return True
        self._lr /= 5.0
        if self.verbose:
            print(msg + f" Setting learning rate to {self._lr:f}")
        return False

    # -- predicting -----------------------------------------------------------------------
    def _forward(self, X: Any) -> np.ndarray:
        """The network's outputs for checked ``X``, in the network's dtype."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self._raw(X)

    def _raw(self, X: np.ndarray) -> np.ndarray:
        """Probabilities for a classifier, predictions for a regressor: (N, n_outputs)."""
        out = self.model_.predict(X.astype(self.model_.dtype, copy=False))
        return softmax(out) if self._loss.from_logits else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
