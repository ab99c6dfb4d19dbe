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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import _loadcheck as check
from . import io, training
from . import metrics as metrics_mod
from ._checks import check_int
from ._dtype import get_default_dtype, resolve_dtype
from ._fit_checks import as_input, as_target
from ._fit_checks import refuse_non_finite as _check_finite
from ._registry import class_key
from .callbacks import Callback, History
from .layers.activations import softmax
from .layers.base import Layer, Shape
from .losses import Loss, get_loss
from .optimizers import Optimizer, get_optimizer
from .parameter import Parameter
from .training import TrainingState


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
    training_state : TrainingState
        What ``fit`` has done: optimizer steps (``iteration``), epochs, the shuffling
        generator and the last ``fit``'s callbacks; checkpoints save it.

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
        #: what training has done (steps, epochs, shuffling generator, callbacks): what
        #: checkpoints save beside the weights; see :mod:`nnscratch.training`
        self.training_state = TrainingState()
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

    def train_step(self, x_batch: np.ndarray, y_batch: np.ndarray) -> dict[str, float]:
        """One gradient step on a batch; returns its logs (Keras' ``train_step``).

        ``fit`` calls it once per batch, in training mode, with the batch already cast
        to the model's dtype; a subclass may override it (and call this one).

        Parameters
        ----------
        x_batch : ndarray of shape (B, ...)
        y_batch : ndarray of shape (B,) or (B, K)

        Returns
        -------
        dict
            ``{"loss": ..., <metric>: ...}`` for this batch: the loss before the step
            (regularization penalties included), the metrics on the same outputs.
            When the loss is NaN or infinite no step is taken and only ``"loss"`` is
            returned; ``fit`` then stops or raises, naming the batch.
        """
        plan = self.training_state.plan
        if plan is None:  # called outside fit
            plan = self._step_plan(y_batch)
        loss_fn = plan.loss
        out = self.forward(x_batch)  # (B, K)
        loss = loss_fn.forward(out, y_batch)
        if plan.regularized:
            loss += self.regularization_loss()
        logs = {"loss": loss}
        if not math.isfinite(loss):
            return logs
        plan.optimizer.zero_grad()
        self._backward_params(loss_fn.backward(), plan.first_trainable)
        if plan.regularized:
            self._add_regularization_grads()
        plan.optimizer.step()
        for name, fn in plan.metrics:
            logs[name] = fn(y_batch, out)
        return logs

    def _step_plan(self, y: np.ndarray) -> _StepPlan:
        """What every training step uses, looked up once per ``fit``: the per-step Python
        work adds up at small batch sizes, where a step's arithmetic takes only tens of
        microseconds. The metrics are chosen for targets like ``y``."""
        if self.loss is None or self.optimizer is None:
            raise RuntimeError("Sequential.train_step(): call use(loss, optimizer) first")
        metrics = list(self._metric_functions(y).items())
        return _StepPlan(self.loss, self.optimizer, self._first_trainable(),
                         any(p.regularizer is not None for p in self.parameters()),
                         metrics, [name for name, _ in metrics])

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
        training.fit(self, x, y, epochs, batch_size, learning_rate, shuffle, seed,
                     validation_data, validation_split, callbacks, lr_schedule, verbose,
                     resume_from, drop_last)
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
        return training.save_checkpoint(self, path, metadata)

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
        x = as_input(self, x, "x", check_finite=False)
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
        """Class probabilities: the loss's ``output`` activation applied to the network's
        outputs when the loss takes logits (``Loss.from_logits``: softmax for
        :class:`SoftmaxCrossEntropy`), else the outputs as they are (the last layer
        already is a Softmax or Sigmoid)."""
        out = self.predict(x, batch_size)
        loss = self.loss
        if loss is None or not loss.from_logits or loss.output == "identity":
            return out
        if loss.output == "softmax":
            return softmax(out)
        if loss.output == "sigmoid":
            return 1.0 / (1.0 + np.exp(-out))
        raise ValueError(f"predict_proba: {loss!r} has output {loss.output!r}; expected "
                         "'softmax', 'sigmoid' or 'identity'")

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
        x = as_input(self, x, "x", check_finite=False)  # predict checks it, chunk by chunk
        y = as_target(self, y, len(x), "y")
        out = self.predict(x, batch_size)
        result = {"loss": self.loss.forward(out, y) + self.regularization_loss()}
        for name, fn in self._metric_functions(y).items():
            result[name] = fn(y, out)
        return result


    # -- description and state ------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The JSON-able description of the model, without weights: dtype, input shape,
        each layer's class and constructor arguments (with its parameter and state
        names), the loss, the optimizer and the metrics. What a saved file's header
        holds besides the format's name and version; :meth:`from_config` inverts it.
        """
        return {
            "dtype": str(self.dtype),
            "input_shape": list(self.input_shape) if self.input_shape else None,
            "layers": [{"class": class_key(type(layer)), "config": layer.get_config(),
                        "params": [p.name for p in layer.parameters()],
                        "state": sorted(layer.state_arrays())} for layer in self.layers],
            "loss": None if self.loss is None else
            {"class": class_key(type(self.loss)), "config": self.loss.get_config()},
            "optimizer": None if self.optimizer is None else
            {"class": class_key(type(self.optimizer)), "config": self.optimizer.get_config()},
            "metrics": self.metric_names if isinstance(self.metric_names, str)
            else [m for m in self.metric_names if isinstance(m, str)],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], source: str = "config") -> Sequential:
        """A new model built from :meth:`get_config` output, with fresh weights.

        Load weights with :meth:`load_state_dict`. ``source`` starts every error message
        (a file's path when loading one).

        Raises
        ------
        ValueError
            A key is missing or of the wrong kind, a class is unknown, or a layer, the
            loss or the optimizer refuses its arguments (names the layer and the key).
        """
        check.check_header(config, source)
        layers = []
        for i, (spec, layer_cls) in enumerate(zip(config["layers"],
                                                  check.layer_classes(config, source),
                                                  strict=True)):
            try:
                layer = layer_cls.from_config(spec["config"])
                layer.astype(config["dtype"])
            except (TypeError, ValueError, KeyError) as err:
                raise ValueError(f"{source}: layer {i} ({spec['class']}): bad config "
                                 f"{spec['config']!r:.200}: {err}") from None
            layers.append(layer)
        try:
            model = cls(layers)
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from None
        if config.get("input_shape"):
            model.input_shape = tuple(config["input_shape"])
        if config.get("loss") is not None:
            model.use(_from_spec(config["loss"], check.loss_class, "loss", source),
                      _from_spec(config["optimizer"], check.optimizer_class, "optimizer",
                                 source),
                      metrics=config.get("metrics", "auto"))
        return model

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter and saved layer state array, by its key in a saved file.

        Keys are ``layers.<i>.<parameter>`` (``layers.0.W``) and
        ``layers.<i>.state.<name>`` (``layers.3.state.running_mean``); the values are
        the arrays themselves, not copies, as in PyTorch.
        """
        arrays: dict[str, np.ndarray] = {}
        for i, layer in enumerate(self.layers):
            for p in layer.parameters():
                arrays[f"layers.{i}.{p.name}"] = p.data
            for name, value in layer.state_arrays().items():
                arrays[f"layers.{i}.state.{name}"] = np.asarray(value)
        return arrays

    def load_state_dict(self, state: dict[str, np.ndarray], source: str = "state_dict"
                        ) -> None:
        """Copy :meth:`state_dict`-style entries into the parameters and layer state.

        Every parameter must be present with its shape and a floating dtype; every
        ``layers.<i>.*`` entry must be read by layer ``i``; keys of other kinds
        (``training.*``) are ignored. Parameters are updated in place, so the optimizer's
        references stay valid. ``source`` starts every error message.

        Raises
        ------
        ValueError
            A parameter is missing or has another shape or dtype, a layer refuses its
            saved state, or an entry of a layer is read by nothing (names the key).
        """
        for i, layer in enumerate(self.layers):
            read = set()
            for p in layer.parameters():
                key = f"layers.{i}.{p.name}"
                if key not in state:
                    raise ValueError(f"{source}: missing array {key!r} for {layer} (layer {i})")
                if state[key].shape != p.data.shape:
                    raise ValueError(f"{source}: {key} has shape {state[key].shape}, "
                                     f"{layer} expects {p.data.shape}")
                check.check_array(state[key], key, None, "f", source)
                p.data[...] = state[key]
                read.add(key)
            prefix = f"layers.{i}.state."
            own = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            try:
                layer.load_state_arrays(own)
            except (TypeError, ValueError, KeyError, AttributeError) as err:
                raise ValueError(f"{source}: layer {i} ({layer}): bad saved state: {err}"
                                 ) from None
            unread = sorted(k for k in state if k.startswith(f"layers.{i}.")
                            and k not in read and not k.startswith(prefix))
            if unread:
                raise ValueError(f"{source}: array {unread[0]!r} is read by no layer: {layer} "
                                 f"(layer {i}) reads {sorted(read)}")

    @property
    def _has_validation(self) -> bool:
        """Whether the last ``fit`` had validation data (read by schedule callbacks)."""
        return self.training_state.has_validation

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
        io.save_model(self, path, metadata=metadata)

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


class _StepPlan(NamedTuple):
    """What every step of a ``fit`` uses (see ``Sequential._step_plan``)."""

    loss: Loss
    optimizer: Optimizer
    first_trainable: int
    regularized: bool
    metrics: list[tuple[str, Any]]
    metric_names: list[str]


def _from_spec(spec: dict[str, Any], lookup: Any, what: str, source: str) -> Any:
    """Build the loss or optimizer a config's ``{"class": ..., "config": ...}`` names."""
    cls = lookup(spec["class"])
    if cls is None:
        raise ValueError(f"{source}: unknown {what} class {spec['class']!r}")
    check.check_arguments(cls, spec["config"], f"{source}: {what} ({spec['class']})")
    try:
        return cls(**spec["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{source}: {what} ({spec['class']}): bad config "
                         f"{spec['config']!r:.200}: {err}") from None


io.MODEL_CLASS = Sequential  # what io.load builds; io does not import this module
