"""Every example runs (in its fast mode) and reaches its result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import load_example, run_example


def test_two_layer_xor(tmp_path):
    r = run_example("two_layer_xor", "--out", str(tmp_path))
    losses = r["losses"]
    assert len(losses) == 1500
    assert np.all(np.diff(losses) <= 0), "the loss must decrease monotonically"
    assert np.max(np.abs(r["predictions"] - r["targets"])) < 0.1
    if r["plot"] is not None:
        assert Path(r["plot"]).stat().st_size > 1000


def test_deep_sigmoid_functional(tmp_path):
    r = run_example("deep_sigmoid_functional", "--fast", "--out", str(tmp_path))
    costs = r["costs"]
    assert costs[0] == pytest.approx(np.log(2), abs=1e-3)  # 0.01-scale weights: p ≈ 0.5
    assert costs[-1] < 0.3
    assert r["test_accuracy"] >= 0.9


def test_deep_sigmoid_uses_the_articles_weights():
    module = load_example("deep_sigmoid_functional")
    init = module.article_init(3)
    w1 = init((5, 4), 5, 4, None)
    np.random.seed(3)  # noqa: NPY002 - the article's own first draw: randn(n_1, n_0) * 0.01
    expected = np.random.randn(4, 5) * 0.01  # noqa: NPY002
    np.testing.assert_array_equal(w1, expected.T)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_digits_mlp(tmp_path):
    pytest.importorskip("sklearn", reason="the digits set ships with scikit-learn")
    r = run_example("digits_mlp", "--out", str(tmp_path))
    assert r["test_accuracy"] >= 0.95
