"""Sequential: building, the three gradient-descent modes, history, checks on bad input."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch as nn
from conftest import blobs


def small_classifier(seed: int = 0, dtype=np.float32) -> nn.Sequential:
    return nn.Sequential(
        nn.Dense(4, 8, rng=seed, dtype=dtype), nn.Tanh(), nn.Dense(8, 3, rng=seed + 1, dtype=dtype)
    ).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))


def test_constructor_forms_and_chaining():
    a = nn.Sequential(nn.Dense(2, 3), nn.ReLU())
    b = nn.Sequential([nn.Dense(2, 3), nn.ReLU()])
    c = nn.Sequential().add(nn.Dense(2, 3)).add(nn.ReLU())
    assert [type(m).__name__ for m in a.layers] == ["Dense", "ReLU"]
    assert repr(a) == repr(b) == repr(c) == "Sequential(Dense(2→3), ReLU())"
    x, y = nn.make_xor()
    pred = (nn.Sequential().add(nn.Dense(3, 4, rng=0)).add(nn.Tanh()).add(nn.Dense(4, 1, rng=1))
            .use(nn.MSE()).fit(x, y, epochs=5, verbose=0).predict(x))
    assert pred.shape == (4, 1)


def test_add_rejects_incompatible_layer_with_names():
    model = nn.Sequential(nn.Dense(784, 128))
    with pytest.raises(ValueError, match=r"Dense\(64→10\).*\(N, 128\)"):
        model.add(nn.Dense(64, 10))
    with pytest.raises(TypeError, match="expected a Layer"):
        model.add("relu")  # type: ignore[arg-type]


def test_forward_shape_error_names_layer_and_shapes():
    model = nn.Sequential(nn.Dense(784, 128), nn.ReLU(), nn.Dense(128, 10))
    with pytest.raises(ValueError, match=r"layer 0 of 3: Dense\(784→128\): expected input of "
                                         r"shape \(N, 784\), got \(32, 785\)"):
        model.predict(np.zeros((32, 785)))


@pytest.mark.parametrize("batch_size,steps_per_epoch", [(None, 1), (1, 90), (32, 3), (40, 3)])
def test_batch_modes_step_counts_and_last_partial_batch(batch_size, steps_per_epoch):
    x, y = blobs()
    model = small_classifier()
    calls = []
    step = model.optimizer.step
    model.optimizer.step = lambda: (calls.append(1), step())[1]  # type: ignore[method-assign]
    model.fit(x, y, epochs=2, batch_size=batch_size, verbose=0, seed=0)
    assert len(calls) == 2 * steps_per_epoch
    assert len(model.history.iteration_loss) == 2 * steps_per_epoch
    assert len(model.history["loss"]) == 2


def test_full_batch_equals_hand_written_gradient_descent():
    # one epoch of full-batch GD is exactly W -= lr * dL/dW from one forward/backward
    x, y = blobs(30)
    model = small_classifier(dtype=np.float64)
    ref = small_classifier(dtype=np.float64)
    loss = nn.SoftmaxCrossEntropy()
    ref.zero_grad()
    ref.backward(loss.backward() if loss.forward(ref.forward(x.astype(np.float64)), y) else 0)
    expected = [p.data - 0.1 * p.grad for p in ref.parameters()]
    model.fit(x.astype(np.float64), y, epochs=1, verbose=0)
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.data, e, rtol=1e-12)


def test_learns_blobs_and_history_records_everything():
    x, y = blobs()
    model = small_classifier().fit(x, y, epochs=30, batch_size=16, seed=1, verbose=0,
                                   validation_data=(x, y))
    h = model.history
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(h.keys())
    assert h["loss"][-1] < h["loss"][0] / 3
    assert h["accuracy"][-1] > 0.95
    assert model.evaluate(x, y)["accuracy"] > 0.95
    assert len(h.epoch) == 30 and h.epoch[0] == 0
    model.fit(x, y, epochs=2, verbose=0)  # history continues across fit calls
    assert h.epoch[-2:] == [30, 31]


def test_seed_makes_training_reproducible():
    x, y = blobs()
    a = small_classifier().fit(x, y, epochs=3, batch_size=8, seed=7, verbose=0)
    b = small_classifier().fit(x, y, epochs=3, batch_size=8, seed=7, verbose=0)
    c = small_classifier().fit(x, y, epochs=3, batch_size=8, seed=8, verbose=0)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert not np.array_equal(a.parameters()[0].data, c.parameters()[0].data)


def test_validation_split_takes_last_samples_before_shuffling():
    x, y = blobs()
    model = small_classifier()
    seen = []
    forward = model.forward

    def spy(inp):
        seen.append(len(inp))
        return forward(inp)

    model.forward = spy  # type: ignore[method-assign]
    model.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    assert seen[0] == 72  # full batch of the first 80%
    assert "val_loss" in model.history
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.5, verbose=0)


def test_evaluate_accuracy_binary_threshold_and_regression():
    model = nn.Sequential(nn.Dense(1, 1, rng=0, dtype=np.float64), nn.Sigmoid()).use(
        nn.BinaryCrossEntropy())
    layer = model.layers[0]
    layer.W.data[...] = 1.0
    layer.b.data[...] = 0.0
    x = np.array([[-2.0], [-0.1], [0.1], [3.0]])
    # σ(x) > 0.5 exactly when x > 0: predictions 0, 0, 1, 1
    out = model.evaluate(x, np.array([0, 1, 1, 1]))
    assert out["accuracy"] == pytest.approx(0.75)
    reg = nn.Sequential(nn.Dense(1, 1, rng=0)).use(nn.MSE())
    assert set(reg.evaluate(x, np.array([[0.3], [1.7], [2.2], [0.9]]))) == {"loss"}


def test_predict_batches_match_one_pass_and_do_not_alias():
    x, _ = blobs()
    model = small_classifier()
    whole = model.predict(x, batch_size=None)
    np.testing.assert_allclose(model.predict(x, batch_size=7), whole, rtol=1e-6)
    again = model.predict(x, batch_size=None)
    whole[:] = 0
    assert np.any(again != 0)
    proba = model.predict_proba(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(model.predict_classes(x), whole.argmax(1) * 0 + again.argmax(1))


def test_predict_proba_asks_the_loss_whether_it_takes_logits():
    x, _ = blobs()
    model = small_classifier()
    logits = model.predict(x)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax = shifted / shifted.sum(axis=1, keepdims=True)

    class MyCrossEntropy(nn.SoftmaxCrossEntropy):  # another name, the same contract
        pass

    model.loss = MyCrossEntropy()
    np.testing.assert_allclose(model.predict_proba(x), softmax, rtol=1e-5)

    class SigmoidOnLogits(nn.MSE):  # a user's loss that applies a sigmoid itself
        output = "sigmoid"
        from_logits = True

    model.loss = SigmoidOnLogits()
    np.testing.assert_allclose(model.predict_proba(x), 1 / (1 + np.exp(-logits)), rtol=1e-5)
    model.loss = nn.CategoricalCrossEntropy()  # takes probabilities: nothing is applied
    np.testing.assert_array_equal(model.predict_proba(x), logits)
    model.loss = nn.MSE()
    np.testing.assert_array_equal(model.predict_proba(x), logits)


def test_state_dict_keys_are_the_saved_files_and_load_back(tmp_path):
    model = nn.Sequential(nn.Dense(4, 5, rng=0), nn.BatchNorm1D(5), nn.ReLU(),
                          nn.Dense(5, 3, rng=1)).use(nn.SoftmaxCrossEntropy(), nn.Adam())
    x, y = blobs()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=0)
    state = model.state_dict()
    assert {"layers.0.W", "layers.0.b", "layers.1.gamma", "layers.1.beta",
            "layers.1.state.running_mean", "layers.1.state.running_var",
            "layers.3.W", "layers.3.b"} <= set(state)
    model.save(tmp_path / "m.npz")
    assert set(state) == set(np.load(tmp_path / "m.npz").files) - {"__nnscratch__"}
    copy = nn.Sequential.from_config(model.get_config())
    assert repr(copy) == repr(model) and type(copy.optimizer) is nn.Adam
    assert not np.array_equal(copy[0].W.data, model[0].W.data)  # fresh weights
    copy.load_state_dict(state)
    np.testing.assert_array_equal(copy.predict(x), model.predict(x))
    with pytest.raises(ValueError, match=r"state_dict: missing array 'layers.3.b'"):
        copy.load_state_dict({k: v for k, v in state.items() if k != "layers.3.b"})


def test_train_step_can_be_overridden():
    x, y = blobs()
    steps: list[dict] = []

    class Logged(nn.Sequential):
        def train_step(self, x_batch, y_batch):
            logs = super().train_step(x_batch, y_batch)
            steps.append(dict(logs))
            return {**logs, "batch_size": float(len(x_batch))}

    model = Logged(nn.Dense(4, 3, rng=0)).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, seed=0)
    assert len(steps) == 3 and set(steps[0]) == {"loss", "accuracy"}
    assert model.history["loss"][0] == pytest.approx(
        (32 * steps[0]["loss"] + 32 * steps[1]["loss"] + 26 * steps[2]["loss"]) / 90)
    assert model.history["batch_size"][0] == pytest.approx((32 * 32 + 32 * 32 + 26 * 26) / 90)
    # outside fit it takes one step too
    before = model[0].W.data.copy()
    logs = model.train_step(x[:8], y[:8])
    assert set(logs) == {"loss", "accuracy", "batch_size"}
    assert not np.array_equal(before, model[0].W.data)


def test_dtype_float32_default_and_float64_on_request():
    x, y = blobs()
    m32 = small_classifier()
    assert m32.dtype == np.float32
    assert m32.predict(x.astype(np.float64)).dtype == np.float32
    m64 = small_classifier().astype(np.float64)
    assert all(p.data.dtype == np.float64 for p in m64.parameters())
    m64.fit(x, y, epochs=1, verbose=0)
    assert m64.predict(x).dtype == np.float64
    nn.set_default_dtype(np.float64)
    try:
        assert nn.Dense(2, 2).W.data.dtype == np.float64
    finally:
        nn.set_default_dtype(np.float32)
    with pytest.raises(ValueError, match="float32 or float64"):
        nn.set_default_dtype(np.int32)


def test_bad_inputs_are_named():
    x, y = blobs()
    model = small_classifier()
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\].*\[0, 3\]"):
        model.fit(x, np.where(y == 2, 3, y), verbose=0)
    with pytest.raises(ValueError, match="NaN or infinity"):
        bad = x.copy()
        bad[5, 1] = np.nan
        model.fit(bad, y, verbose=0)
    with pytest.raises(ValueError, match="y has 89 samples but x has 90"):
        model.fit(x, y[:-1], verbose=0)
    with pytest.raises(ValueError, match="learning_rate must be > 0, got -1"):
        model.fit(x, y, learning_rate=-1, verbose=0)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        model.fit(x, y, epochs=0, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="must be numeric"):
        model.predict(np.array([["a"] * 4]))


def test_unfitted_and_empty_models_fail_clearly():
    with pytest.raises(RuntimeError, match=r"use\(loss"):
        nn.Sequential(nn.Dense(2, 1)).fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)
    with pytest.raises(RuntimeError, match=r"use\(loss\)"):
        nn.Sequential(nn.Dense(2, 1)).evaluate(np.zeros((2, 2)), np.zeros((2, 1)))
    with pytest.raises(RuntimeError, match="no layers"):
        nn.Sequential().predict(np.zeros((2, 2)))


def test_non_finite_loss_stops_with_epoch_and_batch():
    # linear regression with a step far too large diverges until the loss overflows
    x, _ = blobs()
    target = x.sum(axis=1, keepdims=True)
    model = nn.Sequential(nn.Dense(4, 1, rng=0)).use(nn.MSE())
    with pytest.raises(FloatingPointError, match=r"epoch \d+, batch \d+ of 6 \(learning rate 10\)"):
        with np.errstate(all="ignore"):
            model.fit(x, target, epochs=500, batch_size=16, learning_rate=10.0, verbose=0)


def test_callbacks_are_called_and_can_stop_training():
    x, y = blobs()
    events = []

    class Recorder(nn.Callback):
        def on_train_begin(self, logs=None):
            events.append("begin")

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch", epoch, round(logs["loss"], 6) > 0))
            if epoch == 2:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            events.append("end")

    small_classifier().fit(x, y, epochs=10, verbose=0, callbacks=[Recorder()])
    assert events == ["begin", ("epoch", 0, True), ("epoch", 1, True), ("epoch", 2, True), "end"]


def test_summary_lists_layers_shapes_and_counts():
    text = nn.Sequential(nn.Dense(784, 128), nn.ReLU(), nn.Dense(128, 10)).summary()
    assert "Dense(784→128)" in text and "(N, 128)" in text and "100,480" in text
    assert "Total parameters: 101,770" in text


def test_verbose_modes_print(capsys):
    x, y = blobs()
    small_classifier().fit(x, y, epochs=2, batch_size=30, verbose=2)
    out = capsys.readouterr()
    assert "epoch 2/2" in out.out and "loss=" in out.out
    small_classifier().fit(x, y, epochs=2, batch_size=30, verbose=1)
    assert "epoch 1/2" in capsys.readouterr().err  # the tqdm bar writes to stderr
    small_classifier().fit(x, y, epochs=2, verbose=0)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_train_mode_for_steps_eval_mode_for_validation_predict_and_evaluate():
    # Dropout and BatchNorm see training=True for every training batch, False for the
    # validation pass inside fit (and training resumes after it), and False in predict
    x, y = blobs()
    log = []

    class Spy(nn.Layer):
        def forward(self, inp):
            log.append((len(inp), self.training))
            return inp

        def backward(self, grad_out):
            return grad_out

    drop, bn = nn.Dropout(0.5, rng=0), nn.BatchNorm1D(8)
    model = nn.Sequential(nn.Dense(4, 8, rng=0), bn, Spy(), drop, nn.Tanh(),
                          nn.Dense(8, 3, rng=1)).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))
    model.fit(x, y, epochs=2, batch_size=36, seed=0, verbose=0, validation_split=0.2)
    # 72 training samples in batches of 36, 36; then the 18 validation samples
    assert log == [(36, True), (36, True), (18, False), (36, True), (36, True), (18, False)]
    assert not any(layer.training for layer in model.layers)  # fit leaves eval mode
    tracked = bn.num_batches_tracked
    assert tracked == 4  # validation did not update the running statistics
    log.clear()
    a, b = model.predict(x), model.predict(x)
    np.testing.assert_array_equal(a, b)  # no dropout noise, running statistics used
    model.evaluate(x, y)
    assert bn.num_batches_tracked == tracked and all(not t for _, t in log)
    model.train()
    assert drop.training and bn.training
    model.predict(x)
    assert drop.training and bn.training  # predict restores the mode it found
    model.eval()
    assert not drop.training and not bn.training


def test_progress_bar_shows_metrics_and_validation_at_epoch_end(capsys):
    x, y = blobs()
    small_classifier().fit(x, y, epochs=2, batch_size=30, verbose=1, validation_split=0.2)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "accuracy=" in err and "val_loss=" in err
    assert "val_accuracy=" in err and "seconds" not in err
    small_classifier().fit(x, y, epochs=2, batch_size=30, verbose=2, validation_split=0.2)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "val_accuracy=" in out[1] and "seconds=" in out[1]


def test_history_holds_only_reproducible_values():
    x, y = blobs()
    model = small_classifier().fit(x, y, epochs=2, verbose=0)
    assert "seconds" not in model.history and len(model.history.seconds) == 2
    assert all(s > 0 for s in model.history.seconds)


@pytest.mark.parametrize("kind", ["mlp", "flatten_first", "cnn", "no_params"])
def test_backward_params_gives_backward_gradients_without_the_input_gradient(kind):
    rng = np.random.default_rng(0)
    if kind == "mlp":
        layers = [nn.Dense(6, 5, rng=0), nn.Tanh(), nn.Dense(5, 3, rng=1)]
        x = rng.standard_normal((4, 6))
    elif kind == "flatten_first":
        layers = [nn.Flatten(), nn.Dense(12, 5, rng=0), nn.ReLU(), nn.Dense(5, 3, rng=1)]
        x = rng.standard_normal((4, 3, 2, 2))
    elif kind == "cnn":
        layers = [nn.Conv2D(2, 3, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2D(2),
                  nn.Flatten(), nn.Dense(12, 3, rng=1)]
        x = rng.standard_normal((4, 2, 4, 4))
    else:
        layers = [nn.Tanh(), nn.Softmax()]
        x = rng.standard_normal((4, 3))
    model = nn.Sequential(layers)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
        p.grad = np.zeros_like(p.data)
    g = rng.standard_normal(model.forward(x).shape)
    model.zero_grad()
    model.backward(g)
    expected = [p.grad.copy() for p in model.parameters()]

    calls = []
    for layer in model.layers:
        layer.backward = (lambda f, name: lambda go: (calls.append(name), f(go))[1])(
            layer.backward, type(layer).__name__)
    model.forward(x)
    model.zero_grad()
    model.backward_params(g)
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_array_equal(p.grad, e)
    # the first layer with parameters, and any before it, never computes dL/dx
    first = next((i for i, layer in enumerate(layers) if layer.parameters()), len(layers))
    assert calls == [type(layer).__name__ for layer in layers[first + 1:]][::-1]


def test_predict_and_evaluate_name_the_sample_with_nan_or_infinity():
    x, y = blobs()
    model = small_classifier()
    for value in (np.nan, np.inf, -np.inf):
        bad = x.copy()
        bad[37, 0] = value
        with pytest.raises(ValueError, match=r"x contains NaN or infinity \(first at sample 37\)"):
            model.predict(bad, batch_size=16)  # in the third batch
        with pytest.raises(ValueError, match=r"first at sample 37"):
            model.evaluate(bad, y)
        bad = x.copy()
        bad[5, 1] = value
        with pytest.raises(ValueError, match=r"first at sample 5"):
            model.fit(bad, y, verbose=0)
    # finite values whose row sums overflow are finite: the exact check decides
    from nnscratch.model import _check_finite

    big = np.full((3, 4), 3e38, dtype=np.float32)
    _check_finite(big, "x")
    big[2, 3] = np.nan
    with pytest.raises(ValueError, match="first at sample 2"):
        _check_finite(big, "x")
    with pytest.raises(ValueError, match="first at sample 0"):
        _check_finite(np.array([[np.inf, -np.inf]]), "x")  # their sum is NaN
