"""Training apart from the model: the loop behind :meth:`Sequential.fit` and its checkpoints.

Read it top to bottom as one run: :func:`fit` checks its arguments and arrays, finds where
to start (a checkpoint's next epoch, or after the epochs already trained), then runs the
epochs; :func:`train_epoch` walks the batches, each one a call of the model's
``train_step(x_batch, y_batch)`` (Keras' name and contract: it takes one gradient step and
returns the batch's logs, and a subclass of :class:`~nnscratch.Sequential` may override
it); :func:`save_checkpoint` and :func:`restore_checkpoint` write and read everything an
exact resume needs.

What a run has done and a checkpoint saves (the step counter, the epochs done, the
shuffling generator, the callbacks of the last ``fit``) lives in one
:class:`TrainingState` on the model, not in fields beside its layers.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import distributed, io
from ._fit_checks import batch_converter, batching, check_fit_arguments, fit_arrays
from ._loadcheck import restoring
from ._registry import class_key
from ._rng import as_rng
from .callbacks import CALLBACK_REGISTRY, CallbackList
from .distributed import data_parallel
from .layers.base import LAYER_REGISTRY
from .optimizers import OPTIMIZER_REGISTRY
from .progress import Progress

if TYPE_CHECKING:
    from .model import Sequential


@dataclass
class TrainingState:
    """What training has done to a model, across ``fit`` calls: what checkpoints save.

    Attributes
    ----------
    iteration : int
        Optimizer steps taken by ``fit``, across calls and resumes.
    epochs_done : int
        Epochs finished.
    partial_epoch : bool
        The last epoch was cut short (a callback stopped it within its batches).
    epoch_in_progress : bool
        True between an epoch's first batch and its end, where no exact resume point is.
    rng : Generator or None
        The shuffling generator of the last ``fit``.
    callbacks : CallbackList or None
        The callbacks of the last ``fit``; checkpoints save the state of those that have one.
    plan : object or None
        What every step of the running ``fit`` uses, looked up once (see
        ``Sequential.train_step``); None outside ``fit``.
    """

    iteration: int = 0
    epochs_done: int = 0
    partial_epoch: bool = False
    epoch_in_progress: bool = False
    rng: np.random.Generator | None = None
    callbacks: CallbackList | None = None
    plan: Any = None


@dataclass
class Batches:
    """How an epoch cuts ``(x, y)`` into batches, and the gather buffers it reuses."""

    x: np.ndarray  # (N, ...)
    y: np.ndarray  # (N,) or (N, K)
    size: int
    count: int
    shuffle: bool
    drop_last: bool
    #: data-parallel: this rank's share of each batch (nnscratch.distributed); else None
    shard: Any = None
    #: a memory-mapped x: casts and checks each batch (see _fit_checks.batch_converter)
    convert: Any = None

    def __post_init__(self) -> None:
        self.x_buf = self.y_buf = None
        if self.shuffle:  # one gather buffer per fit, reused every step
            self.x_buf = np.empty((self.size, *self.x.shape[1:]), dtype=self.x.dtype)
            self.y_buf = np.empty((self.size, *self.y.shape[1:]), dtype=self.y.dtype)


def fit(model: Sequential, x: Any, y: Any, epochs: int, batch_size: int | None,
        learning_rate: float | None, shuffle: bool, seed: Any, validation_data: Any,
        validation_split: float, callbacks: Any, lr_schedule: Any, verbose: int,
        resume_from: str | os.PathLike[str] | None, drop_last: bool) -> None:
    """Train ``model``: what :meth:`Sequential.fit` does (see it for the arguments)."""
    # -- configuration: every argument and array is checked before the first step
    if model.loss is None or model.optimizer is None:
        raise RuntimeError("Sequential.fit(): call use(loss, optimizer) before fit()")
    cb_items = check_fit_arguments(epochs, batch_size, shuffle, validation_split,
                                   callbacks, lr_schedule, verbose, drop_last)
    world = distributed.world()  # None in one process, where nothing below changes
    if world is not None:  # only rank 0 prints and writes files
        verbose, cb_items = data_parallel.main_rank_view(world, verbose, cb_items)
    rng = as_rng(seed, "fit", "seed")
    convert = batch_converter(model, x)  # None unless x is memory-mapped
    x, y, validation_data = fit_arrays(model, x, y, validation_data, validation_split)
    bs, n_batches = batching(model.layers, x.shape[1:], len(x), batch_size, drop_last)
    if learning_rate is not None:
        model.optimizer.learning_rate = learning_rate
    model.input_shape = tuple(x.shape[1:])
    full_batch = bs == len(x)  # one step per epoch, on the samples in their order
    data = Batches(x, y, bs, n_batches, shuffle and not full_batch, drop_last,
                   convert=convert)
    run = model.training_state
    plan = model._step_plan(y)  # the metrics' names are checked here
    cbs = run.callbacks = CallbackList([model.history, *cb_items], model)
    model.stop_training = False
    # -- where to start: a checkpoint's next epoch, or after the epochs already trained
    first_epoch, last_epoch, rng = _start(model, epochs, rng, resume_from, cbs)
    if world is not None:  # rank 0's generator and weights everywhere; the reductions
        data.shard = data_parallel.begin_fit(world, model, rng, ["loss", *plan.metric_names],
                                             len(x), n_batches)
        plan = model._step_plan(y)  # the optimizer now adds the penalties' gradients
    bar = (Progress(max(last_epoch - first_epoch, 0), "training", verbose)
           if full_batch and verbose == 1 else None)
    # -- the epochs
    run.plan = plan
    model.train()
    cbs.call("on_train_begin", {})
    try:
        logs = _epochs(model, data, validation_data, range(first_epoch, last_epoch), rng,
                       cbs, bar, verbose)
    except BaseException as err:  # Ctrl-C too: callbacks finish their files, then it goes on
        cbs.call("on_exception", err)
        raise
    finally:
        run.plan = None
        if data.shard is not None:
            data_parallel.end_fit(model)
    if bar is not None:
        bar.close(_shown(logs, verbose) if logs else None)
    cbs.call("on_train_end", logs)
    if world is not None:  # fit returns on every rank once rank 0's files are written
        distributed.barrier()
    model.eval()


def _epochs(model: Sequential, data: Batches, validation_data: Any, epochs: range,
            rng: np.random.Generator, cbs: CallbackList, bar: Progress | None, verbose: int
            ) -> dict[str, Any]:
    """The epochs of a ``fit`` call, each with its validation, logs and callbacks; returns
    the last epoch's logs (empty when none ran)."""
    run = model.training_state
    full_batch = data.size == len(data.x)
    logs: dict[str, Any] = {}
    for epoch in epochs:
        run.epoch_in_progress = True
        cbs.call("on_epoch_begin", epoch, {})
        epoch_bar = (Progress(data.count, f"epoch {epoch + 1}/{epochs.stop}", verbose)
                     if not full_batch and verbose else None)
        t0 = time.perf_counter()
        logs = train_epoch(model, data, epoch, rng, cbs, epoch_bar)
        if validation_data is not None:
            val = model.evaluate(*validation_data)
            model.train()
            logs.update({f"val_{k}": v for k, v in val.items()})
        logs["lr"] = model.optimizer.learning_rate  # type: ignore[union-attr]
        logs["seconds"] = time.perf_counter() - t0
        run.epoch_in_progress = False
        run.epochs_done = epoch + 1
        cbs.call("on_epoch_end", epoch, logs)
        if epoch_bar is not None:
            epoch_bar.close(_shown(logs, verbose))
        if bar is not None:
            bar.update(1, _shown(logs, verbose))
        if model.stop_training:
            break
    return logs


