"""Losses: finite-difference gradient checks in float64, known answers worked by hand,
the fused softmax cross-entropy against its two-step form, stability, and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from nnscratch import gradcheck
from nnscratch.layers import Softmax
from nnscratch.losses import (
    MSE,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    SoftmaxCrossEntropy,
    SumSquaredError,
    get_loss,
)

TOL = 1e-6  # the bound on the worst relative error of a float64 gradient check

# (N, K): batch 1, a single output, odd sizes
SHAPES = [(1, 1), (1, 4), (3, 1), (4, 3), (7, 5), (2, 11)]
CLASS_SHAPES = [(n, k) for n, k in SHAPES if k > 1] + [(5, 2), (1, 2)]
IDS = [f"{n}x{k}" for n, k in SHAPES]
CLASS_IDS = [f"{n}x{k}" for n, k in CLASS_SHAPES]


def probabilities(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Rows of a softmax of moderate logits: every entry well above the 1e-7 clip."""
    z = rng.normal(size=shape)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def labels_and_onehot(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, k, size=n)
    return labels, np.eye(k)[labels]


# -- gradient checks (float64) ---------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("loss_cls", [MSE, SumSquaredError])
def test_squared_error_gradcheck(rng, loss_cls, shape):
    result = gradcheck(loss_cls(), rng.normal(size=shape), rng.normal(size=shape))
    assert result.max_rel_error < TOL, str(result)


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_bce_gradcheck(rng, shape):
    p = rng.uniform(0.05, 0.95, size=shape)  # away from the clip at eps and 1 - eps
    for y in (rng.integers(0, 2, size=shape).astype(float), rng.uniform(0, 1, size=shape)):
        result = gradcheck(BinaryCrossEntropy(), p, y)
        assert result.max_rel_error < TOL, str(result)


def test_bce_gradcheck_n_targets_for_n_by_1_output(rng):
    # a (N,) target for an (N, 1) output is the usual binary case
    result = gradcheck(BinaryCrossEntropy(), rng.uniform(0.1, 0.9, size=(6, 1)),
                       rng.integers(0, 2, size=6).astype(float))
    assert result.max_rel_error < TOL, str(result)


@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=CLASS_IDS)
@pytest.mark.parametrize("target", ["labels", "onehot"])
def test_categorical_ce_gradcheck(rng, shape, target):
    labels, onehot = labels_and_onehot(rng, *shape)
    result = gradcheck(CategoricalCrossEntropy(), probabilities(rng, shape),
                       labels if target == "labels" else onehot)
    assert result.max_rel_error < TOL, str(result)


@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=CLASS_IDS)
@pytest.mark.parametrize("target", ["labels", "onehot", "probabilities"])
def test_softmax_ce_gradcheck(rng, shape, target):
    labels, onehot = labels_and_onehot(rng, *shape)
    y = {"labels": labels, "onehot": onehot, "probabilities": probabilities(rng, shape)}[target]
    result = gradcheck(SoftmaxCrossEntropy(), rng.normal(scale=3.0, size=shape), y)
    assert result.max_rel_error < TOL, str(result)


# -- known answers worked by hand --------------------------------------------------------------

def test_mse_known_answer():
    loss = MSE()
    # ((1 − 0)² + (2 − 0)²) / 2 = 5/2
    assert loss.forward(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])) == 2.5
    # dL/dŷ = 2 (ŷ − y) / n = [2·1/2, 2·2/2] = [1, 2]
    np.testing.assert_array_equal(loss.backward(), [[1.0, 2.0]])


def test_mse_is_mean_over_all_elements():
    # 2 samples × 2 outputs, every error 1 → mean 1, gradient 2·1/4 = 1/2 everywhere
    loss = MSE()
    assert loss.forward(np.ones((2, 2)), np.zeros((2, 2))) == 1.0
    np.testing.assert_array_equal(loss.backward(), np.full((2, 2), 0.5))


def test_sse_known_answer():
    loss = SumSquaredError()
    # 1² + 2² = 5, not averaged
    assert loss.forward(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])) == 5.0
    # dL/dŷ = 2 (ŷ − y) = [2, 4]
    np.testing.assert_array_equal(loss.backward(), [[2.0, 4.0]])


def test_bce_known_answers():
    loss = BinaryCrossEntropy()
    # p = 1/2: −(y log ½ + (1 − y) log ½) = log 2 whatever y is
    for y in (0.0, 1.0, 0.3):
        assert loss.forward(np.array([[0.5]]), np.array([[y]])) == pytest.approx(math.log(2))
    # y = 1, p = 1/2: dL/dp = (p − y) / (p (1 − p)) = (−½) / ¼ = −2
    loss.forward(np.array([[0.5]]), np.array([[1.0]]))
    np.testing.assert_allclose(loss.backward(), [[-2.0]])
    # y = 1, p = 0.8 and y = 0, p = 0.4, mean of −log 0.8 and −log 0.6
    value = loss.forward(np.array([[0.8], [0.4]]), np.array([1.0, 0.0]))
    assert value == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    # dL/dp = [(0.8 − 1)/(0.8·0.2), (0.4 − 0)/(0.4·0.6)] / 2 = [−1.25, 5/3] / 2
    np.testing.assert_allclose(loss.backward(), [[-0.625], [5 / 6]])


