"""Metrics: hand-worked top-k answers, configurable k, user functions named by __name__,
and every metric reported per epoch in the history and by evaluate."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import metrics

# four samples, four classes; the true class's rank among the scores is 1, 2, 3, 4
SCORES = np.array([
    [0.70, 0.10, 0.15, 0.05],   # true 0: rank 1
    [0.10, 0.30, 0.40, 0.20],   # true 1: rank 2
    [0.30, 0.40, 0.10, 0.20],   # true 3: rank 3 (0.40, 0.30 are above 0.20)
    [0.40, 0.30, 0.20, 0.10],   # true 3: rank 4
])
TRUTH = np.array([0, 1, 3, 3])


@pytest.mark.parametrize("k,expected", [(1, 0.25), (2, 0.5), (3, 0.75), (4, 1.0)])
def test_top_k_known_answers(k, expected):
    assert metrics.top_k_accuracy(TRUTH, SCORES, k) == expected
    assert metrics.TopKAccuracy(k)(TRUTH, SCORES) == expected
    one_hot = np.eye(4)[TRUTH]
    assert metrics.TopKAccuracy(k)(one_hot, SCORES) == expected
    assert metrics.top_k_accuracy(TRUTH, SCORES, 1) == metrics.accuracy(TRUTH, SCORES)


def test_metric_names():
    assert metrics.get_metric("acc")[0] == "accuracy"
    assert metrics.get_metric("top_k_accuracy")[0] == "top_k_accuracy"
    assert metrics.get_metric(metrics.TopKAccuracy(3))[0] == "top_3_accuracy"
    assert metrics.get_metric(metrics.TopKAccuracy(3, name="top3"))[0] == "top3"
    assert metrics.get_metric(functools.partial(metrics.top_k_accuracy, k=2))[0] == \
        "top_2_accuracy"

    def hits(y_true, y_pred, threshold=0.5):
        return 0.0

    assert metrics.get_metric(hits)[0] == "hits"
    assert metrics.get_metric(functools.partial(hits, threshold=0.7))[0] == "hits_threshold0.7"
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        metrics.get_metric("f1")
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        metrics.TopKAccuracy(0)


def blobs(n=120, k=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n // k)
    centers = rng.standard_normal((k, 5)) * 1.5
    return (centers[y] + rng.standard_normal((n, 5))).astype(np.float32), y


def mean_abs_logit(y_true, y_pred):
    return float(np.mean(np.abs(y_pred)))


def test_metrics_in_history_and_evaluate():
    x, y = blobs(k=6)
    model = nn.Sequential(nn.Dense(5, 16, rng=0), nn.ReLU(), nn.Dense(16, 6, rng=1)).use(
        nn.SoftmaxCrossEntropy(), nn.Adam(0.01),
        metrics=["accuracy", "top_k_accuracy", metrics.TopKAccuracy(k=2), mean_abs_logit],
    )
    model.fit(x, y, epochs=3, batch_size=32, seed=0, verbose=0, validation_split=0.25)
    names = ["accuracy", "top_k_accuracy", "top_2_accuracy", "mean_abs_logit"]
    h = model.history
    for name in names:
        assert len(h[name]) == 3 and len(h[f"val_{name}"]) == 3
    # the true class among the top 5 of 6 at least as often as among the top 2 or top 1
    for t1, t2, t5 in zip(h["accuracy"], h["top_2_accuracy"], h["top_k_accuracy"]):
        assert t1 <= t2 <= t5
    result = model.evaluate(x[-30:], y[-30:])
    assert set(result) == {"loss", *names}
    # the last validation values are evaluate() on the same held-out samples
    for name in ["loss", *names]:
        assert result[name] == pytest.approx(h[f"val_{name}"][-1], rel=1e-6)
    out = model.predict(x[-30:])
    assert result["mean_abs_logit"] == pytest.approx(np.mean(np.abs(out)), rel=1e-6)
    assert result["top_2_accuracy"] == metrics.top_k_accuracy(y[-30:], out, 2)


def test_epoch_metric_is_sample_weighted_mean_of_batches():
    # 10 samples in batches of 4, 4, 2: the epoch value weights each batch by its size
    x, y = blobs(12, 4)
    x, y = x[:10], y[:10]
    seen = []

    def record(y_true, y_pred):
        value = float(len(y_true))
        seen.append(value)
        return value

    model = nn.Sequential(nn.Dense(5, 4, rng=0)).use(nn.SoftmaxCrossEntropy(),
                                                     metrics=[record])
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert seen == [4.0, 4.0, 2.0]
    assert model.history["record"] == [pytest.approx((16 + 16 + 4) / 10)]


def test_metric_name_clashes_are_refused():
    x, y = blobs()

    def loss(y_true, y_pred):
        return 0.0

    model = nn.Sequential(nn.Dense(5, 4, rng=0)).use(nn.SoftmaxCrossEntropy(),
                                                     metrics=[loss])
    with pytest.raises(ValueError, match="metric name 'loss'"):
        model.fit(x, y, verbose=0)
    model.use(nn.SoftmaxCrossEntropy(), metrics=["accuracy", "acc"])
    with pytest.raises(ValueError, match="'accuracy' is used twice"):
        model.evaluate(x, y)


def test_top_k_with_k_at_least_the_class_count_counts_every_sample():
    # scikit-learn's top_k_accuracy_score and Keras agree: k >= classes is a perfect score
    assert metrics.top_k_accuracy(TRUTH, SCORES, 4) == 1.0
    assert metrics.top_k_accuracy(TRUTH, SCORES, 5) == 1.0
    assert metrics.top_k_accuracy(np.array([1]), np.array([[0.9, 0.1]])) == 1.0  # default k=5
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        metrics.top_k_accuracy(TRUTH, SCORES, 0)
    with pytest.raises(ValueError, match="3 labels for 4 predictions"):
        metrics.top_k_accuracy(TRUTH[:3], SCORES, 2)


def test_accuracy_integer_labels_fast_path_agrees_and_checks_length():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((50, 7)).astype(np.float32)
    labels = rng.integers(0, 7, 50)
    expected = float(np.mean(scores.argmax(1) == labels))
    assert metrics.accuracy(labels, scores) == expected
    assert metrics.accuracy(labels.astype(np.int32), scores) == expected
    assert metrics.accuracy(np.eye(7)[labels], scores) == expected  # one-hot path
    with pytest.raises(ValueError, match="1 labels for 50 predictions"):
        metrics.accuracy(labels[:1], scores)
