"""The network: a stack of layers trained by backpropagation.

::

    model = Sequential(Dense(64, 32), ReLU(), Dense(32, 10)).use(SoftmaxCrossEntropy())
    model.fit(x_train, y_train, epochs=20, batch_size=32, learning_rate=0.1)
    model.evaluate(x_test, y_test)   # {"loss": ..., "accuracy": ...}

Training is the loop the articles write by hand — forward, loss, backward by the chain
rule, a gradient step — wrapped with batching, shape checks, metrics and callbacks.

Interrupted training continues exactly where it stopped::

    model.fit(x, y, epochs=8, seed=0, callbacks=[
        ModelCheckpoint("ckpt.npz", save_training_state=True)])       # killed after epoch 4
    model = build()                                                   # a new process
    model.fit(x, y, epochs=8, seed=0, resume_from="ckpt.npz")         # trains epochs 5-8

and ends with bit-for-bit the weights of an uninterrupted 8-epoch run.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import metrics as metrics_mod
from ._checks import check_int
from ._dtype import get_default_dtype, resolve_dtype
from ._fit_checks import (
    batching,
    check_fit_arguments,
    check_probability_targets,
    layer_input_shapes,
)
from ._registry import class_key
from ._rng import as_rng
from .callbacks import (
    CALLBACK_REGISTRY,
    Callback,
    CallbackList,
    History,
)
from .layers.base import LAYER_REGISTRY, Layer, Shape
from .losses import Loss, get_loss
from .optimizers import OPTIMIZER_REGISTRY, Optimizer, get_optimizer
from .parameter import Parameter
from .progress import Progress


class Sequential:
    """A feed-forward network: each layer's output is the next layer's input.

    Parameters
    ----------
    *layers : Layer, or one list of layers
        ``Sequential(Dense(2, 4), Tanh())`` or ``Sequential([Dense(2, 4), Tanh()])``.
    dtype : float32 or float64, optional
        Convert every layer's parameters to this dtype. By default the layers keep the
        dtype they were made in (float32 unless :func:`nnscratch.set_default_dtype`).
        Converting keeps the float32 rounding of float32-initialised weights; to start
        from float64 draws, build the layers in float64::

            with nn.default_dtype(np.float64):
                model = Sequential(Dense(784, 128), ReLU(), Dense(128, 10))

    Attributes
    ----------
    layers : list of Layer
    loss : Loss or None
        Set by :meth:`use`.
    optimizer : Optimizer or None
        Set by :meth:`use`; bound to :meth:`parameters`.
    history : History
        Per-epoch loss and metrics, and the per-iteration cost, across ``fit`` calls.
    stop_training : bool
        A callback sets this to end training early.

    Examples
    --------
    >>> x, y = make_xor()
    >>> (Sequential().add(Dense(3, 4)).add(Sigmoid()).add(Dense(4, 1)).add(Sigmoid())
    ...  .use(MSE()).fit(x, y, epochs=1500, learning_rate=1.0, verbose=0).predict(x).shape)
    (4, 1)
    """

    def __init__(self, *layers: Layer | Sequence[Layer], dtype: Any = None) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers: list[Layer] = []
        self.loss: Loss | None = None
        self.optimizer: Optimizer | None = None
        self.metric_names: list[str] | str = "auto"
        self.history = History()
        self.stop_training = False
        self.input_shape: Shape | None = None
        # training state that checkpoints save (see save_checkpoint)
        self._iteration = 0  # optimizer steps taken by fit, across calls and resumes
        self._epochs_done = 0
        self._partial_epoch = False
        self._epoch_in_progress = False
        self._fit_rng: np.random.Generator | None = None
        self._callbacks: CallbackList | None = None
        self._has_validation = False
        for layer in layers:
            self.add(layer)  # type: ignore[arg-type]
        if dtype is not None:
            self.astype(dtype)

    # -- building --------------------------------------------------------------------------
    def add(self, layer: Layer) -> Sequential:
        """Append ``layer``; checks it can take the previous layer's output. Returns self."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer, got {type(layer).__name__}")
        out = self._output_shape_or_none()
        if out is not None:
            try:
                layer.output_shape(out)
            except ValueError as err:
                raise ValueError(
                    f"cannot add {layer} after {self.layers[-1]} (layer {len(self.layers) - 1}),"
                    f" whose output has shape (N, {', '.join(map(str, out))}): {err}"
                ) from None
        self.layers.append(layer)
        if self.optimizer is not None:
            self.optimizer.bind(self.parameters())
        return self

    def use(
        self,
        loss: Loss | str,
        optimizer: Optimizer | str | None = None,
        metrics: Sequence[Any] | str | None = "auto",
    ) -> Sequential:
        """Choose the loss, the optimizer (default ``SGD(0.01)``) and the metrics. Returns self.

        Parameters
        ----------
        loss : Loss or str
            E.g. ``MSE()``, ``SoftmaxCrossEntropy()`` or ``"bce"``.
        optimizer : Optimizer, str or None
            E.g. ``SGD(0.1)`` or ``Adam()``; bound to this model's parameters.
        metrics : "auto", list or None
            Names (``"accuracy"``, ``"top_k_accuracy"``) or functions
            ``f(y_true, y_pred) -> float``. ``"auto"`` reports accuracy whenever the targets
            are class labels, one-hot rows or 0/1 values.
        """
        self.loss = get_loss(loss)
        self.optimizer = get_optimizer(optimizer)
        self.optimizer.bind(self.parameters())
        if metrics is None:
            self.metric_names = []
        elif isinstance(metrics, str):
            self.metric_names = metrics if metrics == "auto" else [metrics]
        else:
            self.metric_names = list(metrics)
        return self

    compile = use  # Keras' name for the same step

    def parameters(self) -> list[Parameter]:
        """Every trainable parameter, layer by layer."""
        return [p for layer in self.layers for p in layer.parameters()]

    @property
    def dtype(self) -> np.dtype:
        """The dtype the network computes in: its parameters' (or the default)."""
        params = self.parameters()
        return params[0].data.dtype if params else get_default_dtype()

    def astype(self, dtype: Any) -> Sequential:
        """Convert every layer's parameters to ``dtype`` (float32 or float64). Returns self."""
        dt = resolve_dtype(dtype)
        for layer in self.layers:
            layer.astype(dt)
        if self.optimizer is not None:
            self.optimizer.bind(self.parameters())
        return self

    def train(self, mode: bool = True) -> Sequential:
        """Training mode (Dropout drops, BatchNorm uses batch statistics). Returns self."""
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> Sequential:
        """Evaluation mode; ``predict`` and ``evaluate`` switch to it by themselves."""
        return self.train(False)

    # -- forward and backward ------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run ``x`` through every layer; a shape mismatch names the failing layer."""
        if not self.layers:
            raise RuntimeError("Sequential.forward(): the model has no layers; add() some first")
        for i, layer in enumerate(self.layers):
            try:
                x = layer.forward(x)
            except ValueError as err:
                if str(err).startswith("layer "):
                    raise
                raise ValueError(f"layer {i} of {len(self.layers)}: {err}") from err
        return x

    __call__ = forward

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Backpropagate dL/d(output) through every layer; returns dL/d(input)."""
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def backward_params(self, grad: np.ndarray) -> None:
        """Backpropagate dL/d(output) into the parameter gradients only.

        What a training step needs: the layers before the first one with parameters are
        skipped, and that layer adds its parameter gradients without computing dL/dx
        (for a first Dense layer that saves a GEMM as large as its forward pass). The
        gradients are those :meth:`backward` accumulates.
        """
        self._backward_params(grad, self._first_trainable())

    def _first_trainable(self) -> int:
        """Index of the first layer with parameters (``len(layers)`` if none)."""
        return next((i for i, layer in enumerate(self.layers) if layer.parameters()),
                    len(self.layers))

    def _backward_params(self, grad: np.ndarray, first: int) -> None:
        layers = self.layers
        for layer in layers[:first:-1]:  # from the last layer down to the one after `first`
            grad = layer.backward(grad)
        if first < len(layers):
            layers[first].backward_params(grad)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def regularization_loss(self) -> float:
        """Σ of the penalties of parameters that carry a regularizer."""
        return float(sum(p.regularizer.penalty(p.data) for p in self.parameters()
                         if p.regularizer is not None))

    def _add_regularization_grads(self) -> None:
        for p in self.parameters():
            if p.regularizer is not None:
                p.grad += p.regularizer.grad(p.data)

    # -- training ----------------------------------------------------------------------------
    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        epochs: int = 1,
        batch_size: int | None = None,
        learning_rate: float | None = None,
        shuffle: bool = True,
        seed: np.random.Generator | int | None = None,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        validation_split: float = 0.0,
        callbacks: Iterable[Callback] | None = None,
        lr_schedule: Any = None,
        verbose: int = 1,
        resume_from: str | os.PathLike[str] | None = None,
        drop_last: bool = False,
    ) -> Sequential:
        """Train by gradient descent. Returns self, so calls chain.

        Every argument and array is checked before the first step (types, ranges, the
        shapes of ``x`` and of ``validation_data`` against the layers, targets against
        the loss), and an error names the argument.

        Parameters
        ----------
        x : ndarray of shape (N, ...)
            Inputs, cast to the model's dtype.
        y : ndarray of shape (N,) or (N, K)
            Targets: class labels, one-hot rows, or values for regression.
        epochs : int
            Passes over the data. With ``resume_from``, the *total* number of epochs of
            the run, counted from its very start (Keras' ``epochs`` with
            ``initial_epoch``): resuming a checkpoint written after 4 epochs with
            ``epochs=8`` trains epochs 5 to 8, so the same call serves a fresh start and
            a restart. Otherwise each call trains ``epochs`` more epochs.
        batch_size : int or None
            ``None``: full-batch gradient descent (one step per epoch); ``1``: stochastic
            gradient descent; otherwise mini-batches, the last partial one kept unless
            ``drop_last``.
        learning_rate : float, optional
            Overrides the optimizer's learning rate.
        shuffle : bool
            Reshuffle the samples every epoch (mini-batch and stochastic modes).
        seed : Generator, int >= 0 or None
            Seeds the shuffling: the same seed gives the same batches, and with seeded
            layers (``Dense(..., rng=0)``, ``Dropout(p, rng=1)``) bit-identical weights
            and history on the same machine. None: drawn from the library generator
            after :func:`nnscratch.manual_seed` (which also covers unseeded layers),
            else fresh.
        validation_data : (x_val, y_val), optional
            Evaluated after every epoch, in evaluation mode (``val_loss``,
            ``val_accuracy``, ...).
        validation_split : float
            Hold out this fraction of the data — the *last* samples, taken before any
            shuffling, as Keras does — as validation data.
        callbacks : list of Callback, optional
            See :mod:`nnscratch.callbacks`.
        lr_schedule : Schedule, schedule name or function, optional
            Sets the learning rate through :class:`~nnscratch.callbacks.LearningRateScheduler`
            following the protocol of :mod:`nnscratch.schedules`: ``start(lr)`` once,
            ``lr_at(epoch)`` before every epoch (``lr_at(iteration)`` before every step
            for ``unit="step"``), ``step(value)`` after every epoch. A schedule that
            needs a monitored value (:class:`~nnscratch.schedules.ReduceLROnPlateau`)
            gets ``val_loss`` when there is validation data, else ``loss``.
        verbose : int
            0 silent; 1 a progress bar per epoch with the running loss and metrics, and
            the validation values at its end (needs tqdm, else like 2); 2 one line per
            epoch.
        resume_from : path, optional
            A checkpoint written by :meth:`save_checkpoint` (or
            ``ModelCheckpoint(..., save_training_state=True)``). Its weights, layer
            state, optimizer state, schedule and callback state, shuffling generator,
            epoch counter and history replace this model's before training continues;
            ``seed`` and ``learning_rate`` are then overridden by the saved ones. The
            model must be built and compiled the same way; the continued run gives
            bit-for-bit the weights of an uninterrupted one.
        drop_last : bool, default False
            Drop each epoch's last batch when it is smaller than ``batch_size`` (PyTorch
            ``DataLoader``'s name). A model with BatchNorm cannot train on a one-sample
            batch, and ``fit`` refuses one before training, suggesting this.

        Raises
        ------
        TypeError
            An argument of the wrong kind (``validation_split='0.1'``, ``callbacks=5``,
            complex ``x``).
        ValueError
            Bad values, mismatched lengths or shapes, non-finite inputs, labels out of
            range, target rows that are not probabilities for a cross-entropy loss, a
            one-sample batch for BatchNorm, a checkpoint for another architecture or
            optimizer.
        FloatingPointError
            The loss became NaN or infinite (names the epoch and the batch), unless a
            callback (:class:`~nnscratch.callbacks.TerminateOnNaN`) stops training.
        """
        if self.loss is None or self.optimizer is None:
            raise RuntimeError("Sequential.fit(): call use(loss, optimizer) before fit()")
        cb_items = check_fit_arguments(epochs, batch_size, shuffle, validation_split,
                                       callbacks, lr_schedule, verbose, drop_last)
        rng = as_rng(seed, "fit", "seed")
        x, y, validation_data = self._fit_arrays(x, y, validation_data, validation_split)
        n = len(x)
        bs, n_batches = batching(self.layers, x.shape[1:], n, batch_size, drop_last)
        if learning_rate is not None:
            self.optimizer.learning_rate = learning_rate
        self.input_shape = tuple(x.shape[1:])
        metric_fns = self._metric_functions(y)
        self._has_validation = validation_data is not None
        full_batch = bs == n  # one step per epoch, on the samples in their order
        cbs = CallbackList([self.history, *cb_items], self)
        self._callbacks = cbs
        self.stop_training = False
        if resume_from is not None:
            first_epoch, rng = self._restore_checkpoint(resume_from, cbs)
            last_epoch = epochs
        else:
            first_epoch = self.history.epoch[-1] + 1 if self.history.epoch else 0
            last_epoch = first_epoch + epochs
            self._epochs_done = first_epoch
        self._fit_rng = rng
        if full_batch and verbose == 1:
            bar: Progress | None = Progress(max(last_epoch - first_epoch, 0), "training",
                                            verbose)
        else:
            bar = None
        xb_buf = yb_buf = None
        if shuffle and not full_batch:  # one gather buffer per fit, reused every step
            xb_buf = np.empty((bs, *x.shape[1:]), dtype=x.dtype)
            yb_buf = np.empty((bs, *y.shape[1:]), dtype=y.dtype)

        regularized = any(p.regularizer is not None for p in self.parameters())
        # what every step uses, looked up once: the per-step Python work adds up at small
        # batch sizes, where a step's arithmetic takes only tens of microseconds
        loss_fn, optimizer = self.loss, self.optimizer
        first_trainable = self._first_trainable()
        batch_hooks = cbs.has_batch_hooks
        metric_items = list(metric_fns.items())
        iteration_loss = self.history.iteration_loss
        self.train()
        cbs.call("on_train_begin", {})
        logs: dict[str, Any] = {}
        for epoch in range(first_epoch, last_epoch):
            self._epoch_in_progress = True
            cbs.call("on_epoch_begin", epoch, {})
            order = rng.permutation(n) if shuffle and not full_batch else None
            epoch_bar = (Progress(n_batches, f"epoch {epoch + 1}/{last_epoch}", verbose)
                         if not full_batch and verbose else None)
            loss_sum = 0.0
            metric_sums = dict.fromkeys(metric_fns, 0.0)
            seen = 0
            t0 = time.perf_counter()
            for b in range(n_batches):
                start, stop = b * bs, min((b + 1) * bs, n)
                size = stop - start
                if batch_hooks:
                    batch_logs: dict[str, Any] = {"batch": b, "size": size,
                                                  "iteration": self._iteration}
                    cbs.call("on_batch_begin", b, batch_logs)
                if order is None:
                    xb, yb = x[start:stop], y[start:stop]
                else:
                    idx = order[start:stop]
                    # mode="clip": the indices are a permutation, always in range, and
                    # with the default "raise" NumPy gathers through an extra buffer
                    xb = x.take(idx, axis=0, out=xb_buf[:size],  # type: ignore[index]
                                mode="clip")
                    yb = y.take(idx, axis=0, out=yb_buf[:size],  # type: ignore[index]
                                mode="clip")
                out = self.forward(xb)
                loss = loss_fn.forward(out, yb)
                if regularized:
                    loss += self.regularization_loss()
                if not math.isfinite(loss):
                    if not batch_hooks:
                        batch_logs = {"batch": b, "size": size, "iteration": self._iteration}
                    batch_logs["loss"] = loss
                    cbs.call("on_batch_end", b, batch_logs)
                    if self.stop_training:
                        break
                    raise FloatingPointError(
                        f"fit: the loss became {loss} at epoch {epoch + 1}, batch {b + 1} of "
                        f"{n_batches} (learning rate {optimizer.learning_rate:g}); "
                        "try a smaller learning rate or check the inputs for extreme values"
                    )
                optimizer.zero_grad()
                self._backward_params(loss_fn.backward(), first_trainable)
                if regularized:
                    self._add_regularization_grads()
                optimizer.step()
                self._iteration += 1

                seen += size
                loss_sum += loss * size
                iteration_loss.append(loss)
                for name, fn in metric_items:
                    metric_sums[name] += fn(yb, out) * size
                if batch_hooks:
                    batch_logs["loss"] = loss
                    cbs.call("on_batch_end", b, batch_logs)
                if epoch_bar is not None:
                    epoch_bar.update(1, {"loss": loss_sum / seen,
                                         **{k: v / seen for k, v in metric_sums.items()}})
                if self.stop_training:
                    break
            self._partial_epoch = seen < n_batches * bs if drop_last else seen < n
            denom = seen or 1
            logs = {"loss": loss_sum / denom if seen else float("nan"),
                    **{k: v / denom for k, v in metric_sums.items()}}
            if validation_data is not None:
                val = self.evaluate(*validation_data)
                self.train()
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["lr"] = self.optimizer.learning_rate
            logs["seconds"] = time.perf_counter() - t0
            self._epoch_in_progress = False
            self._epochs_done = epoch + 1
            cbs.call("on_epoch_end", epoch, logs)
            if epoch_bar is not None:
                epoch_bar.close(_shown(logs, verbose))
            if bar is not None:
                bar.update(1, _shown(logs, verbose))
            if self.stop_training:
                break
        if bar is not None:
            bar.close(_shown(logs, verbose) if logs else None)
        cbs.call("on_train_end", logs)
        self.eval()
        return self

    # -- checkpoints ---------------------------------------------------------------------
    def save_checkpoint(self, path: str | os.PathLike[str],
                        metadata: dict[str, Any] | None = None) -> Path:
        """Write everything needed to resume training exactly, atomically, to ``path``.

        The ``.npz`` file holds what :meth:`save` writes (architecture, weights, layer
        state such as BatchNorm's running statistics and Dropout's generator) plus the
        training state: the optimizer's state (moments as arrays, counters and the
        current learning rate in the JSON header), the state of the callbacks of the
        last ``fit`` that have one (the learning-rate schedule, EarlyStopping's counters,
        ...), the shuffling generator's state, the iteration and epoch counters and the
        history. It is read back with ``allow_pickle=False``; :func:`nnscratch.load`
        reads it as a model and ``fit(..., resume_from=path)`` continues from it.

        Call it between epochs: after ``fit`` returns, or from a callback's
        ``on_epoch_end`` (``ModelCheckpoint(..., save_training_state=True)`` does).

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        RuntimeError
            Called in the middle of an epoch (from ``on_batch_end``), where no exact
            resume point exists, or before ``use()``.
        """
        from .io import save_checkpoint

        if self.optimizer is None:
            raise RuntimeError("save_checkpoint(): call use(loss, optimizer) first")
        if self._epoch_in_progress:
            raise RuntimeError("save_checkpoint() called in the middle of an epoch; "
                               "checkpoints mark epoch boundaries (save from on_epoch_end "
                               "or after fit)")
        return save_checkpoint(self, path, self._training_state(), metadata)

    def _training_state(self) -> dict[str, Any]:
        assert self.optimizer is not None
        rng = self._fit_rng
        stateful = self._callbacks.stateful() if self._callbacks is not None else []
        return {
            "epoch": self._epochs_done,
            "iteration": self._iteration,
            "partial_epoch": self._partial_epoch,
            "optimizer": {"class": class_key(type(self.optimizer)),
                          "config": self.optimizer.get_config(),
                          "state": self.optimizer.state_dict()},
            "rng": None if rng is None else rng.bit_generator.state,
            "history": self.history.state_dict(),
            "callbacks": [{"class": class_key(type(cb)), "state": cb.state_dict()}  # type: ignore[attr-defined]
                          for cb in stateful],
        }

    def _restore_checkpoint(self, path: str | os.PathLike[str], cbs: CallbackList
                            ) -> tuple[int, np.random.Generator]:
        """Load a checkpoint into this model and ``cbs``; returns (next epoch, generator)."""
        from ._loadcheck import restoring
        from .io import load_arrays_into, read_checkpoint

        assert self.optimizer is not None
        header, arrays, training = read_checkpoint(path)
        saved = [spec["class"] for spec in header["layers"]]
        mine = [class_key(type(layer)) for layer in self.layers]
        if len(saved) != len(mine) or not all(
                LAYER_REGISTRY.means(s, type(layer)) for s, layer in zip(saved, self.layers)):
            raise ValueError(f"{path}: the checkpoint is for layers {saved}, this model has "
                             f"{mine}; build the model the same way before resuming")
        if header.get("dtype") != str(self.dtype):
            raise ValueError(f"{path}: the checkpoint is in {header.get('dtype')}, this model "
                             f"in {self.dtype}")
        opt = training["optimizer"]
        if not OPTIMIZER_REGISTRY.means(opt["class"], type(self.optimizer)):
            raise ValueError(f"{path}: the checkpoint's optimizer is {opt['class']}, this "
                             f"model's is {class_key(type(self.optimizer))}")
        mine_cfg = {k: v for k, v in self.optimizer.get_config().items()
                    if k != "learning_rate"}
        saved_cfg = {k: v for k, v in opt["config"].items() if k != "learning_rate"}
        if mine_cfg != saved_cfg:
            warnings.warn(f"{path}: resuming with optimizer settings {mine_cfg}, the "
                          f"checkpoint was trained with {saved_cfg}", UserWarning,
                          stacklevel=3)
        load_arrays_into(self, arrays, str(path))
        with restoring(str(path), "optimizer"):
            self.optimizer.load_state_dict(opt["state"])
        with restoring(str(path), "history"):
            self.history.load_state_dict(training["history"])
        self._iteration = int(training["iteration"])
        self._epochs_done = int(training["epoch"])
        self._partial_epoch = bool(training.get("partial_epoch", False))
        if self._partial_epoch:
            warnings.warn(f"{path}: written after an epoch that was cut short; resuming "
                          "starts the next epoch, so the run will not match an "
                          "uninterrupted one", UserWarning, stacklevel=3)
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
        return self._epochs_done, rng

    # -- inference ---------------------------------------------------------------------------
    def predict(self, x: np.ndarray, batch_size: int | None = 1024) -> np.ndarray:
        """Network outputs for ``x`` in evaluation mode, ``batch_size`` rows at a time.

        Returns what the last layer outputs: probabilities after a Sigmoid/Softmax layer,
        logits when the model was built for :class:`SoftmaxCrossEntropy` (see
        :meth:`predict_proba`, :meth:`predict_classes`).
        """
        if not self.layers:
            raise RuntimeError("Sequential.predict(): the model has no layers; add() some first")
        if batch_size is not None:
            _check_positive_int("batch_size", batch_size)
        # each chunk is checked for NaN/inf just before it goes through the network, so it
        # is read from cache by the first layer rather than from memory a second time
        x = self._as_input(x, "x", check_finite=False)
        was_training = [layer.training for layer in self.layers]
        self.eval()
        try:
            n = len(x)
            bs = n if batch_size is None else batch_size
            if n <= bs:
                _check_finite(x, "x")
                out = self.forward(x).copy()
            else:
                _check_finite(x[:bs], "x")
                first = self.forward(x[:bs])
                out = np.empty((n, *first.shape[1:]), dtype=first.dtype)
                out[:bs] = first
                for start in range(bs, n, bs):
                    chunk = x[start:start + bs]
                    _check_finite(chunk, "x", offset=start)
                    out[start:start + bs] = self.forward(chunk)
        finally:
            for layer, mode in zip(self.layers, was_training):
                layer.training = mode
        return out

    def predict_proba(self, x: np.ndarray, batch_size: int | None = 1024) -> np.ndarray:
        """Class probabilities: softmax of the logits for :class:`SoftmaxCrossEntropy`."""
        from .layers.activations import softmax

        out = self.predict(x, batch_size)
        if type(self.loss).__name__ == "SoftmaxCrossEntropy":
            return softmax(out)
        return out

    def predict_classes(self, x: np.ndarray, batch_size: int | None = 1024) -> np.ndarray:
        """Predicted class per sample: argmax for several outputs, ``p > 0.5`` for one."""
        return metrics_mod.predicted_labels(self.predict(x, batch_size))

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int | None = 1024
                 ) -> dict[str, float]:
        """Loss and metrics on ``(x, y)`` in evaluation mode.

        Returns
        -------
        dict
            ``{"loss": ..., "accuracy": ...}``; accuracy thresholds a single output at
            0.5 and takes the argmax of several, and is left out for regression targets.
        """
        if self.loss is None:
            raise RuntimeError("Sequential.evaluate(): call use(loss) before evaluate()")
        x = self._as_input(x, "x", check_finite=False)  # predict checks it, chunk by chunk
        y = self._as_target(y, len(x), "y")
        out = self.predict(x, batch_size)
        result = {"loss": self.loss.forward(out, y) + self.regularization_loss()}
        for name, fn in self._metric_functions(y).items():
            result[name] = fn(y, out)
        return result

    # -- description -------------------------------------------------------------------------
    def summary(self, input_shape: Sequence[int] | None = None) -> str:
        """A table of the layers, their output shapes and parameter counts."""
        shape: Shape | None = tuple(input_shape) if input_shape else self.input_shape
        if shape is None and self.layers:
            shape = _guess_input_shape(self.layers[0])
        rows = [("#", "layer", "output shape", "params")]
        total = 0
        for i, layer in enumerate(self.layers):
            if shape is not None:
                try:
                    shape = layer.output_shape(shape)
                except ValueError:
                    shape = None
            count = sum(p.size for p in layer.parameters())
            total += count
            shown = "(N, " + ", ".join("?" if d is None else str(d) for d in shape) + ")" \
                if shape is not None else "?"
            rows.append((str(i), repr(layer), shown, f"{count:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        line = "-" * (sum(widths) + 6)
        out = [line]
        for j, r in enumerate(rows):
            out.append(f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
                       f"{r[3]:>{widths[3]}}")
            if j == 0:
                out.append(line)
        out += [line, f"Total parameters: {total:,} ({self.dtype})",
                f"Loss: {self.loss!r}   Optimizer: {self.optimizer!r}", line]
        return "\n".join(out)

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(layer) for layer in self.layers) + ")"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def save(self, path: Any, metadata: dict[str, Any] | None = None) -> None:
        """Write architecture (JSON) and weights to one ``.npz`` file, atomically."""
        from .io import save_model

        save_model(self, path, metadata=metadata)

    # -- input checks ---------------------------------------------------------------------
    def _output_shape_or_none(self) -> Shape | None:
        if not self.layers:
            return None
        shape = self.input_shape or _guess_input_shape(self.layers[0])
        if shape is None:
            return None
        try:
            for layer in self.layers:
                shape = layer.output_shape(shape)
        except ValueError:
            return None
        return shape

    def _fit_arrays(self, x: Any, y: Any, validation_data: Any, validation_split: float
                    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """fit's training and validation arrays, checked and split: x, y, (x_val, y_val)."""
        x = self._as_input(x, "x")
        y = self._as_target(y, len(x), "y")
        layer_input_shapes(self.layers, x.shape[1:], "x")
        if validation_split:
            n_val = round(len(x) * validation_split)
            if n_val == 0 or n_val == len(x):
                raise ValueError(f"fit: validation_split={validation_split} leaves "
                                 f"{len(x) - n_val} training and {n_val} validation samples")
            if validation_data is not None:
                raise ValueError("fit: give validation_data or validation_split, not both")
            return x[:-n_val], y[:-n_val], (x[-n_val:], y[-n_val:])
        if validation_data is None:
            return x, y, None
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise TypeError("fit: validation_data must be a pair (x_val, y_val), got "
                            f"{type(validation_data).__name__}")
        x_val = self._as_input(validation_data[0], "validation_data x")
        y_val = self._as_target(validation_data[1], len(x_val), "validation_data y")
        layer_input_shapes(self.layers, x_val.shape[1:], "validation_data x")
        if y_val.ndim == y.ndim and y_val.shape[1:] != y.shape[1:]:
            raise ValueError(f"fit: validation_data y has targets of shape {y_val.shape[1:]},"
                             f" y has {y.shape[1:]}")
        return x, y, (x_val, y_val)

    def _as_input(self, x: Any, name: str, check_finite: bool = True) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == 0:
            raise ValueError(f"{name} must be an array of samples, got a scalar")
        if np.iscomplexobj(x):
            raise TypeError(f"{name} must be real, got complex dtype {x.dtype}")
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            raise ValueError(f"{name} must be numeric, got dtype {x.dtype}")
        if len(x) == 0:
            raise ValueError(f"{name} is empty")
        dt = self.dtype
        if x.dtype != dt:
            x = x.astype(dt)
        if check_finite:
            _check_finite(x, name)
        return x

    def _as_target(self, y: Any, n: int, name: str) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != n:
            raise ValueError(f"{name} has {0 if y.ndim == 0 else len(y)} samples but x has {n}")
        if np.issubdtype(y.dtype, np.floating):
            if not np.isfinite(y).all():
                raise ValueError(f"{name} contains NaN or infinity")
            if y.dtype != self.dtype:
                y = y.astype(self.dtype)
        elif y.dtype == bool:
            y = y.astype(self.dtype)
        elif not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"{name} must be real numbers, got dtype {y.dtype}")
        check_probability_targets(self.loss, y, name)
        out = self._output_shape_or_none()
        k = out[-1] if out and len(out) == 1 else None
        if k is not None and k > 1 and y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
            lo, hi = int(y.min()), int(y.max())
            if lo < 0 or hi >= k:
                raise ValueError(f"{name}: class labels must be in [0, {k - 1}] for a model "
                                 f"with {k} outputs, got values in [{lo}, {hi}]")
        return y

    def _metric_functions(self, y: np.ndarray) -> dict[str, Any]:
        names = self.metric_names
        if names == "auto":
            out = self._output_shape_or_none()
            k = out[-1] if out else None
            names = ["accuracy"] if metrics_mod.is_classification_target(y, k) else []
        fns: dict[str, Any] = {}
        for m in names:
            name, fn = metrics_mod.get_metric(m)
            if name in fns or name in _RESERVED_LOG_KEYS or name.startswith("val_"):
                raise ValueError(f"metric name {name!r} is used twice or clashes with a log "
                                 f"key ({sorted(_RESERVED_LOG_KEYS)}, val_*); give the "
                                 "function another __name__")
            fns[name] = fn
        return fns


