"""scikit-learn's own estimator checks, for both estimators, with their default parameters."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn", minversion="1.6",
                    reason="the estimator checks need scikit-learn >= 1.6")

from sklearn.utils.estimator_checks import parametrize_with_checks

from nnscratch.sklearn import NNClassifier, NNRegressor


def expected_failures(estimator) -> dict[str, str]:
    """The checks known to fail, each with its reason (none so far)."""
    return {}


@parametrize_with_checks([NNClassifier(random_state=0), NNRegressor(random_state=0)],
                         expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
