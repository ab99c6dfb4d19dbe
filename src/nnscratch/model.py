"""The network: a stack of layers trained by backpropagation.

::

    model = Sequential(Dense(64, 32), ReLU(), Dense(32, 10)).use(SoftmaxCrossEntropy())
    model.fit(x_train, y_train, epochs=20, batch_size=32, learning_rate=0.1)
    model.evaluate(x_test, y_test)   # {"loss": ..., "accuracy": ...}

Training is the loop the articles write by hand — forward, loss, backward by the chain
rule, a gradient step (:meth:`Sequential.train_step`) — wrapped with batching, shape
checks, metrics and callbacks in :mod:`nnscratch.training`. The layers' side of the model
(forward and backward, parameters, ``get_config``, ``state_dict``) is
:class:`nnscratch.network.Network`; files are :mod:`nnscratch.io`'s.

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
from . import distributed, io, training
from . import metrics as metrics_mod
from ._fit_checks import as_input, as_target
from ._fit_checks import refuse_non_finite as _check_finite  # noqa: F401  (its old home)
from ._registry import class_key
from .callbacks import Callback, History
from .layers.activations import softmax
from .layers.base import Layer
from .losses import Loss, get_loss
from .network import Network
from .optimizers import Optimizer, get_optimizer
from .training import TrainingState


class Sequential(Network):
    """A feed-forward network trained by a loss and an optimizer: each layer's output is
    the next layer's input.

    The layers, their forward and backward passes, their description and their arrays
    are :class:`~nnscratch.network.Network`'s; this class adds the loss, the optimizer
    and the metrics, a training step (:meth:`train_step`), :meth:`fit` (whose loop is
    :mod:`nnscratch.training`), checkpoints, probabilities and :meth:`evaluate`.

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
        self.loss: Loss | None = None
        self.optimizer: Optimizer | None = None
        self.metric_names: list[str] | str = "auto"
        self.history = History()
        self.stop_training = False
        #: what training has done (steps, epochs, shuffling generator, callbacks): what
        #: checkpoints save beside the weights; see :mod:`nnscratch.training`
        self.training_state = TrainingState()
        super().__init__(*layers, dtype=dtype)

    def _parameters_changed(self) -> None:
        if self.optimizer is not None:
            self.optimizer.bind(self.parameters())

    # -- building --------------------------------------------------------------------------
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
        if plan.regularization_grads:
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
        regularized = any(p.regularizer is not None for p in self.parameters())
        # data-parallel, the optimizer adds them once, after reducing the ranks' gradients
        reduced = self.optimizer.reduce_gradients is not None
        return _StepPlan(self.loss, self.optimizer, self._first_trainable(), regularized,
                         regularized and not reduced, metrics, [name for name, _ in metrics])

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
        the loss), and an error names the argument. Each batch is one call of
        :meth:`train_step`; the loop itself is :func:`nnscratch.training.fit`.

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
        x = as_input(self, x, "evaluate: x", check_finite=False)  # predict checks each chunk
        y = as_target(self, y, len(x), "evaluate: y")
        world = distributed.world()
        if world is None:
            out = self.predict(x, batch_size)
        else:  # data-parallel: each rank predicts its share; all get every output
            from .distributed.data_parallel import predict_sharded

            out = predict_sharded(world, self, x, batch_size)
        result = {"loss": self.loss.forward(out, y) + self.regularization_loss()}
        for name, fn in self._metric_functions(y).items():
            result[name] = fn(y, out)
        return result


    # -- description ----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The JSON-able description of the model, without weights: the network's
        (:meth:`Network.get_config`), then the loss, the optimizer and the metrics. What
        a saved file's header holds besides the format's name and version;
        :meth:`from_config` inverts it.
        """
        return {
            **super().get_config(),
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
        model = super().from_config(config, source)
        if config.get("loss") is not None:
            model.use(_from_spec(config["loss"], check.loss_class, "loss", source),
                      _from_spec(config["optimizer"], check.optimizer_class, "optimizer",
                                 source),
                      metrics=config.get("metrics", "auto"))
        return model

    # -- description -------------------------------------------------------------------------
    def _summary_footer(self) -> list[str]:
        return [f"Loss: {self.loss!r}   Optimizer: {self.optimizer!r}"]

    def save(self, path: Any, metadata: dict[str, Any] | None = None) -> None:
        """Write architecture (JSON) and weights to one ``.npz`` file, atomically."""
        io.save_model(self, path, metadata=metadata)

    # -- input checks ---------------------------------------------------------------------
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



class _StepPlan(NamedTuple):
    """What every step of a ``fit`` uses (see ``Sequential._step_plan``)."""

    loss: Loss
    optimizer: Optimizer
    first_trainable: int
    regularized: bool
    regularization_grads: bool  # train_step adds them (not data-parallel)
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
