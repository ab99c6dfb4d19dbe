"""NNClassifier and NNRegressor mean what MLPClassifier and MLPRegressor mean.

The known answers come from scikit-learn itself: the same network, the same start, one
or a few SGD epochs in both, and the losses and weights compared.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn", minversion="1.6", reason="nnscratch.sklearn needs scikit-learn")

from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor

import nnscratch as nn
from conftest import blobs
from nnscratch.sklearn import NNClassifier, NNRegressor

# short runs on purpose; the tests that are about the warning catch it themselves
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.integers(0, 3, size=n)


def _tanh_net(sizes: tuple[int, int, int], seed: int = 0) -> nn.Sequential:
    with nn.default_dtype(np.float64):
        return nn.Sequential(nn.Dense(sizes[0], sizes[1], rng=seed), nn.Tanh(),
                             nn.Dense(sizes[1], sizes[2], rng=seed + 1))


def _same_start_in_sklearn(mlp, X, y, net: nn.Sequential):
    """``mlp`` ready to continue from ``net``'s weights with a fresh optimizer: one epoch
    of ``fit`` makes its arrays, ``net``'s weights replace theirs, and with ``warm_start``
    the next ``fit`` starts from them."""
    mlp.set_params(warm_start=True, max_iter=1).fit(X, y)
    for i, layer in enumerate([net.layers[0], net.layers[2]]):
        mlp.coefs_[i][...] = layer.W.data
        mlp.intercepts_[i][...] = layer.b.data
    mlp.loss_curve_.clear()
    return mlp


@pytest.mark.parametrize(("momentum", "weighted"), [(0.0, False), (0.9, True)])
def test_sgd_epochs_match_mlp_regressor(momentum, weighted):
    """Three full-batch SGD epochs with alpha: the loss curve (squared error halved, plus
    0.5·alpha·Σ‖W‖²/n on the weights only) and the weights are MLPRegressor's."""
    X, _ = _data()
    y = np.sin(X[:, 0]) + X[:, 1]
    net = _tanh_net((4, 5, 1))
    kw = dict(solver="sgd", alpha=0.3, batch_size=len(X), shuffle=False,
              learning_rate_init=0.1, momentum=momentum, tol=0.0)
    mlp = _same_start_in_sklearn(MLPRegressor(hidden_layer_sizes=(5,), activation="tanh",
                                              **kw), X, y, net)
    weights = np.random.default_rng(1).uniform(0, 3, size=len(X)) if weighted else None
    mlp.set_params(max_iter=3).fit(X, y, sample_weight=weights)
    est = NNRegressor(module=net, max_iter=3, **kw).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(est.loss_curve_, mlp.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(est.model_.layers[0].W.data, mlp.coefs_[0], rtol=1e-9)
    np.testing.assert_allclose(est.model_.layers[2].b.data, mlp.intercepts_[1], rtol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_sgd_epochs_match_mlp_classifier(weighted):
    """Softmax cross-entropy over 3 classes, string labels, 2 mini-batches per epoch, and
    sample weights: a batch's loss is their weighted mean, their sum divides alpha's
    penalty."""
    X, y = _data()
    labels = np.array(["ant", "bee", "cat"])[y]
    weights = np.random.default_rng(1).uniform(0, 3, size=len(X)) if weighted else None
    net = _tanh_net((4, 6, 3))
    kw = dict(solver="sgd", alpha=0.1, batch_size=25, shuffle=False, momentum=0.5,
              learning_rate_init=0.05)
    mlp = _same_start_in_sklearn(MLPClassifier(hidden_layer_sizes=(6,), activation="tanh",
                                               **kw), X, labels, net)
    mlp.set_params(max_iter=2).fit(X, labels, sample_weight=weights)
    est = NNClassifier(module=net, max_iter=2, **kw).fit(X, labels, sample_weight=weights)
    np.testing.assert_allclose(est.loss_curve_, mlp.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(est.model_.layers[2].W.data, mlp.coefs_[1], rtol=1e-9)
    np.testing.assert_allclose(est.predict_proba(X), mlp.predict_proba(X), rtol=1e-9)
    assert list(est.classes_) == ["ant", "bee", "cat"]


def test_fit_trains_a_copy_and_leaves_the_module_alone():
    X, y = _data()
    net = _tanh_net((4, 6, 3))
    before = {k: v.copy() for k, v in net.state_dict().items()}
    est = NNClassifier(module=net, max_iter=5, tol=0.0).fit(X, y)
    assert est.model_ is not net
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert net.loss is None and net.optimizer is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_computes_in_the_dtype_of_x(dtype):
    X, y = blobs(60)
    X = X.astype(dtype)
    clf = NNClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(X, y)
    assert clf.model_.dtype == dtype
    assert clf.predict_proba(X).dtype == dtype
    reg = NNRegressor(hidden_layer_sizes=(8,), max_iter=5, tol=0.0,
                      random_state=0).fit(X, X[:, 0].astype(np.float64))
    assert reg.model_.dtype == dtype and reg.predict(X).dtype == dtype


def test_feature_names_come_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = NNClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(frame, y)
    assert clf.n_features_in_ == 4 and list(clf.feature_names_in_) == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame[["a", "b", "d", "c"]])


def test_batch_size_auto_is_min_200_n():
    X, y = _data(450)
    clf = NNClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(X, y)
    assert clf._optimizer.iterations == 3  # 200 + 200 + 50
    clf = NNClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(X[:150], y[:150])
    assert clf._optimizer.iterations == 1


def test_lbfgs_is_refused_by_name():
    X, y = blobs(30)
    with pytest.raises(ValueError, match="solver='lbfgs' is not available"):
        NNClassifier(solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="solver must be one of"):
        NNRegressor(solver="newton").fit(X, y)


def test_other_nnscratch_solvers_train():
    X, y = blobs(90)
    clf = NNClassifier(hidden_layer_sizes=(16,), solver="rmsprop", learning_rate_init=0.01,
                       max_iter=60, random_state=0).fit(X, y)
    assert type(clf._optimizer).__name__ == "RMSProp"
    assert clf.score(X, y) > 0.9


def test_parameter_errors_name_the_parameter():
    X, y = blobs(30)
    for bad, match in [({"alpha": -1.0}, "alpha must be a float >= 0"),
                       ({"batch_size": 0}, "batch_size must be 'auto'"),
                       ({"hidden_layer_sizes": (3, 0)}, "hidden_layer_sizes must be"),
                       ({"learning_rate": "cosine"}, "learning_rate must be one of")]:
        with pytest.raises(ValueError, match=match):
            NNClassifier(**bad).fit(X, y)


def test_invscaling_and_adaptive_learning_rates():
    X, y = blobs(90)
    clf = NNClassifier(hidden_layer_sizes=(4,), solver="sgd", learning_rate="invscaling",
                       learning_rate_init=0.5, power_t=0.25, max_iter=3, tol=0.0,
                       n_iter_no_change=100)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        clf.fit(X, y)
    assert clf.t_ == 270
    assert clf._lr == pytest.approx(0.5 / 271 ** 0.25)
    clf = NNClassifier(hidden_layer_sizes=(4,), solver="sgd", learning_rate="adaptive",
                       learning_rate_init=0.5, max_iter=200, tol=10.0, n_iter_no_change=2)
    clf.fit(X, y)  # never improves by tol: the rate falls by 5 every 3 epochs to 1e-6
    assert clf._lr <= 1e-6 and clf.n_iter_ < 200


def test_tol_stops_and_early_stopping_keeps_the_best_epoch():
    X, y = blobs(200)
    clf = NNClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, tol=1e-2,
                       n_iter_no_change=3, random_state=0).fit(X, y)
    assert clf.n_iter_ < 200 and clf.best_loss_ == min(clf.loss_curve_)
    clf = NNClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, early_stopping=True,
                       validation_fraction=0.2, n_iter_no_change=3, random_state=0).fit(X, y)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.9
    weighted = clone(clf).fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(X)))
    assert weighted.best_validation_score_ > 0.9
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        clf.partial_fit(X, y)


