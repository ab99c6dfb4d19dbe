"""Layers, losses and training against PyTorch, the gold reference.

Every layer and loss is run on 20 seeded random shapes in both libraries, and outputs,
input gradients and parameter gradients are compared: relative error < 1e-6 in float64
and < 1e-4 in float32. Then small MLPs are trained through ``Sequential.fit`` with SGD and
every weight is compared with the same steps taken in torch (< 1e-6 in float64).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from activation_cases import ACTIVATION_CASES
from nnscratch import Sequential, to_torch
from nnscratch.layers import Dense, Layer
from nnscratch.losses import (
    MSE,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    SoftmaxCrossEntropy,
    SumSquaredError,
)

pytestmark = pytest.mark.torch

N_SHAPES = 20
TOL = {np.float64: 1e-6, np.float32: 1e-4}
DTYPES = [np.float64, np.float32]
DTYPE_IDS = ["float64", "float32"]


@pytest.fixture(autouse=True)
def _one_thread(torch):
    # other work shares the machine, and one thread keeps torch's float sums deterministic
    torch.set_num_threads(1)


def rel_error(ours: Any, ref: Any) -> float:
    """max |ours − ref| / max |ref|: the worst entry relative to the array's scale.

    Exact zero when both are zero (ReLU of negatives, a label-free gradient column).
    """
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(ref.detach().numpy() if hasattr(ref, "detach") else ref, dtype=np.float64)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    scale = np.abs(b).max() if b.size else 0.0
    diff = np.abs(a - b).max() if a.size else 0.0
    if scale == 0.0:
        return float(diff)
    return float(diff / scale)


def _tensor(torch: Any, array: np.ndarray, grad: bool = False) -> Any:
    return torch.tensor(np.ascontiguousarray(array), requires_grad=grad)


# -- layers --------------------------------------------------------------------------------------

def compare_dense(torch: Any, seed: int, dtype: type) -> dict[str, float]:
    """Dense against ``F.linear``; our W is (in, out), torch's weight (out, in)."""
    g = np.random.default_rng(seed)
    n, d_in, d_out = (int(v) for v in g.integers(1, [17, 21, 21]))
    bias = seed % 4 != 3  # every fourth shape without bias
    layer = Dense(d_in, d_out, bias=bias, rng=seed, dtype=dtype)
    if layer.b is not None:
        layer.b.data[:] = g.normal(size=d_out)
    x = g.normal(size=(n, d_in)).astype(dtype)  # (N, in)
    G = g.normal(size=(n, d_out)).astype(dtype)  # dL/dy, (N, out)

    y = layer.forward(x)
    dx = layer.backward(G)

    tx = _tensor(torch, x, grad=True)
    tW = _tensor(torch, layer.W.data.T, grad=True)  # (out, in)
    tb = _tensor(torch, layer.b.data, grad=True) if layer.b is not None else None
    ty = torch.nn.functional.linear(tx, tW, tb)
    ty.backward(_tensor(torch, G))
    errors = {
        "y": rel_error(y, ty),
        "dx": rel_error(dx, tx.grad),
        "dW": rel_error(layer.W.grad, tW.grad.T),
    }
    if layer.b is not None:
        errors["db"] = rel_error(layer.b.grad, tb.grad)
    assert y.dtype == dtype and dx.dtype == dtype and layer.W.grad.dtype == dtype
    return errors


def compare_activation(torch: Any, name: str, seed: int, dtype: type) -> dict[str, float]:
    make, reference = ACTIVATION_CASES[name]
    g = np.random.default_rng(seed)
    n, d = (int(v) for v in g.integers(1, [17, 21]))
    x = g.normal(scale=3.0, size=(n, d)).astype(dtype)
    G = g.normal(size=(n, d)).astype(dtype)
    layer = make()
    y = layer.forward(x)
    dx = layer.backward(G)
    tx = _tensor(torch, x, grad=True)
    ty = reference(torch)(tx)
    ty.backward(_tensor(torch, G))
    assert y.dtype == dtype and dx.dtype == dtype
    return {"y": rel_error(y, ty), "dx": rel_error(dx, tx.grad)}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_dense_matches_torch(torch, dtype):
    for seed in range(N_SHAPES):
        errors = compare_dense(torch, seed, dtype)
        assert max(errors.values()) < TOL[dtype], f"shape seed {seed}: {errors}"


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(ACTIVATION_CASES))
def test_activation_matches_torch(torch, name, dtype):
    for seed in range(N_SHAPES):
        errors = compare_activation(torch, name, seed, dtype)
        assert max(errors.values()) < TOL[dtype], f"{name}, shape seed {seed}: {errors}"


# -- losses --------------------------------------------------------------------------------------

