"""Optimizers against ``torch.optim``: the same 5-7-3 tanh MLP, the same initial weights
(non-zero biases) and the same batches, 20 steps, float64; every weight and bias must
agree to < 1e-9 (relative). Weight decay applies to the biases too, as in torch's single
parameter group; with ``exclude_bias_and_norm=True`` torch gets a bias group with
``weight_decay=0``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnscratch import to_torch
from nnscratch.layers import Dense, Tanh
from nnscratch.losses import MSE
from nnscratch.optimizers import Optimizer
from optimizer_cases import CASE_IDS, OPTIMIZER_CASES, torch_optimizer

pytestmark = pytest.mark.torch

STEPS = 20
TOL = 1e-9  # the issue requires < 1e-6; float64 with the same operation order gives ~1e-15


def rel_error(ours: np.ndarray, ref: np.ndarray) -> float:
    """Worst element-wise |a − b| / |b| (with |b| floored at 1e-8 for near-zero weights)."""
    return float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-8)))


class Pair:
    """A nnscratch MLP and the equal torch MLP, trained on the same batches by hand."""

    def __init__(self, torch: Any, seed: int = 0) -> None:
        self.torch = torch
        self.layers = [Dense(5, 7, rng=seed, dtype=np.float64), Tanh(),
                       Dense(7, 3, rng=seed + 1, dtype=np.float64)]
        gen = np.random.default_rng(seed + 2)
        for layer in (self.layers[0], self.layers[2]):
            assert layer.b is not None
            layer.b.data[:] = gen.normal(scale=0.5, size=layer.b.shape)  # non-zero biases
        # Linear(5, 7), Tanh(), Linear(7, 3) in float64, weight = W.T: (out, in)
        self.net = to_torch(self.layers)
        self.loss = MSE()
        self.data = np.random.default_rng(seed + 3)

    def linear_pairs(self) -> list[tuple[Any, Any]]:
        """(Dense, nn.Linear) pairs."""
        return [(self.layers[0], self.net[0]), (self.layers[2], self.net[2])]

    def params(self) -> list:
        return [p for layer in self.layers for p in layer.parameters()]

    def torch_groups(self, exclude_bias: bool = False) -> list[dict[str, Any]]:
        """One group (every parameter decays), or weights and a bias group without decay."""
        weights = [self.net[0].weight, self.net[2].weight]
        biases = [self.net[0].bias, self.net[2].bias]
        if not exclude_bias:
            return [{"params": weights + biases}]
        return [{"params": weights}, {"params": biases, "weight_decay": 0.0}]

    def backward(self, grad_scale: float = 1.0, copy_grads: bool = False) -> None:
        x = self.data.normal(size=(8, 5))  # (N, 5)
        y = self.data.normal(size=(8, 3))  # (N, 3)
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        self.loss.forward(h, y)
        g = self.loss.backward() * grad_scale
        for layer in reversed(self.layers):
            g = layer.backward(g)
        torch = self.torch
        if copy_grads:  # exactly the same gradients: only the optimizers' arithmetic differs
            for ours, ref in self.linear_pairs():
                ref.weight.grad = torch.from_numpy(ours.W.grad.T.copy())
                ref.bias.grad = torch.from_numpy(ours.b.grad.copy())
            return
        out = self.net(torch.from_numpy(x))
        (torch.nn.functional.mse_loss(out, torch.from_numpy(y)) * grad_scale).backward()

    def worst_error(self) -> float:
        errs = []
        for ours, ref in self.linear_pairs():
            errs.append(rel_error(ours.W.data, ref.weight.detach().numpy().T))
            errs.append(rel_error(ours.b.data, ref.bias.detach().numpy()))
        return max(errs)


def run_both(
    torch: Any, ours: Optimizer, make_ref: Any, clipnorm: float | None = None,
    clipvalue: float | None = None, grad_scale: float = 1.0, copy_grads: bool = False,
) -> float:
    pair = Pair(torch)
    params = pair.params()
    ours.bind(params)
    ref = make_ref(pair.torch_groups(ours.exclude_bias_and_norm))
    worst = 0.0
    for _ in range(STEPS):
        ours.zero_grad()
        ref.zero_grad(set_to_none=True)
        pair.backward(grad_scale, copy_grads)
        if clipvalue is not None:
            torch.nn.utils.clip_grad_value_(pair.net.parameters(), clipvalue)
        if clipnorm is not None:
            torch.nn.utils.clip_grad_norm_(pair.net.parameters(), clipnorm)
        ours.step()
        ref.step()
        worst = max(worst, pair.worst_error())
    return worst


@pytest.mark.parametrize("copy_grads", [False, True], ids=["own-grads", "same-grads"])
@pytest.mark.parametrize(("cls", "kw"), OPTIMIZER_CASES, ids=CASE_IDS)
def test_matches_torch(torch, cls, kw, copy_grads):
    """Own gradients: both libraries end to end. Same gradients: torch is handed our
    gradients, which isolates the update rule."""
    ours = cls(**kw)
    worst = run_both(torch, ours, lambda g: torch_optimizer(torch, ours, g),
                     clipnorm=ours.clipnorm, clipvalue=ours.clipvalue, copy_grads=copy_grads)
    assert worst < TOL, f"{ours}: worst relative error {worst:.3e}"


#: The clipping tests' cases: every case without clipping of its own.
CLIP_CASES = [(case, name) for case, name in zip(OPTIMIZER_CASES, CASE_IDS, strict=True)
              if "clipnorm" not in case[1] and "clipvalue" not in case[1]]


@pytest.mark.parametrize(("cls", "kw"), [case for case, _ in CLIP_CASES],
                         ids=[name for _, name in CLIP_CASES])
@pytest.mark.parametrize("clip", [{"clipnorm": 0.5}, {"clipvalue": 0.05},
                                  {"clipnorm": 0.3, "clipvalue": 0.1}],
                         ids=["norm", "value", "both"])
def test_clipping_matches_torch(torch, cls, kw, clip):
    # gradients scaled up so that clipping is active on most steps
    ours = cls(**kw, **clip)
    worst = run_both(torch, ours, lambda g: torch_optimizer(torch, ours, g),
                     grad_scale=10.0, copy_grads=True, **clip)
    assert worst < TOL, f"{ours}: worst relative error {worst:.3e}"
