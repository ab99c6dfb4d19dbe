"""PyTorch as the gold reference for Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D and Flatten:
outputs, input gradients and parameter gradients over many seeded random configurations."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    ReLU,
    to_torch,
)

pytestmark = pytest.mark.torch

TOL = {np.float64: 1e-6, np.float32: 1e-4}
CONFIGS = range(60)


def rel_error(ours: np.ndarray, theirs) -> float:  # type: ignore[no-untyped-def]
    """‖ours − theirs‖ / ‖theirs‖ over the whole array (0 when both vanish)."""
    ref = theirs.detach().double().numpy()
    diff = np.linalg.norm(np.asarray(ours, dtype=np.float64) - ref)
    scale = np.linalg.norm(ref)
    return 0.0 if diff == 0 else float(diff / scale)


@pytest.fixture
def torch1(torch):  # type: ignore[no-untyped-def]
    """torch on one thread (its pool and OpenBLAS's need not fight during the tests)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def _conv_case(seed: int) -> tuple[dict, tuple[int, ...]]:
    rng = np.random.default_rng(seed)
    kh, kw = (int(k) for k in rng.integers(1, 5, size=2))
    if seed % 5 == 0:
        stride, padding = (1, 1), "same"
    else:
        stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
        padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    pad_h = kh - 1 if padding == "same" else 2 * padding[0]
    pad_w = kw - 1 if padding == "same" else 2 * padding[1]
    h = int(rng.integers(max(1, kh - pad_h), 13))
    w = int(rng.integers(max(1, kw - pad_w), 13))
    n, c_in, c_out = int(rng.integers(1, 5)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    return (dict(in_channels=c_in, out_channels=c_out, kernel_size=(kh, kw), stride=stride,
                 padding=padding), (n, c_in, h, w))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", CONFIGS)
def test_conv2d_matches_torch(torch1, seed: int, dtype: type) -> None:  # type: ignore[no-untyped-def]
    torch = torch1
    config, shape = _conv_case(seed)
    rng = np.random.default_rng(1000 + seed)
    conv = Conv2D(**config, bias=seed % 7 != 3, bias_init="he_uniform", rng=seed, dtype=dtype)
    x = rng.standard_normal(shape).astype(dtype)
    y = conv.forward(x)
    g = rng.standard_normal(y.shape).astype(dtype)
    dx = conv.backward(g)

    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(conv.W.data, requires_grad=True)
    bt = None if conv.b is None else torch.tensor(conv.b.data, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride=config["stride"],
                                    padding=config["padding"])
    yt.backward(torch.tensor(g))

    assert y.dtype == dtype and dx.dtype == dtype and conv.W.grad.dtype == dtype
    assert y.shape == tuple(yt.shape)
    errors = {"y": rel_error(y, yt), "dx": rel_error(dx, xt.grad),
              "dW": rel_error(conv.W.grad, wt.grad)}
    if bt is not None:
        errors["db"] = rel_error(conv.b.grad, bt.grad)
    assert max(errors.values()) < TOL[dtype], f"{conv} on {shape}: {errors}"


def _pool_case(seed: int) -> tuple[dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    kh, kw = (int(k) for k in rng.integers(1, 5, size=2))
    stride = None if seed % 4 == 0 else tuple(int(s) for s in rng.integers(1, 4, size=2))
    padding = (int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1)))
    h = int(rng.integers(max(1, kh - 2 * padding[0]), 13))
    w = int(rng.integers(max(1, kw - 2 * padding[1]), 13))
    shape = (int(rng.integers(1, 5)), int(rng.integers(1, 5)), h, w)
    kind = seed % 3
    if kind == 0:  # many exact ties: integers in {0, 1, 2}
        x = rng.integers(0, 3, size=shape).astype(np.float64)
    elif kind == 1:  # ReLU output: many zeros
        x = np.maximum(rng.standard_normal(shape), 0)
    else:
        x = rng.standard_normal(shape)
    return dict(kernel_size=(kh, kw), stride=stride, padding=padding), x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", CONFIGS)
@pytest.mark.parametrize("name", ["max", "avg"])
def test_pool2d_matches_torch(torch1, name: str, seed: int, dtype: type) -> None:  # type: ignore[no-untyped-def]
    torch = torch1
    config, x = _pool_case(seed)
    x = x.astype(dtype)
    pool = (MaxPool2D if name == "max" else AvgPool2D)(**config)
    y = pool.forward(x)
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(dtype)
    dx = pool.backward(g)

    xt = torch.tensor(x, requires_grad=True)
    fn = torch.nn.functional.max_pool2d if name == "max" else torch.nn.functional.avg_pool2d
    yt = fn(xt, config["kernel_size"], config["stride"], config["padding"])
    yt.backward(torch.tensor(g))

    assert y.dtype == dtype and dx.dtype == dtype and y.shape == tuple(yt.shape)
    errors = {"y": rel_error(y, yt), "dx": rel_error(dx, xt.grad)}
    assert max(errors.values()) < TOL[dtype], f"{pool} on {x.shape}: {errors}"
    if name == "max":  # ties or not, each window's gradient lands on exactly one input
        np.testing.assert_allclose(dx.sum(), g.sum(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_global_avgpool_matches_torch(torch1, dtype: type) -> None:  # type: ignore[no-untyped-def]
    torch = torch1
    rng = np.random.default_rng(0)
    for shape in [(1, 1, 1, 1), (2, 3, 5, 4), (4, 8, 7, 7)]:
        x = rng.standard_normal(shape).astype(dtype)
        pool = GlobalAvgPool2D()
        y = pool.forward(x)
        g = rng.standard_normal(y.shape).astype(dtype)
        dx = pool.backward(g)
        xt = torch.tensor(x, requires_grad=True)
        yt = xt.mean(dim=(2, 3))
        yt.backward(torch.tensor(g))
        assert max(rel_error(y, yt), rel_error(dx, xt.grad)) < TOL[dtype]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_small_cnn_matches_torch(torch1, dtype: type) -> None:  # type: ignore[no-untyped-def]
    """The Fashion-MNIST CNN shape in miniature: the layers hand each other batch-innermost
    views, and torch sees only plain NCHW tensors."""
    torch = torch1
    rng = np.random.default_rng(0)
    layers = [Conv2D(1, 4, 3, padding=1, bias_init="he_uniform", rng=1, dtype=dtype), ReLU(),
              MaxPool2D(2), Conv2D(4, 6, 3, padding=1, bias_init="he_uniform", rng=2, dtype=dtype),
              ReLU(), MaxPool2D(2), Flatten(), Dense(6 * 3 * 3, 5, rng=3, dtype=dtype)]
    x = np.maximum(rng.standard_normal((8, 1, 12, 13)), 0).astype(dtype)  # ties at zero
    out = x
    for layer in layers:
        out = layer.forward(out)
    g = rng.standard_normal(out.shape).astype(dtype)
    grad = g
    for layer in reversed(layers):
        grad = layer.backward(grad)

    net = to_torch(layers)  # Conv2d, ReLU, MaxPool2d, ..., Flatten, Linear
    assert [type(m).__name__ for m in net] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU",
                                               "MaxPool2d", "Flatten", "Linear"]
    xt = torch.tensor(x, requires_grad=True)
    yt = net(xt)
    yt.backward(torch.tensor(g))
    theirs = [p.grad for p in net.parameters()]
    theirs[-2] = theirs[-2].T  # Linear holds weight as (out, in), Dense W as (in, out)

    ours = [p.grad for layer in layers for p in layer.parameters()]
    errors = [rel_error(out, yt), rel_error(grad, xt.grad)]
    errors += [rel_error(a, t) for a, t in zip(ours, theirs, strict=True)]
    assert max(errors) < TOL[dtype], errors
