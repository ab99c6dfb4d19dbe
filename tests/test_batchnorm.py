"""BatchNorm1D / BatchNorm2D: finite differences in both modes, running statistics
worked by hand, dtypes, saved state and errors. (PyTorch comparisons: test_torch_norm.py)"""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch.gradcheck import gradcheck
from nnscratch.layers.norm import BatchNorm1D, BatchNorm2D

# Two values per channel are always normalised to about ±1, so dL/dx is ~ε/σ², too small
# to check by finite differences: training shapes have at least three values per channel.
SHAPES_1D = [(3, 2), (5, 4), (7, 1), (3, 4, 5), (2, 2, 3)]
SHAPES_2D = [(1, 2, 3, 3), (3, 3, 2, 5), (2, 1, 1, 3), (5, 4, 1, 1)]


def make(shape: tuple[int, ...], seed: int = 0, affine: bool = True):
    cls = BatchNorm1D if len(shape) < 4 else BatchNorm2D
    layer = cls(shape[1], affine=affine, dtype=np.float64)
    gen = np.random.default_rng(seed)
    if affine:
        layer.gamma.data[:] = gen.normal(1.0, 0.5, shape[1])
        layer.beta.data[:] = gen.normal(0.0, 0.5, shape[1])
    x = gen.normal(2.0, 3.0, shape)  # away from zero mean / unit variance on purpose
    # (gradcheck's random G must come from another stream: were G an affine function of
    # x per channel, the true dL/dx would vanish and the check would compare noise)
    return layer, x


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", SHAPES_1D + SHAPES_2D, ids=str)
def test_gradcheck_training(shape, affine):
    layer, x = make(shape, affine=affine)
    result = gradcheck(layer, x, rng=12345)
    assert result.passed, str(result)


@pytest.mark.parametrize("shape", [(1, 3), (2, 2, 1), *SHAPES_1D, *SHAPES_2D], ids=str)
def test_gradcheck_eval(shape):
    layer, x = make(shape, seed=1)
    gen = np.random.default_rng(2)
    layer.running_mean[:] = gen.normal(size=shape[1])
    layer.running_var[:] = gen.uniform(0.5, 2.0, size=shape[1])
    layer.eval()
    result = gradcheck(layer, x, rng=12345)
    assert result.passed, str(result)


def test_training_output_is_normalised():
    layer, x = make((64, 3, 4, 4), affine=False)
    y = layer(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-4)  # ε = 1e-5 shrinks it


def test_running_stats_known_answer():
    """One feature, batch [1, 2, 3, 6]: mean 3, biased var 3.5, unbiased 14/3."""
    layer = BatchNorm1D(1, momentum=0.1, dtype=np.float64)
    x = np.array([[1.0], [2.0], [3.0], [6.0]])
    y = layer(x)
    np.testing.assert_allclose(y[:, 0], (x[:, 0] - 3) / np.sqrt(3.5 + 1e-5))
    np.testing.assert_allclose(layer.running_mean, [0.9 * 0 + 0.1 * 3])
    np.testing.assert_allclose(layer.running_var, [0.9 * 1 + 0.1 * 14 / 3])
    assert layer.num_batches_tracked == 1
    # evaluation uses (x − 0.3) / √(1.36667 + ε)
    layer.eval()
    np.testing.assert_allclose(layer(x), (x - 0.3) / np.sqrt(0.9 + 1.4 / 3 + 1e-5))
    assert layer.num_batches_tracked == 1  # evaluation does not touch the statistics


def test_cumulative_average_with_momentum_none():
    layer = BatchNorm1D(2, momentum=None, dtype=np.float64)
    gen = np.random.default_rng(0)
    batches = [gen.normal(size=(6, 2)) for _ in range(3)]
    for b in batches:
        layer(b)
    np.testing.assert_allclose(layer.running_mean, np.mean([b.mean(0) for b in batches], 0))
    np.testing.assert_allclose(layer.running_var,
                               np.mean([b.var(0, ddof=1) for b in batches], 0))


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4, 4)])
def test_float32_preserved(shape):
    cls = BatchNorm1D if len(shape) == 2 else BatchNorm2D
    layer = cls(3)  # default dtype float32
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    for mode in (True, False):
        layer.train(mode)
        y = layer(x)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32
    assert layer.running_mean.dtype == layer.running_var.dtype == np.float32
    assert layer.gamma.grad.dtype == np.float32
    y64 = layer(x.astype(np.float64))  # inputs follow the layer's dtype
    assert y64.dtype == np.float32
    layer.astype(np.float64)
    assert layer.running_var.dtype == np.float64
    assert layer(x).dtype == np.float64


def test_backward_follows_mode_of_forward():
    layer, x = make((6, 3))
    layer(x)
    layer.eval()  # switched after forward: backward must still be the training one
    g = np.random.default_rng(1).normal(size=x.shape)
    dx = layer.backward(g)
    np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-10)  # training dx sums to 0


