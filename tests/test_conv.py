"""Conv2D: hand-worked answers, finite-difference gradients, shapes, dtypes and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnscratch import Conv2D, gradcheck, to_nchw
from nnscratch.layers import LAYER_REGISTRY

# -- known answers, worked by hand ---------------------------------------------------------


def _hand_conv() -> tuple[Conv2D, np.ndarray]:
    conv = Conv2D(1, 1, 2, dtype=np.float64)
    conv.W.assign(np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2))
    conv.b.assign(np.array([0.5]))
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # [[1 2 3] [4 5 6] [7 8 9]]
    return conv, x


def test_known_answer_forward_2x2_kernel_on_3x3() -> None:
    conv, x = _hand_conv()
    y = conv.forward(x)
    # y[0,0] = 1·1 + 2·2 + 3·4 + 4·5 = 37,  y[0,1] = 1·2 + 2·3 + 3·5 + 4·6 = 47
    # y[1,0] = 1·4 + 2·5 + 3·7 + 4·8 = 67,  y[1,1] = 1·5 + 2·6 + 3·8 + 4·9 = 77;  + b = 0.5
    np.testing.assert_array_equal(y, [[[[37.5, 47.5], [67.5, 77.5]]]])


def test_known_answer_backward_2x2_kernel_on_3x3() -> None:
    conv, x = _hand_conv()
    conv.forward(x)
    dx = conv.backward(np.ones((1, 1, 2, 2)))
    # dW[u, v] = Σ of the inputs that weight u, v touched:
    #   dW[0,0] = 1+2+4+5 = 12, dW[0,1] = 2+3+5+6 = 16, dW[1,0] = 4+5+7+8 = 24,
    #   dW[1,1] = 5+6+8+9 = 28;  db = number of outputs = 4.
    np.testing.assert_array_equal(conv.W.grad, [[[[12, 16], [24, 28]]]])
    np.testing.assert_array_equal(conv.b.grad, [4])
    # dx[i, j] = Σ of the weights that touched x[i, j]: a corner is touched by one weight,
    # x[0,1] by w00 + w01 = 3, x[1,0] by w00 + w10 = 4, the centre by all four = 10, ...
    np.testing.assert_array_equal(dx, [[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]])


def test_known_answer_padding_and_stride() -> None:
    # Ones kernel 3×3, padding 1, stride 2 on the 3×3 image above: outputs at the corners
    # (0,0) and (0,2), (2,0), (2,2) of the padded grid sum the 2×2 image corners.
    conv = Conv2D(1, 1, 3, stride=2, padding=1, bias=False, init="zeros", dtype=np.float64)
    conv.W.assign(np.ones((1, 1, 3, 3)))
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    y = conv.forward(x)
    # top-left: 1+2+4+5 = 12; top-right: 2+3+5+6 = 16; bottom-left: 24; bottom-right: 28
    np.testing.assert_array_equal(y, [[[[12, 16], [24, 28]]]])
    dx = conv.backward(np.ones((1, 1, 2, 2)))
    # The middle row and column lie in both windows of their axis: counts 1 2 1 / 2 4 2 / 1 2 1
    np.testing.assert_array_equal(dx, [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]])


def test_bias_gradient_with_several_input_channels() -> None:
    # dL/db[f] sums dL/dy over batch, rows and columns of output channel f only; the
    # number of input channels must not enter (the classic from-scratch bug).
    rng = np.random.default_rng(1)
    conv = Conv2D(3, 4, 3, padding=1, rng=1, dtype=np.float64)
    x = rng.standard_normal((2, 3, 5, 5))
    g = rng.standard_normal(conv.forward(x).shape)
    conv.backward(g)
    np.testing.assert_allclose(conv.b.grad, g.sum(axis=(0, 2, 3)), rtol=1e-12)


def test_gradients_accumulate() -> None:
    rng = np.random.default_rng(2)
    conv = Conv2D(2, 3, 2, rng=0, dtype=np.float64)
    x = rng.standard_normal((2, 2, 4, 4))
    g = rng.standard_normal(conv.forward(x).shape)
    conv.backward(g)
    once = [p.grad.copy() for p in conv.parameters()]
    conv.backward(g)
    for p, first in zip(conv.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, 2 * first)


# -- finite differences ----------------------------------------------------------------------


def _random_config(rng: np.random.Generator, max_hw: int) -> tuple[dict, tuple[int, ...]]:
    kh, kw = (int(k) for k in rng.integers(1, 4, size=2))
    if rng.random() < 0.2:
        stride, padding = (1, 1), "same"
        ph = pw = 1
    else:
        stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
        ph, pw = (int(p) for p in rng.integers(0, 3, size=2))
        padding = (ph, pw)
    h = int(rng.integers(max(1, kh - 2 * ph), max_hw + 1))
    w = int(rng.integers(max(1, kw - 2 * pw), max_hw + 1))
    c_in, c_out, n = (int(v) for v in rng.integers(1, 4, size=3))
    config = dict(in_channels=c_in, out_channels=c_out, kernel_size=(kh, kw), stride=stride,
                  padding=padding)
    return config, (n, c_in, h, w)


def _check_config(seed: int, max_hw: int) -> float:
    rng = np.random.default_rng(seed)
    config, shape = _random_config(rng, max_hw)
    conv = Conv2D(**config, bias_init="he_uniform", rng=seed, dtype=np.float64)
    result = gradcheck(conv, rng.standard_normal(shape), rng=seed)
    assert set(result.errors) == {"x", "W", "b"}
    assert result.max_rel_error < 1e-6, f"{conv} on {shape}:\n{result}"
    return result.max_rel_error


@pytest.mark.parametrize("seed", range(12))
def test_gradcheck_random_configs(seed: int) -> None:
    _check_config(seed, max_hw=5)


@pytest.mark.parametrize(
    ("config", "shape"),
    [
        # several input channels, non-square kernel, stride 2 and 3, odd sizes, batch 1
        (dict(in_channels=3, out_channels=2, kernel_size=(2, 3), stride=(2, 3), padding=(1, 2)),
         (1, 3, 7, 5)),
        (dict(in_channels=4, out_channels=3, kernel_size=3, stride=1, padding="same"),
         (2, 4, 5, 4)),
        (dict(in_channels=2, out_channels=2, kernel_size=(2, 4), padding="same"), (1, 2, 3, 5)),
        (dict(in_channels=2, out_channels=1, kernel_size=1, stride=2), (3, 2, 5, 5)),
        (dict(in_channels=1, out_channels=3, kernel_size=(3, 1), stride=(1, 2), padding=2),
         (2, 1, 1, 3)),
    ],
)
def test_gradcheck_chosen_configs(config: dict, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    conv = Conv2D(**config, bias_init="he_uniform", rng=0, dtype=np.float64)
    gradcheck(conv, rng.standard_normal(shape), raise_on_failure=True)


def test_gradcheck_without_bias() -> None:
    conv = Conv2D(2, 3, 3, padding=1, bias=False, rng=0, dtype=np.float64)
    result = gradcheck(conv, np.random.default_rng(0).standard_normal((2, 2, 4, 3)))
    assert set(result.errors) == {"x", "W"}
    assert result.passed, str(result)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 160))
def test_gradcheck_random_configs_slow(seed: int) -> None:
    _check_config(seed, max_hw=9)


# -- shapes, layout and dtypes ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_output_shape_matches_forward(seed: int) -> None:
    rng = np.random.default_rng(seed)
    config, shape = _random_config(rng, max_hw=9)
    conv = Conv2D(**config, rng=0)
    y = conv.forward(np.zeros(shape, dtype=np.float32))
    assert conv.output_shape(shape[1:]) == y.shape[1:]
    assert conv.output_shape((shape[1], None, shape[3]))[::2] == (y.shape[1], y.shape[3])


@pytest.mark.parametrize("kernel", [2, 3, 4, (2, 5)])
def test_same_padding_keeps_size(kernel: int | tuple[int, int]) -> None:
    conv = Conv2D(2, 3, kernel, padding="same", rng=0)
    assert conv.forward(np.ones((2, 2, 7, 6), dtype=np.float32)).shape == (2, 3, 7, 6)


def test_valid_padding_is_zero() -> None:
    conv = Conv2D(1, 1, 3, padding="valid")
    assert conv.padding == (0, 0)
    assert conv.forward(np.zeros((1, 1, 5, 5), dtype=np.float32)).shape == (1, 1, 3, 3)


def test_result_does_not_depend_on_input_memory_layout() -> None:
    rng = np.random.default_rng(3)
    conv = Conv2D(3, 2, 3, stride=2, padding=1, rng=0, dtype=np.float64)
    x = rng.standard_normal((4, 3, 7, 6))
    g = rng.standard_normal((4, 2, 4, 3))
    y1, dx1 = conv.forward(x).copy(), conv.backward(g).copy()
    x_f = np.asfortranarray(x)
    g_batch_last = np.moveaxis(np.ascontiguousarray(np.moveaxis(g, 0, -1)), -1, 0)
    y2, dx2 = conv.forward(x_f), conv.backward(g_batch_last)
    np.testing.assert_allclose(y2, y1, rtol=1e-14)
    np.testing.assert_allclose(dx2, dx1, rtol=1e-14)


def test_float32_stays_float32() -> None:
    conv = Conv2D(2, 4, 3, padding=1, rng=0)
    assert conv.W.dtype == np.float32 and conv.b.dtype == np.float32
    for x in (np.ones((2, 2, 5, 5), dtype=np.float32), np.ones((2, 2, 5, 5)),
              np.ones((2, 2, 5, 5), dtype=np.uint8)):
        y = conv.forward(x)
        assert y.dtype == np.float32
        dx = conv.backward(np.ones(y.shape))  # a float64 gradient is not promoted either
        assert dx.dtype == np.float32
        assert conv.W.grad.dtype == np.float32 and conv.b.grad.dtype == np.float32


def test_float64_parameters() -> None:
    conv = Conv2D(1, 1, 2, dtype=np.float64)
    assert conv.forward(np.ones((1, 1, 3, 3), dtype=np.float32)).dtype == np.float64


def test_initialisation_fans_and_rng() -> None:
    conv = Conv2D(16, 32, 3, rng=0)
    bound = np.sqrt(6 / (16 * 9))  # He uniform with fan_in = in·kH·kW
    assert np.abs(conv.W.data).max() <= bound
    assert np.abs(conv.W.data).max() > 0.9 * bound
    assert np.all(conv.b.data == 0)
    np.testing.assert_array_equal(conv.W.data, Conv2D(16, 32, 3, rng=0).W.data)
    torch_like = Conv2D(16, 32, 3, init="torch", rng=0)
    assert np.abs(torch_like.W.data).max() <= 1 / np.sqrt(16 * 9)


def test_parameters_named_like_dense() -> None:
    conv = Conv2D(3, 5, (2, 3))
    assert [p.name for p in conv.parameters()] == ["W", "b"]
    assert conv.W.shape == (5, 3, 2, 3) and conv.b.shape == (5,)
    assert [p.name for p in Conv2D(3, 5, 2, bias=False).parameters()] == ["W"]


# -- description -----------------------------------------------------------------------------


def test_repr() -> None:
    assert repr(Conv2D(1, 16, 3, padding=1)) == "Conv2D(1→16, 3×3, stride=1, pad=1)"
    assert repr(Conv2D(3, 8, (2, 3), stride=(1, 2), padding=(0, 1))) == (
        "Conv2D(3→8, 2×3, stride=(1, 2), pad=(0, 1))"
    )
    assert repr(Conv2D(2, 2, 4, padding="same")) == "Conv2D(2→2, 4×4, stride=1, pad='same')"


@pytest.mark.parametrize("padding", [0, 2, (1, 0), "same", "valid"])
def test_config_round_trip_through_json(padding: int | tuple[int, int] | str) -> None:
    conv = Conv2D(3, 4, (3, 2), padding=padding, bias=False)
    config = json.loads(json.dumps(conv.get_config()))
    assert LAYER_REGISTRY["Conv2D"] is Conv2D
    rebuilt = LAYER_REGISTRY["Conv2D"].from_config(config)
    assert repr(rebuilt) == repr(conv)
    assert rebuilt.get_config() == conv.get_config()
    assert rebuilt.W.shape == conv.W.shape and rebuilt.b is None


# -- errors ----------------------------------------------------------------------------------


def test_error_for_3d_input_says_how_to_convert() -> None:
    conv = Conv2D(1, 16, 3)
    with pytest.raises(ValueError) as info:
        conv.forward(np.zeros((32, 28, 28), dtype=np.float32))
    message = str(info.value)
    assert message.startswith("Conv2D(1→16, 3×3, stride=1, pad=0): expected input of shape "
                              "(N, 1, H, W), got (32, 28, 28)")
    assert "to_nchw" in message


def test_error_for_wrong_channel_count() -> None:
    expected = r"expected input of shape \(N, 3, H, W\), got \(2, 1, 8, 8\)"
    with pytest.raises(ValueError, match=expected):
        Conv2D(3, 4, 3).forward(np.zeros((2, 1, 8, 8)))


def test_error_for_channels_last_images() -> None:
    with pytest.raises(ValueError, match="to_nchw"):
        Conv2D(3, 4, 3).forward(np.zeros((2, 8, 8, 3)))


def test_error_when_kernel_larger_than_padded_input() -> None:
    expected = r"kernel height 5 is larger than the padded input height 4 \(2 rows \+ 2 padding\)"
    with pytest.raises(ValueError, match=expected):
        Conv2D(1, 1, 5, padding=1).forward(np.zeros((1, 1, 2, 9)))
    with pytest.raises(ValueError, match=r"kernel width 3 is larger"):
        Conv2D(1, 1, (1, 3)).output_shape((1, 4, 2))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(kernel_size=0), r"kernel_size must be a positive integer or a pair of them, got 0"),
        (dict(kernel_size=(3, 0)), r"kernel_size .* got \(3, 0\)"),
        (dict(kernel_size=2.5), r"kernel_size .* got 2.5"),
        (dict(kernel_size=(1, 2, 3)), r"kernel_size .* got \(1, 2, 3\)"),
        (dict(kernel_size=3, stride=0), r"stride must be a positive integer .* got 0"),
        (dict(kernel_size=3, padding=-1), r"padding must be an integer >= 0 .* got -1"),
        (dict(kernel_size=3, padding=(1, -2)), r"padding .* got \(1, -2\)"),
        (dict(kernel_size=3, padding="full"), r"padding must be .* 'same' or 'valid', got 'full'"),
        (dict(kernel_size=3, stride=2, padding="same"),
         r"padding='same' needs stride=1, got stride=2"),
        (dict(kernel_size=3, in_channels=0), r"in_channels must be a positive integer, got 0"),
        (dict(kernel_size=3, out_channels=True),
         r"out_channels must be a positive integer, got True"),
    ],
)
def test_constructor_errors(kwargs: dict, match: str) -> None:
    args = dict(in_channels=1, out_channels=2) | kwargs
    with pytest.raises(ValueError, match=match):
        Conv2D(**args)


def test_backward_before_forward() -> None:
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        Conv2D(1, 1, 3).backward(np.zeros((1, 1, 1, 1)))


def test_backward_checks_grad_shape() -> None:
    conv = Conv2D(1, 2, 3)
    conv.forward(np.zeros((2, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"expected grad_out of shape \(2, 2, 3, 3\)"):
        conv.backward(np.zeros((2, 2, 5, 5)))


# -- to_nchw ---------------------------------------------------------------------------------


def test_to_nchw() -> None:
    grey = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    np.testing.assert_array_equal(to_nchw(grey)[:, 0], grey)
    rgb = np.arange(2 * 3 * 4 * 3).reshape(2, 3, 4, 3)  # (N, H, W, C)
    nchw = to_nchw(rgb)
    assert nchw.shape == (2, 3, 3, 4)
    assert nchw[1, 2, 0, 3] == rgb[1, 0, 3, 2]
    assert to_nchw(nchw, channels_last=False) is nchw
    assert np.shares_memory(nchw, rgb)  # a view, no copy
    with pytest.raises(ValueError, match=r"expected images of shape \(N, H, W\) or \(N, H, W, C\)"):
        to_nchw(np.zeros((3, 4)))


def test_to_nchw_feeds_conv() -> None:
    images = np.random.default_rng(0).random((4, 9, 9, 3)).astype(np.float32)
    conv = Conv2D(3, 2, 3, rng=0)
    y = conv.forward(to_nchw(images))
    assert y.shape == (4, 2, 7, 7)
    # output pixel (n=1, f=0, i=2, j=5) by its definition, from the channels-last array
    patch = images[1, 2:5, 5:8, :]  # (kH, kW, C)
    expected = np.einsum("uvc,cuv->", patch, conv.W.data[0]) + conv.b.data[0]
    np.testing.assert_allclose(y[1, 0, 2, 5], expected, rtol=1e-5)
