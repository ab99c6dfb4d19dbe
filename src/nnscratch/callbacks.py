"""Training callbacks and the History record.

A callback is an object with any of the hooks below; ``Sequential.fit`` calls them with
the model set as ``callback.model``. ``logs`` is a dict of the current values (``loss``,
``accuracy``, ``val_loss``, ``lr``, ...). Setting ``model.stop_training = True`` ends
training after the current batch or epoch.

Hooks, in the order ``fit`` calls them::

    on_train_begin(logs)
    for each epoch:
        on_epoch_begin(epoch, logs)
        for each batch:
            on_batch_begin(batch, {"batch", "size", "iteration"})
            ...                                             # forward, backward, step
            on_batch_end(batch, {"batch", "size", "iteration", "loss"})
        on_epoch_end(epoch, logs)       # loss, metrics, val_*, lr, seconds
    on_train_end(logs)

``epoch`` is 0-based and continues across ``fit`` calls and resumes. Callbacks with
``runs_last = True`` (:class:`ModelCheckpoint`, :class:`CSVLogger`) are called after the
others, so what they write already reflects this epoch's updates (a schedule's step,
early stopping's counters).

A callback that keeps state needed to resume training exactly defines ``state_dict()``
and ``load_state_dict(state)`` (JSON values and NumPy arrays); checkpoints store them.

Built-ins (Keras' names and meanings): :class:`History`, :class:`EarlyStopping`,
:class:`ModelCheckpoint`, :class:`LearningRateScheduler`, :class:`ReduceLROnPlateau`,
:class:`TerminateOnNaN`, :class:`CSVLogger`.
"""

from __future__ import annotations

import csv
import inspect
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

import numpy as np

from . import schedules
from ._registry import Registry

if TYPE_CHECKING:
    from .model import Sequential


#: Every Callback subclass by public name: checkpoints match saved callback state by it.
CALLBACK_REGISTRY: Registry[type[Callback]] = Registry("callback")


class Callback:
    """Base class with no-op hooks."""

    model: Sequential
    #: Called after the callbacks without this flag, at every hook.
    runs_last: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        CALLBACK_REGISTRY.register(cls)

    def set_model(self, model: Sequential) -> None:
        self.model = model

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None: ...

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...


class CallbackList:
    """Calls a hook on every callback in order (``runs_last`` ones after the rest)."""

    def __init__(self, callbacks: list[Callback], model: Sequential) -> None:
        callbacks = list(callbacks)
        self.callbacks = ([cb for cb in callbacks if not getattr(cb, "runs_last", False)]
                          + [cb for cb in callbacks if getattr(cb, "runs_last", False)])
        for cb in self.callbacks:
            if hasattr(cb, "set_model"):
                cb.set_model(model)
            else:
                cb.model = model
        self.has_batch_hooks = any(
            type(cb).on_batch_end is not Callback.on_batch_end
            or type(cb).on_batch_begin is not Callback.on_batch_begin
            for cb in self.callbacks
        )

    def call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(*args)

    def stateful(self) -> list[Callback]:
        """The callbacks whose state a checkpoint saves (History is saved apart)."""
        return [cb for cb in self.callbacks
                if not isinstance(cb, History) and hasattr(cb, "state_dict")]


class History(Callback):
    """What happened during training.

    Attributes
    ----------
    history : dict of str to list of float
        Per-epoch values: ``loss``, ``accuracy`` (when meaningful), ``val_loss``,
        ``val_accuracy``, other metrics, and ``lr``. Only values that a seeded run
        reproduces exactly: the wall-clock time is kept apart, in :attr:`seconds`.
    epoch : list of int
        Epoch indices (0-based) of the entries, continuing across ``fit`` calls.
    iteration_loss : list of float
        The cost of every gradient step (one per batch): the articles' "cost per
        iteration" curve. For full-batch training this is the per-epoch loss again.
    seconds : list of float
        Wall-clock duration of each epoch (training and validation).
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.iteration_loss: list[float] = []
        self.seconds: list[float] = []

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def keys(self) -> Any:
        return self.history.keys()

    def __len__(self) -> int:
        return len(self.epoch)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            if key == "seconds":
                self.seconds.append(float(value))
            else:
                self.history.setdefault(key, []).append(float(value))

    @property
    def loss(self) -> list[float]:
        """Training loss per epoch."""
        return self.history.get("loss", [])

    def best(self, monitor: str = "val_loss", mode: str = "min") -> tuple[int, float]:
        """(epoch, value) of the best ``monitor`` value."""
        values = np.asarray(self.history[monitor])
        i = int(np.nanargmin(values) if mode == "min" else np.nanargmax(values))
        return self.epoch[i], float(values[i])

    def plot(self, path: str | None = None, **kwargs: Any) -> Any:
        """Draw loss and metrics for training and validation (see :func:`plots.plot_history`)."""
        from .plots import plot_history

        return plot_history(self, path, **kwargs)

    def state_dict(self) -> dict[str, Any]:
        return {"history": {k: list(v) for k, v in self.history.items()},
                "epoch": list(self.epoch), "iteration_loss": list(self.iteration_loss),
                "seconds": list(self.seconds)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}
        self.epoch = [int(e) for e in state["epoch"]]
        self.iteration_loss = [float(x) for x in state["iteration_loss"]]
        self.seconds = [float(x) for x in state.get("seconds", [])]

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        return f"History({len(self.epoch)} epochs, last={last})"


# -- helpers ---------------------------------------------------------------------------------
_MAX_WORDS = ("acc", "auc", "precision", "recall", "f1", "iou")


def resolve_mode(owner: str, monitor: str, mode: str) -> str:
    """``"min"`` or ``"max"``; ``"auto"`` means max for accuracy-like names, else min."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_").lower()
    return "max" if any(word in name for word in _MAX_WORDS) else "min"