def _start(model: Sequential, epochs: int, rng: np.random.Generator,
           resume_from: str | os.PathLike[str] | None, cbs: CallbackList
           ) -> tuple[int, int, np.random.Generator]:
    """(first epoch, epoch to stop before, shuffling generator) of a ``fit`` call.

    Resuming, ``epochs`` counts from the run's very start and the checkpoint's generator
    replaces ``rng``; otherwise ``epochs`` more are trained after those in the history.
    """
    run = model.training_state
    if resume_from is not None:
        first_epoch, rng = restore_checkpoint(model, resume_from, cbs)
        last_epoch = epochs
    else:
        first_epoch = model.history.epoch[-1] + 1 if model.history.epoch else 0
        last_epoch = first_epoch + epochs
        run.epochs_done = first_epoch
    run.rng = rng
    return first_epoch, last_epoch, rng


def train_epoch(model: Sequential, data: Batches, epoch: int, rng: np.random.Generator,
                cbs: CallbackList, bar: Progress | None) -> dict[str, Any]:
    """One pass over ``data``, a ``model.train_step`` per batch; returns the epoch's logs
    (each value the mean over the samples seen, weighted by batch size)."""
    run = model.training_state
    # what every step uses, looked up once: the per-step Python work adds up at small
    # batch sizes, where a step's arithmetic takes only tens of microseconds
    x, y, bs, n_batches, n = data.x, data.y, data.size, data.count, len(data.x)
    x_buf, y_buf = data.x_buf, data.y_buf
    order = rng.permutation(n) if data.shuffle else None
    train_step, batch_hooks = model.train_step, cbs.has_batch_hooks
    iteration_loss = model.history.iteration_loss
    shard, convert = data.shard, data.convert
    sums = dict.fromkeys(["loss", *(run.plan.metric_names if run.plan else ())], 0.0)
    seen = 0
    for b in range(n_batches):
        start, stop = b * bs, min((b + 1) * bs, n)
        size = stop - start  # the global batch's, data-parallel or not
        if shard is not None:  # data-parallel: this rank's rows of the global batch
            start, stop = shard.rows(start, stop)
        if batch_hooks:
            batch_logs: dict[str, Any] = {"batch": b, "size": size, "iteration": run.iteration}
            cbs.call("on_batch_begin", b, batch_logs)
        if order is None:
            xb, yb = x[start:stop], y[start:stop]
        else:
            idx = order[start:stop]
            # mode="clip": the indices are a permutation, always in range, and with the
            # default "raise" NumPy gathers through an extra buffer
            xb = x.take(idx, axis=0, out=x_buf[:stop - start], mode="clip")  # type: ignore[index]
            yb = y.take(idx, axis=0, out=y_buf[:stop - start], mode="clip")  # type: ignore[index]
        if convert is not None:  # memory-mapped x: read, cast and checked batch by batch
            xb = convert(xb, start if order is None else idx)
        if shard is None:
            logs = train_step(xb, yb)
        else:  # the step on this rank's rows; the logs of the global batch
            logs = shard.step(train_step, xb, yb)
        loss = logs["loss"]
        if not math.isfinite(loss):  # train_step took no step
            if not batch_hooks:
                batch_logs = {"batch": b, "size": size, "iteration": run.iteration}
            batch_logs["loss"] = loss
            cbs.call("on_batch_end", b, batch_logs)
            if model.stop_training:
                break
            raise FloatingPointError(
                f"fit: the loss became {loss} at epoch {epoch + 1}, batch {b + 1} of "
                f"{n_batches} (learning rate {model.optimizer.learning_rate:g}); "  # type: ignore[union-attr]
                "try a smaller learning rate or check the inputs for extreme values")
        run.iteration += 1
        seen += size
        for key, value in logs.items():
            sums[key] = sums.get(key, 0.0) + value * size
        iteration_loss.append(loss)
        if batch_hooks:
            batch_logs["loss"] = loss
            cbs.call("on_batch_end", b, batch_logs)
        if bar is not None:
            bar.update(1, {k: v / seen for k, v in sums.items()})
        if model.stop_training:
            break
    run.partial_epoch = seen < n_batches * bs if data.drop_last else seen < n
    epoch_logs = {k: v / (seen or 1) for k, v in sums.items()}
    if not seen:
        epoch_logs["loss"] = float("nan")
    return epoch_logs


