"""Dense and the activations: finite-difference gradient checks in float64 over varied
shapes, known answers worked by hand, numerical stability, dtypes, bad input, and the
weight initialisers."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pytest

from activation_cases import ACTIVATION_CASES
from nnscratch import gradcheck, init
from nnscratch.layers import Dense, Identity, Layer, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nnscratch.layers.activations import ACTIVATIONS

TOL = 1e-6  # the bound on the worst relative error of a float64 gradient check

ACTIVATION_FACTORIES: dict[str, Callable[[], Layer]] = {
    name: make for name, (make, _) in ACTIVATION_CASES.items()
}

# (batch, features): batch 1, a single feature, odd sizes, a wide row
ACTIVATION_SHAPES = [(1, 1), (1, 7), (3, 1), (5, 4), (7, 13), (2, 33)]


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with |x| in [0.1, 2]: finite differences with ε = 1e-6 never cross a kink."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


def dense64(in_features: int, out_features: int, bias: bool = True, seed: int = 0) -> Dense:
    """A float64 Dense with non-zero biases, so that a wrong bias gradient shows."""
    layer = Dense(in_features, out_features, bias=bias, rng=seed, dtype=np.float64)
    if layer.b is not None:
        layer.b.data[:] = np.random.default_rng(seed + 100).normal(size=out_features)
    return layer


# -- gradient checks (float64) ---------------------------------------------------------------

DENSE_SHAPES = [
    # (batch, in, out)
    (1, 1, 1),  # 1→1, batch 1
    (1, 5, 3),  # batch 1
    (4, 3, 2),
    (3, 7, 5),  # odd sizes
    (2, 3, 64),  # wide
    (9, 1, 4),  # one input feature
    (5, 11, 1),  # one output
]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize(("n", "d_in", "d_out"), DENSE_SHAPES,
                         ids=[f"{n}x{i}->{o}" for n, i, o in DENSE_SHAPES])
def test_dense_gradcheck(rng, n, d_in, d_out, bias):
    layer = dense64(d_in, d_out, bias=bias, seed=n * 100 + d_in)
    result = gradcheck(layer, rng.normal(size=(n, d_in)))
    assert set(result.errors) == ({"x", "W", "b"} if bias else {"x", "W"})
    assert result.max_rel_error < TOL, str(result)


@pytest.mark.parametrize("shape", ACTIVATION_SHAPES, ids=[f"{n}x{d}" for n, d in ACTIVATION_SHAPES])
@pytest.mark.parametrize("name", list(ACTIVATION_FACTORIES))
def test_activation_gradcheck(rng, name, shape):
    # ReLU and LeakyReLU have a kink at 0; keep every input away from it
    x = away_from_zero(rng, shape)
    result = gradcheck(ACTIVATION_FACTORIES[name](), x)
    assert result.max_rel_error < TOL, str(result)


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 0.5, 1.0, 3.0, -0.5])
def test_leaky_relu_gradcheck_slopes(rng, slope):
    result = gradcheck(LeakyReLU(slope), away_from_zero(rng, (6, 5)))
    assert result.max_rel_error < TOL, str(result)


def test_sigmoid_tanh_gradcheck_large_inputs(rng):
    # |x| up to 8: the derivative is tiny but the relative error must stay small
    x = rng.uniform(-8, 8, size=(4, 6))
    for layer in (Sigmoid(), Tanh()):
        assert gradcheck(layer, x).max_rel_error < TOL


def test_softmax_gradcheck_axis0(rng):
    result = gradcheck(Softmax(axis=0), rng.normal(size=(5, 3)))
    assert result.max_rel_error < TOL, str(result)


# -- known answers worked by hand --------------------------------------------------------------

def test_dense_known_answer():
    layer = Dense(2, 2, dtype=np.float64)
    layer.W.data[:] = [[1, 2], [3, 4]]
    layer.b.data[:] = [1, -1]
    x = np.array([[1.0, 1.0]])
    # x @ W = [1·1 + 1·3, 1·2 + 1·4] = [4, 6];  + b = [5, 5]
    np.testing.assert_array_equal(layer.forward(x), [[5.0, 5.0]])
    G = np.array([[1.0, 2.0]])
    dx = layer.backward(G)
    # dL/dW = xᵀ G = [[1], [1]] @ [[1, 2]] = [[1, 2], [1, 2]]
    np.testing.assert_array_equal(layer.W.grad, [[1, 2], [1, 2]])
    # dL/db = Σ_n G[n] = [1, 2]
    np.testing.assert_array_equal(layer.b.grad, [1, 2])
    # dL/dx = G Wᵀ = [1·1 + 2·2, 1·3 + 2·4] = [5, 11]
    np.testing.assert_array_equal(dx, [[5, 11]])


def test_dense_known_answer_batch_sums_bias_gradient():
    layer = Dense(1, 1, dtype=np.float64)
    layer.W.data[:] = [[2.0]]
    layer.b.data[:] = [0.5]
    x = np.array([[1.0], [2.0], [3.0]])
    # y = 2x + 0.5 = [2.5, 4.5, 6.5]
    np.testing.assert_array_equal(layer.forward(x), [[2.5], [4.5], [6.5]])
    layer.backward(np.array([[1.0], [1.0], [1.0]]))
    # dL/dW = Σ x_n · 1 = 6;  dL/db = Σ 1 = 3 (one term per sample)
    np.testing.assert_array_equal(layer.W.grad, [[6.0]])
    np.testing.assert_array_equal(layer.b.grad, [3.0])


def test_dense_without_bias_known_answer():
    layer = Dense(2, 1, bias=False, dtype=np.float64)
    assert layer.b is None
    layer.W.data[:] = [[3.0], [-1.0]]
    # [2, 5] @ [3, -1]ᵀ = 6 - 5 = 1
    np.testing.assert_array_equal(layer.forward(np.array([[2.0, 5.0]])), [[1.0]])


def test_sigmoid_known_answers():
    layer = Sigmoid()
    # σ(0) = 1 / (1 + e⁰) = 1/2;  σ'(0) = σ(0)(1 − σ(0)) = 1/4
    assert layer.forward(np.array([[0.0]]))[0, 0] == 0.5
    assert layer.backward(np.array([[1.0]]))[0, 0] == 0.25
    # σ(ln 3) = 1 / (1 + 1/3) = 3/4;  σ(−ln 3) = 1/4
    np.testing.assert_allclose(layer.forward(np.array([[math.log(3), -math.log(3)]])),
                               [[0.75, 0.25]], rtol=1e-15)
    # σ' = 3/4 · 1/4 = 3/16 at both points
    np.testing.assert_allclose(layer.backward(np.ones((1, 2))), [[3 / 16, 3 / 16]], rtol=1e-15)


def test_tanh_known_answers():
    layer = Tanh()
    # tanh(0) = 0, tanh'(0) = 1 − 0² = 1
    assert layer.forward(np.array([[0.0]]))[0, 0] == 0.0
    assert layer.backward(np.array([[1.0]]))[0, 0] == 1.0
    # tanh(ln 2) = (2 − 1/2) / (2 + 1/2) = 3/5;  derivative 1 − 9/25 = 16/25
    np.testing.assert_allclose(layer.forward(np.array([[math.log(2)]])), [[0.6]], rtol=1e-15)
    np.testing.assert_allclose(layer.backward(np.array([[1.0]])), [[0.64]], rtol=1e-14)


def test_relu_known_answers():
    layer = ReLU()
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(layer.forward(x), [[0.0, 0.0, 3.0]])
    # derivative 0 for x ≤ 0 (PyTorch's choice at 0), 1 for x > 0
    np.testing.assert_array_equal(layer.backward(np.array([[5.0, 5.0, 5.0]])), [[0, 0, 5]])


@pytest.mark.parametrize("layout", ["C", "F", "batch-last view", "strided", "scalar-like"])
def test_relu_keeps_the_memory_layout_and_matches_maximum(layout):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((4, 3, 5, 6)).astype(np.float32)
    x = {"C": base, "F": np.asfortranarray(base),
         "batch-last view": np.ascontiguousarray(base.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2),
         "strided": base[:, :, ::2], "scalar-like": base[:1, :1, :1, :1]}[layout]
    relu = ReLU()
    for scale in (1.0, -2.0, 3.0):  # the cached zeros are reused, never written
        y = relu.forward(x * scale if layout != "batch-last view" else x)
        ref = np.maximum(x * scale if layout != "batch-last view" else x, 0)
        np.testing.assert_array_equal(y, ref)
    y = relu.forward(x)
    if layout in ("C", "F", "batch-last view"):
        assert y.strides == x.strides  # the conv layers rely on it: no transposing copies
    zeros = getattr(relu, "_zeros", None)
    if zeros is not None:
        assert not zeros[1].any()
    relu.forward(np.ones((2, 7), np.float32))  # a new shape replaces the cached zeros
    np.testing.assert_array_equal(relu.forward(-np.ones((2, 7), np.float32)), 0)


@pytest.mark.parametrize("slope", [0.01, 0.2, 0.5])
def test_leaky_relu_known_answers(slope):
    layer = LeakyReLU(slope)
    assert layer.negative_slope == slope
    # y = x for x > 0, slope·x otherwise: [-2, 3] → [-2·slope, 3]
    np.testing.assert_allclose(layer.forward(np.array([[-2.0, 3.0]])), [[-2 * slope, 3.0]])
    # dy/dx = slope on the left, 1 on the right
    np.testing.assert_allclose(layer.backward(np.array([[1.0, 1.0]])), [[slope, 1.0]])


def test_leaky_relu_default_slope_is_001():
    np.testing.assert_allclose(LeakyReLU().forward(np.array([[-100.0]])), [[-1.0]])


def test_softmax_known_answer():
    y = Softmax().forward(np.array([[1.0, 2.0, 3.0]]))
    # e^k / (e + e² + e³) = e^(k−3) / (e⁻² + e⁻¹ + 1) ≈ [0.0900306, 0.2447285, 0.6652410]
    z = 1 + math.exp(-1) + math.exp(-2)
    np.testing.assert_allclose(y, [[math.exp(-2) / z, math.exp(-1) / z, 1 / z]], rtol=1e-14)
    np.testing.assert_allclose(y, [[0.0900306, 0.2447285, 0.6652410]], atol=1e-7)
    # upstream gradient of ones: Σ_i dy_i/dx_j = 0 because the outputs always sum to 1
    layer = Softmax()
    layer.forward(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(layer.backward(np.ones((1, 3))), [[0, 0, 0]], atol=1e-16)


def test_softmax_uniform_and_jacobian_by_hand():
    layer = Softmax()
    # equal logits → 1/K each; with g = e₁: dL/dx = y ⊙ (g − y·g) = ¼·([1,0,0,0] − ¼)
    np.testing.assert_array_equal(layer.forward(np.zeros((1, 4))), [[0.25] * 4])
    np.testing.assert_allclose(layer.backward(np.array([[1.0, 0.0, 0.0, 0.0]])),
                               [[3 / 16, -1 / 16, -1 / 16, -1 / 16]], rtol=1e-15)


def test_identity_passes_through():
    layer = Identity()
    x = np.array([[1.5, -2.0]])
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(np.array([[3.0, 4.0]])), [[3.0, 4.0]])


# -- numerical stability -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_saturates_exactly_without_warnings(dtype):
    x = np.array([[-1000.0, -100.0, 100.0, 1000.0]], dtype=dtype)
    layer = Sigmoid()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would be a RuntimeWarning
        y = layer.forward(x)
        g = layer.backward(np.ones_like(x))
    assert y[0, 0] == 0.0 and y[0, 3] == 1.0
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    assert g[0, 0] == 0.0 and g[0, 3] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_huge_logits_is_finite(dtype):
    layer = Softmax()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = layer.forward(np.array([[1000.0, 1001.0], [-1000.0, -1001.0]], dtype=dtype))
        g = layer.backward(np.ones_like(y))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    # shifting by a constant changes nothing: softmax([1000, 1001]) = softmax([0, 1])
    e = math.exp(1)
    np.testing.assert_allclose(y[0], [1 / (1 + e), e / (1 + e)], rtol=1e-6)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)


def test_tanh_saturates_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = Tanh().forward(np.array([[-1000.0, 1000.0]]))
    np.testing.assert_array_equal(y, [[-1.0, 1.0]])


# -- dtypes: no silent upcast, no downcast -------------------------------------------------------

def _all_layers(dtype: type) -> list[Layer]:
    return [Dense(4, 3, rng=0, dtype=dtype), Dense(4, 3, bias=False, rng=0, dtype=dtype),
            *(make() for make in ACTIVATION_FACTORIES.values())]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_dtype_preserved_through_forward_and_backward(rng, dtype):
    x = rng.normal(size=(5, 4)).astype(dtype)
    for layer in _all_layers(dtype):
        y = layer.forward(x)
        assert y.dtype == dtype, f"{layer}.forward: {x.dtype} in, {y.dtype} out"
        dx = layer.backward(np.ones_like(y))
        assert dx.dtype == dtype, f"{layer}.backward: {y.dtype} in, {dx.dtype} out"
        for p in layer.parameters():
            assert p.data.dtype == dtype and p.grad.dtype == dtype, f"{layer}.{p.name}"


def test_default_dense_dtype_is_float32():
    layer = Dense(3, 2)
    assert layer.W.data.dtype == np.float32 and layer.b.data.dtype == np.float32


def test_integer_input_becomes_floating():
    # ints are data, not a dtype request: a float32 layer computes in float32
    assert Dense(2, 2, rng=0, dtype=np.float32).forward(np.array([[1, 2]])).dtype == np.float32
    assert np.issubdtype(ReLU().forward(np.array([[1, -2]])).dtype, np.floating)


# -- bad input -----------------------------------------------------------------------------

def test_dense_wrong_feature_count_names_layer_and_shapes():
    layer = Dense(784, 128)
    with pytest.raises(ValueError) as err:
        layer.forward(np.zeros((32, 785), dtype=np.float32))
    assert str(err.value) == "Dense(784→128): expected input of shape (N, 784), got (32, 785)"


@pytest.mark.parametrize("shape", [(784,), (2, 28, 28), (2, 784, 1)], ids=["1d", "3d", "3d-b"])
def test_dense_wrong_rank_names_layer_and_shapes(shape):
    with pytest.raises(ValueError) as err:
        Dense(784, 128).forward(np.zeros(shape, dtype=np.float32))
    msg = str(err.value)
    assert "Dense(784→128)" in msg and "(N, 784)" in msg and str(shape) in msg


def test_dense_backward_wrong_grad_shape():
    layer = Dense(3, 2, dtype=np.float64)
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(4, 3\)"):
        layer.backward(np.ones((4, 3)))


@pytest.mark.parametrize("make", [lambda: Dense(3, 2), *ACTIVATION_FACTORIES.values()],
                         ids=["dense", *ACTIVATION_FACTORIES])
def test_backward_before_forward_raises(make):
    layer = make()
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.ones((2, 2), dtype=np.float32))


@pytest.mark.parametrize(("args", "name"), [
    ((0, 3), "in_features"), ((3, 0), "out_features"), ((-1, 3), "in_features"),
    ((3, -5), "out_features"), ((True, 3), "in_features"), ((3, False), "out_features"),
    ((2.5, 3), "in_features"), (("3", 3), "in_features"),
])
def test_dense_bad_constructor_args_name_the_argument(args, name):
    with pytest.raises(ValueError, match=name) as err:
        Dense(*args)
    assert repr(args[0] if name == "in_features" else args[1]) in str(err.value)


@pytest.mark.parametrize("slope", [float("nan"), float("inf"), -float("inf")])
def test_leaky_relu_rejects_non_finite_slope(slope):
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(slope)


def test_dense_bad_dtype_rejected():
    with pytest.raises(ValueError, match="dtype"):
        Dense(2, 2, dtype=np.int32)


# -- gradients accumulate; parameters ------------------------------------------------------------

def test_gradients_accumulate_across_backward_calls(rng):
    layer = dense64(4, 3)
    x, G = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    layer.forward(x)
    layer.backward(G)
    once = [p.grad.copy() for p in layer.parameters()]
    layer.forward(x)
    layer.backward(G)
    for p, g in zip(layer.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-15, err_msg=p.name)
    layer.zero_grad()
    assert all(not p.grad.any() for p in layer.parameters())


def test_gradients_are_added_in_place():
    # references to the gradient arrays (an optimizer's) stay valid after backward
    layer = Dense(2, 2, rng=0, dtype=np.float64)
    grads = [p.grad for p in layer.parameters()]
    layer.forward(np.ones((1, 2)))
    layer.backward(np.ones((1, 2)))
    assert all(p.grad is g for p, g in zip(layer.parameters(), grads, strict=True))
    assert all(g.any() for g in grads)


def test_parameters_list_W_and_b():
    layer = Dense(5, 3, rng=0)
    params = layer.parameters()
    assert [p.name for p in params] == ["W", "b"]
    assert params[0] is layer.W and params[1] is layer.b
    assert layer.W.shape == (5, 3) and layer.b.shape == (3,)
    assert [p.name for p in Dense(5, 3, bias=False).parameters()] == ["W"]
    for make in ACTIVATION_FACTORIES.values():
        assert make().parameters() == []


# -- initialisers ------------------------------------------------------------------------------

FAN_IN, FAN_OUT = 300, 200
BIG = (FAN_IN, FAN_OUT)  # 60 000 draws: the sample std is within ~0.3% of the true one


def _draw(name: str, seed: int = 0) -> np.ndarray:
    return init.initialize(name, BIG, FAN_IN, FAN_OUT, np.random.default_rng(seed), np.float64)


def _uniform_std(a: float) -> float:
    return a / math.sqrt(3)  # std of U(−a, a)


# name -> (bound of |w| or None, expected mean, expected std)
INIT_STATS = {
    "glorot_uniform": (math.sqrt(6 / (FAN_IN + FAN_OUT)), 0.0,
                       _uniform_std(math.sqrt(6 / (FAN_IN + FAN_OUT)))),
    "xavier_uniform": (math.sqrt(6 / (FAN_IN + FAN_OUT)), 0.0,
                       _uniform_std(math.sqrt(6 / (FAN_IN + FAN_OUT)))),
    "glorot_normal": (None, 0.0, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "xavier_normal": (None, 0.0, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "he_uniform": (math.sqrt(6 / FAN_IN), 0.0, _uniform_std(math.sqrt(6 / FAN_IN))),
    "kaiming_uniform": (math.sqrt(6 / FAN_IN), 0.0, _uniform_std(math.sqrt(6 / FAN_IN))),
    "he_normal": (None, 0.0, math.sqrt(2 / FAN_IN)),
    "kaiming_normal": (None, 0.0, math.sqrt(2 / FAN_IN)),
    "lecun_uniform": (1 / math.sqrt(FAN_IN), 0.0, _uniform_std(1 / math.sqrt(FAN_IN))),
    "torch": (1 / math.sqrt(FAN_IN), 0.0, _uniform_std(1 / math.sqrt(FAN_IN))),
    "normal": (None, 0.0, 0.01),  # the articles' 0.01 · randn
}


@pytest.mark.parametrize("name", list(INIT_STATS))
def test_initialiser_statistics(name):
    bound, mean, std = INIT_STATS[name]
    w = _draw(name)
    assert w.shape == BIG and w.dtype == np.float64
    if bound is not None:
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.99 * bound  # the whole interval is used
    # 60 000 draws: the standard error of the mean is std/245, of the std about std/350
    assert abs(w.mean() - mean) < 5 * std / math.sqrt(w.size)
    assert abs(w.std() - std) < 0.02 * std


def test_uniform_is_zero_to_one():
    # the two-layer article's ``np.random.random``: U[0, 1), mean 1/2, std 1/√12
    w = _draw("uniform")
    assert w.min() >= 0.0 and w.max() < 1.0
    assert abs(w.mean() - 0.5) < 0.01 and abs(w.std() - 1 / math.sqrt(12)) < 0.01


def test_zeros():
    assert not _draw("zeros").any()


def test_every_named_initialiser_is_covered():
    assert set(init._NAMED) == {*INIT_STATS, "uniform", "zeros"}


@pytest.mark.parametrize("name", sorted(init._NAMED))
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (3, 64)])
def test_dense_init_by_name_shape_and_dtype(name, shape):
    layer = Dense(*shape, init=name, rng=0, dtype=np.float32)
    assert layer.W.shape == shape and layer.W.data.dtype == np.float32
    assert np.all(np.isfinite(layer.W.data))
    assert not layer.b.data.any()  # biases start at zero


def test_initialiser_objects_and_case():
    w = init.initialize(init.Normal(std=2.0, mean=1.0), BIG, FAN_IN, FAN_OUT,
                        np.random.default_rng(0), np.float64)
    assert abs(w.mean() - 1.0) < 0.05 and abs(w.std() - 2.0) < 0.04
    c = init.initialize(init.Constant(0.5), (2, 3), 2, 3, np.random.default_rng(0), np.float32)
    assert c.dtype == np.float32 and np.all(c == 0.5)
    assert isinstance(init.get("He_Normal"), init.HeNormal)
    gain = init.initialize(init.GlorotUniform(gain=2.0), BIG, FAN_IN, FAN_OUT,
                           np.random.default_rng(0), np.float64)
    assert np.abs(gain).max() <= 2 * math.sqrt(6 / (FAN_IN + FAN_OUT))


def test_seeded_reproducibility_int_and_generator():
    a = Dense(6, 4, rng=42)
    b = Dense(6, 4, rng=42)
    c = Dense(6, 4, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a.W.data, b.W.data)
    np.testing.assert_array_equal(a.W.data, c.W.data)
    assert not np.array_equal(a.W.data, Dense(6, 4, rng=43).W.data)
    # a shared Generator advances: two layers drawn from it differ
    gen = np.random.default_rng(0)
    assert not np.array_equal(Dense(6, 4, rng=gen).W.data, Dense(6, 4, rng=gen).W.data)
    for name in init._NAMED:
        np.testing.assert_array_equal(_draw(name, seed=7), _draw(name, seed=7), err_msg=name)


def test_unknown_initialiser_raises():
    with pytest.raises(ValueError, match="unknown initialiser 'glorot_unifrom'"):
        init.get("glorot_unifrom")
    with pytest.raises(ValueError, match="unknown initialiser"):
        Dense(3, 2, init="nope")


@pytest.mark.parametrize("bad", [lambda: init.Normal(std=-1.0), lambda: init.Uniform(1.0, 0.0)])
def test_initialiser_bad_arguments(bad):
    with pytest.raises(ValueError):
        bad()


def test_every_activation_has_a_test_case():
    """Each activation get_activation knows is gradient-checked here and compared with
    PyTorch in test_torch_core.py through the one table in activation_cases.py."""
    covered = {type(make()) for make, _ in ACTIVATION_CASES.values()}
    assert set(ACTIVATIONS.values()) <= covered
