"""fit checks its arguments and arrays once, up front, by name: a table of mistakes, each
with the error type and the words of the message, and none of them trains a step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import nnscratch as nn

X = np.random.default_rng(0).normal(size=(21, 4))  # (N, 4)
Y = np.arange(21) % 3  # (N,)
ONE_HOT = np.eye(3)[Y]  # (N, 3)


def classifier(batchnorm: bool = False, loss: Any = None) -> nn.Sequential:
    layers: list[nn.Layer] = [nn.Dense(4, 8, rng=0), nn.ReLU()]
    if batchnorm:
        layers.append(nn.BatchNorm1D(8))
    layers.append(nn.Dense(8, 3, rng=1))
    return nn.Sequential(layers).use(loss or nn.SoftmaxCrossEntropy(), nn.SGD(0.1))


def bce_model() -> nn.Sequential:
    return nn.Sequential(nn.Dense(4, 1, rng=0), nn.Sigmoid()).use(nn.BinaryCrossEntropy())


BAD_CALLS: list[tuple[str, Any, type[Exception], str]] = [
    # (id, fit(...) keyword arguments or a callable of the model, error, message regex)
    ("complex x", {"x": X + 1j}, TypeError, r"x must be real, got complex dtype complex128"),
    ("complex y", {"y": Y + 0j}, ValueError, r"y must be real numbers, got dtype complex128"),
    ("negative one-hot", {"y": ONE_HOT * 2 - 0.5}, ValueError,
     r"y: for SoftmaxCrossEntropy\(\) each one-hot / probability row must have entries >= 0 "
     r"summing to 1, but row 0 is \[1\.5, -0\.5, -0\.5\] \(sum 0\.5\); 21 of 21 rows"),
    ("rows not summing to 1", {"y": ONE_HOT * 0.9}, ValueError,
     r"row 0 is \[0\.9, 0, 0\] \(sum 0\.9\)"),
    ("validation_data feature count", {"validation_data": (X[:, :3], Y)}, ValueError,
     r"fit: validation_data x has samples of shape \(3,\), which layer 0 of 3 cannot take: "
     r"Dense\(4→8\): expected input of shape \(N, 4\)"),
    ("validation_data one-hot width", {"y": ONE_HOT, "validation_data": (X, np.eye(2)[Y % 2])},
     ValueError, r"fit: validation_data y has targets of shape \(2,\), y has \(3,\)"),
    ("validation_data not a pair", {"validation_data": X}, TypeError,
     r"fit: validation_data must be a pair \(x_val, y_val\), got ndarray"),
    ("validation_data negative one-hot", {"y": ONE_HOT, "validation_data": (X, -ONE_HOT)},
     ValueError, r"validation_data y: for SoftmaxCrossEntropy\(\) each one-hot"),
    ("x feature count", {"x": X[:, :3]}, ValueError,
     r"fit: x has samples of shape \(3,\), which layer 0 of 3 cannot take"),
    ("validation_split string", {"validation_split": "0.1"}, TypeError,
     r"fit: validation_split must be a number, got '0\.1'"),
    ("validation_split 1", {"validation_split": 1.0}, ValueError,
     r"fit: validation_split must be in \[0, 1\), got 1\.0"),
    ("callbacks int", {"callbacks": 5}, TypeError,
     r"fit: callbacks must be a list of Callback objects, got 5"),
    ("callbacks item", {"callbacks": [nn.History(), "csv"]}, TypeError,
     r"fit: callbacks\[1\] must be a Callback, got 'csv'"),
    ("callback not in a list", {"callbacks": nn.TerminateOnNaN()}, TypeError,
     r"fit: callbacks must be a list of Callback objects"),
    ("schedule unknown name", {"lr_schedule": "cosine"}, ValueError,
     r"fit: lr_schedule: unknown schedule 'cosine'; expected a Schedule or one of"),
    ("schedule name needing arguments", {"lr_schedule": "CosineDecay"}, TypeError,
     r"fit: lr_schedule='CosineDecay' needs arguments .*total.*; pass a schedule object"),
    ("schedule number", {"lr_schedule": 0.1}, TypeError,
     r"fit: lr_schedule must be a Schedule, a schedule name or a function fn\(epoch, lr\), "
     r"got 0\.1"),
    ("negative seed", {"seed": -1}, ValueError, r"fit: seed must be an integer >= 0, got -1"),
    ("float seed", {"seed": 1.5}, TypeError,
     r"fit: seed must be a numpy Generator, an int seed >= 0 or None, got 1\.5"),
    ("epochs float", {"epochs": 2.0}, TypeError,
     r"fit: epochs must be a positive integer, got 2\.0"),
    ("epochs zero", {"epochs": 0}, ValueError, r"fit: epochs must be a positive integer, got 0"),
    ("batch_size string", {"batch_size": "32"}, TypeError,
     r"fit: batch_size must be a positive integer, got '32'"),
    ("shuffle string", {"shuffle": "no"}, TypeError,
     r"fit: shuffle must be True or False, got 'no'"),
    ("drop_last int", {"drop_last": 1}, TypeError,
     r"fit: drop_last must be True or False, got 1"),
    ("verbose 3", {"verbose": 3}, ValueError, r"fit: verbose must be 0, 1 or 2, got 3"),
    ("learning_rate string", {"learning_rate": "0.1"}, TypeError,
     r"SGD: learning_rate must be a number, got '0\.1'"),
    ("drop_last leaves nothing", {"batch_size": 32, "drop_last": True}, ValueError,
     r"fit: drop_last=True with batch_size=32 leaves no batch of the 21 training samples"),
]


@pytest.mark.parametrize(("case", "kwargs", "error", "message"), BAD_CALLS,
                         ids=[c[0] for c in BAD_CALLS])
def test_bad_argument_fails_before_training(case, kwargs, error, message):
    model = classifier()
    before = [p.data.copy() for p in model.parameters()]
    call = {"x": X, "y": Y, "epochs": 2, "batch_size": 5, "verbose": 0, **kwargs}
    with pytest.raises(error, match=message):
        model.fit(**call)
    assert model.training_state.iteration == 0 and not model.history.epoch  # no step was taken
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)


@pytest.mark.parametrize(("y", "message"), [
    (np.full(21, 2.0), r"y: BinaryCrossEntropy\(.*\) takes targets in \[0, 1\], got values "
                       r"in \[2\.0, 2\.0\]"),
    (-np.ones((21, 1)), r"takes targets in \[0, 1\], got values in \[-1\.0, -1\.0\]"),
])
def test_binary_cross_entropy_refuses_targets_outside_0_1(y, message):
    with pytest.raises(ValueError, match=message):
        bce_model().fit(X, y, verbose=0)


def test_probability_targets_within_tolerance_are_accepted():
    """Soft labels (label smoothing) and float32 rows that sum to 1 only up to rounding."""
    smooth = (ONE_HOT * 0.9 + 0.1 / 3).astype(np.float32)
    classifier().fit(X, smooth, epochs=1, verbose=0)
    rows = np.random.default_rng(1).dirichlet(np.ones(3), size=21).astype(np.float32)
    assert np.abs(rows.sum(axis=1, dtype=np.float64) - 1).max() > 0  # not exactly 1
    classifier().fit(X, rows, epochs=1, verbose=0)
    # MSE takes any real targets
    classifier(loss=nn.MSE()).fit(X, ONE_HOT * 2 - 0.5, epochs=1, verbose=0)


def test_a_batchnorm_model_refuses_a_one_sample_last_batch_before_training():
    model = classifier(batchnorm=True)
    with pytest.raises(ValueError, match=r"fit: 21 training samples in batches of 4 leave a "
                                         r"last batch of 1 sample, on which BatchNorm1D\(.*\) "
                                         r"\(layer 2\) cannot compute batch statistics; pass "
                                         r"drop_last=True to skip it, or another batch_size"):
        model.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    assert model.training_state.iteration == 0
    with pytest.raises(ValueError, match=r"fit: every training batch holds 1 sample \(21 "
                                         r"samples, batch_size=1\), on which BatchNorm1D.* "
                                         r"use batches of at least 2 samples"):
        model.fit(X, Y, batch_size=1, verbose=0)  # stochastic gradient descent
    with pytest.raises(ValueError, match=r"every training batch holds 1 sample \(1 sample, "
                                         r"batch_size=None\)"):
        model.fit(X[:1], Y[:1], verbose=0)  # full batch of one sample
    model.fit(X, Y, epochs=2, batch_size=4, drop_last=True, verbose=0)
    assert model.training_state.iteration == 2 * 5  # 21 // 4 steps per epoch
    model.fit(X, Y, epochs=1, batch_size=7, verbose=0)  # 21 = 3 · 7: no partial batch
    model.fit(X, Y, epochs=1, batch_size=6, verbose=0)  # 6, 6, 6, 3


def test_batchnorm2d_takes_a_one_sample_batch_of_images():
    """BatchNorm2D normalises over N·H·W values per channel: one image of 3x3 is enough."""
    x = np.random.default_rng(0).normal(size=(5, 1, 3, 3))
    model = nn.Sequential(nn.Conv2D(1, 2, 3, padding=1, rng=0), nn.BatchNorm2D(2),
                          nn.Flatten(), nn.Dense(18, 2, rng=1)).use(nn.SoftmaxCrossEntropy())
    model.fit(x, np.arange(5) % 2, batch_size=2, verbose=0)  # batches 2, 2, 1


def test_drop_last_drops_the_partial_batch_and_shuffles_which_samples():
    seen: list[int] = []

    class Sizes(nn.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(logs["size"])

    model = classifier()
    model.fit(X, Y, epochs=2, batch_size=5, drop_last=True, seed=0, verbose=0,
              callbacks=[Sizes()])
    assert seen == [5] * 8  # 21 // 5 = 4 batches per epoch, the last sample dropped
    assert not model.training_state.partial_epoch  # a full epoch, for checkpoints
    seen.clear()
    classifier().fit(X, Y, epochs=1, batch_size=5, verbose=0, callbacks=[Sizes()])
    assert seen == [5, 5, 5, 5, 1]  # default: the partial batch is kept


def test_drop_last_with_a_batch_size_that_divides_changes_nothing():
    a = classifier().fit(X[:20], Y[:20], epochs=2, batch_size=5, seed=3, verbose=0)
    b = classifier().fit(X[:20], Y[:20], epochs=2, batch_size=5, seed=3, drop_last=True,
                         verbose=0)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