def _shown(logs: dict[str, Any], verbose: int) -> dict[str, Any]:
    """The epoch logs a progress display shows: tqdm already shows the time."""
    hidden = ("lr", "seconds") if verbose == 1 else ("lr",)
    return {k: v for k, v in logs.items() if k not in hidden}


# -- checkpoints: everything an exact resume needs, written and read in one place --------
def save_checkpoint(model: Sequential, path: str | os.PathLike[str],
                    metadata: dict[str, Any] | None = None) -> Path:
    """What :meth:`Sequential.save_checkpoint` does (see it)."""
    if model.optimizer is None:
        raise RuntimeError("save_checkpoint(): call use(loss, optimizer) first")
    if model.training_state.epoch_in_progress:
        raise RuntimeError("save_checkpoint() called in the middle of an epoch; "
                           "checkpoints mark epoch boundaries (save from on_epoch_end "
                           "or after fit)")
    return io.save_checkpoint(model, path, training_state_dict(model), metadata)


def training_state_dict(model: Sequential) -> dict[str, Any]:
    """The ``training`` section of a checkpoint: JSON values and arrays."""
    assert model.optimizer is not None
    run = model.training_state
    stateful = run.callbacks.stateful() if run.callbacks is not None else []
    return {
        "epoch": run.epochs_done,
        "iteration": run.iteration,
        "partial_epoch": run.partial_epoch,
        "optimizer": {"class": class_key(type(model.optimizer)),
                      "config": model.optimizer.get_config(),
                      "state": model.optimizer.state_dict()},
        "rng": None if run.rng is None else run.rng.bit_generator.state,
        "history": model.history.state_dict(),
        "callbacks": [{"class": class_key(type(cb)), "state": cb.state_dict()}  # type: ignore[attr-defined]
                      for cb in stateful],
    }


