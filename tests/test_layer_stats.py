"""LayerStats against numbers worked out by hand, its warnings, and the forward hooks."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.callbacks import LayerStats, LayerStatsWarning
from nnscratch.hooks import register_forward_hook


def _tiny() -> nn.Sequential:
    """Dense(2→3) with chosen weights, ReLU, Dense(3→1): unit 2 of the ReLU is dead on
    every sample (W[:, 2] = (-1, -1), inputs non-negative), unit 0 is zero on some."""
    model = nn.Sequential(nn.Dense(2, 3, dtype=np.float64), nn.ReLU(),
                          nn.Dense(3, 1, dtype=np.float64))
    model[0].W.assign(np.array([[1.0, 0.5, -1.0], [-1.0, 0.5, -1.0]]))
    model[0].b.assign(np.zeros(3))
    model[2].W.assign(np.array([[1.0], [2.0], [3.0]]))
    model[2].b.assign(np.array([0.5]))
    return model.use(nn.MSE(), nn.SGD(0.1), metrics=None)


# inputs chosen so that h = relu(x W) is easy by hand:
#   x = (2, 1): x W = (1, 1.5, -3)  -> h = (1, 1.5, 0)
#   x = (1, 2): x W = (-1, 1.5, -3) -> h = (0, 1.5, 0)
X = np.array([[2.0, 1.0], [1.0, 2.0]])
Y = np.array([[1.0], [0.0]])


def test_activation_numbers_by_hand_one_full_batch_step():
    model, stats = _tiny(), LayerStats(warn=False)
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[stats])
    assert stats.steps == [1] and stats.epochs == [0]
    relu = stats.activations["layers.1"]
    h = np.array([[1.0, 1.5, 0.0], [0.0, 1.5, 0.0]])
    assert relu["mean"][0] == pytest.approx(h.mean())  # 4 / 6
    assert relu["std"][0] == pytest.approx(h.std())
    assert relu["zero_fraction"][0] == pytest.approx(3 / 6)
    # unit 0 is zero on one sample only: half the entries are zero, but one unit is dead
    assert relu["dead_fraction"][0] == pytest.approx(1 / 3)
    assert stats.layers == {"layers.0": "Dense(2→3)", "layers.1": "ReLU()",
                            "layers.2": "Dense(3→1)"}


def test_gradient_numbers_by_hand():
    model, stats = _tiny(), LayerStats(warn=False)
    W2 = model[2].W.data.copy()
    W0 = model[0].W.data.copy()
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[stats])
    # out = h W2 + 0.5 = (1 + 3 + 0.5, 3 + 0.5) = (4.5, 3.5); MSE: G = 2 (out - y) / 2
    h = np.array([[1.0, 1.5, 0.0], [0.0, 1.5, 0.0]])
    G = np.array([[3.5], [3.5]])
    dW2 = h.T @ G
    dh = G @ W2.T * (h > 0)
    dW0 = X.T @ dh
    g = stats.gradients
    assert g["layers.2.W"]["norm"][0] == pytest.approx(np.linalg.norm(dW2))
    assert g["layers.2.W"]["std"][0] == pytest.approx(dW2.std())
    assert g["layers.2.b"]["norm"][0] == pytest.approx(7.0)
    assert g["layers.0.W"]["norm"][0] == pytest.approx(np.linalg.norm(dW0))
    # SGD: the update is 0.1 · dL/dW, so the ratio is 0.1 ||dW|| / ||W||
    assert g["layers.0.W"]["update_ratio"][0] == pytest.approx(
        0.1 * np.linalg.norm(dW0) / np.linalg.norm(W0))
    # the bias started at zero: no ratio for its only step
    assert math.isnan(g["layers.0.b"]["update_ratio"][0])


def test_windows_of_every_steps_and_dead_means_every_sample_of_the_window():
    # two one-sample batches per window: unit 0 is zero on the second sample only, so it
    # is alive in the window; unit 2 is zero on both, dead
    model, stats = _tiny(), LayerStats(every=2, warn=False)
    model.use(nn.MSE(), nn.SGD(1e-9), metrics=None)  # about the same h every step
    model.fit(X, Y, epochs=2, batch_size=1, shuffle=False, verbose=0, callbacks=[stats])
    assert stats.steps == [2, 4] and stats.epochs == [0, 1]
    assert stats.activations["layers.1"]["dead_fraction"] == pytest.approx([1 / 3, 1 / 3])
    assert stats.activations["layers.1"]["zero_fraction"] == pytest.approx([0.5, 0.5])
    # one sample per window: unit 0 is dead in the window that saw only (1, 2)
    stats1 = LayerStats(every=1, warn=False)
    model.fit(X, Y, epochs=1, batch_size=1, shuffle=False, verbose=0, callbacks=[stats1])
    assert stats1.activations["layers.1"]["dead_fraction"] == pytest.approx([1 / 3, 2 / 3])
    arrays = stats1.to_arrays()
    np.testing.assert_array_equal(arrays["steps"], [5, 6])
    np.testing.assert_allclose(arrays["layers.1.activation.dead_fraction"], [1 / 3, 2 / 3])
    assert arrays["layers.0.W.gradient.norm"].shape == (2,)


def test_validation_batches_are_not_counted_and_hooks_go_after_fit():
    model, stats = _tiny(), LayerStats(warn=False)
    # the validation sample would make unit 2 alive: (−1, −1) W[:, 2] = 2 > 0
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[stats],
              validation_data=(np.array([[-1.0, -1.0]]), np.array([[0.0]])))
    assert stats.activations["layers.1"]["dead_fraction"] == pytest.approx([1 / 3])
    assert all("forward" not in layer.__dict__ for layer in model.layers)


def test_hooks_go_when_fit_raises():
    model, stats = _tiny(), LayerStats(warn=False)

    class Boom(nn.Callback):
        def on_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[stats, Boom()])
    assert all("forward" not in layer.__dict__ for layer in model.layers)


def _deep(activation: type, init: str) -> nn.Sequential:
    layers: list[nn.Layer] = []
    width = 20
    for i in range(8):
        layers += [nn.Dense(width, 32, init=init, rng=i), activation()]
        width = 32
    layers.append(nn.Dense(width, 2, rng=99))
    return nn.Sequential(layers).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))


def _xor_like(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((256, 20)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deep_sigmoid_warns_of_vanishing_gradients_healthy_relu_is_silent(seed):
    x, y = _xor_like(seed)
    sick, stats = _deep(nn.Sigmoid, "glorot_uniform"), LayerStats()
    with pytest.warns(LayerStatsWarning, match=r"vanishing gradients .*layers\.0\.W "
                      r"\(Dense\(20→32\)\) has gradient norm .*layers\.16\.W"):
        sick.fit(x, y, epochs=3, batch_size=32, verbose=0, seed=seed, callbacks=[stats])
    assert len(stats.messages) == 1  # once, not once per epoch
    assert "vanishing_ratio=0.001" in stats.messages[0]

    healthy, quiet = _deep(nn.ReLU, "he_normal"), LayerStats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LayerStatsWarning)
        healthy.fit(x, y, epochs=3, batch_size=32, verbose=0, seed=seed, callbacks=[quiet])
    assert quiet.messages == []
    assert healthy.history["loss"][-1] < sick.history["loss"][-1]


def test_dead_units_and_exploding_gradients_warn_with_the_numbers():
    model = _tiny()
    with pytest.warns(LayerStatsWarning, match=r"dead units .*: 67% of the units of "
                      r"layers\.1 \(ReLU\(\)\)"):
        model.fit(X[1:], Y[1:], epochs=1, verbose=0, callbacks=[LayerStats()])
    # a ratio threshold the healthy network crosses: exploding across layers
    model = _tiny()
    stats = LayerStats(exploding_ratio=1.01, dead_threshold=0.9)
    with pytest.warns(LayerStatsWarning, match=r"exploding gradients .*layers\.0\.W"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[stats])


def test_a_gradient_growing_over_the_steps_warns():
    # a linear model whose weights a callback multiplies by 100 after every epoch: the
    # MSE gradient 2 xᵀ(x W + b − y) / n grows with them, by 1e4 after two epochs
    model = nn.Sequential(nn.Dense(2, 1, dtype=np.float64)).use(nn.MSE(), nn.SGD(1e-9),
                                                                 metrics=None)
    model[0].W.assign(np.array([[1.0], [1.0]]))

    class Grow(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            model[0].W.data *= 100

    stats = LayerStats()
    with pytest.warns(LayerStatsWarning) as caught:
        model.fit(X, Y, epochs=3, verbose=0, callbacks=[stats, Grow()])
    assert len(caught) == len(stats.messages) == 2  # W and b, once each
    assert re.match(r"exploding gradients at step 3 \(epoch 3\): layers\.0\.W "
                    r"\(Dense\(2→1\)\) has gradient norm .* times its .* of step 1 "
                    r"\(threshold exploding_ratio=1000\)", stats.messages[0])
    norms = stats.gradients["layers.0.W"]["norm"]
    assert norms[1] / norms[0] < 1e3 < norms[2] / norms[0]


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError,
                       match="LayerStats: every must be a positive integer or None, got 0"):
        LayerStats(every=0)
    with pytest.raises(ValueError,
                       match=r"LayerStats: vanishing_ratio must be in \(0, 1\), got 2.0"):
        LayerStats(vanishing_ratio=2.0)


def test_plot_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    model, stats = _tiny(), LayerStats(warn=False)
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[stats])
    path = tmp_path / "stats.png"
    stats.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="nothing recorded yet"):
        LayerStats().plot()


def test_forward_hook_sees_input_and_output_and_removes_cleanly():
    layer = nn.Dense(2, 3, rng=0)
    seen = []
    handle = register_forward_hook(layer, lambda mod, x, y: seen.append((mod, x, y)))
    x = np.ones((4, 2), np.float32)
    y = layer(x)
    assert seen[0][0] is layer and seen[0][1] is x and seen[0][2] is y
    handle.remove()
    handle.remove()  # twice: no effect
    assert "forward" not in layer.__dict__
    layer(x)
    assert len(seen) == 1
    with pytest.raises(TypeError, match="expected a Layer, got int"):
        register_forward_hook(3, print)  # type: ignore[arg-type]


def test_vanishing_gradients_example(tmp_path):
    from conftest import run_example

    r = run_example("vanishing_gradients", "--fast", "--out", str(tmp_path))
    sigmoid, relu = r["sigmoid"], r["relu"]
    assert len(sigmoid["warnings"]) == 1 and "vanishing gradients" in sigmoid["warnings"][0]
    assert sigmoid["grad_norms"][0] < 1e-3 * sigmoid["grad_norms"][-1]
    assert sigmoid["accuracy"] < 0.5  # three classes: chance is 1/3
    assert relu["warnings"] == [] and relu["accuracy"] > 0.85

