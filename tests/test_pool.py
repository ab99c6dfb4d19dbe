"""MaxPool2D, AvgPool2D and GlobalAvgPool2D: hand-worked answers (ties included), finite
differences, shapes, dtypes and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnscratch import AvgPool2D, GlobalAvgPool2D, MaxPool2D, gradcheck
from nnscratch.layers import LAYER_REGISTRY


def _img(rows: list[list[float]]) -> np.ndarray:
    return np.array(rows, dtype=np.float64)[None, None]  # (1, 1, H, W)


# -- max pooling: known answers --------------------------------------------------------------


def test_maxpool_known_answer_with_ties() -> None:
    x = _img([[1, 3, 3, 0],
              [3, 2, 0, 0],
              [0, 0, 5, 5],
              [1, 0, 5, 5]])
    pool = MaxPool2D(2)
    np.testing.assert_array_equal(pool.forward(x), _img([[3, 3], [1, 5]]))
    dx = pool.backward(_img([[10, 20], [30, 40]]))
    # Each window's gradient goes to its FIRST maximum in row-major order:
    #   window (0,0) = [[1 3] [3 2]]: the 3 at (0,1), not the 3 at (1,0);
    #   window (0,1) = [[3 0] [0 0]]: (0,2);  window (1,0) = [[0 0] [1 0]]: (3,0);
    #   window (1,1) = four 5s: the top-left one, (2,2).
    np.testing.assert_array_equal(dx, _img([[0, 10, 20, 0],
                                            [0, 0, 0, 0],
                                            [0, 0, 40, 0],
                                            [30, 0, 0, 0]]))


def test_maxpool_all_zero_windows_send_gradient_once() -> None:
    # A black background (or a ReLU output) ties every position of a window; the window's
    # gradient must still reach exactly one input, not all four.
    x = np.zeros((2, 3, 6, 6))
    g = np.random.default_rng(0).standard_normal((2, 3, 3, 3))
    pool = MaxPool2D(2)
    pool.forward(x)
    dx = pool.backward(g)
    np.testing.assert_array_equal(dx[:, :, ::2, ::2], g)  # each window's top-left
    assert np.count_nonzero(dx) == g.size
    np.testing.assert_allclose(dx.sum(), g.sum())


def test_maxpool_overlapping_windows_accumulate() -> None:
    # 3×3 windows with stride 1 over a 5×5 image whose maximum sits in the centre: all nine
    # windows pick it, so it receives the sum of all nine gradients.
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 1.0
    pool = MaxPool2D(3, stride=1)
    np.testing.assert_array_equal(pool.forward(x), np.ones((1, 1, 3, 3)))
    g = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    dx = pool.backward(g)
    expected = np.zeros((1, 1, 5, 5))
    expected[0, 0, 2, 2] = 45.0  # 1 + 2 + ... + 9
    np.testing.assert_array_equal(dx, expected)


def test_maxpool_overlapping_ties_go_to_each_windows_first_maximum() -> None:
    # Constant input, 2×2 windows, stride 1: every window picks its own top-left corner,
    # so dx is the gradient placed at the windows' corners.
    pool = MaxPool2D(2, stride=1)
    pool.forward(np.full((1, 1, 4, 4), 7.0))
    g = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    dx = pool.backward(g)
    np.testing.assert_array_equal(dx[:, :, :3, :3], g)
    assert np.all(dx[:, :, 3, :] == 0) and np.all(dx[:, :, :, 3] == 0)


def test_maxpool_padding_is_minus_infinity() -> None:
    # All-negative input: zero padding would win the border windows; -inf never does.
    x = -np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # [[-1 -2 -3] [-4 -5 -6] [-7 -8 -9]]
    pool = MaxPool2D(2, stride=2, padding=1)
    # padded windows: {-1} | {-2 -3} / {-4 -7} | {-5 -6 -8 -9}
    np.testing.assert_array_equal(pool.forward(x), _img([[-1, -2], [-4, -5]]))
    dx = pool.backward(_img([[1, 2], [3, 4]]))
    np.testing.assert_array_equal(dx, _img([[1, 2, 0], [3, 4, 0], [0, 0, 0]]))


def test_maxpool_odd_size_drops_last_row_and_column() -> None:
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    pool = MaxPool2D(2)
    np.testing.assert_array_equal(pool.forward(x), _img([[6, 8], [16, 18]]))
    dx = pool.backward(np.ones((1, 1, 2, 2)))
    assert dx.shape == x.shape and dx[0, 0, 4].sum() == 0 and dx[0, 0, :, 4].sum() == 0


@pytest.mark.parametrize("size, kernel, stride, padding", [
    ((6, 6), 2, None, 0),  # tiles the input: dL/dx is written, not zeroed first
    ((7, 6), 2, None, 0),  # an odd height: the last row gets no window
    ((6, 6), 3, 2, 0),  # overlapping windows
    ((6, 6), 2, None, 1),  # padding
])
def test_maxpool_gradient_is_exact_on_dirty_memory(size, kernel, stride, padding) -> None:
    # fill the allocator's free memory with garbage first: an uninitialised gradient
    # buffer would then show it wherever backward did not write
    for _ in range(20):
        np.full((3, 5, *size), 7.5e7).sum()
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((3, 5, *size)), 0)  # ReLU output: many ties
    pool = MaxPool2D(kernel, stride, padding)
    y = pool.forward(x)
    g = rng.standard_normal(y.shape)
    dx = pool.backward(g)
    # reference: the first maximum of each window, by a plain loop
    ref = np.zeros_like(np.pad(x, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2)))
    xp = np.pad(x, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2), constant_values=-np.inf)
    s = stride or kernel
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(y.shape[2]):
                for j in range(y.shape[3]):
                    win = xp[n, c, i * s:i * s + kernel, j * s:j * s + kernel]
                    u, v = np.unravel_index(np.argmax(win), win.shape)
                    ref[n, c, i * s + u, j * s + v] += g[n, c, i, j]
    ref = ref[:, :, padding:padding + size[0], padding:padding + size[1]]
    np.testing.assert_allclose(dx, ref, rtol=1e-12, atol=0)


# -- average pooling: known answers ----------------------------------------------------------


def test_avgpool_known_answer() -> None:
    x = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    pool = AvgPool2D(2)
    # (1+2+5+6)/4 = 3.5, (3+4+7+8)/4 = 5.5, (9+10+13+14)/4 = 11.5, (11+12+15+16)/4 = 13.5
    np.testing.assert_array_equal(pool.forward(x), _img([[3.5, 5.5], [11.5, 13.5]]))
    dx = pool.backward(_img([[4, 8], [12, 16]]))
    np.testing.assert_array_equal(dx, _img([[1, 1, 2, 2], [1, 1, 2, 2],
                                            [3, 3, 4, 4], [3, 3, 4, 4]]))


def test_avgpool_padding_counts_in_the_mean() -> None:
    # PyTorch's default count_include_pad=True: every window divides by kH·kW = 4.
    pool = AvgPool2D(2, stride=1, padding=1)
    y = pool.forward(np.ones((1, 1, 2, 2)))
    # corner windows hold 1 real pixel, edge windows 2, the centre window 4
    np.testing.assert_array_equal(y, _img([[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]))
    dx = pool.backward(np.ones((1, 1, 3, 3)))
    # each pixel lies in 4 windows and gets 1/4 from each
    np.testing.assert_array_equal(dx, np.ones((1, 1, 2, 2)))


def test_global_avgpool_known_answer() -> None:
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    pool = GlobalAvgPool2D()
    np.testing.assert_array_equal(pool.forward(x), x.mean(axis=(2, 3)))
    g = np.arange(6.0).reshape(2, 3)
    dx = pool.backward(g)
    np.testing.assert_array_equal(dx, np.broadcast_to(g[:, :, None, None] / 4, x.shape))


# -- finite differences ----------------------------------------------------------------------


def _distinct_input(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.01 apart, so a finite-difference step never flips a maximum."""
    x = rng.permutation(np.prod(shape)).astype(np.float64) * 0.01
    return x.reshape(shape)


