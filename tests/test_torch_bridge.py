"""The PyTorch bridge both ways: ``to_torch`` and ``from_torch`` give networks with equal
outputs and equal gradients (input and every parameter), and ``from_torch`` refuses, by
module and option, what nnscratch cannot compute.

Random networks (tests/network_cases.py) cover every layer kind, in float64 (< 1e-8
relative) and float32 (< 1e-4). Gradients are compared in training mode, so BatchNorm
uses the batch statistics and updates its running ones (compared too); Dropout layers are
put in evaluation mode one by one, which the bridge must carry over.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import nnscratch as nn
from network_cases import layer_kinds, random_network
from nnscratch.layers import LAYER_REGISTRY, BatchNorm1D, BatchNorm2D, Dense, Dropout, Layer
from nnscratch.torch_bridge import TO_TORCH

pytestmark = [pytest.mark.torch,
              pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")]

SEEDS = range(40)
TOL = {np.float64: 1e-8, np.float32: 1e-4}
WORST: dict[str, float] = {}


@pytest.fixture(autouse=True)
def _one_thread(torch):
    # other work shares the machine, and one thread keeps torch's float sums deterministic
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


#: Gradients are compared relative to their own scale, but at least this fraction of the
#: network's largest gradient: some vanish mathematically (a bias before BatchNorm, or
#: before a softmax over the axis it is constant along), leaving only rounding noise, which
#: in float32 is of the order of the other gradients' rounding.
FLOOR = {np.float64: 1e-3, np.float32: 1.0}


def array(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t, dtype=np.float64)


def rel_error(ours: Any, ref: Any, floor: float = 1e-300) -> float:
    """max |ours − ref| / max |ref|: the worst entry relative to the array's scale (or to
    ``floor`` where that is larger)."""
    a, b = array(ours), array(ref)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    return float(np.abs(a - b).max() / max(np.abs(b).max(), floor)) if a.size else 0.0


def param_pairs(model: Any, net: Any) -> list[tuple[str, np.ndarray, Any]]:
    """(name, our array, torch tensor) for every parameter and running statistic, in the
    torch layout (a Dense's W transposed)."""
    pairs = []
    for i, (layer, module) in enumerate(zip(model.layers, net, strict=True)):
        ours = layer.parameters()
        theirs = list(module.parameters())
        assert len(ours) == len(theirs), (layer, module)
        for p, t in zip(ours, theirs, strict=True):
            pairs.append((f"{i}.{p.name}", p, t))
        if isinstance(layer, (BatchNorm1D, BatchNorm2D)):
            pairs += [(f"{i}.running_mean", layer.running_mean, module.running_mean),
                      (f"{i}.running_var", layer.running_var, module.running_var)]
    return pairs


def _layout(layer_array: np.ndarray, name: str, layer: Layer) -> np.ndarray:
    return layer_array.T if isinstance(layer, Dense) and name.endswith(".W") else layer_array


def compare(torch: Any, model: Any, net: Any, x: np.ndarray, seed: int) -> dict[str, float]:
    """Errors of outputs, dL/dx and every parameter gradient after one training pass, and
    of the running statistics it updates."""
    model.zero_grad()
    y = model.forward(x)
    g = np.random.default_rng(seed + 1).standard_normal(y.shape)
    dx = model.backward(g.astype(y.dtype))
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = net(xt)
    yt.backward(torch.from_numpy(g.astype(y.dtype)))
    pairs = list(zip(param_pairs(model, net), _owners(model), strict=True))
    grads = [xt.grad] + [t.grad for (_, p, t), _ in pairs if not isinstance(p, np.ndarray)]
    floor = FLOOR[y.dtype.type] * max(np.abs(array(t)).max() for t in grads) + 1e-300
    errors = {"y": rel_error(y, yt), "dx": rel_error(dx, xt.grad, floor)}
    for (name, p, t), layer in pairs:
        if isinstance(p, np.ndarray):  # running statistics
            errors[name] = rel_error(p, t)
        else:
            errors[f"d{name}"] = rel_error(_layout(p.grad, name, layer), t.grad, floor)
    return errors


def _owners(model: Any) -> list[Layer]:
    """The layer of each entry of :func:`param_pairs`."""
    out = []
    for layer in model.layers:
        extra = 2 if isinstance(layer, (BatchNorm1D, BatchNorm2D)) else 0
        out += [layer] * (len(layer.parameters()) + extra)
    return out


def test_every_layer_kind_has_a_module() -> None:
    builtin = set(LAYER_REGISTRY.builtin_names())
    assert {cls.__name__ for cls in TO_TORCH} == builtin
    assert layer_kinds(SEEDS) == builtin


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("seed", SEEDS)
def test_to_torch_equal_outputs_and_gradients(torch, seed: int, dtype: type) -> None:
    model, shape = random_network(seed, dtype=dtype)
    x = np.random.default_rng(seed).standard_normal((4, *shape)).astype(dtype)
    net = nn.to_torch(model)
    assert all(not m.training for m in net)
    # evaluation mode: running statistics, no dropout
    errors = {"eval": rel_error(model.forward(x), net(torch.from_numpy(x)))}
    model.train()
    for layer in model.layers:
        if isinstance(layer, Dropout):
            layer.eval()  # random masks differ between the libraries
    net = nn.to_torch(model)
    assert [m.training for m in net] == [layer.training for layer in model.layers]
    errors.update(compare(torch, model, net, x, seed))
    WORST[f"to_torch {seed} {dtype.__name__}"] = max(errors.values())
    assert max(errors.values()) < TOL[dtype], errors


@pytest.mark.parametrize("seed", SEEDS)
def test_from_torch_gives_back_the_network(torch, seed: int) -> None:
    model, _ = random_network(seed, dtype=np.float64)
    back = nn.from_torch(nn.to_torch(model))
    assert back.get_config()["layers"] == model.get_config()["layers"]
    state, ours = back.state_dict(), model.state_dict()
    assert state.keys() == ours.keys()
    for key, value in ours.items():
        if value.dtype.kind == "U":  # a Dropout's generator state: a fresh one's
            continue
        np.testing.assert_array_equal(state[key], value, err_msg=key)
        assert state[key].dtype == value.dtype
    assert [layer.training for layer in back.layers] == [False] * len(back.layers)


def lenet(torch: Any) -> Any:
    """A network written in torch, with most of what from_torch reads."""
    t = torch.nn
    torch.manual_seed(0)
    net = t.Sequential(
        t.Conv2d(3, 6, 5, padding=2), t.BatchNorm2d(6), t.ReLU(), t.MaxPool2d(2),
        t.Conv2d(6, 8, 3, stride=2, bias=False), t.LeakyReLU(0.1),
        t.AvgPool2d(3, stride=1, padding=1), t.Conv2d(8, 8, 2, padding="same"), t.Tanh(),
        t.Sequential(t.AdaptiveAvgPool2d(1), t.Flatten()),
        t.Linear(8, 12), t.BatchNorm1d(12), t.Unflatten(1, (3, 4)), t.BatchNorm1d(3),
        t.Flatten(), t.Sigmoid(), t.Dropout(0.2), t.Linear(12, 12), t.Unflatten(1, (3, 2, 2)),
        t.AdaptiveAvgPool2d((1, 1)), t.Flatten(), t.Identity(), t.Linear(3, 5),
        t.Softmax(dim=1),
    ).double()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, t.modules.batchnorm._BatchNorm):
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.normal_(1, 0.3)
                m.bias.normal_(0, 0.3)
    return net