def _softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def loss_case(torch: Any, name: str, seed: int, dtype: type
              ) -> tuple[Loss, np.ndarray, np.ndarray, Callable[[Any], Any]]:
    """(our loss, prediction, target, torch function of the prediction tensor)."""
    F = torch.nn.functional
    g = np.random.default_rng(seed)
    n, k = (int(v) for v in g.integers([1, 2], [17, 11]))
    labels = g.integers(0, k, size=n)
    onehot = np.eye(k, dtype=dtype)[labels]
    if name in ("mse", "sse"):
        pred = g.normal(size=(n, k)).astype(dtype)
        target = g.normal(size=(n, k)).astype(dtype)
        reduction = "mean" if name == "mse" else "sum"
        loss: Loss = MSE() if name == "mse" else SumSquaredError()
        return loss, pred, target, lambda p: F.mse_loss(p, _tensor(torch, target),
                                                        reduction=reduction)
    if name.startswith("bce"):
        pred = g.uniform(0.02, 0.98, size=(n, k)).astype(dtype)  # away from the clips
        target = (g.integers(0, 2, size=(n, k)) if name == "bce"
                  else g.uniform(0, 1, size=(n, k))).astype(dtype)
        return BinaryCrossEntropy(), pred, target, \
            lambda p: F.binary_cross_entropy(p, _tensor(torch, target))
    if name.startswith("softmax_ce"):
        logits = g.normal(scale=3.0, size=(n, k)).astype(dtype)
        if name == "softmax_ce_labels":
            return SoftmaxCrossEntropy(), logits, labels, \
                lambda z: F.cross_entropy(z, _tensor(torch, labels))
        target = onehot if name == "softmax_ce_onehot" else \
            _softmax_rows(g.normal(size=(n, k))).astype(dtype)
        return SoftmaxCrossEntropy(), logits, target, \
            lambda z: F.cross_entropy(z, _tensor(torch, target))
    if name.startswith("categorical_ce"):
        probs = _softmax_rows(g.normal(size=(n, k))).astype(dtype)
        target = labels if name == "categorical_ce_labels" else onehot
        return CategoricalCrossEntropy(), probs, target, \
            lambda p: F.nll_loss(torch.log(p), _tensor(torch, labels))
    raise AssertionError(name)


LOSSES = ["mse", "sse", "bce", "bce_soft", "softmax_ce_labels", "softmax_ce_onehot",
          "softmax_ce_probabilities", "categorical_ce_labels", "categorical_ce_onehot"]


def compare_loss(torch: Any, name: str, seed: int, dtype: type) -> dict[str, float]:
    loss, pred, target, reference = loss_case(torch, name, seed, dtype)
    value = loss.forward(pred, target)
    grad = loss.backward()
    tp = _tensor(torch, pred, grad=True)
    tvalue = reference(tp)
    tvalue.backward()
    assert grad.dtype == dtype
    return {"loss": rel_error(value, tvalue), "dpred": rel_error(grad, tp.grad)}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", LOSSES)
def test_loss_matches_torch(torch, name, dtype):
    for seed in range(N_SHAPES):
        errors = compare_loss(torch, name, seed, dtype)
        assert max(errors.values()) < TOL[dtype], f"{name}, shape seed {seed}: {errors}"


# -- training through fit: every weight after K SGD steps -------------------------------------

TRAIN_TOL = 1e-6


def build_pair(torch: Any, sizes: list[int], activations: list[str], dtype: type, seed: int = 0
               ) -> tuple[list[Layer], Any, list[tuple[Dense, Any]]]:
    """Our layers, the equal ``torch.nn.Sequential`` (:func:`nnscratch.to_torch`) and the
    (Dense, nn.Linear) pairs.

    ``activations[i]`` follows the i-th Dense ("none" for a linear output).
    """
    gen = np.random.default_rng(seed + 1000)
    ours: list[Layer] = []
    references: dict[int, Any] = {}  # position -> the torch module the cases name
    for i, (d_in, d_out) in enumerate(itertools.pairwise(sizes)):
        dense = Dense(d_in, d_out, rng=seed + i, dtype=dtype)
        dense.b.data[:] = gen.normal(scale=0.3, size=d_out)  # non-zero biases
        ours.append(dense)
        if activations[i] != "none":
            make, reference = ACTIVATION_CASES[activations[i]]
            references[len(ours)] = reference(torch)
            ours.append(make())
    net = to_torch(ours)
    for j, module in references.items():
        assert repr(net[j]) == repr(module), (ours[j], net[j])
    pairs = [(layer, module) for layer, module in zip(ours, net, strict=True)
             if isinstance(layer, Dense)]
    return ours, net, pairs


def weight_errors(pairs: list[tuple[Dense, Any]]) -> dict[str, float]:
    errors = {}
    for i, (dense, linear) in enumerate(pairs):
        errors[f"layer{i}.W"] = rel_error(dense.W.data, linear.weight.T)
        errors[f"layer{i}.b"] = rel_error(dense.b.data, linear.bias)
    return errors


