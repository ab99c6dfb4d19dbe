"""BatchNorm1D / BatchNorm2D against ``torch.nn.BatchNorm1d / 2d`` in float64: outputs,
input gradients, gamma / beta gradients and running statistics over several training
steps, then evaluation mode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnscratch import to_torch
from nnscratch.layers.norm import BatchNorm1D, BatchNorm2D

pytestmark = pytest.mark.torch

TOL = 1e-10
WORST: dict[str, float] = {}


def rel_error(ours: np.ndarray, ref: Any) -> float:
    """max |a − b| / max |b|: relative to the array's scale (batch-normalised outputs
    and gradients have entries near zero by construction)."""
    ref = ref.detach().numpy() if hasattr(ref, "detach") else np.asarray(ref)
    scale = max(float(np.max(np.abs(ref))), 1e-300)
    return float(np.max(np.abs(ours - ref)) / scale)


CASES = [
    ((6, 4), {}),
    ((7, 3), {"momentum": 0.3, "eps": 1e-3}),
    ((2, 5), {}),
    ((5, 3, 4), {}),
    ((9, 2), {"momentum": None}),
    ((4, 3), {"affine": False}),
    ((4, 3, 5, 5), {}),
    ((1, 2, 3, 3), {"momentum": 0.5}),
    ((3, 5, 2, 7), {"affine": False, "eps": 1e-2}),
    ((5, 1, 4, 1), {"momentum": None}),
]


@pytest.mark.parametrize(("shape", "kw"), CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_matches_torch(torch, shape, kw):
    c = shape[1]
    ours_cls, ref_cls = ((BatchNorm2D, torch.nn.BatchNorm2d) if len(shape) == 4
                         else (BatchNorm1D, torch.nn.BatchNorm1d))
    ours = ours_cls(c, dtype=np.float64, **kw)
    gen = np.random.default_rng(sum(shape))
    if kw.get("affine", True):
        ours.gamma.data[:] = gen.normal(1.0, 0.5, c)
        ours.beta.data[:] = gen.normal(0.0, 0.5, c)
    (ref,) = to_torch([ours])  # the same momentum, eps, affine, gamma and beta
    assert type(ref) is ref_cls and ref.running_mean.dtype == torch.float64
    worst = 0.0
    for step in range(6):
        training = step < 4  # four training steps, then two in evaluation mode
        ours.train(training)
        ref.train(training)
        x = gen.normal(1.5, 2.0, shape)
        g = gen.normal(size=shape)
        ours.zero_grad()
        ref.zero_grad()
        y = ours.forward(x)
        dx = ours.backward(g)
        xt = torch.from_numpy(x.copy()).requires_grad_(True)
        yt = ref(xt)
        yt.backward(torch.from_numpy(g))
        errs = [rel_error(y, yt), rel_error(dx, xt.grad),
                rel_error(ours.running_mean, ref.running_mean),
                rel_error(ours.running_var, ref.running_var)]
        if ours.gamma is not None:
            errs += [rel_error(ours.gamma.grad, ref.weight.grad),
                     rel_error(ours.beta.grad, ref.bias.grad)]
        assert ours.num_batches_tracked == int(ref.num_batches_tracked)
        worst = max(worst, *errs)
        assert max(errs) < TOL, f"step {step} ({'train' if training else 'eval'}): {errs}"
    WORST[f"{shape}-{kw}"] = worst


def test_running_stats_load_into_torch(torch):
    """Our saved running statistics give torch's evaluation output."""
    ours = BatchNorm2D(3, dtype=np.float64)
    gen = np.random.default_rng(0)
    for _ in range(3):
        ours(gen.normal(2.0, 3.0, (4, 3, 2, 2)))
    state = ours.state_arrays()
    ref = torch.nn.BatchNorm2d(3).double().eval()
    ref.load_state_dict({
        "weight": torch.ones(3, dtype=torch.float64), "bias": torch.zeros(3, dtype=torch.float64),
        **{k: torch.from_numpy(np.asarray(v)) for k, v in state.items()},
    })
    x = gen.normal(size=(2, 3, 2, 2))
    assert rel_error(ours.eval()(x), ref(torch.from_numpy(x))) < TOL