def test_state_arrays_round_trip():
    layer, x = make((8, 3, 2, 2))
    for _ in range(3):
        layer(x + 1.0)
    saved = layer.state_arrays()
    other = BatchNorm2D(3, dtype=np.float64)
    other.load_state_arrays(saved)
    np.testing.assert_array_equal(other.running_mean, layer.running_mean)
    np.testing.assert_array_equal(other.running_var, layer.running_var)
    assert other.num_batches_tracked == 3
    layer(x)  # the saved copies do not alias the live buffers
    assert not np.array_equal(saved["running_mean"], layer.running_mean)
    with pytest.raises(ValueError, match=r"saved running_var has shape \(4,\), expected \(3,\)"):
        other.load_state_arrays({"running_mean": np.zeros(3), "running_var": np.ones(4)})
    with pytest.raises(ValueError, match="saved state has keys"):
        other.load_state_arrays({"running_mean": np.zeros(3)})


def test_parameters_config_and_shapes():
    bn = BatchNorm1D(4)
    assert [p.name for p in bn.parameters()] == ["gamma", "beta"]
    assert not any(p.regularize for p in bn.parameters())
    assert BatchNorm2D(3, affine=False).parameters() == []
    config = {"num_features": 4, "momentum": 0.2, "eps": 1e-3, "affine": False}
    assert BatchNorm2D.from_config(config).get_config() == config
    assert bn.output_shape((4,)) == (4,)
    assert bn.output_shape((4, 7)) == (4, 7)
    assert BatchNorm2D(3).output_shape((3, 5, 5)) == (3, 5, 5)
    with pytest.raises(ValueError, match=r"BatchNorm2D.*expected input of shape \(N, 3, H, W\)"):
        BatchNorm2D(3).output_shape((4, 5, 5))


@pytest.mark.parametrize(
    ("make_layer", "x", "match"),
    [
        (lambda: BatchNorm1D(4), np.ones((5, 3)),
         r"BatchNorm1D\(num_features=4.*expected input of shape \(N, 4\) or \(N, 4, L\), "
         r"got \(5, 3\)"),
        (lambda: BatchNorm1D(4), np.ones((5, 4, 2, 2)), r"got \(5, 4, 2, 2\)"),
        (lambda: BatchNorm2D(3), np.ones((5, 3, 4)),
         r"BatchNorm2D.*expected input of shape \(N, 3, H, W\), got \(5, 3, 4\)"),
        (lambda: BatchNorm1D(3), np.ones((1, 3)),
         r"expected more than 1 value per channel when training, got input of shape \(1, 3\)"),
    ],
)
def test_shape_errors(make_layer, x, match):
    with pytest.raises(ValueError, match=match):
        make_layer()(x)


def test_misuse_and_bad_arguments():
    with pytest.raises(RuntimeError, match="before forward"):
        BatchNorm1D(2).backward(np.ones((3, 2)))
    layer = BatchNorm1D(2)
    layer(np.random.default_rng(0).normal(size=(3, 2)))
    with pytest.raises(ValueError, match=r"expected grad_out of shape \(3, 2\)"):
        layer.backward(np.ones((2, 3)))
    for kwargs, match in [
        ({"num_features": 0}, "num_features must be a positive integer, got 0"),
        ({"num_features": 2.0}, r"num_features must be a positive integer, got 2\.0"),
        ({"num_features": 2, "momentum": 1.5}, r"momentum must be in \[0, 1\] or None, got 1\.5"),
        ({"num_features": 2, "momentum": -0.1}, r"momentum .*got -0\.1"),
        ({"num_features": 2, "eps": 0}, "eps must be > 0, got 0"),
        ({"num_features": 2, "eps": -1e-5}, "eps must be > 0, got -1e-05"),
        ({"num_features": 2, "dtype": np.int32}, "dtype must be float32 or float64"),
    ]:
        for cls in (BatchNorm1D, BatchNorm2D):
            with pytest.raises(ValueError, match=match):
                cls(**kwargs)
    with pytest.raises(TypeError, match=r"momentum must be a number or None, got '0\.1'"):
        BatchNorm1D(2, momentum="0.1")  # type: ignore[arg-type]


@pytest.mark.parametrize("training", [True, False])
def test_float32_tracks_float64(training):
    gen = np.random.default_rng(3)
    x, g = gen.normal(1.0, 2.0, (6, 4, 3, 3)), gen.normal(size=(6, 4, 3, 3))
    outs = {}
    for dtype in (np.float32, np.float64):
        layer = BatchNorm2D(4, dtype=dtype)
        layer(x.astype(dtype))  # one training step so the running statistics move
        layer.train(training)
        y = layer(x.astype(dtype))
        outs[dtype] = (y, layer.backward(g.astype(dtype)), layer.gamma.grad.copy())
    for a, b in zip(outs[np.float32], outs[np.float64], strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