def test_warm_start_and_partial_fit_continue():
    X, y = blobs(90)
    clf = NNClassifier(hidden_layer_sizes=(8,), max_iter=4, tol=0.0, warm_start=True,
                       random_state=0)
    clf.fit(X, y)
    first = clf.model_
    clf.fit(X, y)
    assert clf.model_ is first and len(clf.loss_curve_) == 8
    with pytest.raises(ValueError, match="warm_start can only be used where y has the same"):
        clf.fit(X[y < 2], y[y < 2])
    part = NNClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        part.partial_fit(X, y)
    part.partial_fit(X[:30], y[:30], classes=[0, 1, 2]).partial_fit(X[30:], y[30:])
    assert len(part.loss_curve_) == 2 and part.n_iter_ == 1 and part.t_ == 90
    assert part._optimizer.iterations == 2  # Adam's moments carried over


def test_partial_fit_calls_are_the_epochs_of_one_fit():
    """Full-batch SGD with momentum, no shuffling: the velocity carries across calls."""
    X, y = _data()
    kw = dict(hidden_layer_sizes=(5,), solver="sgd", momentum=0.9, shuffle=False,
              random_state=0, tol=0.0)
    fitted = NNClassifier(max_iter=3, **kw).fit(X, y)
    part = NNClassifier(**kw)
    for _ in range(3):
        part.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_array_equal(part.loss_curve_, fitted.loss_curve_)
    np.testing.assert_array_equal(part.predict_proba(X), fitted.predict_proba(X))
    with pytest.raises(ValueError, match="labels not in classes_"):
        part.partial_fit(X, y + 5)


