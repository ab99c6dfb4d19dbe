"""``nnscratch.gradcheck`` as a user-facing feature: whole models, the result object, and
that it really catches a wrong backward pass."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import GradCheckResult, Sequential, gradcheck
from nnscratch.gradcheck import numerical_gradient, relative_error
from nnscratch.layers import Dense, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nnscratch.losses import (
    MSE,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    SoftmaxCrossEntropy,
)

TOL = 1e-6


class DenseForgetsBias(Dense):
    """A deliberately wrong layer: backward never fills the bias gradient."""

    _registered = False  # not a real layer: keep it out of the save/load registry

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._need("_x")
        self.W.grad += x.T @ grad_out
        return grad_out @ self.W.data.T


def dense64(d_in: int, d_out: int, seed: int, cls: type[Dense] = Dense) -> Dense:
    layer = cls(d_in, d_out, rng=seed, dtype=np.float64)
    layer.b.data[:] = np.random.default_rng(seed + 50).normal(size=d_out)  # non-zero biases
    return layer


def mlp(seed: int = 0, first: type[Dense] = Dense) -> Sequential:
    return Sequential(dense64(4, 6, seed, first), Tanh(), dense64(6, 5, seed + 1), ReLU(),
                      dense64(5, 3, seed + 2)).use(SoftmaxCrossEntropy())


# -- whole models ----------------------------------------------------------------------------

def test_model_gradcheck_reports_every_parameter(rng):
    model = mlp()
    result = gradcheck(model, rng.normal(size=(5, 4)), rng.integers(0, 3, size=5))
    assert isinstance(result, GradCheckResult)
    assert list(result.errors) == ["x", "layer0.W", "layer0.b", "layer2.W", "layer2.b",
                                   "layer4.W", "layer4.b"]
    assert result.passed and bool(result)
    assert result.max_rel_error < TOL
    assert result.max_rel_error == max(result.errors.values())
    assert result.errors[result.worst] == result.max_rel_error


@pytest.mark.parametrize("n", [1, 3])
def test_model_gradcheck_other_losses(rng, n):
    # a sigmoid output with BCE, a softmax layer with categorical CE, a regression with MSE
    x = rng.normal(size=(n, 3))
    models_and_targets = [
        (Sequential(dense64(3, 4, 0), LeakyReLU(0.1), dense64(4, 1, 1), Sigmoid())
         .use(BinaryCrossEntropy()), rng.integers(0, 2, size=(n, 1)).astype(float)),
        (Sequential(dense64(3, 4, 2), Tanh(), dense64(4, 3, 3), Softmax())
         .use(CategoricalCrossEntropy()), rng.integers(0, 3, size=n)),
        (Sequential(dense64(3, 5, 4), Sigmoid(), dense64(5, 2, 5)).use(MSE()),
         rng.normal(size=(n, 2))),
    ]
    for model, y in models_and_targets:
        result = gradcheck(model, x, y)
        assert result.passed, str(result)


def test_model_gradcheck_leaves_weights_unchanged(rng):
    model = mlp()
    before = [p.data.copy() for p in model.parameters()]
    gradcheck(model, rng.normal(size=(2, 4)), np.array([0, 2]))
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)


def test_check_input_false_skips_x(rng):
    result = gradcheck(mlp(), rng.normal(size=(2, 4)), np.array([1, 2]), check_input=False)
    assert "x" not in result.errors and result.passed


# -- it catches a wrong layer ------------------------------------------------------------------

def test_catches_missing_bias_gradient_in_a_layer(rng):
    result = gradcheck(dense64(3, 2, 0, DenseForgetsBias), rng.normal(size=(4, 3)))
    assert not result.passed and not bool(result)
    assert result.worst == "b"
    # the analytic bias gradient is 0, the numeric one is not: ‖0 − n‖ / (0 + ‖n‖) = 1
    assert result.max_rel_error == pytest.approx(1.0)
    assert result.errors["W"] < TOL and result.errors["x"] < TOL  # the rest is right


def test_catches_missing_bias_gradient_in_a_model(rng):
    model = mlp(first=DenseForgetsBias)
    x, y = rng.normal(size=(5, 4)), rng.integers(0, 3, size=5)
    result = gradcheck(model, x, y)
    assert not result.passed
    assert result.worst == "layer0.b"
    assert all(err < TOL for name, err in result.errors.items() if name != "layer0.b")
    text = str(result)
    assert "FAILED" in text and "layer0.b" in text and "1.000e+00" in text
    with pytest.raises(AssertionError, match="FAILED"):
        gradcheck(model, x, y, raise_on_failure=True)


def test_str_of_a_passing_result(rng):
    result = gradcheck(dense64(2, 2, 0), rng.normal(size=(3, 2)))
    text = str(result)
    assert text.startswith("gradcheck: worst relative error")
    assert "passed" in text and "FAILED" not in text
    assert all(name in text for name in ("x", "W", "b"))
    assert gradcheck(dense64(2, 2, 0), rng.normal(size=(3, 2)), raise_on_failure=True)


def test_tolerance_is_the_one_given(rng):
    # a correct layer measured against an impossible tolerance fails
    result = gradcheck(dense64(2, 2, 0), rng.normal(size=(3, 2)), tol=0.0)
    assert result.tol == 0.0 and not result.passed


def test_loss_gradcheck_result(rng):
    result = gradcheck(MSE(), rng.normal(size=(3, 2)), rng.normal(size=(3, 2)))
    assert list(result.errors) == ["y_pred"] and result.passed


# -- misuse --------------------------------------------------------------------------------------

def test_loss_needs_targets(rng):
    with pytest.raises(ValueError, match="targets y are required"):
        gradcheck(MSE(), rng.normal(size=(2, 2)))


def test_model_needs_a_loss_and_targets(rng):
    model = Sequential(dense64(2, 2, 0))
    with pytest.raises(ValueError, match="needs a loss"):
        gradcheck(model, rng.normal(size=(2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="needs a loss"):
        gradcheck(model.use(MSE()), rng.normal(size=(2, 2)))


def test_float32_warns(rng):
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(Dense(2, 2, rng=0, dtype=np.float32),
                  rng.normal(size=(2, 2)).astype(np.float32))


# -- the helpers -----------------------------------------------------------------------------------

def test_relative_error_by_hand():
    # ‖[1, 0] − [0, 0]‖ / (1 + 0) = 1;  both zero → 0;  equal → 0
    assert relative_error(np.array([1.0, 0.0]), np.zeros(2)) == 1.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([3.0, 4.0]), np.array([3.0, 4.0])) == 0.0
    # ‖[1] − [3]‖ / (1 + 3) = 1/2
    assert relative_error(np.array([1.0]), np.array([3.0])) == 0.5


def test_numerical_gradient_of_a_quadratic():
    # f(a) = Σ a², f' = 2a; central differences are exact for a quadratic up to rounding
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda: float(np.sum(a * a)), a, 1e-5)
    np.testing.assert_allclose(grad, 2 * a, rtol=1e-8)
    np.testing.assert_array_equal(a, [[1.0, -2.0], [0.5, 3.0]])  # restored