def restore_checkpoint(model: Sequential, path: str | os.PathLike[str], cbs: CallbackList
                       ) -> tuple[int, np.random.Generator]:
    """Load a checkpoint into ``model`` and ``cbs``; returns (next epoch, generator).

    Raises
    ------
    ValueError
        The checkpoint is for other layers, another dtype or another optimizer class.
    """
    assert model.optimizer is not None
    header, arrays, training = io.read_checkpoint(path)
    _check_same_model(model, header, training, path)
    model.load_state_dict(arrays, source=str(path))
    with restoring(str(path), "optimizer"):
        model.optimizer.load_state_dict(training["optimizer"]["state"])
    with restoring(str(path), "history"):
        model.history.load_state_dict(training["history"])
    run = model.training_state
    run.iteration = int(training["iteration"])
    run.epochs_done = int(training["epoch"])
    run.partial_epoch = bool(training.get("partial_epoch", False))
    if run.partial_epoch:
        warnings.warn(f"{path}: written after an epoch that was cut short; resuming "
                      "starts the next epoch, so the run will not match an "
                      "uninterrupted one", UserWarning, stacklevel=5)
    entries = list(training.get("callbacks", []))
    used = [False] * len(entries)
    for cb in cbs.stateful():
        for j, entry in enumerate(entries):
            if not used[j] and CALLBACK_REGISTRY.means(entry["class"], type(cb)):
                with restoring(str(path), f"callbacks.{j}"):
                    cb.load_state_dict(entry["state"])  # type: ignore[attr-defined]
                used[j] = True
                break
    with restoring(str(path), "rng"):
        rng = _generator_from_state(training["rng"], str(path))
    return run.epochs_done, rng


def _check_same_model(model: Sequential, header: dict[str, Any], training: dict[str, Any],
                      path: str | os.PathLike[str]) -> None:
    """Refuse a checkpoint of other layers, dtype or optimizer; warn of other settings."""
    assert model.optimizer is not None
    saved = [spec["class"] for spec in header["layers"]]
    mine = [class_key(type(layer)) for layer in model.layers]
    if len(saved) != len(mine) or not all(
            LAYER_REGISTRY.means(s, type(layer)) for s, layer in zip(saved, model.layers)):
        raise ValueError(f"{path}: the checkpoint is for layers {saved}, this model has "
                         f"{mine}; build the model the same way before resuming")
    if header.get("dtype") != str(model.dtype):
        raise ValueError(f"{path}: the checkpoint is in {header.get('dtype')}, this model "
                         f"in {model.dtype}")
    opt = training["optimizer"]
    if not OPTIMIZER_REGISTRY.means(opt["class"], type(model.optimizer)):
        raise ValueError(f"{path}: the checkpoint's optimizer is {opt['class']}, this "
                         f"model's is {class_key(type(model.optimizer))}")
    mine_cfg = {k: v for k, v in model.optimizer.get_config().items() if k != "learning_rate"}
    saved_cfg = {k: v for k, v in opt["config"].items() if k != "learning_rate"}
    if mine_cfg != saved_cfg:
        warnings.warn(f"{path}: resuming with optimizer settings {mine_cfg}, the "
                      f"checkpoint was trained with {saved_cfg}", UserWarning, stacklevel=6)


_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _generator_from_state(state: dict[str, Any] | None, source: str) -> np.random.Generator:
    """A Generator in exactly the saved ``bit_generator.state``."""
    if state is None:
        return np.random.default_rng()
    kind = state.get("bit_generator") if isinstance(state, dict) else None
    if kind not in _BIT_GENERATORS:
        raise ValueError(f"{source}: unknown random generator state {kind!r}; expected one "
                         f"of {list(_BIT_GENERATORS)}")
    bit_generator = getattr(np.random, kind)()
    bit_generator.state = state
    return np.random.Generator(bit_generator)