def _pool_config(rng: np.random.Generator, max_hw: int) -> tuple[dict, tuple[int, ...]]:
    kh, kw = (int(k) for k in rng.integers(1, 4, size=2))
    sh, sw = (int(s) for s in rng.integers(1, 4, size=2))
    ph, pw = int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))
    h = int(rng.integers(max(1, kh - 2 * ph), max_hw + 1))
    w = int(rng.integers(max(1, kw - 2 * pw), max_hw + 1))
    n, c = (int(v) for v in rng.integers(1, 4, size=2))
    config = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw))
    return config, (n, c, h, w)


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("seed", range(10))
def test_gradcheck_random_configs(cls: type, seed: int) -> None:
    rng = np.random.default_rng(seed)
    config, shape = _pool_config(rng, max_hw=7)
    pool = cls(**config)
    result = gradcheck(pool, _distinct_input(rng, shape), rng=seed)
    assert result.max_rel_error < 1e-6, f"{pool} on {shape}:\n{result}"


@pytest.mark.slow
@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("seed", range(100, 140))
def test_gradcheck_random_configs_slow(cls: type, seed: int) -> None:
    rng = np.random.default_rng(seed)
    config, shape = _pool_config(rng, max_hw=11)
    pool = cls(**config)
    gradcheck(pool, _distinct_input(rng, shape), rng=seed, raise_on_failure=True)