def test_from_torch_of_a_torch_network(torch) -> None:
    net = lenet(torch)
    model = nn.from_torch(net)
    assert model.dtype == np.float64
    x = np.random.default_rng(0).standard_normal((4, 3, 12, 10))
    net.eval()
    assert rel_error(model.eval().forward(x), net(torch.from_numpy(x))) < TOL[np.float64]
    # training mode, dropout in evaluation mode on both sides
    net.train()
    net[16].eval()
    model = nn.from_torch(net)
    assert [type(layer).__name__ for layer in model.layers if not layer.training] == \
        ["Dropout"]
    # compare against the network the bridge builds back, whose modules match one to one
    errors = compare(torch, model, nn.to_torch(model), x, 0)
    reference = net(torch.from_numpy(x))
    errors["torch"] = rel_error(model.forward(x), reference)
    assert max(errors.values()) < TOL[np.float64], errors


@pytest.mark.parametrize(("make", "message"), [
    (lambda t: t.Conv2d(3, 8, 3, dilation=2), r"dilation=\(2, 2\): nnscratch's Conv2D has no"),
    (lambda t: t.Conv2d(4, 8, 3, groups=2), "groups=2"),
    (lambda t: t.Conv2d(3, 8, 3, padding=1, padding_mode="reflect"), "padding_mode='reflect'"),
    (lambda t: t.MaxPool2d(2, ceil_mode=True), "ceil_mode=True"),
    (lambda t: t.MaxPool2d(3, dilation=2), "dilation=2"),
    (lambda t: t.MaxPool2d(2, return_indices=True), "return_indices=True"),
    (lambda t: t.AvgPool2d(3, padding=1, count_include_pad=False), "count_include_pad=False"),
    (lambda t: t.AvgPool2d(2, ceil_mode=True), "ceil_mode=True"),
    (lambda t: t.AvgPool2d(2, divisor_override=3), "divisor_override=3"),
    (lambda t: t.BatchNorm2d(3, track_running_stats=False), "track_running_stats=False"),
    (lambda t: t.Softmax(), "dim=None"),
    (lambda t: t.Flatten(0), "start_dim=0"),
    (lambda t: t.AdaptiveAvgPool2d(2), "output_size=2"),
    (lambda t: t.Unflatten(1, (2, 2)), r"dim=1: .*after Flatten\(\) or Linear"),
    (lambda t: t.GELU(), r"no layer for torch.nn.GELU; from_torch reads \["),
    (lambda t: t.Linear(3, 2).half(), "dtype torch.float16"),
    (lambda t: t.Dropout(1.0), "p must be"),
])
def test_from_torch_refuses_by_module_and_option(torch, make: Any, message: str) -> None:
    module = make(torch.nn)
    with pytest.raises(ValueError, match=rf"from_torch: module 1 \({type(module).__name__}"
                                         rf"\(.*\)\): .*{message}"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Identity(), module))


