"""Training callbacks and the History record.

A callback is an object with any of the hooks below; ``Sequential.fit`` calls them with
the model set as ``callback.model``. ``logs`` is a dict of the current values (``loss``,
``accuracy``, ``val_loss``, ``lr``, ...). Setting ``model.stop_training = True`` ends
training after the current batch or epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .model import Sequential


class Callback:
    """Base class with no-op hooks."""

    model: Sequential

    def set_model(self, model: Sequential) -> None:
        self.model = model

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None: ...

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...


class CallbackList:
    """Calls a hook on every callback in order."""

    def __init__(self, callbacks: list[Callback], model: Sequential) -> None:
        self.callbacks = list(callbacks)
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


class History(Callback):
    """What happened during training.

    Attributes
    ----------
    history : dict of str to list of float
        Per-epoch values: ``loss``, ``accuracy`` (when meaningful), ``val_loss``,
        ``val_accuracy``, other metrics, and ``lr``.
    epoch : list of int
        Epoch indices (0-based) of the entries, continuing across ``fit`` calls.
    iteration_loss : list of float
        The cost of every gradient step (one per batch): the articles' "cost per
        iteration" curve. For full-batch training this is the per-epoch loss again.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.iteration_loss: list[float] = []

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
                "epoch": list(self.epoch), "iteration_loss": list(self.iteration_loss)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.epoch = list(state["epoch"])
        self.iteration_loss = list(state["iteration_loss"])

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        return f"History({len(self.epoch)} epochs, last={last})"
