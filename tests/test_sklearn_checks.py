"""scikit-learn's own estimator checks, for both estimators, with their default parameters
(and a fixed ``random_state``, so that the run is the same every time).

Every check of the installed scikit-learn runs; none is declared expected to fail
(``expected_failed_checks`` would carry each one's reason). Two are skipped by
scikit-learn itself unless pandas is installed (feature names from a DataFrame), and the
array-API ones unless SCIPY_ARRAY_API is set.
"""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn", minversion="1.6",
                    reason="the estimator checks need scikit-learn >= 1.6")

from sklearn.utils.estimator_checks import parametrize_with_checks

from nnscratch.sklearn import NNClassifier, NNRegressor


# the checks fit the default estimators (max_iter=200) on data where tol is not reached
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([NNClassifier(random_state=0), NNRegressor(random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
