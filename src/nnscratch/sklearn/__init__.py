"""scikit-learn estimators: nnscratch networks wherever ``MLPClassifier`` fits.

::

    from nnscratch.sklearn import NNClassifier, NNRegressor
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), NNClassifier(random_state=0))
    search = GridSearchCV(pipe, {"nnclassifier__alpha": [1e-4, 1e-2]}).fit(X, y)

:class:`NNClassifier` and :class:`NNRegressor` take ``MLPClassifier``'s and
``MLPRegressor``'s parameters with their meanings (``hidden_layer_sizes``, ``alpha``,
``batch_size="auto"``, the ``learning_rate`` schedules, ``tol`` and ``n_iter_no_change``,
``early_stopping``, ``warm_start``, ``partial_fit``, ...) and pass scikit-learn's
estimator checks. Any :class:`~nnscratch.Sequential` — a CNN too — goes in through
``module=``; the fitted network is ``model_``.

This is the only part of nnscratch that imports scikit-learn (the ``sklearn`` extra:
``pip install nnscratch[sklearn]``).

Pickles
-------
scikit-learn's tools (``clone``, ``joblib.dump``, parallel grid searches) pickle
estimators, so these estimators and a fitted :class:`~nnscratch.Sequential` pickle. A
pickle runs code when it is loaded: never load one from a source you do not trust.
nnscratch's own files (``save``, ``load``, checkpoints) are ``.npz`` + JSON, read without
pickle; ``est.model_.save(path)`` writes the fitted network as one.
"""

from __future__ import annotations

from ._estimators import NNClassifier, NNRegressor
from ._network import HalfSquaredError

__all__ = ["HalfSquaredError", "NNClassifier", "NNRegressor"]
