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

from ._checks import check_int
from ._params import Check, Declared, Int, Number, OneOf, Rule, call_repr
from ._registry import Registry, class_key

SCHEDULE_REGISTRY: Registry[type[Schedule]] = Registry("schedule")


#: A learning rate: a finite number > 0.
_RATE = Number(0.0, lo_open=True)


def _optional_rate(owner: str, name: str, value: Any) -> float | None:
    """None (take the optimizer's rate at start) or a learning rate."""
    return None if value is None else _RATE(owner, name, value)


#: Counts (step sizes, epochs): an int >= 1 or >= 0. A wrong kind is a ValueError, as
#: schedules have always raised.
_COUNT = Int(1, type_error=ValueError)
_COUNT0 = Int(0, type_error=ValueError)
#: A decay factor γ in (0, 1].
_FACTOR = Number(0.0, 1.0, lo_open=True, hi_open=False)

#: The arguments every schedule but ReduceLROnPlateau takes.
_BASE: dict[str, Rule] = {
    "learning_rate": Check(_optional_rate, attr="base_lr"),
    "unit": OneOf(("epoch", "step")),
}


class Schedule(Declared):
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
    #: ``learning_rate=None`` is written to get_config, as files have always held it.
    config_omits_none = False

    base_lr: float | None
    unit: str
    constraints: ClassVar[dict[str, Rule]] = _BASE

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        SCHEDULE_REGISTRY.register(cls)

    def __init__(self, learning_rate: float | None = None, unit: str = "epoch") -> None:
        self.set_params(learning_rate=learning_rate, unit=unit)
        self.last_t = -1

    def start(self, learning_rate: float) -> None:
        """Use ``learning_rate`` as the base rate unless one was given or restored."""
        if self.base_lr is None:
            self.base_lr = _RATE(type(self).__name__, "learning_rate", learning_rate)

    def lr_at(self, t: int) -> float:
        """The learning rate for epoch (or step) ``t`` ≥ 0."""
        if self.base_lr is None:
            raise RuntimeError(
                f"{self}: no base learning rate; pass learning_rate= or call start(lr)"
            )
        self.last_t = check_int(type(self).__name__, "t", t, 0, type_error=ValueError)
        return float(self._lr(self.base_lr, self.last_t))

    __call__ = lr_at

    def _lr(self, base: float, t: int) -> float:
        raise NotImplementedError

    def step(self, metric: float | None = None) -> float | None:
        """End-of-epoch hook; closed-form schedules ignore it and return None."""
        return None

    def get_config(self) -> dict[str, Any]:
        return self.declared_config()

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
        config = self.get_config()
        if config.get("learning_rate", 0) is None:
            del config["learning_rate"]
        return call_repr(type(self).__name__, config)


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

    step_size: int
    gamma: float
    constraints: ClassVar[dict[str, Rule]] = {"step_size": _COUNT, "gamma": _FACTOR}

    def __init__(self, step_size: int, gamma: float = 0.1, learning_rate: float | None = None,
                 unit: str = "epoch") -> None:
        super().__init__(learning_rate, unit)
        self.set_params(step_size=step_size, gamma=gamma)

    def _lr(self, base: float, t: int) -> float:
        return base * self.gamma ** (t // self.step_size)



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

    gamma: float
    constraints: ClassVar[dict[str, Rule]] = {"gamma": _FACTOR}

    def __init__(self, gamma: float, learning_rate: float | None = None,
                 unit: str = "epoch") -> None:
        super().__init__(learning_rate, unit)
        self.set_params(gamma=gamma)

    def _lr(self, base: float, t: int) -> float:
        return base * self.gamma**t



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

    decay: float
    constraints: ClassVar[dict[str, Rule]] = {"decay": Number()}

    def __init__(self, decay: float, learning_rate: float | None = None,
                 unit: str = "epoch") -> None:
        super().__init__(learning_rate, unit)
        self.set_params(decay=decay)

    def _lr(self, base: float, t: int) -> float:
        return base / (1.0 + self.decay * t)



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

    total: int
    warmup: int
    min_lr: float
    constraints: ClassVar[dict[str, Rule]] = {"total": _COUNT, "warmup": _COUNT0,
                                              "min_lr": Number()}

    def __init__(self, total: int, warmup: int = 0, min_lr: float = 0.0,
                 learning_rate: float | None = None, unit: str = "epoch") -> None:
        super().__init__(learning_rate, unit)
        self.set_params(total=total, warmup=warmup, min_lr=min_lr)
        if self.warmup >= self.total:
            raise ValueError(f"{type(self).__name__}: warmup must be < total ({total!r}), "
                             f"got {warmup!r}")
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

    factor: float
    patience: int
    min_delta: float
    threshold_mode: str
    cooldown: int
    min_lr: float
    mode: str
    eps: float
    constraints: ClassVar[dict[str, Rule]] = {
        "factor": Number(0.0, 1.0, lo_open=True),
        "patience": _COUNT0,
        "min_delta": Number(),
        "threshold_mode": OneOf(("rel", "abs")),
        "cooldown": _COUNT0,
        "min_lr": Number(),
        "mode": OneOf(("min", "max")),
        "eps": Number(),
    }

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
        self.set_params(factor=factor, patience=patience, min_delta=min_delta,
                        threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr,
                        mode=mode, eps=eps)
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