TRAIN_CASES: dict[str, dict[str, Any]] = {
    # a 6-8-5-3 classifier with tanh and relu on logits, integer labels
    "softmax_ce_labels": {"sizes": [6, 8, 5, 3], "acts": ["tanh", "relu", "none"],
                          "loss": "softmax_ce", "targets": "labels"},
    "softmax_ce_onehot": {"sizes": [6, 8, 5, 3], "acts": ["tanh", "relu", "none"],
                          "loss": "softmax_ce", "targets": "onehot"},
    # a 4-6-2 sigmoid regression network with mean squared error
    "mse_sigmoid": {"sizes": [4, 6, 2], "acts": ["sigmoid", "sigmoid"],
                    "loss": "mse", "targets": "unit"},
    # one sigmoid output with binary cross-entropy on (N,) 0/1 targets
    "bce_sigmoid": {"sizes": [5, 7, 1], "acts": ["tanh", "sigmoid"],
                    "loss": "bce", "targets": "binary"},
}


def train_case(torch: Any, case: str, dtype: type, epochs: int, batch_size: int | None,
               n: int = 10, seed: int = 0) -> tuple[dict[str, float], float, float]:
    """Train ours through ``fit`` and torch by hand on the same batches, in order.

    Returns the weight errors after training, the worst relative error of the per-step
    losses, and the smallest change of any layer's weights (equal weights because
    nothing moved would prove nothing).
    """
    spec = TRAIN_CASES[case]
    F = torch.nn.functional
    g = np.random.default_rng(seed + 7)
    sizes = spec["sizes"]
    x = g.normal(size=(n, sizes[0])).astype(dtype)
    k = sizes[-1]
    labels = g.integers(0, k, size=n)
    if spec["targets"] == "labels":
        y: np.ndarray = labels
    elif spec["targets"] == "onehot":
        y = np.eye(k, dtype=dtype)[labels]
    elif spec["targets"] == "unit":
        y = g.uniform(0, 1, size=(n, k)).astype(dtype)
    else:
        y = g.integers(0, 2, size=n).astype(dtype)

    layers, net, pairs = build_pair(torch, sizes, spec["acts"], dtype, seed)
    loss = {"softmax_ce": SoftmaxCrossEntropy, "mse": MSE, "bce": BinaryCrossEntropy}[
        spec["loss"]]()
    model = Sequential(layers).use(loss)
    before = [dense.W.data.copy() for dense, _ in pairs]
    model.fit(x, y, epochs=epochs, batch_size=batch_size, learning_rate=0.1, shuffle=False,
              verbose=0)

    def sgd_step() -> None:
        # torch.optim.SGD's update without momentum, ``p.add_(p.grad, alpha=-lr)``, written
        # out: constructing the optimizer would import torch._dynamo (seconds) for one line
        # (test_torch_optim.py compares against torch.optim itself)
        with torch.no_grad():
            for p in net.parameters():
                p.add_(p.grad, alpha=-0.1)
                p.grad = None

    tx = _tensor(torch, x)
    ty = _tensor(torch, y if spec["targets"] != "binary" else y[:, None])
    bs = n if batch_size is None else batch_size
    torch_losses = []
    for _ in range(epochs):
        for start in range(0, n, bs):  # in order, the last partial batch kept
            xb, yb = tx[start:start + bs], ty[start:start + bs]
            out = net(xb)
            if spec["loss"] == "softmax_ce":
                value = F.cross_entropy(out, yb)
            elif spec["loss"] == "mse":
                value = F.mse_loss(out, yb)
            else:
                value = F.binary_cross_entropy(out, yb)
            value.backward()
            sgd_step()
            torch_losses.append(value.item())

    ours_losses = model.history.iteration_loss
    assert len(ours_losses) == len(torch_losses)
    loss_error = rel_error(np.array(ours_losses), np.array(torch_losses))
    moved = min(float(np.abs(dense.W.data - w0).max())
                for (dense, _), w0 in zip(pairs, before, strict=True))
    return weight_errors(pairs), loss_error, moved


@pytest.mark.parametrize("case", list(TRAIN_CASES))
def test_ten_full_batch_sgd_steps_match_torch(torch, case):
    errors, loss_error, moved = train_case(torch, case, np.float64, epochs=10,
                                           batch_size=None)
    assert max(errors.values()) < TRAIN_TOL, errors
    assert loss_error < TRAIN_TOL
    assert moved > 1e-3


@pytest.mark.parametrize("case", list(TRAIN_CASES))
def test_mini_batch_sgd_matches_torch(torch, case):
    # 10 samples in batches of 4: 4, 4, then the partial batch of 2; two epochs, 6 steps
    errors, loss_error, moved = train_case(torch, case, np.float64, epochs=2, batch_size=4)
    assert max(errors.values()) < TRAIN_TOL, errors
    assert loss_error < TRAIN_TOL
    assert moved > 1e-3


def test_ten_full_batch_sgd_steps_match_torch_float32(torch):
    errors, loss_error, _ = train_case(torch, "softmax_ce_labels", np.float32, epochs=10,
                                       batch_size=None)
    assert max(errors.values()) < TOL[np.float32], errors
    assert loss_error < TOL[np.float32]