def test_bce_clips_instead_of_inf():
    loss = BinaryCrossEntropy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log(0) would be a RuntimeWarning
        value = loss.forward(np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]]))
        grad = loss.backward()
    # both predictions are certain and wrong: −log(eps) each
    assert value == pytest.approx(-math.log(1e-7), rel=1e-6)
    np.testing.assert_array_equal(grad, [[0.0], [0.0]])  # the clip is flat


def test_categorical_ce_known_answer():
    loss = CategoricalCrossEntropy()
    p = np.array([[0.25, 0.75], [0.5, 0.5]])
    # −(log 0.75 + log 0.5) / 2
    expected = -(math.log(0.75) + math.log(0.5)) / 2
    assert loss.forward(p, np.array([1, 0])) == pytest.approx(expected, rel=1e-15)
    # dL/dp = −y / p / N: [[0, −1/0.75/2], [−1/0.5/2, 0]]
    np.testing.assert_allclose(loss.backward(), [[0, -2 / 3], [-1, 0]], rtol=1e-15)
    assert loss.forward(p, np.array([[0.0, 1.0], [1.0, 0.0]])) == pytest.approx(expected)


@pytest.mark.parametrize("k", [2, 3, 10])
def test_softmax_ce_of_equal_logits_is_log_k(k):
    loss = SoftmaxCrossEntropy()
    n = 4
    labels = np.arange(n) % k
    # softmax of equal logits is 1/K everywhere: −log(1/K) = log K
    assert loss.forward(np.zeros((n, k)), labels) == pytest.approx(math.log(k), rel=1e-15)
    # gradient (softmax − y) / N = (1/K − y) / N
    expected = (np.full((n, k), 1 / k) - np.eye(k)[labels]) / n
    np.testing.assert_allclose(loss.backward(), expected, rtol=1e-14)


def test_softmax_ce_gradient_by_hand():
    loss = SoftmaxCrossEntropy()
    z = np.array([[0.0, math.log(3.0)]])  # softmax = [1/4, 3/4]
    # label 0: −log ¼ = log 4; gradient [¼ − 1, ¾ − 0] = [−¾, ¾]
    assert loss.forward(z, np.array([0])) == pytest.approx(math.log(4), rel=1e-15)
    np.testing.assert_allclose(loss.backward(), [[-0.75, 0.75]], rtol=1e-15)


# -- the fused loss equals Softmax + CategoricalCrossEntropy ---------------------------------

@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=CLASS_IDS)
@pytest.mark.parametrize("target", ["labels", "onehot"])
def test_fused_softmax_ce_equals_two_step(rng, shape, target):
    z = rng.normal(scale=2.0, size=shape)  # moderate logits: no probability near the clip
    labels, onehot = labels_and_onehot(rng, *shape)
    y = labels if target == "labels" else onehot

    fused = SoftmaxCrossEntropy()
    value = fused.forward(z, y)
    grad = fused.backward()

    softmax, cce = Softmax(), CategoricalCrossEntropy()
    two_step = cce.forward(softmax.forward(z), y)
    grad_two_step = softmax.backward(cce.backward())  # the chain rule through both

    assert value == pytest.approx(two_step, rel=1e-12)
    np.testing.assert_allclose(grad, grad_two_step, rtol=1e-10, atol=1e-15)


