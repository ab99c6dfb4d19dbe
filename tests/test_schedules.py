"""Learning-rate schedules: known answers, the fit protocol, resume, bad arguments, and
agreement with ``torch.optim.lr_scheduler`` over many epochs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from nnscratch.schedules import (
    Constant,
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    ReduceLROnPlateau,
    Schedule,
    StepDecay,
    get_schedule,
)

EPOCHS = 120


# -- known answers ---------------------------------------------------------------------------
def test_known_answers():
    assert Constant(learning_rate=0.3)(57) == 0.3
    # 0.1 · 0.5^⌊t/3⌋: 0.1 for t = 0..2, 0.05 for 3..5, 0.025 for 6
    s = StepDecay(3, 0.5, learning_rate=0.1)
    assert [s(t) for t in (0, 2, 3, 5, 6)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert ExponentialDecay(0.9, learning_rate=1.0)(2) == pytest.approx(0.81)
    # 1 / (1 + 0.5 · 4) = 1/3
    assert InverseTimeDecay(0.5, learning_rate=1.0)(4) == pytest.approx(1 / 3)
    c = CosineDecay(total=4, min_lr=0.1, learning_rate=1.1)
    # half cosine from 1.1 to 0.1 over 4 epochs: at t = 2 it is half way, 0.6
    assert [c(t) for t in (0, 2, 4, 9)] == pytest.approx([1.1, 0.6, 0.1, 0.1])
    w = CosineDecay(total=10, warmup=4, learning_rate=1.0)
    assert [w(t) for t in range(5)] == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0])


def test_protocol_start_and_override():
    s = ExponentialDecay(0.5)
    with pytest.raises(RuntimeError, match="no base learning rate"):
        s.lr_at(0)
    s.start(0.2)  # the optimizer's rate becomes the base
    assert s.lr_at(1) == pytest.approx(0.1)
    s.start(99.0)  # a second start (resume) keeps the base
    assert s.lr_at(0) == 0.2
    explicit = ExponentialDecay(0.5, learning_rate=1.0)
    explicit.start(0.2)
    assert explicit.lr_at(0) == 1.0
    assert s.step(0.3) is None  # closed-form schedules ignore metrics
    assert s.unit == "epoch"
    assert ExponentialDecay(0.5, unit="step").unit == "step"


def test_state_dict_resume_closed_form():
    s = CosineDecay(total=20, warmup=3)
    s.start(0.05)
    first = [s.lr_at(t) for t in range(8)]
    restored = CosineDecay(total=20, warmup=3)
    restored.load_state_dict(s.state_dict())
    restored.start(first[-1])  # the optimizer's decayed rate must not become the base
    assert [restored.lr_at(t) for t in range(8, 20)] == [s.lr_at(t) for t in range(8, 20)]
    with pytest.raises(ValueError, match="StepDecay"):
        StepDecay(2).load_state_dict(s.state_dict())


def test_plateau_known_answer_and_resume():
    s = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.0, learning_rate=1.0)
    lrs = []
    for value in [3.0, 2.0, 2.0, 2.0, 1.0, 1.0]:
        lrs.append(s.lr_at(0))
        s.step(value)
    # two bad epochs in a row (> patience 1) after the 2.0 halve the rate once
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    assert s.lr_at(6) == 0.5  # one more bad epoch: not yet
    saved = s.state_dict()
    s.step(1.0)
    again = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.0)
    again.load_state_dict(saved)
    again.start(123.0)
    assert again.step(1.0) == s.lr == 0.25
    with pytest.raises(ValueError, match="monitored value"):
        s.step(None)


def test_plateau_nan_is_not_improvement_and_min_lr():
    s = ReduceLROnPlateau(factor=0.1, patience=0, min_lr=0.05, learning_rate=1.0)
    s.step(1.0)
    assert s.step(float("nan")) == pytest.approx(0.1)
    assert s.step(float("nan")) == 0.05
    assert s.step(float("nan")) == 0.05


def test_get_schedule():
    assert isinstance(get_schedule(None, learning_rate=0.1), Constant)
    assert isinstance(get_schedule("cosinedecay", total=5), CosineDecay)
    s = StepDecay(2)
    assert get_schedule(s) is s
    with pytest.raises(ValueError, match="unknown schedule 'nope'"):
        get_schedule("nope")
    assert repr(StepDecay(2, 0.5)) == "StepDecay(step_size=2, gamma=0.5, unit='epoch')"


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: StepDecay(0), "step_size must be a positive integer, got 0"),
        (lambda: StepDecay(2.5), "step_size must be a positive integer, got 2.5"),
        (lambda: StepDecay(2, gamma=0), r"gamma must be in \(0, 1\], got 0"),
        (lambda: StepDecay(2, gamma=1.5), r"gamma must be in \(0, 1\], got 1.5"),
        (lambda: ExponentialDecay(-0.1), r"gamma must be in \(0, 1\], got -0.1"),
        (lambda: ExponentialDecay(float("nan")), r"gamma must be in \(0, 1\], got nan"),
        (lambda: InverseTimeDecay(-1), "decay must be >= 0, got -1"),
        (lambda: CosineDecay(0), "total must be a positive integer, got 0"),
        (lambda: CosineDecay(5, warmup=5), r"warmup must be < total \(5\), got 5"),
        (lambda: CosineDecay(5, warmup=-1), "warmup must be an integer >= 0, got -1"),
        (lambda: CosineDecay(5, min_lr=-0.1), "min_lr must be >= 0, got -0.1"),
        (lambda: CosineDecay(5, min_lr=0.5, learning_rate=0.1), "min_lr .* must not exceed"),
        (lambda: Constant(learning_rate=-1), "learning_rate must be > 0, got -1"),
        (lambda: Constant(learning_rate=0.1, unit="batch"), "unit must be .*got 'batch'"),
        (lambda: ReduceLROnPlateau(factor=1.0), r"factor must be in \(0, 1\), got 1.0"),
        (lambda: ReduceLROnPlateau(patience=-1), "patience must be an integer >= 0, got -1"),
        (lambda: ReduceLROnPlateau(cooldown=1.5), "cooldown must be an integer >= 0, got 1.5"),
        (lambda: ReduceLROnPlateau(min_delta=-1e-3), "min_delta must be >= 0, got -0.001"),
        (lambda: ReduceLROnPlateau(min_lr=-1), "min_lr must be >= 0, got -1"),
        (lambda: ReduceLROnPlateau(mode="up"), "mode must be 'min' or 'max', got 'up'"),
        (lambda: ReduceLROnPlateau(threshold_mode="x"), "threshold_mode must be .*got 'x'"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_t():
    s = Constant(learning_rate=0.1)
    with pytest.raises(ValueError, match="t must be an integer >= 0, got -1"):
        s.lr_at(-1)
    with pytest.raises(TypeError, match=r"gamma must be a number, got '0\.5'"):
        StepDecay(2, gamma="0.5")  # type: ignore[arg-type]


# -- PyTorch reference --------------------------------------------------------------------------
def torch_lrs(torch: Any, base: float, make_sched: Any, epochs: int = EPOCHS) -> list[float]:
    """The rate PyTorch uses in each epoch: get_last_lr() before each scheduler.step()."""
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=base)
    sched = make_sched(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return lrs


def ours_lrs(s: Schedule, base: float, epochs: int = EPOCHS) -> list[float]:
    s.start(base)
    return [s.lr_at(t) for t in range(epochs)]


def check_close(ours: list[float], ref: list[float]) -> float:
    a, b = np.array(ours), np.array(ref)
    err = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
    assert err < 1e-9, f"worst relative error {err:.3e}"
    return err


@pytest.mark.torch
@pytest.mark.parametrize(("step_size", "gamma"), [(1, 0.9), (7, 0.5), (30, 0.1)])
def test_step_decay_matches_torch(torch, step_size, gamma):
    ref = torch_lrs(torch, 0.1, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma))
    check_close(ours_lrs(StepDecay(step_size, gamma), 0.1), ref)


@pytest.mark.torch
@pytest.mark.parametrize("gamma", [0.99, 0.9, 0.5])
def test_exponential_decay_matches_torch(torch, gamma):
    ref = torch_lrs(torch, 0.05, lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma))
    check_close(ours_lrs(ExponentialDecay(gamma), 0.05), ref)


@pytest.mark.torch
@pytest.mark.parametrize("decay", [0.0, 0.01, 0.5, 3.0])
def test_inverse_time_decay_matches_torch(torch, decay):
    ref = torch_lrs(torch, 0.1, lambda o: torch.optim.lr_scheduler.LambdaLR(
        o, lambda t: 1.0 / (1.0 + decay * t)))
    check_close(ours_lrs(InverseTimeDecay(decay), 0.1), ref)


@pytest.mark.torch
@pytest.mark.parametrize(("total", "min_lr"), [(EPOCHS, 0.0), (50, 0.001), (7, 0.01)])
def test_cosine_decay_matches_torch(torch, total, min_lr):
    """CosineAnnealingLR(T_max=total) up to t = total (PyTorch's rises again after)."""
    ref = torch_lrs(torch, 0.1, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=total, eta_min=min_lr), epochs=total + 1)
    ours = ours_lrs(CosineDecay(total, min_lr=min_lr), 0.1, epochs=total + 1)
    # the last rate is exactly min_lr in both (0 when min_lr is 0): compare absolutely
    assert abs(ours[-1] - ref[-1]) < 1e-15
    check_close(ours[:-1], ref[:-1])


