"""Every kernel against its plain reference: many shapes, odd sizes, ties, both dtypes.

A kernel's fast form may reorder sums (a GEMM, a different pass order), so values agree
to a few roundings; the maxima and which input wins a tie agree exactly.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nnscratch import Parameter, kernels
from nnscratch.kernels import reference_mode

DTYPES = [np.float32, np.float64]


def tol(dtype) -> dict[str, float]:
    return {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12,
                                                                     "atol": 1e-12}


def both(fn, *args):
    """(fast result, reference result) of a kernel on the same arguments."""
    with reference_mode(False):
        fast = fn(*args)
    with reference_mode():
        ref = fn(*args)
    return fast, ref


def batch_last(x: np.ndarray) -> np.ndarray:
    """The same values as an NCHW view of (C, H, W, N) memory, as the conv kernels give."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def test_switch_and_context_manager():
    assert not kernels.is_reference()
    with reference_mode():
        assert kernels.is_reference()
        with reference_mode(False):
            assert not kernels.is_reference()
        assert kernels.is_reference()
    assert not kernels.is_reference()
    assert kernels.set_reference(True) is False
    assert kernels.set_reference(False) is True


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (4, 3, 5, 6), (2, 1, 1, 1)])
@pytest.mark.parametrize("layout", ["C", "F", "batch-last", "strided"])
def test_relu_forward(dtype, shape, layout):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x[..., 0] = 0.0  # the kink itself
    x = {"C": x, "F": np.asfortranarray(x), "strided": x[::2],
         "batch-last": batch_last(x) if x.ndim == 4 else x}[layout]
    fast, ref = both(kernels.relu_forward, x)
    np.testing.assert_array_equal(fast, ref)
    assert fast.dtype == ref.dtype == dtype


def pool_configs():
    # (N, C, H, W), kernel, stride, padding: tiling, odd sizes, overlaps, padding, 1×1
    sizes = [(1, 1, 4, 4), (2, 3, 5, 7), (3, 2, 6, 6), (1, 4, 9, 8)]
    geometry = [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 2), (1, 0)),
                ((2, 3), (3, 1), (0, 1)), ((1, 1), (1, 1), (0, 0)), ((3, 3), (1, 1), (0, 0))]
    return [(s, *g) for s, g in itertools.product(sizes, geometry)
            if s[2] + 2 * g[2][0] >= g[0][0] and s[3] + 2 * g[2][1] >= g[0][1]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), pool_configs())
@pytest.mark.parametrize("ties", [False, True])
def test_maxpool2d(dtype, shape, kernel, stride, padding, ties):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    if ties:  # few distinct values: most windows hold their maximum more than once
        x = np.round(x).clip(0, 1)
    (y, arg), (y_ref, arg_ref) = both(kernels.maxpool2d_forward, x, kernel, stride, padding)
    np.testing.assert_array_equal(y, y_ref)
    g = rng.standard_normal(y.shape).astype(dtype)
    with reference_mode(False):
        dx = kernels.maxpool2d_backward(g, arg, shape, kernel, stride, padding)
    with reference_mode():
        dx_ref = kernels.maxpool2d_backward(g, arg_ref, shape, kernel, stride, padding)
    # each dL/dy goes to one input (the same one both ways); overlaps add in either order
    np.testing.assert_allclose(dx, dx_ref, **tol(dtype))
    assert dx.shape == shape and dx.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), pool_configs())
def test_avgpool2d(dtype, shape, kernel, stride, padding):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(dtype)
    y, y_ref = both(kernels.avgpool2d_forward, x, kernel, stride, padding)
    np.testing.assert_allclose(y, y_ref, **tol(dtype))
    g = rng.standard_normal(y.shape).astype(dtype)
    dx, dx_ref = both(kernels.avgpool2d_backward, g, shape, kernel, stride, padding)
    np.testing.assert_allclose(dx, dx_ref, **tol(dtype))
    assert y.dtype == dx.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 5, 7), (4, 2, 6, 6)])
def test_global_avgpool2d_backward(dtype, shape):
    g = np.random.default_rng(3).standard_normal(shape[:2]).astype(dtype)
    dx, dx_ref = both(kernels.global_avgpool2d_backward, g, shape)
    np.testing.assert_allclose(dx, dx_ref, **tol(dtype))


