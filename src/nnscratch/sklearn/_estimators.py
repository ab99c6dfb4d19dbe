"""NNClassifier and NNRegressor: what each adds to the shared base, its targets."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.multiclass import check_classification_targets, unique_labels

from ..model import Sequential
from ._base import NNBase
from ._network import output_loss

_PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (100,)
        The widths of the hidden Dense layers of the default network (``module=None``).
    activation : {"relu", "tanh", "logistic", "identity"}, default "relu"
        The hidden layers' activation in the default network.
    module : None, Sequential or function, default None
        The network. None: Dense layers of ``hidden_layer_sizes`` with ``activation``
        between them and a linear output layer. A :class:`~nnscratch.Sequential`:
        ``fit`` trains a copy of it, starting from its weights, and never changes it. A
        function returning a Sequential: called once per fresh ``fit`` with the
        ``module__<name>`` parameters as arguments, plus ``n_features_in``,
        ``n_outputs`` and ``rng`` (a numpy Generator drawn from ``random_state``) when
        it takes arguments of those names; its layers are made in X's dtype. The
        network maps X of shape (N, n_features) to (N, n_outputs): %(outputs)s
    solver : str, default "adam"
        ``"adam"``, ``"sgd"``, or another nnscratch optimizer by name (``"rmsprop"``,
        ``"adagrad"``, ``"adamw"``), which takes only ``learning_rate_init``.
        ``"lbfgs"`` is refused: nnscratch trains by mini-batch gradient steps only.
    alpha : float >= 0, default 0.0001
        Strength of the L2 penalty ``0.5 · alpha · Σ‖W‖² / batch_size`` on the weights
        (not the biases or normalisation scales), as in scikit-learn's MLP.
    batch_size : int or "auto", default "auto"
        Samples per gradient step; ``"auto"`` is ``min(200, n_samples)``. Larger than
        n_samples: clipped, with a warning.
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        The schedule for ``solver="sgd"`` (ignored by the others). "invscaling": after
        each epoch ``learning_rate_init / (t + 1) ** power_t`` with t the samples seen;
        "adaptive": divided by 5 each time ``n_iter_no_change`` epochs did not improve by
        ``tol``, training stops when it falls below 1e-6.
    learning_rate_init : float > 0, default 0.001
    power_t : float >= 0, default 0.5
    max_iter : int >= 1, default 200
        Epochs at most (each sample is seen once per epoch).
    shuffle : bool, default True
        Reshuffle the samples every epoch.
    random_state : int, RandomState or None, default None
        Seeds the initial weights, the shuffling and the validation split.
    tol : float >= 0, default 1e-4
        Training stops when the loss (the validation score with ``early_stopping``) has
        not improved by ``tol`` for ``n_iter_no_change`` consecutive epochs.
    verbose : bool, default False
        Print the loss after every epoch.
    warm_start : bool, default False
        ``fit`` continues from the fitted network (with a new optimizer) instead of a
        new one; the classes must be the same.
    momentum : float in [0, 1], default 0.9
        SGD's momentum.
    nesterovs_momentum : bool, default True
        SGD with Nesterov's momentum (when ``momentum > 0``).
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified for a
        classifier), score it after every epoch, stop as ``tol`` says, and keep the
        weights of the best epoch.
    validation_fraction : float in (0, 1), default 0.1
    beta_1, beta_2 : float in [0, 1), default 0.9, 0.999
        Adam's moment decay rates.
    epsilon : float > 0, default 1e-8
        Adam's ε.
    n_iter_no_change : int >= 1, default 10
    **module__<name>
        Arguments of the function in ``module``; ``get_params``/``set_params`` see them,
        so ``GridSearchCV`` can tune them (``{"module__width": [16, 32]}``).

    Attributes
    ----------
    model_ : Sequential
        The fitted network (a copy of ``module``, never ``module`` itself). A
        Sequential can be saved with nnscratch's own ``.npz`` files
        (``model_.save(path)``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had column names (a pandas DataFrame).
    n_iter_ : int
        Epochs run by the last ``fit`` (1 after ``partial_fit``).
    loss_ : float
        The last epoch's training loss (the mean over its batches, penalty included).
    loss_curve_ : list of float
        The loss after every epoch, across ``warm_start`` fits and ``partial_fit`` calls.
    best_loss_ : float or None
        The lowest loss in ``loss_curve_``; None with ``early_stopping``.
    validation_scores_ : list of float or None
        With ``early_stopping``, the validation score after every epoch.
    best_validation_score_ : float or None
    t_ : int
        Samples seen in training.
    n_outputs_ : int
"""