@pytest.mark.torch
@pytest.mark.parametrize(("total", "warmup", "min_lr"), [(EPOCHS, 5, 0.0), (30, 1, 1e-3),
                                                         (9, 8, 0.0)])
def test_cosine_warmup_matches_torch_lambda(torch, total, warmup, min_lr):
    base = 0.2

    def factor(t: int) -> float:
        if t < warmup:
            return (t + 1) / warmup
        if t >= total:
            return min_lr / base
        cos = (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2
        return (min_lr + (base - min_lr) * cos) / base

    ref = torch_lrs(torch, base, lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))
    check_close(ours_lrs(CosineDecay(total, warmup, min_lr), base), ref)


def plateau_metrics(seed: int, n: int = EPOCHS) -> list[float]:
    """A noisy loss that improves, then stalls in long plateaus, with exact repeats."""
    gen = np.random.default_rng(seed)
    values = np.maximum(1.0 / (1.0 + 0.1 * np.arange(n)), 0.4) + gen.normal(0, 0.01, n)
    values[gen.random(n) < 0.2] = 0.45  # repeats: equal is not better
    return [float(v) for v in values]


@pytest.mark.torch
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"factor": 0.5, "patience": 2},
        {"factor": 0.5, "patience": 0, "cooldown": 3, "min_lr": 1e-3},
        {"factor": 0.3, "patience": 3, "min_delta": 0.01, "threshold_mode": "abs"},
        {"factor": 0.7, "patience": 1, "min_delta": 0.05, "threshold_mode": "rel",
         "cooldown": 1},
        {"factor": 0.5, "patience": 2, "mode": "max"},
        {"factor": 0.5, "patience": 2, "mode": "max", "threshold_mode": "abs",
         "min_delta": 0.002, "eps": 0.01, "min_lr": 0.02},
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_plateau_matches_torch(torch, kw, seed):
    metrics = plateau_metrics(seed)
    if kw.get("mode") == "max":
        metrics = [-m for m in metrics]
    torch_kw = {("threshold" if k == "min_delta" else k): v for k, v in kw.items()}
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.1)
    ref_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **torch_kw)
    ours = ReduceLROnPlateau(**kw)
    ours.start(0.1)
    ref, got = [], []
    for t, m in enumerate(metrics):
        ref.append(opt.param_groups[0]["lr"])
        got.append(ours.lr_at(t))
        opt.step()
        ref_sched.step(m)
        ours.step(m)
    assert len(set(ref)) > 1, "the metric sequence should trigger a reduction"
    check_close(got, ref)
