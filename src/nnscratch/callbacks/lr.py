"""Callbacks that set the learning rate: LearningRateScheduler and ReduceLROnPlateau."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .. import schedules
from .base import Callback, _check_int, _monitored, resolve_mode


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate from a schedule.

    Parameters
    ----------
    schedule : Schedule, or callable
        A :class:`nnscratch.schedules.Schedule` (used through its protocol: ``start``,
        ``lr_at`` per epoch or per step, ``step`` at epoch end), or a function
        ``fn(epoch, lr) -> new_lr`` (Keras' signature) or ``fn(epoch) -> lr``, called at
        the start of every epoch (0-based).
    monitor : str, optional
        For schedules that need a monitored value (:class:`schedules.ReduceLROnPlateau`):
        the log key fed to ``step``. Default: the schedule's ``monitor`` attribute if it
        has one, else ``"val_loss"`` when there is validation data, else ``"loss"``.
    verbose : int
        1 prints the rate whenever it changes.

    Examples
    --------
    >>> sched = LearningRateScheduler(lambda epoch, lr: lr * 0.9 if epoch >= 5 else lr)
    """

    def __init__(self, schedule: schedules.Schedule | Callable[..., float],
                 monitor: str | None = None, verbose: int = 0) -> None:
        if isinstance(schedule, str):
            schedule = schedules.get_schedule(schedule)
        if not isinstance(schedule, schedules.Schedule) and not callable(schedule):
            raise TypeError("LearningRateScheduler: schedule must be a Schedule or a "
                            f"function fn(epoch, lr), got {schedule!r}")
        self.schedule = schedule
        self.monitor = monitor
        self.verbose = verbose
        self._takes_lr = False
        if not isinstance(schedule, schedules.Schedule):
            self._takes_lr = _positional_arity(schedule) >= 2

    @property
    def _sched(self) -> schedules.Schedule | None:
        return self.schedule if isinstance(self.schedule, schedules.Schedule) else None

    def _set(self, lr: float, when: str) -> None:
        opt = self.model.optimizer
        assert opt is not None
        lr = float(lr)
        if self.verbose and lr != opt.learning_rate:
            print(f"{when}: learning rate {opt.learning_rate:.4g} -> {lr:.4g}", flush=True)
        opt.learning_rate = lr

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        sched = self._sched
        if sched is not None:
            assert self.model.optimizer is not None
            sched.start(self.model.optimizer.learning_rate)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        sched = self._sched
        if sched is None:
            assert self.model.optimizer is not None
            fn: Any = self.schedule
            lr = fn(epoch, self.model.optimizer.learning_rate) if self._takes_lr else fn(epoch)
            self._set(lr, f"epoch {epoch + 1}")
        elif sched.unit == "epoch":
            self._set(sched.lr_at(epoch), f"epoch {epoch + 1}")

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        sched = self._sched
        if sched is not None and sched.unit == "step":
            self._set(sched.lr_at(int((logs or {})["iteration"])), f"step {batch + 1}")

    def _monitor_key(self, logs: dict[str, Any] | None) -> str:
        if self.monitor is not None:
            return self.monitor
        own = getattr(self.schedule, "monitor", None)
        if own:
            return str(own)
        # fit puts val_loss in every epoch's logs exactly when it has validation data
        return "val_loss" if logs and "val_loss" in logs else "loss"

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        sched = self._sched
        if sched is None:
            return
        if sched.needs_metric:
            value = _monitored(self, self._monitor_key(logs), logs)
            if value is None:
                return
            lr = sched.step(value)
            if lr is not None:  # takes effect now, as Keras's callback does
                self._set(lr, f"epoch {epoch + 1} end")
        else:
            sched.step(None)

    def state_dict(self) -> dict[str, Any]:
        sched = self._sched
        return {"schedule": None if sched is None else sched.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        sched = self._sched
        if sched is not None and state.get("schedule") is not None:
            sched.load_state_dict(state["schedule"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.schedule!r})"


def _positional_arity(fn: Callable[..., Any]) -> int:
    """How many positional arguments ``fn`` accepts (2 for ``*args``)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    count = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return 2
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


class ReduceLROnPlateau(LearningRateScheduler):
    """Lower the learning rate when a monitored value stops improving (Keras' callback).

    The logic is :class:`nnscratch.schedules.ReduceLROnPlateau`'s, fed ``logs[monitor]``
    at each epoch end, with Keras' meanings of the arguments.

    Parameters
    ----------
    monitor : str, default "val_loss"
    factor : float in (0, 1), default 0.1
        New rate = max(rate · factor, min_lr).
    patience : int >= 0, default 10
        Number of epochs in a row without improvement after which the rate is lowered
        (Keras' meaning: with ``patience=2`` it drops at the end of the second bad
        epoch; the schedule's PyTorch-style ``patience`` is this minus one).
    min_delta : float >= 0, default 1e-4
        An improvement must beat the best value by more than this (absolute, as Keras).
    cooldown : int >= 0, default 0
        Epochs after a reduction during which bad epochs are not counted.
    min_lr : float >= 0, default 0
    mode : {"auto", "min", "max"}
        See :class:`EarlyStopping`.
    verbose : int
        1 prints each reduction.

    Notes
    -----
    The new rate applies from the next epoch. ``logs["lr"]`` is the rate the epoch used.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0,
                 mode: str = "auto", verbose: int = 0) -> None:
        owner = type(self).__name__
        patience = _check_int(owner, "patience", patience)
        plateau = schedules.ReduceLROnPlateau(
            factor=factor, patience=max(patience - 1, 0), min_delta=min_delta,
            threshold_mode="abs", cooldown=_check_int(owner, "cooldown", cooldown),
            min_lr=min_lr, mode=resolve_mode(owner, monitor, mode),
        )
        super().__init__(plateau, monitor=monitor, verbose=verbose)
        self.patience = patience

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # the rate changes only at epoch end; leave the optimizer's alone otherwise
        # (so that fit(learning_rate=...) on a later call is not overridden)
        return None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # reduce from the optimizer's current rate, whoever set it, as Keras does
        assert isinstance(self.schedule, schedules.ReduceLROnPlateau)
        assert self.model.optimizer is not None
        self.schedule.lr = self.model.optimizer.learning_rate
        super().on_epoch_end(epoch, logs)

    def __repr__(self) -> str:
        s = self.schedule
        assert isinstance(s, schedules.ReduceLROnPlateau)
        return (f"ReduceLROnPlateau(monitor={self.monitor!r}, factor={s.factor}, "
                f"patience={self.patience}, min_delta={s.min_delta}, cooldown={s.cooldown}, "
                f"min_lr={s.min_lr}, mode={s.mode!r})")

