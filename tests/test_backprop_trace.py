"""nn.trace: the glass-box record agrees bit for bit with the model's own passes."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch as nn


def _mlp(dropout: bool = False) -> nn.Sequential:
    layers: list[nn.Layer] = [nn.Dense(3, 4, rng=0), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(0.5, rng=7))
    layers += [nn.Dense(4, 4, rng=1), nn.Sigmoid(), nn.Dense(4, 2, rng=2)]
    return nn.Sequential(layers).use(nn.SoftmaxCrossEntropy())


X = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.25], [-2.0, 0.0, 1.5]], np.float32)
Y = np.array([0, 1, 1])


def _own_passes(model: nn.Sequential, x: np.ndarray, y: np.ndarray, training: bool):
    """The model's own forward and backward, keeping each layer's dL/dx."""
    model.train(training)
    model.zero_grad()
    out = model.forward(x)
    loss = model.loss.forward(out, y)
    grad = model.loss.backward()
    grads_in = []
    for layer in reversed(model.layers):
        grads_in.append(grad)
        grad = layer.backward(grad)
    return out, loss, grads_in[::-1], grad, {id(p): p.grad.copy() for p in model.parameters()}


@pytest.mark.parametrize("training", [False, True])
def test_trace_is_bit_for_bit_the_models_own_backward(training):
    model = _mlp(dropout=True)
    t = nn.trace(model, X, Y, training=training)
    out, loss, grads_in, dx, pgrads = _own_passes(model, X, Y, training)
    assert t.training is training
    assert t.loss_value == loss
    np.testing.assert_array_equal(t.layers[-1].arrays["y"], out)
    for lt, layer, g in zip(t.layers, model.layers, grads_in):
        np.testing.assert_array_equal(lt.arrays["dL/dy"], g)
        for p in layer.parameters():
            np.testing.assert_array_equal(lt.arrays[f"dL/d{p.name}"], pgrads[id(p)])
            assert lt.arrays[f"dL/d{p.name}"].dtype == np.float32
    np.testing.assert_array_equal(t.layers[0].arrays["dL/dx"], dx)
    dropout = t.layers[2]
    if training:  # half the entries dropped, the rest scaled by 2
        assert not np.array_equal(dropout.arrays["y"], dropout.arrays["x"])
    else:
        np.testing.assert_array_equal(dropout.arrays["y"], dropout.arrays["x"])


def test_the_numbers_follow_the_rules_printed_beside_them():
    model = _mlp()
    t = nn.trace(model, X, Y)
    dense, relu, sig = t.layers[0], t.layers[1], t.layers[3]
    a = dense.arrays
    assert dense.rules["dL/dW"] == "dL/dW = xᵀ · dL/dy"
    np.testing.assert_allclose(a["y"], a["x"] @ a["W"] + a["b"], rtol=1e-6)
    np.testing.assert_allclose(a["dL/dW"], a["x"].T @ a["dL/dy"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a["dL/db"], a["dL/dy"].sum(axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a["dL/dx"], a["dL/dy"] @ a["W"].T, rtol=1e-5, atol=1e-7)
    r = relu.arrays
    np.testing.assert_array_equal(r["dL/dx"], r["dL/dy"] * (r["x"] > 0))
    s = sig.arrays
    np.testing.assert_allclose(s["dL/dx"], s["dL/dy"] * s["y"] * (1 - s["y"]), rtol=1e-6)
    # the loss: (softmax(z) − y) / N
    z = t.layers[-1].arrays["y"].astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(t.loss_grad, (p - np.eye(2)[Y]) / 3, rtol=1e-5, atol=1e-7)


def test_trace_leaves_the_model_as_it_found_it():
    model = _mlp(dropout=True)
    for p in model.parameters():
        p.grad[...] = 5.0
    model.eval()
    nn.trace(model, X, Y, training=True)
    assert all((p.grad == 5.0).all() for p in model.parameters())
    assert not any(layer.training for layer in model.layers)
    # the dropout generator is where it was: the next training pass draws the mask the
    # trace showed
    t = nn.trace(model, X, Y, training=True)
    model.train()
    h = model.layers[1](model.layers[0](X))
    np.testing.assert_array_equal(model.layers[2](h), t.layers[2].arrays["y"])


def test_training_mode_trace_leaves_batchnorm_statistics_alone():
    model = nn.Sequential(nn.Dense(3, 4, rng=0), nn.BatchNorm1D(4), nn.Dense(4, 2, rng=1))
    model.use(nn.SoftmaxCrossEntropy())
    before = {k: v.copy() for k, v in model.state_dict().items()}
    t = nn.trace(model, X, Y, training=True)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    # in training mode the batch is normalised by its own statistics: each column of the
    # BatchNorm output has mean 0 (γ = 1, β = 0 at the start)
    np.testing.assert_allclose(t.layers[1].arrays["y"].mean(axis=0), 0, atol=1e-6)
    assert "dL/dγ = Σ dL/dy ⊙ x̂" in str(t)
    np.testing.assert_allclose(t.layers[1].arrays["dL/dbeta"],
                               t.layers[1].arrays["dL/dy"].sum(axis=0), rtol=1e-5, atol=1e-7)


def test_print_and_markdown_show_every_step_with_its_rule():
    t = nn.trace(_mlp(), X[:2], Y[:2])
    text = str(t)
    assert text.startswith("Backprop trace of Sequential(Dense(3→4), ReLU(), ")
    assert "evaluation mode" in text
    for piece in ("== forward, layer 0: Dense(3→4)", "== loss: SoftmaxCrossEntropy() = ",
                  "== backward, layer 4: Dense(4→2)", "dL/dW = xᵀ · dL/dy",
                  "dL/dx = dL/dy ⊙ y ⊙ (1 − y)", "dL/dz = (softmax(z) − y) / N",
                  "dL/dx of layer 1"):
        assert piece in text
    md = t.to_markdown()
    assert "| dL/dW | (3, 4) | dL/dW = xᵀ · dL/dy | [[" in md
    assert md.count("|---|---|---|---|") == 5 + 1 + 5


def test_a_small_cnn_is_traced_with_images_shown_per_sample():
    model = nn.Sequential(nn.Conv2D(1, 2, 2, rng=0), nn.ReLU(), nn.Flatten(),
                          nn.Dense(8, 2, rng=1)).use(nn.SoftmaxCrossEntropy())
    x = np.random.default_rng(0).standard_normal((2, 1, 3, 3)).astype(np.float32)
    t = nn.trace(model, x, np.array([0, 1]))
    grad = _grad(model, x)
    model.zero_grad()
    model.backward(grad)
    np.testing.assert_array_equal(t.layers[0].arrays["dL/dW"], model[0].W.grad)
    assert "(2, 1, 3, 3)" in str(t)


def _grad(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    model.eval()
    model.loss.forward(model.forward(x), np.array([0, 1]))
    return model.loss.backward()


def test_refuses_networks_too_large_to_print_with_the_reason():
    model = nn.Sequential(nn.Dense(784, 128), nn.ReLU(), nn.Dense(128, 10)).use("mse")
    with pytest.raises(ValueError, match=r"trace: layer 0 \(Dense\(784→128\)\) parameter W "
                       r"has shape \(784, 128\), 100,352 numbers, too many to print "
                       r"\(max_entries=1000\)"):
        nn.trace(model, np.zeros((1, 784)), np.zeros((1, 10)), max_entries=1000)
    with pytest.raises(ValueError, match="the model has no loss"):
        nn.trace(nn.Sequential(nn.Dense(2, 1)), np.zeros((1, 2)), np.zeros((1, 1)))
