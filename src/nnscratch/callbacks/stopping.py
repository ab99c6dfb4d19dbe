"""Callbacks that stop training: EarlyStopping and TerminateOnNaN."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_number
from .base import Callback, _check_int, _monitored, resolve_mode


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
        self.min_delta = check_number(owner, "min_delta", min_delta)
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
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, mode={self.mode!r}, "
                f"restore_best_weights={self.restore_best_weights})")


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

