"""Callbacks that stop training: EarlyStopping and TerminateOnNaN."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .._params import Bool, Check, Declared, Int, Number, OneOf, OrNone, Rule, call_repr
from .base import Callback, _monitored, resolve_mode


def _key(owner: str, name: str, value: Any) -> str:
    """A key of the epoch logs: a string."""
    if not isinstance(value, str):
        raise TypeError(f"{owner}: {name} must be a key of the logs (a string), got {value!r}")
    return value


class EarlyStopping(Callback, Declared):
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

    monitor: str
    patience: int
    min_delta: float
    mode: str
    restore_best_weights: bool
    baseline: float | None
    constraints: ClassVar[dict[str, Rule]] = {
        "monitor": Check(_key),
        "patience": Int(0, type_error=ValueError),
        "min_delta": Number(),
        "mode": OneOf(("auto", "min", "max")),
        "restore_best_weights": Bool(),
        "baseline": OrNone(Number(-math.inf)),
    }

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False,
                 baseline: float | None = None, verbose: int = 0) -> None:
        self.set_params(monitor=monitor, patience=patience, min_delta=min_delta, mode=mode,
                        restore_best_weights=restore_best_weights, baseline=baseline)
        self.mode = resolve_mode(type(self).__name__, monitor, mode)  # "auto" decided
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
                # numbers only: weights and running statistics, not a Dropout layer's
                # generator state, which keeps running as it would without the restore
                self.best_weights = {k: v.copy() for k, v in self.model.state_dict().items()
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
            arrays = {**self.model.state_dict(), **self.best_weights}
            self.model.load_state_dict(arrays, "EarlyStopping best weights")

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
        return call_repr(type(self).__name__, self.declared_config())


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