def conv_configs():
    # (N, C, H, W), kernel, stride, pads (top, bottom, left, right)
    return [((1, 1, 3, 3), (2, 2), (1, 1), (0, 0, 0, 0)),
            ((2, 3, 5, 7), (3, 3), (1, 1), (1, 1, 1, 1)),
            ((3, 2, 8, 6), (3, 2), (2, 1), (1, 0, 0, 1)),
            ((1, 4, 7, 9), (5, 3), (2, 3), (2, 2, 1, 1)),
            ((2, 2, 4, 4), (1, 1), (1, 1), (0, 0, 0, 0)),
            ((2, 1, 6, 5), (2, 2), (1, 1), (0, 1, 0, 1))]  # 'same' for an even kernel


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "kernel", "stride", "pads"), conv_configs())
@pytest.mark.parametrize("bias", [True, False])
def test_conv_kernels(dtype, shape, kernel, stride, pads, bias):
    """im2col, the GEMM with its bias, the reshape to images and back, col2im and the
    parameter gradients, as Conv2D chains them."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(dtype)
    F = 3
    K = shape[1] * kernel[0] * kernel[1]
    w = rng.standard_normal((F, K)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype) if bias else None

    def chain():
        cols = kernels.im2col(x, kernel, stride, pads)  # (K, M)
        M = cols.shape[1]
        N, Ho = shape[0], (shape[2] + pads[0] + pads[1] - kernel[0]) // stride[0] + 1
        y = kernels.cols_to_images(kernels.bias_matmul(w, b, cols), (N, F, Ho, M // N // Ho))
        g = np.cos(np.arange(y.size, dtype=dtype)).reshape(y.shape)  # dL/dy, any values
        G = kernels.images_to_cols(g)
        pw = Parameter(np.zeros((F, K), dtype))
        pb = Parameter(np.zeros(F, dtype)) if bias else None
        for p in (pw, pb):
            if p is not None:
                p.zero_grad()
        kernels.bias_matmul_grads(pw, pb, G, cols)
        kernels.bias_matmul_grads(pw, pb, G, cols)  # accumulates: twice the gradient
        dx = kernels.col2im(w.T @ G, shape, kernel, stride, pads)
        return np.array(y), pw.grad.copy(), None if pb is None else pb.grad.copy(), dx

    fast, ref = both(chain)
    for a, r in zip(fast, ref, strict=True):
        if r is not None:
            np.testing.assert_allclose(a, r, **tol(dtype))
    assert fast[0].dtype == fast[3].dtype == dtype and fast[3].shape == shape


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "k"), [(1, 1), (1, 4), (7, 3), (64, 10)])
@pytest.mark.parametrize("targets", ["labels", "one-hot", "probabilities"])
def test_softmax_cross_entropy(dtype, n, k, targets):
    rng = np.random.default_rng(5)
    z = (rng.standard_normal((n, k)) * 10).astype(dtype)
    z[0] = 1e4  # huge and tied logits
    labels = rng.integers(0, k, n)
    y = {"labels": labels, "one-hot": np.eye(k, dtype=dtype)[labels],
         "probabilities": rng.dirichlet(np.ones(k), n).astype(dtype)}[targets]
    (loss, p), (loss_ref, p_ref) = both(kernels.softmax_cross_entropy, z, y)
    np.testing.assert_allclose(loss, loss_ref, **tol(dtype))
    np.testing.assert_allclose(p, p_ref, **tol(dtype))
    p_before = p.copy()
    grad, grad_ref = both(kernels.softmax_cross_entropy_backward, p, y)
    np.testing.assert_allclose(grad, grad_ref, **tol(dtype))
    np.testing.assert_array_equal(p, p_before)  # backward leaves softmax(z) intact
    assert grad.dtype == p.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("m", "n", "k"), [(1, 1, 1), (5, 1, 3), (7, 4, 9), (64, 33, 17)])
def test_matmul_and_sum_into_grad(dtype, m, n, k):
    """After zero_grad (written, not added) and when accumulating."""
    rng = np.random.default_rng(6)
    a = rng.standard_normal((m, n)).astype(dtype)
    b = rng.standard_normal((n, k)).astype(dtype)

    def run():
        pw, pb = Parameter(np.ones((m, k), dtype)), Parameter(np.ones(k, dtype))
        out = []
        for zero in (True, False):
            if zero:
                pw.zero_grad()
                pb.zero_grad()
            kernels.matmul_into_grad(pw, a, b)
            kernels.sum_into_grad(pb, b, axis=0)
            out += [pw.grad.copy(), pb.grad.copy()]
        return out

    fast, ref = both(run)
    for a_, r_ in zip(fast, ref, strict=True):
        np.testing.assert_allclose(a_, r_, **tol(dtype))
    np.testing.assert_allclose(ref[0], a @ b, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1,), (7,), (784, 128), (3, 4, 5)])
def test_sgd_update(dtype, shape):
    rng = np.random.default_rng(7)
    p0 = rng.standard_normal(shape).astype(dtype)
    d = rng.standard_normal(shape).astype(dtype)

    def run():
        p = p0.copy()
        kernels.sgd_update(p, d, 0.05, np.empty_like(p))
        return p

    fast, ref = both(run)
    np.testing.assert_allclose(fast, ref, **tol(dtype))
    np.testing.assert_allclose(ref, p0 - dtype(0.05) * d, **tol(dtype))
    assert fast.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1,), (7,), (784, 128), (3, 4, 5)])
def test_sgd_update_through_blas_and_numpy_agree(dtype, shape):
    from nnscratch.kernels import _axpy

    rng = np.random.default_rng(8)
    p0 = rng.standard_normal(shape).astype(dtype)
    d = rng.standard_normal(shape).astype(dtype)
    p_blas, p_numpy, cache = p0.copy(), p0.copy(), {}
    for _ in range(3):                       # the cached call is reused, not rebuilt
        kernels.sgd_update(p_blas, d, 0.05, np.empty_like(p0), cache)
        kernels.sgd_update(p_numpy, d, 0.05, np.empty_like(p0))
    np.testing.assert_allclose(p_blas, p_numpy, **tol(dtype))
    assert (cache["_axpy"][2] is not None) == (_axpy.backend(dtype) == "blas")
    strided = p0.copy().T                    # not C-contiguous: NumPy does it
    kernels.sgd_update(strided, np.ascontiguousarray(d.T), 0.05, np.empty_like(strided), {})
    np.testing.assert_allclose(strided, (p0 - dtype(0.05) * d).T, **tol(dtype))


def test_blas_axpy_is_found_in_numpys_own_blas_and_can_be_switched_off():
    import subprocess
    import sys

    from nnscratch.kernels import _axpy

    code = "from nnscratch.kernels import _axpy; print(_axpy.backend())"
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "NNSCRATCH_BLAS_AXPY": "0"})
    assert off.stdout.strip() == "numpy", off.stderr
    if sys.platform.startswith("linux"):     # NumPy's wheels link OpenBLAS there
        assert _axpy.backend(np.float32) == _axpy.backend(np.float64) == "blas"


def _train_sgd(dtype, momentum: float) -> list[np.ndarray]:
    from nnscratch import SGD, Dense, ReLU, Sequential, SoftmaxCrossEntropy

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 20)).astype(dtype)
    y = rng.integers(0, 4, 32)
    model = Sequential(Dense(20, 16, rng=1), ReLU(), Dense(16, 4, rng=2), dtype=dtype)
    model.use(SoftmaxCrossEntropy(), SGD(0.1, momentum=momentum))
    model.fit(x, y, epochs=5, batch_size=8, seed=3, verbose=0)
    return [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_trains_the_same_parameters_on_both_paths(dtype, momentum):
    fast, ref = both(_train_sgd, dtype, momentum)
    for a, r in zip(fast, ref, strict=True):
        np.testing.assert_allclose(a, r, **tol(dtype))


def test_sgd_update_follows_a_replaced_parameter_array():
    # rebinding data (astype, a user's assignment) must update the new array, not the old
    from nnscratch import SGD, Dense, Sequential

    model = Sequential(Dense(3, 2, rng=0)).use("mse", SGD(0.5))
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    model.fit(x, y, batch_size=4, verbose=0)
    W = model.layers[0].W
    old = W.data
    W.data = W.data.copy()
    before = W.data.copy()
    model.fit(x, y, batch_size=4, verbose=0)
    assert not np.array_equal(W.data, before)  # the new array was updated
    np.testing.assert_array_equal(old, before)  # the old one was left alone