def test_gradcheck_global_avgpool() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4, 5, 3))
    gradcheck(GlobalAvgPool2D(), x, raise_on_failure=True)


# -- shapes, dtypes, description -------------------------------------------------------------


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
def test_stride_defaults_to_kernel(cls: type) -> None:
    pool = cls((2, 3))
    assert pool.stride == (2, 3)
    assert pool.forward(np.zeros((1, 1, 7, 7))).shape == (1, 1, 3, 2)


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("seed", range(10))
def test_output_shape_matches_forward(cls: type, seed: int) -> None:
    config, shape = _pool_config(np.random.default_rng(seed), max_hw=9)
    pool = cls(**config)
    assert pool.output_shape(shape[1:]) == pool.forward(np.zeros(shape)).shape[1:]
    assert pool.output_shape((shape[1], None, None)) == (shape[1], None, None)


@pytest.mark.parametrize("layer", [MaxPool2D(2), AvgPool2D(3, 2, 1), GlobalAvgPool2D()])
def test_float32_stays_float32(layer) -> None:  # type: ignore[no-untyped-def]
    x = np.random.default_rng(0).random((2, 3, 6, 6)).astype(np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32
    assert layer.backward(np.ones(y.shape)).dtype == np.float32  # float64 grad not promoted


def test_reprs_and_configs() -> None:
    assert repr(MaxPool2D(2)) == "MaxPool2D(2×2, stride=2)"
    assert repr(AvgPool2D((3, 2), stride=1, padding=(1, 0))) == (
        "AvgPool2D(3×2, stride=1, pad=(1, 0))"
    )
    assert repr(GlobalAvgPool2D()) == "GlobalAvgPool2D()"
    assert GlobalAvgPool2D().output_shape((7, 4, 4)) == (7,)
    for pool in (MaxPool2D(3, 2, 1), AvgPool2D((2, 3), (1, 2))):
        config = json.loads(json.dumps(pool.get_config()))
        rebuilt = LAYER_REGISTRY[type(pool).__name__].from_config(config)
        assert repr(rebuilt) == repr(pool) and rebuilt.get_config() == pool.get_config()


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(kernel_size=0), r"kernel_size must be a positive integer or a pair of them, got 0"),
        (dict(kernel_size=2, stride=0), r"stride must be .* got 0"),
        (dict(kernel_size=2, padding=-1), r"padding must be an integer >= 0 .* got -1"),
        (dict(kernel_size=2, padding=2), r"padding must be at most half the kernel size 2, got 2"),
        (dict(kernel_size=(3, 2), padding=(1, 2)),
         r"padding must be at most half the kernel size \(3, 2\), got \(1, 2\)"),
    ],
)
def test_constructor_errors(cls: type, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=cls.__name__ + ": " + match):
        cls(**kwargs)


@pytest.mark.parametrize("layer", [MaxPool2D(2), AvgPool2D(2), GlobalAvgPool2D()])
def test_error_for_3d_input(layer) -> None:  # type: ignore[no-untyped-def]
    expected = r"expected input of shape \(N, C, H, W\), got \(8, 28, 28\)"
    with pytest.raises(ValueError, match=expected):
        layer.forward(np.zeros((8, 28, 28)))


def test_error_when_kernel_larger_than_input() -> None:
    with pytest.raises(ValueError, match=r"MaxPool2D\(3×3, stride=3\): kernel width 3 is larger"):
        MaxPool2D(3).forward(np.zeros((1, 1, 5, 2)))


@pytest.mark.parametrize("layer", [MaxPool2D(2), AvgPool2D(2), GlobalAvgPool2D()])
def test_backward_before_forward(layer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.zeros((1, 1, 1, 1)))
