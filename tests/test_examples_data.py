"""The real-dataset examples: each runs in its fast mode here, and reaches the accuracy it
claims in its full run (marked slow; CI runs those too).

The data comes through the conftest fixtures, which skip with a reason when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import load_example, run_example

# the scripts save plots, which stay open in pyplot
pytestmark = pytest.mark.usefixtures("close_figures")


# The article's printed costs at iterations 0, 100, ..., 1900 (full batch, lr 0.005).
ARTICLE_CAT_COSTS = [
    0.693147, 0.584508, 0.466949, 0.376007, 0.331463, 0.303273, 0.279880, 0.260042,
    0.242941, 0.228004, 0.214820, 0.203078, 0.192544, 0.183033, 0.174399, 0.166521,
    0.159305, 0.152667, 0.146542, 0.140872,
]


@pytest.fixture(autouse=True)
def _h5py_for_cats(request):
    if "cats_dir" in request.fixturenames:
        pytest.importorskip("h5py", reason="the cat photos are HDF5 files")


# -- cat_classifier -----------------------------------------------------------------------
def test_cat_classifier_fast(cats_dir, tmp_path, capsys):
    r = run_example("cat_classifier", "--fast", "--data-dir", str(cats_dir),
                    "--out", str(tmp_path))
    costs = r["costs"]
    assert len(costs) == 200
    assert costs[0] == pytest.approx(np.log(2), abs=1e-6)  # w = 0, b = 0: p = 0.5 everywhere
    # the first steps overshoot and the cost zigzags; sampled every 100 steps it falls
    np.testing.assert_allclose(costs[::100], ARTICLE_CAT_COSTS[:2], atol=2e-6)
    assert costs[-1] < 0.5
    assert r["train_accuracy"] > 0.75  # 65.6% are non-cats: better than the majority class
    assert r["test_accuracy"] > 0.6
    printed = capsys.readouterr().out
    assert "Cost after iteration 0: 0.693147" in printed
    assert "Cost after iteration 100: 0.584508" in printed
    if r["plots"]:
        assert Path(r["plots"][0]).stat().st_size > 1000


def test_cat_classifier_overlays_learning_rates(cats_dir, tmp_path):
    r = run_example("cat_classifier", "--iterations", "30", "--learning-rates", "0.01,0.0001",
                    "--data-dir", str(cats_dir), "--out", str(tmp_path))
    curves = r["curves"]
    assert list(curves) == ["learning rate 0.01", "learning rate 0.0001"]
    assert all(len(c) == 30 for c in curves.values())
    for c in curves.values():
        assert c[0] == pytest.approx(np.log(2), abs=1e-6)
    # the small rate creeps down steadily; the large one overshoots and zigzags upward first
    assert np.all(np.diff(curves["learning rate 0.0001"]) < 0)
    assert np.any(np.diff(curves["learning rate 0.01"]) > 0)
    if r["plots"]:
        assert [p.name for p in r["plots"]] == ["cat_cost.png", "cat_misclassified.png",
                                                "cat_learning_rates.png"]
        assert all(p.stat().st_size > 1000 for p in r["plots"])


@pytest.mark.slow
def test_cat_classifier_reproduces_the_article(cats_dir, tmp_path):
    r = run_example("cat_classifier", "--data-dir", str(cats_dir), "--out", str(tmp_path))
    np.testing.assert_allclose(r["costs"][::100], ARTICLE_CAT_COSTS, atol=2e-6)
    assert r["train_accuracy"] == pytest.approx(207 / 209)  # 99.04%
    assert r["test_accuracy"] == pytest.approx(35 / 50)  # 70%


# -- mnist_mlp ----------------------------------------------------------------------------
def test_mnist_mlp_fast(mnist_t10k_dir, tmp_path, capsys):
    r = run_example("mnist_mlp", "--fast", "--data-dir", str(mnist_t10k_dir),
                    "--out", str(tmp_path))
    assert (r["n_train"], r["n_test"]) == (8000, 2000)
    assert "8,000 for training and 2,000 held out" in capsys.readouterr().err
    assert r["test_accuracy"] >= 0.9


def test_random_shift_moves_whole_images():
    module = load_example("mnist_mlp")
    rng = np.random.default_rng(0)
    x = rng.random((50, 784)).astype(np.float32)
    shifted = module.random_shift(x, 2, np.random.default_rng(1))
    assert shifted.shape == x.shape and shifted.dtype == x.dtype
    for img, out in zip(x.reshape(-1, 28, 28), shifted.reshape(-1, 28, 28)):
        padded = np.pad(img, 2)  # some 28×28 window of the zero-padded image, exactly
        windows = [padded[dy:dy + 28, dx:dx + 28] for dy in range(5) for dx in range(5)]
        assert any(np.array_equal(out, w) for w in windows)
    assert np.array_equal(module.random_shift(x, 0, rng), x)


@pytest.mark.slow
def test_mnist_mlp_reaches_97_percent_on_the_held_out_digits(mnist_t10k_dir, tmp_path):
    r = run_example("mnist_mlp", "--data-dir", str(mnist_t10k_dir), "--out", str(tmp_path))
    assert r["n_test"] == 2000
    assert r["test_accuracy"] >= 0.97


# -- mnist_tanh_network -------------------------------------------------------------------
def test_mnist_tanh_network_fast(mnist_t10k_dir):
    r = run_example("mnist_tanh_network", "--fast", "--data-dir", str(mnist_t10k_dir))
    assert list(r) == ["tanh + MSE", "softmax + cross-entropy"]
    for name, result in r.items():
        assert result["losses"][-1] < result["losses"][0], name
        assert result["test_accuracy"] >= 0.8, name


@pytest.mark.slow
def test_mnist_tanh_network_full(mnist_t10k_dir):
    r = run_example("mnist_tanh_network", "--data-dir", str(mnist_t10k_dir))
    assert r["tanh + MSE"]["test_accuracy"] >= 0.87
    assert r["softmax + cross-entropy"]["test_accuracy"] >= 0.87


# -- fashion_mnist_mlp --------------------------------------------------------------------
def test_fashion_mnist_mlp_fast(fashion_dir, tmp_path):
    r = run_example("fashion_mnist_mlp", "--fast", "--data-dir", str(fashion_dir),
                    "--out", str(tmp_path))
    assert (r["n_train"], r["n_test"]) == (10_000, 10_000)
    assert r["test_accuracy"] >= 0.78


@pytest.mark.slow
def test_fashion_mnist_mlp_beats_the_sklearn_baseline(fashion_dir, tmp_path):
    r = run_example("fashion_mnist_mlp", "--data-dir", str(fashion_dir), "--out", str(tmp_path))
    assert r["n_test"] == 10_000
    assert r["test_accuracy"] >= 0.88