_RESERVED_LOG_KEYS = frozenset({"loss", "lr", "seconds", "epoch"})


def _shown(logs: dict[str, Any], verbose: int) -> dict[str, Any]:
    """The epoch logs a progress display shows: tqdm already shows the time."""
    hidden = ("lr", "seconds") if verbose == 1 else ("lr",)
    return {k: v for k, v in logs.items() if k not in hidden}


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


def _guess_input_shape(layer: Layer) -> Shape | None:
    """The per-sample input shape a first layer implies, where it can tell."""
    in_features = getattr(layer, "in_features", None)
    if in_features is not None:
        return (in_features,)
    in_channels = getattr(layer, "in_channels", None)
    if in_channels is not None:
        return (in_channels, None, None)
    return None


def _check_positive_int(name: str, value: Any) -> None:
    check_int("", name, value)


def _check_finite(x: np.ndarray, name: str, offset: int = 0) -> None:
    """Raise a ValueError naming the first sample of ``x`` holding NaN or infinity
    (numbered from ``offset``, for a chunk of a larger array).

    The row sums ``x @ 1`` (a matrix-vector product, several times faster than
    ``np.isfinite(x).all()`` and with no boolean temporary) are all finite when every
    entry is; a NaN or an infinity makes its row's sum NaN or infinite. Only when a sum
    is not finite (or it overflowed) does the exact elementwise check decide.
    """
    if not np.issubdtype(x.dtype, np.inexact) or x.size == 0:
        return
    rows = x.reshape(len(x), -1)
    if rows.dtype in (np.float32, np.float64):
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is the point here
            sums = rows @ np.ones(rows.shape[1], dtype=rows.dtype)  # (N,)
        if np.isfinite(sums).all():
            return
    finite_rows = np.isfinite(rows).all(axis=1)  # (N,)
    if not finite_rows.all():
        bad = int(np.argmin(finite_rows))
        raise ValueError(f"{name} contains NaN or infinity (first at sample {offset + bad})")
