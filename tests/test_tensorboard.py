"""TensorBoard callback: the event files read back with TensorBoard's own reader."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch as nn

pytest.importorskip("tensorboardX", reason="the TensorBoard callback needs tensorboardX")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason="reading the event files back needs tensorboard")


def _read(path):
    # 0 keeps every event: by default histograms are sampled down
    acc = event_accumulator.EventAccumulator(
        str(path), size_guidance={event_accumulator.SCALARS: 0,
                                  event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return acc


def test_scalars_and_histograms_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Dense(5, 4, rng=0), nn.ReLU(), nn.Dense(4, 2, rng=1))
    model.use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))
    grads = []

    class LastGrad(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            grads.append(model[0].W.grad.copy())

    tb = nn.callbacks.TensorBoard(tmp_path / "logs", histogram_freq=2)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, seed=0, validation_split=0.25,
              callbacks=[tb, LastGrad()])
    train = _read(tmp_path / "logs" / "train")
    tags = train.Tags()
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(tags["scalars"])
    loss = train.Scalars("epoch_loss")
    assert [e.step for e in loss] == [0, 1, 2]
    np.testing.assert_allclose([e.value for e in loss], model.history["loss"], rtol=1e-6)
    assert [e.value for e in train.Scalars("epoch_learning_rate")] == pytest.approx([0.1] * 3)
    val = _read(tmp_path / "logs" / "validation")
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_accuracy")],
                               model.history["val_accuracy"], rtol=1e-6)
    # histogram_freq=2: epochs 0 and 2; the last one holds the final weights
    hist = train.Histograms("layers.0.W")
    assert [e.step for e in hist] == [0, 2]
    last = hist[-1].histogram_value
    W = model[0].W.data
    assert last.num == W.size
    assert last.min == pytest.approx(W.min()) and last.max == pytest.approx(W.max())
    assert last.sum == pytest.approx(W.sum(), rel=1e-5)
    g = train.Histograms("layers.0.W/gradient")[-1].histogram_value
    assert g.sum == pytest.approx(grads[-1].sum(), rel=1e-5, abs=1e-7)
    assert "layers.2.b" in tags["histograms"]