# -- stability ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_ce_huge_logits_stay_finite(dtype):
    loss = SoftmaxCrossEntropy()
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [1000.0, 1000.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow / log(0) would be RuntimeWarnings
        value = loss.forward(z, np.array([1, 1, 0]))
        grad = loss.backward()
    # row 0 is wrong by 2000 (loss 2000), row 1 right (0), row 2 a tie (log 2); mean over 3
    assert value == pytest.approx((2000 + 0 + math.log(2)) / 3, rel=1e-6)
    np.testing.assert_allclose(grad, [[1 / 3, -1 / 3], [0, 0], [-1 / 6, 1 / 6]], atol=1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(loss.forward(z, np.eye(2)[[1, 1, 0]]))
        assert np.all(np.isfinite(loss.backward()))


@pytest.mark.parametrize("loss_cls", [MSE, SumSquaredError, BinaryCrossEntropy,
                                      CategoricalCrossEntropy, SoftmaxCrossEntropy])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_gradient_keeps_dtype(rng, loss_cls, dtype):
    p = probabilities(rng, (4, 3)).astype(dtype)
    y = np.eye(3, dtype=dtype)[[0, 1, 2, 0]]
    loss = loss_cls()
    loss.forward(p, y)
    assert loss.backward().dtype == dtype


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("loss_cls", [MSE, SumSquaredError, BinaryCrossEntropy])
def test_shape_mismatch_names_both_shapes(loss_cls):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 2\)"):
        loss_cls().forward(np.full((2, 3), 0.5), np.zeros((2, 2)))


@pytest.mark.parametrize("loss_cls", [CategoricalCrossEntropy, SoftmaxCrossEntropy])
def test_class_target_shape_mismatch(loss_cls):
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        loss_cls().forward(np.full((2, 3), 1 / 3), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="expected 2 labels, got 3"):
        loss_cls().forward(np.full((2, 3), 1 / 3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\(N, K\)"):
        loss_cls().forward(np.full((2, 3, 1), 1 / 3), np.array([0, 1]))


@pytest.mark.parametrize("loss_cls", [CategoricalCrossEntropy, SoftmaxCrossEntropy])
@pytest.mark.parametrize("labels", [[0, -1], [0, 3], [5, 1]], ids=["negative", "K", "above-K"])
def test_labels_out_of_range_name_the_range(loss_cls, labels):
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\] for 3 outputs"):
        loss_cls().forward(np.full((2, 3), 1 / 3), np.array(labels))


def test_non_integer_labels_rejected():
    with pytest.raises(ValueError, match="integer class labels"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0.5, 1.0]))


@pytest.mark.parametrize("y", [[[1.5]], [[-0.1]]])
def test_bce_targets_outside_unit_interval(y):
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        BinaryCrossEntropy().forward(np.array([[0.5]]), np.array(y))


@pytest.mark.parametrize("loss_cls", [MSE, SumSquaredError, BinaryCrossEntropy,
                                      CategoricalCrossEntropy, SoftmaxCrossEntropy])
def test_backward_before_forward_raises(loss_cls):
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        loss_cls().backward()


@pytest.mark.parametrize("eps", [0.0, -1e-3, 0.5])
def test_bce_bad_eps(eps):
    with pytest.raises(ValueError, match="eps"):
        BinaryCrossEntropy(eps=eps)


# -- get_loss ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "cls"), [
    ("mse", MSE), ("mean_squared_error", MSE), ("MSE", MSE),
    ("sse", SumSquaredError), ("sum_squared_error", SumSquaredError),
    ("SumSquaredError", SumSquaredError),
    ("bce", BinaryCrossEntropy), ("binary_crossentropy", BinaryCrossEntropy),
    ("binary_cross_entropy", BinaryCrossEntropy), ("BinaryCrossEntropy", BinaryCrossEntropy),
    ("categorical_crossentropy", CategoricalCrossEntropy),
    ("categorical_cross_entropy", CategoricalCrossEntropy),
    ("softmax_cross_entropy", SoftmaxCrossEntropy), ("cross_entropy", SoftmaxCrossEntropy),
    ("SoftmaxCrossEntropy", SoftmaxCrossEntropy),
])
def test_get_loss_aliases(name, cls):
    loss = get_loss(name)
    assert type(loss) is cls


def test_get_loss_instances_and_classes():
    loss = MSE()
    assert get_loss(loss) is loss
    assert type(get_loss(SoftmaxCrossEntropy)) is SoftmaxCrossEntropy
    assert isinstance(get_loss("bce"), Loss)


@pytest.mark.parametrize("bad", ["hinge", "", 3, None])
def test_get_loss_unknown(bad):
    with pytest.raises(ValueError, match="unknown loss"):
        get_loss(bad)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])
def test_label_range_check_holds_for_every_integer_width(dtype):
    # the fast check reads labels as unsigned integers of the same width, where a
    # negative label is huge: it must catch -1 and K for every width, and pass 0..K-1
    loss = SoftmaxCrossEntropy()
    z = np.zeros((3, 4))
    assert loss.forward(z, np.array([0, 3, 2], dtype=dtype)) == pytest.approx(np.log(4))
    bad = [[0, 4, 1]] + ([[0, -1, 1]] if np.dtype(dtype).kind == "i" else [])
    for labels in bad:
        with pytest.raises(ValueError, match=r"labels must be in \[0, 3\] for 4 outputs"):
            loss.forward(z, np.array(labels, dtype=dtype))


def test_softmax_cross_entropy_backward_is_repeatable_and_leaves_no_trace():
    loss = SoftmaxCrossEntropy()
    z = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    loss.forward(z, np.array([1, 2]))
    g1 = loss.backward()
    g2 = loss.backward()
    np.testing.assert_array_equal(g1, g2)
    assert g1 is not g2
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g1, (p - np.eye(3)[[1, 2]]) / 2, rtol=1e-12)
