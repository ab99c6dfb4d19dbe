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
    on_exception(exception)             # instead of on_train_end when an epoch raises

``epoch`` is 0-based and continues across ``fit`` calls and resumes. Callbacks with
``runs_last = True`` (:class:`ModelCheckpoint`, :class:`CSVLogger`) are called after the
others, so what they write already reflects this epoch's updates (a schedule's step,
early stopping's counters).

In data-parallel training (:mod:`nnscratch.distributed`) callbacks with
``main_rank_only = True`` (:class:`ModelCheckpoint`, :class:`CSVLogger`) run on rank 0
alone; the others run on every rank, where the logs hold the same global values.

A callback that keeps state needed to resume training exactly defines ``state_dict()``
and ``load_state_dict(state)`` (JSON values and NumPy arrays); checkpoints store them.

Built-ins (Keras' names and meanings): :class:`History`, :class:`EarlyStopping`,
:class:`ModelCheckpoint`, :class:`LearningRateScheduler`, :class:`ReduceLROnPlateau`,
:class:`TerminateOnNaN`, :class:`CSVLogger`, :class:`TensorBoard`; and
:class:`DecisionBoundaryAnimation`, a GIF of a model's class regions over the epochs.
Diagnostics: :class:`LayerStats` (per-layer activation and gradient statistics, with
warnings).
"""

from __future__ import annotations

from .animation import DecisionBoundaryAnimation
from .base import (
    CALLBACK_REGISTRY,
    Callback,
    CallbackList,
    History,
    resolve_mode,
)
from .checkpoint import ModelCheckpoint
from .csv_logger import CSVLogger
from .layer_stats import LayerStats, LayerStatsWarning
from .lr import LearningRateScheduler, ReduceLROnPlateau
from .stopping import EarlyStopping, TerminateOnNaN
from .tensorboard import TensorBoard

__all__ = [
    "CALLBACK_REGISTRY", "CSVLogger", "Callback", "CallbackList", "DecisionBoundaryAnimation",
    "EarlyStopping", "History", "LayerStats", "LayerStatsWarning", "LearningRateScheduler",
    "ModelCheckpoint", "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN",
    "resolve_mode",
]
