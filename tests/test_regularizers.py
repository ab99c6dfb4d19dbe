"""L1 / L2 penalties: known answers worked by hand, finite differences, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.gradcheck import numerical_gradient, relative_error
from nnscratch.optimizers import SGD
from nnscratch.parameter import Parameter
from nnscratch.regularizers import L1, L1L2, L2, get_regularizer, to_config


def test_known_answers():
    w = np.array([[1.0, -2.0], [0.0, 3.0]])
    # L1: 0.1 · (1 + 2 + 0 + 3) = 0.6; gradient 0.1 · sign(w), 0 at w = 0
    assert L1(0.1).penalty(w) == pytest.approx(0.6)
    np.testing.assert_allclose(L1(0.1).grad(w), [[0.1, -0.1], [0.0, 0.1]])
    # L2 (Keras convention, no ½): 0.1 · (1 + 4 + 0 + 9) = 1.4; gradient 2 · 0.1 · w
    assert L2(0.1).penalty(w) == pytest.approx(1.4)
    np.testing.assert_allclose(L2(0.1).grad(w), [[0.2, -0.4], [0.0, 0.6]])
    # both: 0.6 + 1.4
    both = L1L2(l1=0.1, l2=0.1)
    assert both.penalty(w) == pytest.approx(2.0)
    np.testing.assert_allclose(both.grad(w), [[0.3, -0.5], [0.0, 0.7]])
    assert both(w) == both.penalty(w)
    assert L1L2().penalty(w) == 0.0
    assert not L1L2().grad(w).any()


def test_defaults_follow_keras():
    assert L1().l1 == 0.01 and L2().l2 == 0.01
    assert L1L2().get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize("reg", [L1(0.3), L2(0.7), L1L2(0.2, 0.5)], ids=repr)
@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4), (2, 3, 2, 2)])
def test_gradcheck(reg, shape):
    w = np.random.default_rng(0).normal(size=shape)
    w[np.abs(w) < 1e-3] = 0.5  # stay away from L1's kink
    numeric = numerical_gradient(lambda: reg.penalty(w), w, 1e-6)
    assert relative_error(reg.grad(w), numeric) < 1e-8


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    w = np.random.default_rng(1).normal(size=(4, 3)).astype(dtype)
    for reg in (L1(0.1), L2(0.1), L1L2(0.1, 0.2)):
        g = reg.grad(w)
        assert g.dtype == dtype and g.shape == w.shape
        assert isinstance(reg.penalty(w), float)


def test_l2_is_half_weight_decay():
    """SGD(weight_decay=λ) takes the same step as the gradient plus L2(λ / 2)."""
    gen = np.random.default_rng(2)
    w0, g0 = gen.normal(size=(3, 3)), gen.normal(size=(3, 3))
    a, b = Parameter(w0.copy()), Parameter(w0.copy())
    a.grad[...] = g0
    b.grad[...] = g0 + L2(0.05).grad(w0)
    SGD(0.1, weight_decay=0.1).bind([a]).step()
    SGD(0.1).bind([b]).step()
    np.testing.assert_allclose(a.data, b.data, rtol=1e-15)


def test_get_regularizer_and_config_round_trip():
    assert get_regularizer(None) is None
    assert get_regularizer("l2") == L2()
    assert get_regularizer("L1L2") == L1L2()
    reg = L1L2(0.001, 0.002)
    assert get_regularizer(reg) is reg
    assert get_regularizer(to_config(reg)) == reg
    assert to_config(None) is None
    assert get_regularizer(to_config(L2(1e-4))) == L2(1e-4)
    assert L2(1e-4) != L1(1e-4)
    assert repr(L2(0.5)) == "L2(l2=0.5)"
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        get_regularizer("l3")


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: L1(-0.1), ValueError, "L1: l1 must be >= 0, got -0.1"),
        (lambda: L2(float("inf")), ValueError, "L2: l2 must be a finite number >= 0, got inf"),
        (lambda: L1L2(0.1, float("nan")), ValueError, "L1L2: l2 must be .*got nan"),
        (lambda: L2("0.1"), TypeError, "L2: l2 must be a number, got '0.1'"),
        (lambda: L1(True), TypeError, "L1: l1 must be a number, got True"),
    ],
)
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_layer_arguments_attach_penalties_and_survive_save(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 1, 5, 5))
    y = rng.integers(0, 3, 16)

    def build(by_argument):
        kw = dict(kernel_regularizer=nn.L2(0.01), bias_regularizer="l1") if by_argument else {}
        conv = nn.Conv2D(1, 2, 3, rng=0, dtype=np.float64, **kw)
        dense = nn.Dense(18, 3, rng=1, dtype=np.float64,
                         kernel_regularizer={"class": "L1L2", "config": {"l1": 0.001}}
                         if by_argument else None)
        if not by_argument:  # the same penalties, attached by hand
            conv.W.regularizer, conv.b.regularizer = nn.L2(0.01), nn.L1()
            dense.W.regularizer = nn.L1L2(l1=0.001)
        return nn.Sequential(conv, nn.ReLU(), nn.Flatten(), dense).use(
            nn.SoftmaxCrossEntropy(), nn.SGD(0.1))

    a, b = build(True), build(False)
    for m in (a, b):
        m.fit(x, y, epochs=3, batch_size=8, seed=0, verbose=0)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert a.history["loss"] == b.history["loss"]
    assert a.regularization_loss() > 0

    a.save(tmp_path / "m.npz")
    c = nn.load(tmp_path / "m.npz")
    conv, dense = c.layers[0], c.layers[3]
    assert (conv.W.regularizer, conv.b.regularizer) == (nn.L2(0.01), nn.L1())
    assert dense.W.regularizer == nn.L1L2(l1=0.001) and dense.b.regularizer is None
    assert c.regularization_loss() == pytest.approx(a.regularization_loss())
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        nn.Dense(2, 2, kernel_regularizer="l3")