def test_verbose_prints_each_epoch_and_ctrl_c_keeps_the_epochs_done(capsys, monkeypatch):
    X, y = _data()
    NNClassifier(hidden_layer_sizes=(4,), max_iter=2, verbose=True).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["Iteration 1", "Iteration 2"]
    steps = []
    train_step = nn.Sequential.train_step

    def interrupted_on_the_third(model, xb, yb):
        steps.append(1)
        if len(steps) == 3:
            raise KeyboardInterrupt
        return train_step(model, xb, yb)

    monkeypatch.setattr(nn.Sequential, "train_step", interrupted_on_the_third)
    with pytest.warns(UserWarning, match="interrupted by the user after 2 epochs"):
        clf = NNClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    assert clf.predict(X).shape == (len(X),)


def test_one_class_is_refused():
    X, _ = _data(20)
    with pytest.raises(ValueError, match="at least 2 classes, got 1 class"):
        NNClassifier().fit(X, np.zeros(20, dtype=int))


def _small_cnn(n_outputs: int, rng: np.random.Generator, channels: int = 4) -> nn.Sequential:
    """8×8 images as rows of 64: a convolution, a pool, a linear output."""
    return nn.Sequential(
        nn.Reshape((1, 8, 8)),
        nn.Conv2D(1, channels, 3, rng=rng), nn.ReLU(), nn.MaxPool2D(2),  # (N, c, 3, 3)
        nn.Flatten(), nn.Dense(channels * 9, n_outputs, rng=rng),
    )


def test_a_cnn_through_module_and_its_arguments_in_a_grid_search():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]
    est = NNClassifier(module=_small_cnn, module__channels=2, learning_rate_init=0.03,
                       batch_size=32, max_iter=15, random_state=0)
    assert est.get_params()["module__channels"] == 2
    assert est.set_params(module__channels=3).module__channels == 3
    assert clone(est).get_params()["module__channels"] == 3
    search = GridSearchCV(est, {"module__channels": [2, 4]}, cv=2).fit(X, y)
    assert search.best_params_["module__channels"] in (2, 4)
    assert search.best_estimator_.model_.layers[1].out_channels == \
        search.best_params_["module__channels"]
    assert search.best_score_ > 0.75


def test_module_errors_name_what_is_wrong():
    X, y = _data()
    with pytest.raises(ValueError, match=r"output has shape \(N, 2\), expected \(N, 3\)"):
        NNClassifier(module=_tanh_net((4, 5, 2))).fit(X, y)
    with pytest.raises(ValueError, match="module__width is an argument for a function"):
        NNClassifier(module=_tanh_net((4, 5, 3)), module__width=3).fit(X, y)
    with pytest.raises(ValueError, match=r"does not take X of shape \(N, 4\)"):
        NNClassifier(module=_tanh_net((5, 5, 3))).fit(X, y)
    with pytest.raises(TypeError, match="returned int, expected a Sequential"):
        NNClassifier(module=lambda: 3).fit(X, y)
    with pytest.raises(TypeError, match="unexpected keyword argument 'hiden_layer_sizes'"):
        NNClassifier(hiden_layer_sizes=(3,))


def test_estimators_and_fitted_networks_pickle(tmp_path):
    X, y = blobs(60)
    clf = NNClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    # the unpickled optimizer still holds the unpickled network's parameters: both go on
    # training the same way
    back.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    net = pickle.loads(pickle.dumps(clf.model_))
    np.testing.assert_array_equal(net.predict(X), clf.model_.predict(X))
    joblib = pytest.importorskip("joblib")
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict(X), clf.predict(X))


def test_the_fitted_network_saves_as_an_nnscratch_file(tmp_path):
    import subprocess
    import sys

    X, _ = _data()
    reg = NNRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, X[:, :2])
    reg.model_.save(tmp_path / "net.npz")
    np.save(tmp_path / "x.npy", X)
    code = ("import os, sys, numpy as np, nnscratch as nn\n"
            "m = nn.load('net.npz')\n"
            "np.save('out.npy', m.predict(np.load('x.npy')))\n"
            "print('sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    assert done.stdout.strip() == "False"
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), reg.predict(X))


def test_parallel_grid_search_over_a_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = blobs(90)
    pipe = make_pipeline(StandardScaler(), NNClassifier(
        hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=60, random_state=0))
    search = GridSearchCV(pipe, {"nnclassifier__alpha": [1e-4, 1e-1]}, cv=2, n_jobs=2)
    search.fit(X, y)
    scores = cross_val_score(search.best_estimator_, X, y, cv=3)
    assert search.best_score_ > 0.9 and scores.mean() > 0.9



def test_the_sample_weight_wrapper_is_not_a_loss_name():
    from nnscratch.losses import LOSS_REGISTRY

    assert "SampleWeighted" not in LOSS_REGISTRY.builtin_names()
