"""The callback protocol, the list that calls it, History, and the helpers the
built-ins share (resolving a monitor's mode, reading a monitored value, argument checks)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .._checks import check_int
from .._registry import Registry

if TYPE_CHECKING:
    from ..model import Sequential



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

    def on_exception(self, exception: BaseException) -> None:
        """Training raised ``exception`` (a step failed, Ctrl-C): release or finish what
        ``on_train_begin`` opened; ``on_train_end`` is not called. The exception goes
        on to ``fit``'s caller after every callback has seen it."""


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
        from ..plots import plot_history

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
    """An epoch count: an int >= ``minimum``; a wrong kind is a ValueError, as callbacks
    have always raised."""
    return check_int(owner, name, value, minimum, type_error=ValueError)