def _monitored(owner: Callback, monitor: str, logs: dict[str, Any] | None) -> float | None:
    """``logs[monitor]`` as a float, or None with a warning (once) naming what there is."""
    logs = logs or {}
    if monitor in logs:
        return float(logs[monitor])
    if not getattr(owner, "_warned_missing", False):
        owner._warned_missing = True  # type: ignore[attr-defined]
        hint = " (pass validation_data or validation_split to fit)" \
            if monitor.startswith("val_") else ""
        warnings.warn(f"{type(owner).__name__}: monitored value {monitor!r} is not in the "
                      f"epoch's logs{hint}; available: {sorted(logs)}", UserWarning,
                      stacklevel=3)
    return None


def _check_int(owner: str, name: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_nonneg(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


# -- built-in callbacks ----------------------------------------------------------------------
class EarlyStopping(Callback):
    """Stop training when a monitored value has stopped improving.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A key of the epoch logs (``"loss"``, ``"val_accuracy"``, ...).
    patience : int >= 0, default 0
        Number of epochs in a row without improvement after which training stops
        (0 and 1 both stop at the first epoch without improvement, as in Keras).
    min_delta : float >= 0, default 0
        An improvement must beat the best value by more than this (absolute).
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; "auto" takes "max" for accuracy-like names.
    restore_best_weights : bool, default False
        When training ends, put back the weights (and layer state such as BatchNorm's
        running statistics) of the best epoch. This happens whether training stopped
        early or ran all its epochs (older Keras versions restored only on an early stop).
    baseline : float, optional
        Training also stops if the value has not beaten ``baseline`` after ``patience``
        epochs.

    Attributes
    ----------
    best, best_epoch : float, int
        The best monitored value and its epoch.
    stopped_epoch : int
        The epoch at which training was stopped (0 if it was not).

    Notes
    -----
    After each epoch (never stopping after the very first)::

        wait += 1
        if better(value, best): best = value; remember the weights; wait = 0 (*)
        elif wait >= patience: stop

    (*) with a ``baseline``, ``wait`` is reset (and the epoch exempt from the stopping
    test) only if the value also beats the baseline: if no epoch does, training runs
    ``patience`` epochs. NaN is never an improvement.

    Examples
    --------
    >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False,
                 baseline: float | None = None, verbose: int = 0) -> None:
        owner = type(self).__name__
        self.monitor = monitor
        self.patience = _check_int(owner, "patience", patience)
        self.min_delta = _check_nonneg(owner, "min_delta", min_delta)
        self.mode = resolve_mode(owner, monitor, mode)
        self.restore_best_weights = bool(restore_best_weights)
        self.baseline = None if baseline is None else float(baseline)
        self.verbose = verbose
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = -1
        self.stopped_epoch = 0
        self.best_weights: dict[str, np.ndarray] | None = None

    def _better(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if getattr(self, "_resumed", False):  # a checkpoint restored the counters
            self._resumed = False
            return
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = _monitored(self, self.monitor, logs)
        if value is None:
            return
        self.wait += 1
        if self._better(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                from .io import model_arrays

                # numbers only: weights and running statistics, not a Dropout layer's
                # generator state, which keeps running as it would without the restore
                self.best_weights = {k: v.copy() for k, v in model_arrays(self.model).items()
                                     if v.dtype.kind in "fiub"}
            if self.baseline is None or self._better(value, self.baseline):
                self.wait = 0
                return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.stopped_epoch and self.verbose:
            print(f"epoch {self.stopped_epoch + 1}: early stopping ({self.monitor} best "
                  f"{self.best:.4g} at epoch {self.best_epoch + 1})", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            from .io import load_arrays_into, model_arrays

            arrays = {**model_arrays(self.model), **self.best_weights}
            load_arrays_into(self.model, arrays, "EarlyStopping best weights")

    def state_dict(self) -> dict[str, Any]:
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.wait = int(state["wait"])
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.stopped_epoch = int(state["stopped_epoch"])
        self.best_weights = state["best_weights"]
        self._resumed = True

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, mode={self.mode!r}, "
                f"restore_best_weights={self.restore_best_weights})")


class ModelCheckpoint(Callback):
    """Save the model after every epoch, or only when it improves.

    Parameters
    ----------
    path : str or path-like
        Where to write the ``.npz`` file; may contain ``{epoch}`` (1-based, as in Keras)
        and any log key, with format specs: ``"ckpt/e{epoch:03d}-{val_loss:.3f}.npz"``.
    monitor : str, default "val_loss"
        The value compared when ``save_best_only``.
    save_best_only : bool, default False
        Save only when ``monitor`` beats every earlier epoch's value (NaN never does).
    mode : {"auto", "min", "max"}
        See :class:`EarlyStopping`.
    save_training_state : bool, default False
        Write a full training checkpoint (:meth:`Sequential.save_checkpoint`: weights,
        layer state, optimizer state, schedule, random generators, epoch, history and
        the other callbacks' state) that ``fit(..., resume_from=path)`` continues
        exactly. Otherwise the file is what :meth:`Sequential.save` writes.
    verbose : int
        1 prints a line per save.

    Notes
    -----
    Every file is written to a temporary file and renamed into place
    (:func:`nnscratch.io.atomic_savez`), so a crash — even a SIGKILL — in the middle of
    a save leaves the previous file intact. This callback runs after the others at each
    epoch end, so its checkpoint holds their updated state.

    Attributes
    ----------
    best : float
        The best monitored value so far.
    last_path : Path or None
        The last file written.
    """

    runs_last = True

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto",
                 save_training_state: bool = False, verbose: int = 0) -> None:
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        self.mode = resolve_mode(type(self).__name__, monitor, mode)
        self.save_training_state = bool(save_training_state)
        self.verbose = verbose
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_path: Path | None = None

    def _format(self, epoch: int, logs: dict[str, Any]) -> Path:
        try:
            return Path(self.path.format(epoch=epoch + 1, **logs))
        except KeyError as err:
            raise ValueError(f"ModelCheckpoint: path {self.path!r} uses {{{err.args[0]}}}, "
                             f"which is not in the logs {sorted(logs)}") from None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            value = _monitored(self, self.monitor, logs)
            if value is None:
                return
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                return
            self.best = value
        path = self._format(epoch, logs)
        if self.save_training_state:
            self.model.save_checkpoint(path)
        else:
            self.model.save(path, metadata={"epoch": epoch + 1})
        self.last_path = path
        if self.verbose:
            print(f"epoch {epoch + 1}: saved {path}", flush=True)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = float(state["best"])


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

    def _monitor_key(self) -> str:
        if self.monitor is not None:
            return self.monitor
        own = getattr(self.schedule, "monitor", None)
        if own:
            return str(own)
        return "val_loss" if getattr(self.model, "_has_validation", False) else "loss"

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        sched = self._sched
        if sched is None:
            return
        if sched.needs_metric:
            value = _monitored(self, self._monitor_key(), logs)
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


class TerminateOnNaN(Callback):
    """Stop training (instead of raising) when a batch's loss is NaN or infinite.

    Without it, ``fit`` raises ``FloatingPointError`` naming the epoch and the batch. With
    it, training stops before the bad step is taken, the epoch's callbacks still run and
    ``fit`` returns normally; :attr:`terminated_at` says where.
    """

    def __init__(self) -> None:
        self.terminated_at: tuple[int, int] | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.terminated_at = (self._epoch, batch)
            print(f"epoch {self._epoch + 1}, batch {batch + 1}: invalid loss {loss}, "
                  "terminating training", flush=True)
            self.model.stop_training = True


class CSVLogger(Callback):
    """Append one row per epoch to a CSV file: ``epoch`` (0-based) then the logs.

    Parameters
    ----------
    path : str or path-like
    append : bool, default False
        Add to an existing file (e.g. when resuming) instead of starting a new one. The
        header is written only when the file is new or empty.
    separator : str, default ","

    Notes
    -----
    The columns are those of the first epoch logged, sorted (as Keras does); every row
    is flushed, so a crash loses at most the epoch in progress. Floats are written in
    full precision (``repr``).
    """

    runs_last = True

    def __init__(self, path: str | os.PathLike[str], append: bool = False,
                 separator: str = ",") -> None:
        self.path = Path(path)
        self.append = bool(append)
        self.separator = separator
        self.keys: list[str] | None = None
        self._file: IO[str] | None = None
        self._writer: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        has_rows = self.append and self.path.exists() and self.path.stat().st_size > 0
        self.keys = None
        if has_rows:
            with open(self.path, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            if header and header[0] == "epoch":
                self.keys = header[1:]
        self._file = open(self.path, "a" if self.append else "w", newline="")
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._writer is None or self._file is None:
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer.writerow(["epoch", *self.keys])
        row = [epoch] + [_csv_value(logs.get(k, "")) for k in self.keys]
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None


def _csv_value(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return value
