"""Dropout: expectation, evaluation identity, seeding, the backward mask, gradients."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch.gradcheck import gradcheck, numerical_gradient, relative_error
from nnscratch.layers.dropout import Dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_expectation_preserved(p):
    x = np.full((400, 500), 2.0)
    y = Dropout(p, rng=0)(x)
    # kept entries are x / (1 − p), the rest 0
    assert set(np.unique(y)) <= {0.0, 2.0 / (1 - p)}
    assert abs((y == 0).mean() - p) < 0.01
    assert y.mean() == pytest.approx(2.0, rel=0.02)


def test_eval_is_identity():
    x = np.random.default_rng(0).normal(size=(8, 5))
    drop = Dropout(0.7, rng=1).eval()
    np.testing.assert_array_equal(drop(x), x)
    g = np.ones_like(x)
    np.testing.assert_array_equal(drop.backward(g), g)
    drop.train()
    assert not np.array_equal(drop(x), x)


def test_p_zero_is_identity_in_training():
    x = np.random.default_rng(0).normal(size=(3, 4))
    drop = Dropout(0.0)
    np.testing.assert_array_equal(drop(x), x)
    np.testing.assert_array_equal(drop.backward(x), x)


def test_seeded_determinism():
    x = np.ones((6, 7))
    a, b = Dropout(0.5, rng=42), Dropout(0.5, rng=42)
    for _ in range(3):
        np.testing.assert_array_equal(a(x), b(x))
    assert not np.array_equal(Dropout(0.5, rng=1)(x), Dropout(0.5, rng=2)(x))
    gen = np.random.default_rng(5)
    c = Dropout(0.5, rng=gen)
    assert c.rng is gen  # a shared generator is used as is


def test_backward_uses_forward_mask():
    drop = Dropout(0.4, rng=3)
    x = np.random.default_rng(0).normal(size=(10, 6)) + 3.0  # no zeros in x
    y = drop(x)
    g = np.random.default_rng(1).normal(size=x.shape)
    dx = drop.backward(g)
    kept = y != 0
    np.testing.assert_allclose(dx[kept], g[kept] / 0.6)
    assert not dx[~kept].any()


def test_gradcheck_with_a_fixed_mask():
    """With the random draw replaced by the last mask, forward is a fixed linear map."""
    drop = Dropout(0.3, rng=0)
    x = np.random.default_rng(0).normal(size=(5, 7))
    drop(x)
    mask = drop._mask
    assert mask is not None
    g = np.random.default_rng(1).normal(size=x.shape)
    analytic = drop.backward(g)
    numeric = numerical_gradient(lambda: float(np.sum(x * mask * g)), x, 1e-6)
    assert relative_error(analytic, numeric) < 1e-9
    # and through the generic checker, where the mask is fixed by p = 0 or eval mode
    assert gradcheck(Dropout(0.0), x).passed
    assert gradcheck(Dropout(0.5).eval(), x).passed


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (4, 3, 5, 5), (7,)])
def test_dtype_and_shape(dtype, shape):
    x = np.ones(shape, dtype=dtype)
    drop = Dropout(0.5, rng=0)
    y = drop(x)
    assert y.dtype == dtype and y.shape == shape
    assert drop.backward(np.ones_like(y)).dtype == dtype
    assert drop.output_shape(shape[1:]) == shape[1:]
    ints = drop(np.ones((2, 2), dtype=np.int64))
    assert np.issubdtype(ints.dtype, np.floating)


def test_config_and_repr():
    drop = Dropout(0.25, rng=0)
    assert drop.get_config() == {"p": 0.25}
    assert repr(drop) == "Dropout(p=0.25)"
    assert Dropout.from_config(drop.get_config()).p == 0.25
    assert drop.parameters() == []


@pytest.mark.parametrize(
    ("p", "exc", "match"),
    [
        (1.0, ValueError, r"Dropout: p must be in \[0, 1\), got 1\.0"),
        (1, ValueError, r"Dropout: p must be in \[0, 1\), got 1"),
        (-0.1, ValueError, r"Dropout: p must be in \[0, 1\), got -0\.1"),
        (float("nan"), ValueError, r"got nan"),
        ("0.5", TypeError, r"Dropout: p must be a number, got '0\.5'"),
    ],
)
def test_bad_p(p, exc, match):
    with pytest.raises(exc, match=match):
        Dropout(p)


def test_misuse():
    drop = Dropout(0.5, rng=0)
    with pytest.raises(RuntimeError, match="before forward"):
        drop.backward(np.ones((2, 2)))
    drop(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expected grad_out of shape \(2, 3\)"):
        drop.backward(np.ones((3, 2)))


def test_rng_state_round_trip():
    """Saving and restoring the state gives the masks an uninterrupted run draws."""
    x = np.ones((4, 6))
    drop = Dropout(0.5, rng=7)
    drop(x)
    saved = drop.state_arrays()
    expected = [drop(x) for _ in range(3)]
    other = Dropout(0.5, rng=123)
    other.load_state_arrays(saved)
    for e in expected:
        np.testing.assert_array_equal(other(x), e)
    with pytest.raises(ValueError, match="saved state has keys"):
        other.load_state_arrays({})
    mt = Dropout(0.5, rng=np.random.Generator(np.random.MT19937(0)))
    with pytest.raises(ValueError, match="generator state is for 'PCG64'"):
        mt.load_state_arrays(saved)
