"""Learning-rate schedules.

The protocol ``fit`` uses
--------------------------
A schedule is an object that gives the learning rate for an epoch (0-based, counted from
the very first epoch, also across a resume). The training loop calls, in this order::

    schedule.start(optimizer.learning_rate)        # on_train_begin: records the base
                                                   # rate unless the schedule has one
    for epoch in range(initial_epoch, epochs):
        optimizer.learning_rate = schedule.lr_at(epoch)     # on_epoch_begin
        ...                                                 # train the epoch
        schedule.step(logs.get(monitor))                    # on_epoch_end

    checkpoint["schedule"] = schedule.state_dict()          # with the weights
    schedule.load_state_dict(checkpoint["schedule"])        # before start() on resume

* ``lr_at(t)`` (also ``schedule(t)``) is a pure function of ``t`` for every schedule but
  :class:`ReduceLROnPlateau`, whose rate depends on the metrics seen, so resuming needs
  only the base rate, which the state holds.
* ``step(metric)`` is a no-op for the closed-form schedules; :class:`ReduceLROnPlateau`
  needs the monitored value and may lower the rate for the next epoch.
* ``unit`` is ``"epoch"`` (the default, as in ``torch.optim.lr_scheduler``): the rate
  changes at epoch boundaries. With ``unit="step"`` the loop calls ``lr_at(iteration)``
  before every optimizer step instead, ``iteration`` counting batches from 0.

The rate used during epoch ``t`` equals PyTorch's ``scheduler.get_last_lr()`` after ``t``
calls of ``scheduler.step()``; the tests check this against ``StepLR``,
``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR`` and ``ReduceLROnPlateau``.

Examples
--------
>>> sched = CosineDecay(total=10, warmup=2)
>>> sched.start(0.1)
>>> [round(sched.lr_at(t), 4) for t in range(4)]
[0.05, 0.1, 0.1, 0.0962]
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ._registry import Registry, class_key

SCHEDULE_REGISTRY: Registry[type[Schedule]] = Registry("schedule")


def _number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    return v


def _positive_int(owner: str, name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class Schedule:
    """Base class: a learning rate per epoch (or per step) from a base rate.

    Parameters
    ----------
    learning_rate : float or None
        The base rate η₀. None (the default) takes the optimizer's rate at
        :meth:`start`.
    unit : {"epoch", "step"}
        What ``t`` counts (see the module docstring).
    """

    needs_metric: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        SCHEDULE_REGISTRY.register(cls)

    def __init__(self, learning_rate: float | None = None, unit: str = "epoch") -> None:
        owner = type(self).__name__
        if unit not in ("epoch", "step"):
            raise ValueError(f"{owner}: unit must be 'epoch' or 'step', got {unit!r}")
        self.unit = unit
        self.base_lr: float | None = None
        if learning_rate is not None:
            self.base_lr = self._check_base(learning_rate)
        self.last_t = -1

    def _check_base(self, learning_rate: Any) -> float:
        lr = _number(type(self).__name__, "learning_rate", learning_rate)
        if lr <= 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be > 0, got {lr!r}")
        return lr

    def start(self, learning_rate: float) -> None:
        """Use ``learning_rate`` as the base rate unless one was given or restored."""
        if self.base_lr is None:
            self.base_lr = self._check_base(learning_rate)

    def lr_at(self, t: int) -> float:
        """The learning rate for epoch (or step) ``t`` ≥ 0."""
        if self.base_lr is None:
            raise RuntimeError(
                f"{self}: no base learning rate; pass learning_rate= or call start(lr)"
            )
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"{self}: t must be an integer >= 0, got {t!r}")
        self.last_t = int(t)
        return float(self._lr(self.base_lr, int(t)))

    __call__ = lr_at

    def _lr(self, base: float, t: int) -> float:
        raise NotImplementedError

    def step(self, metric: float | None = None) -> float | None:
        """End-of-epoch hook; closed-form schedules ignore it and return None."""
        return None

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.base_lr, "unit": self.unit}

    def state_dict(self) -> dict[str, Any]:
        """What resuming needs: the base rate and the last ``t`` asked for."""
        return {"class": class_key(type(self)), "base_lr": self.base_lr, "last_t": self.last_t}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        saved = state.get("class", class_key(type(self)))
        if not SCHEDULE_REGISTRY.means(saved, type(self)):
            raise ValueError(f"{self}: saved state is for {saved!r}")
        self.base_lr = None if state["base_lr"] is None else float(state["base_lr"])
        self.last_t = int(state["last_t"])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items()
                         if not (k == "learning_rate" and v is None))
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """The base rate at every epoch: ``η_t = η₀``."""

    def _lr(self, base: float, t: int) -> float:
        return base


class StepDecay(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs (``torch``'s ``StepLR``).

    Parameters
    ----------
    step_size : int >= 1
    gamma : float in (0, 1], default 0.1
    learning_rate, unit : see :class:`Schedule`

    Notes
    -----
    η_t = η₀ · γ^⌊t / step_size⌋
    """

    def __init__(self, step_size: int, gamma: float = 0.1, learning_rate: float | None = None,
                 unit: str = "epoch") -> None:
        super().__init__(learning_rate, unit)
        owner = type(self).__name__
        self.step_size = _positive_int(owner, "step_size", step_size)
        self.gamma = _number(owner, "gamma", gamma)
        if not 0 < self.gamma <= 1:
            raise ValueError(f"{owner}: gamma must be in (0, 1], got {gamma!r}")

    def _lr(self, base: float, t: int) -> float:
        return base * self.gamma ** (t // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {"step_size": self.step_size, "gamma": self.gamma, **super().get_config()}


class ExponentialDecay(Schedule):
    """Multiply the rate by ``gamma`` every epoch (``torch``'s ``ExponentialLR``).

    Parameters
    ----------
    gamma : float in (0, 1]
    learning_rate, unit : see :class:`Schedule`

    Notes
    -----
    η_t = η₀ · γᵗ
    """

    def __init__(self, gamma: float, learning_rate: float | None = None,
                 unit: str = "epoch") -> None:
        super().__init__(learning_rate, unit)
        owner = type(self).__name__
        self.gamma = _number(owner, "gamma", gamma)
        if not 0 < self.gamma <= 1:
            raise ValueError(f"{owner}: gamma must be in (0, 1], got {gamma!r}")

    def _lr(self, base: float, t: int) -> float:
        return base * self.gamma**t

    def get_config(self) -> dict[str, Any]:
        return {"gamma": self.gamma, **super().get_config()}


class InverseTimeDecay(Schedule):
    """Inverse-time decay ``η_t = η₀ / (1 + decay · t)``.

    Parameters
    ----------
    decay : float >= 0
    learning_rate, unit : see :class:`Schedule`

    Notes
    -----
    The classic 1/t annealing of stochastic approximation (Robbins & Monro, 1951); the
    same as Keras's ``InverseTimeDecay`` with ``decay_steps=1``. In PyTorch it is
    ``LambdaLR(opt, lambda t: 1 / (1 + decay * t))``.
    """

    def __init__(self, decay: float, learning_rate: float | None = None,
                 unit: str = "epoch") -> None:
        super().__init__(learning_rate, unit)
        owner = type(self).__name__
        self.decay = _number(owner, "decay", decay)
        if self.decay < 0:
            raise ValueError(f"{owner}: decay must be >= 0, got {decay!r}")

    def _lr(self, base: float, t: int) -> float:
        return base / (1.0 + self.decay * t)

    def get_config(self) -> dict[str, Any]:
        return {"decay": self.decay, **super().get_config()}


class CosineDecay(Schedule):
    """Linear warm-up, then a half cosine from the base rate down to ``min_lr``.

    Parameters
    ----------
    total : int >= 1
        Length of the whole schedule in epochs, warm-up included; from ``t = total`` on
        the rate stays at ``min_lr``.
    warmup : int in [0, total), default 0
        Number of warm-up epochs.
    min_lr : float >= 0, default 0
        Final rate (PyTorch's ``eta_min``); must not exceed the base rate.
    learning_rate, unit : see :class:`Schedule`

    Notes
    -----
    With W = ``warmup`` and T = ``total − W``::

        η_t = η₀ (t + 1) / W                                    t < W
        η_t = η_min + (η₀ − η_min)(1 + cos(π (t − W) / T)) / 2    W ≤ t < total
        η_t = η_min                                             t ≥ total

    The warm-up reaches η₀ at its last epoch (``t = W − 1``) rather than starting from 0,
    so no epoch is spent with a zero rate. Without warm-up this is ``CosineAnnealingLR``
    with ``T_max = total`` for t ≤ total (PyTorch's then rises again; ours stays at η_min,
    as Keras's ``CosineDecay`` does).

    References
    ----------
    Loshchilov & Hutter, "SGDR: Stochastic gradient descent with warm restarts", ICLR 2017.
    Goyal et al., "Accurate, large minibatch SGD: Training ImageNet in 1 hour", 2017
    (linear warm-up).
    """

    def __init__(self, total: int, warmup: int = 0, min_lr: float = 0.0,
                 learning_rate: float | None = None, unit: str = "epoch") -> None:
        super().__init__(learning_rate, unit)
        owner = type(self).__name__
        self.total = _positive_int(owner, "total", total)
        self.warmup = _positive_int(owner, "warmup", warmup, minimum=0)
        if self.warmup >= self.total:
            raise ValueError(f"{owner}: warmup must be < total ({total!r}), got {warmup!r}")
        self.min_lr = _number(owner, "min_lr", min_lr)
        if self.min_lr < 0:
            raise ValueError(f"{owner}: min_lr must be >= 0, got {min_lr!r}")
        if self.base_lr is not None:
            self._check_min(self.base_lr)

    def _check_min(self, base: float) -> None:
        if self.min_lr > base:
            raise ValueError(
                f"{type(self).__name__}: min_lr ({self.min_lr!r}) must not exceed the base "
                f"learning rate, got {base!r}"
            )

    def start(self, learning_rate: float) -> None:
        super().start(learning_rate)
        assert self.base_lr is not None
        self._check_min(self.base_lr)

    def _lr(self, base: float, t: int) -> float:
        w = self.warmup
        if t < w:
            return base * (t + 1) / w
        if t >= self.total:
            return self.min_lr
        progress = (t - w) / (self.total - w)
        return self.min_lr + (base - self.min_lr) * (1.0 + math.cos(math.pi * progress)) / 2.0

    def get_config(self) -> dict[str, Any]:
        return {"total": self.total, "warmup": self.warmup, "min_lr": self.min_lr,
                **super().get_config()}


class ReduceLROnPlateau(Schedule):
    """Lower the rate by ``factor`` when a monitored value stops improving.

    The monitor-independent core with ``torch.optim.lr_scheduler.ReduceLROnPlateau``'s
    semantics: feed it one value per epoch through :meth:`step`; :meth:`lr_at` returns
    the current rate whatever the epoch. (The ``ReduceLROnPlateau`` callback picks the
    value from the epoch's logs.)

    Parameters
    ----------
    factor : float in (0, 1), default 0.1
        New rate = max(rate · factor, min_lr).
    patience : int >= 0, default 10
        Number of epochs without improvement tolerated; the rate drops after
        ``patience + 1`` bad epochs in a row.
    min_delta : float >= 0, default 1e-4
        Smallest change counted as an improvement (PyTorch's ``threshold``).
    threshold_mode : {"rel", "abs"}, default "rel"
        ``"rel"``: better means below ``best · (1 − min_delta)`` (mode "min") or above
        ``best · (1 + min_delta)`` (mode "max"); ``"abs"``: below ``best − min_delta``
        or above ``best + min_delta``. PyTorch's default is "rel"; Keras's ``min_delta``
        is "abs".
    cooldown : int >= 0, default 0
        Epochs to wait after a reduction before counting bad epochs again.
    min_lr : float >= 0, default 0
        Lower bound on the rate.
    mode : {"min", "max"}, default "min"
        Whether lower ("min", a loss) or higher ("max", an accuracy) is better.
    eps : float >= 0, default 1e-8
        Reductions smaller than this are skipped (as in PyTorch).
    learning_rate : float or None
        The starting rate (default: the optimizer's at :meth:`start`).

    Notes
    -----
    Per call of :meth:`step` (PyTorch's algorithm)::

        if better(value, best): best = value; bad = 0  else: bad += 1
        if cooldown_counter > 0: cooldown_counter −= 1; bad = 0
        if bad > patience: lr = max(lr · factor, min_lr) (if it falls by > eps);
                           cooldown_counter = cooldown; bad = 0

    NaN never counts as an improvement.
    """

    needs_metric: ClassVar[bool] = True

    def __init__(
        self,
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        mode: str = "min",
        eps: float = 1e-8,
        learning_rate: float | None = None,
    ) -> None:
        super().__init__(learning_rate, "epoch")
        owner = type(self).__name__
        self.factor = _number(owner, "factor", factor)
        if not 0 < self.factor < 1:
            raise ValueError(f"{owner}: factor must be in (0, 1), got {factor!r}")
        self.patience = _positive_int(owner, "patience", patience, minimum=0)
        self.cooldown = _positive_int(owner, "cooldown", cooldown, minimum=0)
        for name, value in (("min_delta", min_delta), ("min_lr", min_lr), ("eps", eps)):
            if _number(owner, name, value) < 0:
                raise ValueError(f"{owner}: {name} must be >= 0, got {value!r}")
        self.min_delta, self.min_lr, self.eps = float(min_delta), float(min_lr), float(eps)
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{owner}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        self.mode, self.threshold_mode = mode, threshold_mode
        self.lr: float | None = self.base_lr
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.num_steps = 0

    def start(self, learning_rate: float) -> None:
        super().start(learning_rate)
        if self.lr is None:
            self.lr = self.base_lr

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by more than ``min_delta``."""
        d = self.min_delta
        if self.mode == "min":
            return value < (best * (1.0 - d) if self.threshold_mode == "rel" else best - d)
        return value > (best * (1.0 + d) if self.threshold_mode == "rel" else best + d)

    def _lr(self, base: float, t: int) -> float:
        return base if self.lr is None else self.lr

    def step(self, metric: float | None = None) -> float:
        """Record one epoch's monitored value; returns the rate for the next epoch."""
        if metric is None:
            raise ValueError(f"{self}.step() needs the monitored value, got None")
        if self.lr is None:
            raise RuntimeError(
                f"{self}: no learning rate; pass learning_rate= or call start(lr)"
            )
        value = float(metric)
        self.num_steps += 1
        if self.is_better(value, self.best):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr

    def get_config(self) -> dict[str, Any]:
        return {
            "factor": self.factor, "patience": self.patience, "min_delta": self.min_delta,
            "threshold_mode": self.threshold_mode, "cooldown": self.cooldown,
            "min_lr": self.min_lr, "mode": self.mode, "eps": self.eps,
            "learning_rate": self.base_lr,
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(), "lr": self.lr, "best": self.best,
            "num_bad_epochs": self.num_bad_epochs, "cooldown_counter": self.cooldown_counter,
            "num_steps": self.num_steps,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.lr = None if state["lr"] is None else float(state["lr"])
        self.best = float(state["best"])
        self.num_bad_epochs = int(state["num_bad_epochs"])
        self.cooldown_counter = int(state["cooldown_counter"])
        self.num_steps = int(state["num_steps"])


def get_schedule(schedule: str | Schedule | None, **kwargs: Any) -> Schedule:
    """A schedule from an instance, a class name (``"CosineDecay"``, ``"cosinedecay"``)
    or None (:class:`Constant`)."""
    if schedule is None:
        return Constant(**kwargs)
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, str):
        by_lower = SCHEDULE_REGISTRY.by_lower_name()
        if schedule.lower() in by_lower:
            return by_lower[schedule.lower()](**kwargs)
    raise ValueError(
        f"unknown schedule {schedule!r}; expected a Schedule or one of "
        f"{SCHEDULE_REGISTRY.builtin_names()}"
    )