def test_from_torch_accepts_what_is_equivalent(torch) -> None:
    """count_include_pad=False without padding, and 'valid' padding, compute the same."""
    t = torch.nn
    net = t.Sequential(t.Conv2d(2, 3, 3, padding="valid"), t.AvgPool2d(2, count_include_pad=False))
    model = nn.from_torch(net)
    x = np.random.default_rng(0).standard_normal((2, 2, 7, 7)).astype(np.float32)
    assert rel_error(model.forward(x), net(torch.from_numpy(x))) < TOL[np.float32]


def test_bridge_errors(torch) -> None:
    with pytest.raises(ValueError, match=r"expected a torch\.nn\.Sequential, got Linear"):
        nn.from_torch(torch.nn.Linear(2, 2))

    class Doubler(Layer):
        def forward(self, x: np.ndarray) -> np.ndarray:
            return 2 * x

    with pytest.raises(ValueError, match=r"to_torch: layer 1 \(Doubler\(\)\) has no PyTorch"):
        nn.to_torch(nn.Sequential(nn.Dense(2, 2, rng=0), Doubler()))


def test_from_torch_takes_nothing_from_the_library_generator(torch) -> None:
    nn.manual_seed(3)
    expected = nn.Dense(4, 4).W.data.copy()
    nn.manual_seed(3)
    nn.from_torch(torch.nn.Sequential(torch.nn.Linear(4, 4)))
    nn.from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1)))
    np.testing.assert_array_equal(nn.Dense(4, 4).W.data, expected)