class NNClassifier(ClassifierMixin, NNBase):
    __doc__ = """A neural-network classifier with ``MLPClassifier``'s parameters and meanings.

    The network (an MLP by default, any :class:`~nnscratch.Sequential` through ``module``)
    is trained by nnscratch on the softmax cross-entropy of its ``n_classes`` outputs
    (also for two classes, where ``MLPClassifier`` has one logistic output), in X's
    dtype: float32 stays float32.
    """ + _PARAMETERS % {"outputs": (
        "its outputs are the logits of the classes (or their probabilities when its last "
        "layer is a Softmax).")} + """
    classes_ : ndarray of shape (n_classes,)
        The class labels, of any type NumPy sorts (ints, strings, ...).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NNClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _is_classifier = True

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NNClassifier:
        """Train on X of shape (n_samples, n_features) and labels y of shape (n_samples,).

        ``sample_weight`` (n_samples,) >= 0 weighs each sample's loss, as in
        ``MLPClassifier``: each batch's loss is the weighted mean, and the sum of its
        weights replaces its size in the ``alpha`` penalty.
        """
        self._fit(X, y, incremental=False, sample_weight=sample_weight)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
                    ) -> NNClassifier:
        """One epoch over (X, y); ``classes`` (all the labels) is required on the first call."""
        self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)
        return self

    def _make_loss(self, model: Sequential) -> Any:
        return output_loss(model, classifier=True)

    def _targets(self, y: Any, first: bool, incremental: bool, classes: Any
                 ) -> tuple[np.ndarray, int]:
        """Labels as indices into ``classes_``, which a first call sets."""
        check_classification_targets(y)
        name = type(self).__name__
        seen = unique_labels(y)
        if first:
            if incremental and classes is None:
                raise ValueError(f"{name}: classes must be passed on the first call to "
                                 "partial_fit")
            labels = unique_labels(classes) if incremental else seen
            if len(labels) < 2:
                raise ValueError(f"{name} needs samples of at least 2 classes, got 1 "
                                 f"class: {list(labels)}")
            self.classes_ = labels
        elif incremental and classes is not None and not np.array_equal(
                unique_labels(classes), self.classes_):
            raise ValueError(f"{name}: classes={list(classes)!r} differs from those of "
                             f"the first partial_fit call, {list(self.classes_)!r}")
        elif not incremental and not np.array_equal(seen, self.classes_):
            raise ValueError(f"{name}: warm_start can only be used where y has the same "
                             f"classes as in the previous call to fit. Previously got "
                             f"{list(self.classes_)}, y has {list(seen)}")
        unknown = np.setdiff1d(seen, self.classes_)
        if len(unknown):
            raise ValueError(f"{name}: y contains labels not in classes_ "
                             f"{list(self.classes_)}: {list(unknown)}")
        return np.searchsorted(self.classes_, y), len(self.classes_)

    def _val_score(self, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None) -> float:
        return float(np.average(np.argmax(self._raw(X), axis=1) == y, weights=sw))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of shape (n_samples, n_classes), columns in ``classes_`` order."""
        return self._forward(X)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample, shape (n_samples,)."""
        proba = self._forward(X)  # (N, n_classes)
        return self.classes_[np.argmax(proba, axis=1)]


class NNRegressor(RegressorMixin, NNBase):
    __doc__ = """A neural-network regressor with ``MLPRegressor``'s parameters and meanings.

    The network (an MLP by default, any :class:`~nnscratch.Sequential` through ``module``)
    is trained by nnscratch on half the mean squared error, scikit-learn's
    ``squared_error``, in X's dtype: float32 stays float32. Several targets (y of shape
    (n_samples, n_targets)) are one network with n_targets outputs.
    """ + _PARAMETERS % {"outputs": "one per target, linear."} + """
    Examples
    --------
    >>> import numpy as np
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = NNRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01,
    ...                   max_iter=500, random_state=0)
    >>> reg.fit(X, X.ravel() ** 2).score(X, X.ravel() ** 2) > 0.9
    True
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NNRegressor:
        """Train on X of shape (n_samples, n_features) and y of shape (n_samples,) or
        (n_samples, n_targets).

        ``sample_weight`` (n_samples,) >= 0 weighs each sample's loss, as in
        ``MLPRegressor``: each batch's loss is the weighted mean, and the sum of its
        weights replaces its size in the ``alpha`` penalty.
        """
        self._fit(X, y, incremental=False, sample_weight=sample_weight)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> NNRegressor:
        """One epoch over (X, y)."""
        self._fit(X, y, incremental=True, sample_weight=sample_weight)
        return self

    def _make_loss(self, model: Sequential) -> Any:
        return output_loss(model, classifier=False)

    def _targets(self, y: Any, first: bool, incremental: bool, classes: Any
                 ) -> tuple[np.ndarray, int]:
        """y as (n_samples, n_targets) floats."""
        y = np.asarray(y)
        y = y.reshape(len(y), -1)  # (N, K)
        if y.dtype.kind != "f":
            y = y.astype(np.float64)
        if not first and y.shape[1] != self.n_outputs_:
            raise ValueError(f"{type(self).__name__}: y has {y.shape[1]} targets, the "
                             f"fitted network {self.n_outputs_}")
        return y, y.shape[1]

    def _val_score(self, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None) -> float:
        return float(r2_score(y, self._raw(X), sample_weight=sw))

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of shape (n_samples,), or (n_samples, n_targets) for several."""
        out = self._forward(X)
        return out.ravel() if out.shape[1] == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
